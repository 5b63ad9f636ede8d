package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
)

// Flows with a real agent process, real restic and a real repository.

// fleetJobsTab opens the Jobs tab of the agent's host in a window over
// the fleet's hub.
func fleetJobsTab(t *testing.T, f *testfleet.Fleet, hostID string) (*testEnv, *jobsTab) {
	t.Helper()
	e := newTestEnvOn(t, f.Hub, f.Store, f.Secrets)
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())
	return e, v
}

// selectedJob reads the selected job as its progress view last saw it.
func selectedJob(v *jobsTab) hub.Job {
	if v.detail.progress == nil {
		return hub.Job{}
	}
	return v.detail.progress.job
}

func logHas(v *jobsTab, text string) bool {
	if v.detail.log == nil {
		return false
	}
	for _, l := range v.detail.log.lines {
		if strings.Contains(l.text, text) {
			return true
		}
	}
	return false
}

func TestJobsRunNowBacksUpAGroupWithARealAgent(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "jobs-pc", BigFileMiB: 8, UploadKbps: 4096})
	// A pre-hook gives the backup log lines of both streams (restic's own
	// JSON becomes progress and stats, not lines).
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: testfleet.Group, Includes: []string{a.Files},
		PreHook: "echo preparing one; echo preparing two; echo almost full >&2"}); err != nil {
		t.Fatal(err)
	}
	u, v := fleetJobsTab(t, f, a.HostID)
	u.app.WaitFor(t, "the Run now button of "+testfleet.Group, func() bool { return v.actions.runNow[testfleet.Group] != nil })

	test.Tap(v.actions.runNow[testfleet.Group])
	if v.detail.selected == "" {
		t.Fatal("Run now did not select the new job")
	}
	jobID := v.detail.selected
	if !strings.Contains(v.notice.text(), "sent to the agent") {
		t.Errorf("notice after Run now on an online host: %q", v.notice.text())
	}

	var sawPartial bool
	u.app.WaitFor(t, "the backup to end in the view", func() bool {
		if b := v.detail.progress.bar.Value; b > 0 && b < 1 {
			sawPartial = true
		}
		return selectedJob(v).Terminal()
	})
	j := selectedJob(v)
	if j.ID != jobID || j.Status != protocol.StatusSucceeded || j.Kind != protocol.KindBackup || j.Tag != testfleet.Group {
		t.Fatalf("job %s ended %s (%s): %s", j.ID, j.Status, j.Kind, j.Error)
	}
	t.Logf("a fraction between 0 and 1 was on the bar while it ran: %v", sawPartial)
	u.app.WaitFor(t, "the bar at 100 %", func() bool { return v.detail.progress.bar.Value == 1 })
	if v.detail.progress.snap.val.Text == "" || !strings.Contains(v.detail.progress.files.val.Text, "new") {
		t.Errorf("the result lacks the backup's figures: snapshot %q, files %q", v.detail.progress.snap.val.Text, v.detail.progress.files.val.Text)
	}
	u.app.WaitFor(t, "the hook's lines in the log view", func() bool {
		return logHas(v, "preparing one") && logHas(v, "preparing two") && logHas(v, "almost full")
	})
	for _, l := range v.detail.log.lines {
		if strings.Contains(l.text, "almost full") && (l.stream != protocol.StreamStderr || !strings.Contains(l.text, "! ")) {
			t.Errorf("a stderr line is not marked: %q (%s)", l.text, l.stream)
		}
	}
	u.app.WaitFor(t, "the row to show the outcome", func() bool {
		i, ok := v.history.index[jobID]
		if !ok {
			return false
		}
		out, _ := v.history.outcome(v.history.jobs[i])
		return strings.Contains(out, "added")
	})
	if !v.detail.cancelBtn.Disabled() {
		t.Error("Cancel is enabled on a finished job")
	}
}

