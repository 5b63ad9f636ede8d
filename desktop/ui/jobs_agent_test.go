package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
)

// Flows with a real agent process, real restic and a real repository.

// jobsFleetTab opens the Jobs tab of the agent's host in a window over
// the fleet's hub.
func jobsFleetTab(t *testing.T, f *testfleet.Fleet, hostID string) (*jobsUI, *jobsTab) {
	t.Helper()
	u := newJobsUI(t, f.Hub)
	v := newJobsTabView(u.UI, u.newScope(), hostID)
	u.show(v)
	return u, v
}

// jobsSelected reads the selected job as its progress view last saw it.
func jobsSelected(v *jobsTab) hub.Job {
	if v.progress == nil {
		return hub.Job{}
	}
	return v.progress.job
}

func jobsLogHas(v *jobsTab, text string) bool {
	if v.log == nil {
		return false
	}
	for _, l := range v.log.lines {
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
	u, v := jobsFleetTab(t, f, a.HostID)
	u.wait(t, testfleet.Wait, "the Run now button of "+testfleet.Group, func() bool { return v.runNow[testfleet.Group] != nil })

	test.Tap(v.runNow[testfleet.Group])
	if v.selected == "" {
		t.Fatal("Run now did not select the new job")
	}
	jobID := v.selected
	if !strings.Contains(v.notice.Text, "sent to the agent") {
		t.Errorf("notice after Run now on an online host: %q", v.notice.Text)
	}

	var sawPartial bool
	u.wait(t, testfleet.Wait, "the backup to end in the view", func() bool {
		if b := v.progress.bar.Value; b > 0 && b < 1 {
			sawPartial = true
		}
		return jobsSelected(v).Terminal()
	})
	j := jobsSelected(v)
	if j.ID != jobID || j.Status != protocol.StatusSucceeded || j.Kind != protocol.KindBackup || j.Tag != testfleet.Group {
		t.Fatalf("job %s ended %s (%s): %s", j.ID, j.Status, j.Kind, j.Error)
	}
	t.Logf("a fraction between 0 and 1 was on the bar while it ran: %v", sawPartial)
	u.wait(t, testfleet.Wait, "the bar at 100 %", func() bool { return v.progress.bar.Value == 1 })
	if v.progress.snap.val.Text == "" || !strings.Contains(v.progress.files.val.Text, "new") {
		t.Errorf("the result lacks the backup's figures: snapshot %q, files %q", v.progress.snap.val.Text, v.progress.files.val.Text)
	}
	u.wait(t, testfleet.Wait, "the hook's lines in the log view", func() bool {
		return jobsLogHas(v, "preparing one") && jobsLogHas(v, "preparing two") && jobsLogHas(v, "almost full")
	})
	for _, l := range v.log.lines {
		if strings.Contains(l.text, "almost full") && (l.stream != protocol.StreamStderr || !strings.Contains(l.text, "! ")) {
			t.Errorf("a stderr line is not marked: %q (%s)", l.text, l.stream)
		}
	}
	u.wait(t, testfleet.Wait, "the row to show the outcome", func() bool {
		i, ok := v.index[jobID]
		if !ok {
			return false
		}
		out, _ := v.outcome(v.jobs[i])
		return strings.Contains(out, "added")
	})
	if !v.cancelBtn.Disabled() {
		t.Error("Cancel is enabled on a finished job")
	}
}

func TestJobsCancelEndsARunningBackupCancelled(t *testing.T) {
	f := testfleet.New(t, testfleet.Options{})
	// 64 MiB at 256 KiB/s: minutes, far longer than the test waits.
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "slow-pc", BigFileMiB: 64, UploadKbps: 256})
	u, v := jobsFleetTab(t, f, a.HostID)
	u.wait(t, testfleet.Wait, "the Run now button", func() bool { return v.runNow[testfleet.Group] != nil })
	test.Tap(v.runNow[testfleet.Group])
	u.wait(t, testfleet.Wait, "the backup to run", func() bool {
		return jobsSelected(v).Status == protocol.StatusRunning && !v.cancelBtn.Disabled()
	})
	// While it runs, the view shows the agent's progress.
	u.wait(t, testfleet.Wait, "live progress in the view", func() bool {
		b := v.progress.bar.Value
		return b > 0 && b < 1 && strings.Contains(v.progress.data.val.Text, " of ") && strings.HasSuffix(v.progress.speed.val.Text, "/s")
	})
	t.Logf("progress: %s; files %s; data %s; speed %s; time left %s", v.progress.status.Text,
		v.progress.files.val.Text, v.progress.data.val.Text, v.progress.speed.val.Text, v.progress.eta.val.Text)
	asked := time.Now()
	test.Tap(v.cancelBtn)
	if !v.cancelBtn.Disabled() || v.cancelBtn.Text != "Cancelling…" {
		t.Errorf("after Cancel the button reads %q (disabled %v)", v.cancelBtn.Text, v.cancelBtn.Disabled())
	}
	u.wait(t, testfleet.Wait, "the backup to end", func() bool { return jobsSelected(v).Terminal() })
	t.Logf("the backup ended %s after cancel", time.Since(asked))
	if j := jobsSelected(v); j.Status != protocol.StatusCancelled {
		t.Fatalf("cancelled backup ended %s: %s", j.Status, j.Error)
	}
	if !strings.Contains(v.progress.status.Text, "cancelled") || !v.cancelBtn.Disabled() {
		t.Errorf("after the end: status %q, Cancel disabled %v", v.progress.status.Text, v.cancelBtn.Disabled())
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
	u, v := jobsFleetTab(t, f, a.HostID)
	test.Tap(v.runNow[testfleet.Group])
	if !strings.Contains(v.notice.Text, "queued") || !strings.Contains(v.notice.Text, "offline") {
		t.Errorf("notice after Run now on an offline host: %q", v.notice.Text)
	}
	jobID := v.selected
	if j := jobsSelected(v); j.ID != jobID || j.Status != protocol.StatusQueued {
		t.Fatalf("the queued job is not shown: %+v", j)
	}
	if !strings.Contains(v.progress.status.Text, "sent when it connects") {
		t.Errorf("queued status %q does not say when it runs", v.progress.status.Text)
	}

	a.Restart(t)
	u.wait(t, testfleet.Wait, "the queued backup to run and end", func() bool { return jobsSelected(v).Terminal() })
	if j := jobsSelected(v); j.Status != protocol.StatusSucceeded {
		t.Fatalf("the re-sent backup ended %s: %s", j.Status, j.Error)
	}
	if v.progress.bar.Value != 1 {
		t.Errorf("bar at %.2f after success", v.progress.bar.Value)
	}
}