func TestJobsCancelEndsARunningBackupCancelled(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	// 64 MiB at 256 KiB/s: minutes, far longer than the test waits.
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "slow-pc", BigFileMiB: 64, UploadKbps: 256})
	u, v := fleetJobsTab(t, f, a.HostID)
	u.app.WaitFor(t, "the Run now button", func() bool { return v.actions.runNow[testfleet.Group] != nil })
	test.Tap(v.actions.runNow[testfleet.Group])
	u.app.WaitFor(t, "the backup to run", func() bool {
		return selectedJob(v).Status == protocol.StatusRunning && !v.detail.cancelBtn.Disabled()
	})
	// While it runs, the view shows the agent's progress.
	u.app.WaitFor(t, "live progress in the view", func() bool {
		b, running := v.detail.progress.runningValue()
		return running && b > 0 && b < 1 && strings.Contains(v.detail.progress.data.val.Text, " of ") && strings.HasSuffix(v.detail.progress.speed.val.Text, "/s")
	})
	t.Logf("progress: %s; files %s; data %s; speed %s; time left %s", v.detail.progress.status.Text,
		v.detail.progress.files.val.Text, v.detail.progress.data.val.Text, v.detail.progress.speed.val.Text, v.detail.progress.eta.val.Text)
	// Cancel asks first; only the confirmation cancels.
	test.Tap(v.detail.cancelBtn)
	if v.detail.cancelBtn.Text != "Cancel job" || selectedJob(v).Status != protocol.StatusRunning {
		t.Fatalf("the first tap already cancels: button %q, job %s", v.detail.cancelBtn.Text, selectedJob(v).Status)
	}
	asked := time.Now()
	uitest.TapDialogButton(t, u.win, "Cancel job")
	if !v.detail.cancelBtn.Disabled() || v.detail.cancelBtn.Text != "Cancelling…" {
		t.Errorf("after Cancel the button reads %q (disabled %v)", v.detail.cancelBtn.Text, v.detail.cancelBtn.Disabled())
	}
	u.app.WaitFor(t, "the backup to end", func() bool { return selectedJob(v).Terminal() })
	t.Logf("the backup ended %s after cancel", time.Since(asked))
	if j := selectedJob(v); j.Status != protocol.StatusCancelled {
		t.Fatalf("cancelled backup ended %s: %s", j.Status, j.Error)
	}
	if !strings.Contains(v.detail.progress.status.Text, "cancelled") || !v.detail.cancelBtn.Disabled() {
		t.Errorf("after the end: status %q, Cancel disabled %v", v.detail.progress.status.Text, v.detail.cancelBtn.Disabled())
	}
}

func TestJobsRunNowWhileOfflineIsSentWhenTheHostConnects(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "laptop"})
	a.Stop(t)
	testfleet.WaitFor(t, testfleet.Wait, "the host offline", func() bool {
		d, err := f.Hub.Host(a.HostID)
		return err == nil && !d.Online
	})
	u, v := fleetJobsTab(t, f, a.HostID)
	test.Tap(v.actions.runNow[testfleet.Group])
	if !strings.Contains(v.notice.text(), "queued") || !strings.Contains(v.notice.text(), "offline") {
		t.Errorf("notice after Run now on an offline host: %q", v.notice.text())
	}
	jobID := v.detail.selected
	if j := selectedJob(v); j.ID != jobID || j.Status != protocol.StatusQueued {
		t.Fatalf("the queued job is not shown: %+v", j)
	}
	if !strings.Contains(v.detail.progress.status.Text, "sent when it connects") {
		t.Errorf("queued status %q does not say when it runs", v.detail.progress.status.Text)
	}

	// The host comes back: the orange "offline" strip goes with its cause,
	// and the strip goes when the job ends.
	a.Restart(t)
	u.app.WaitFor(t, "the offline warning to go once the host is back", func() bool {
		return v.online && !strings.Contains(v.notice.text(), "offline")
	})
	u.app.WaitFor(t, "the queued backup to run and end", func() bool { return selectedJob(v).Terminal() })
	u.app.WaitFor(t, "the notice to go with its ended job", func() bool { return v.notice.text() == "" })
	if j := selectedJob(v); j.Status != protocol.StatusSucceeded {
		t.Fatalf("the re-sent backup ended %s: %s", j.Status, j.Error)
	}
	if v.detail.progress.bar.Value != 1 {
		t.Errorf("bar at %.2f after success", v.detail.progress.bar.Value)
	}
}
