package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// overlayText is the text of the window's top dialog ("" if none).
func overlayText(u *UI) string {
	top := u.win.Canvas().Overlays().Top()
	if top == nil {
		return ""
	}
	return strings.Join(uitest.VisibleTexts(top), " | ")
}

// --- view-only tests: jobs and lines put in the store directly ---

func TestJobsHistoryListsNewestFirstAndLoadsOlderPages(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "pager", "")
	t0 := time.Now().Add(-time.Hour)
	const n = 2*historyPageSize + 7
	for i := range n {
		j := storage.Job{ID: fmt.Sprintf("job-%03d", i), HostID: hostID, Kind: protocol.KindCheck, Origin: storage.OriginOperator,
			CreatedAt: t0.Add(time.Duration(i) * time.Second)}
		if err := e.st.CreateJob(j); err != nil {
			t.Fatal(err)
		}
	}
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())

	ids := func() []string {
		var out []string
		for _, j := range v.history.jobs {
			out = append(out, j.ID)
		}
		return out
	}
	if got := len(v.history.jobs); got != historyPageSize {
		t.Fatalf("first page holds %d jobs, want %d", got, historyPageSize)
	}
	if first, last := v.history.jobs[0].ID, v.history.jobs[len(v.history.jobs)-1].ID; first != fmt.Sprintf("job-%03d", n-1) || last != fmt.Sprintf("job-%03d", n-historyPageSize) {
		t.Fatalf("first page runs %s … %s, want newest first", first, last)
	}
	if !v.history.loadMore.Visible() {
		t.Fatal(`"Load older jobs" is hidden while older jobs exist`)
	}
	test.Tap(v.history.loadMore)
	test.Tap(v.history.loadMore)
	got := ids()
	if len(got) != n {
		t.Fatalf("after loading every page: %d jobs, want %d", len(got), n)
	}
	for i := 1; i < len(got); i++ {
		if got[i] >= got[i-1] {
			t.Fatalf("history out of order at %d: %s after %s", i, got[i], got[i-1])
		}
	}
	if v.history.loadMore.Visible() {
		t.Error(`"Load older jobs" still shown at the end of the history`)
	}

	// A new job arrives at the top and nothing already loaded is lost.
	if _, err := e.hub.RunNow(hostID, hub.RunRequest{Kind: protocol.KindUnlock}); err != nil {
		t.Fatal(err)
	}
	e.app.WaitFor(t, "the new job at the top", func() bool { return len(v.history.jobs) == n+1 && v.history.jobs[0].Kind == protocol.KindUnlock })
}

func TestJobsRowsTellKindGroupOriginDurationAndOutcome(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "rows", "")
	t0 := time.Now().Add(-10 * time.Minute)
	applyEvents(t, e.st, hostID, time.Now(),
		&protocol.ScheduleFire{ScheduleID: "sched-0000-1111-2222-abcdef12", ScheduledAt: t0, JobIDs: []string{"j-backup"}},
		&protocol.JobStarted{JobID: "j-backup", Kind: protocol.KindBackup, StartedAt: t0, ScheduleID: "sched-0000-1111-2222-abcdef12"},
		&protocol.JobFinished{JobID: "j-backup", Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: t0.Add(90 * time.Second),
			Stats: mustJSON(t, map[string]any{"files_new": 3, "files_changed": 1, "data_added": 2048, "snapshot_id": "5a6b7c8d"})},
		&protocol.JobStarted{JobID: "j-check", Kind: protocol.KindCheck, StartedAt: t0.Add(2 * time.Minute), ScheduleID: protocol.MaintenanceCheckID},
		&protocol.JobFinished{JobID: "j-check", Status: protocol.StatusFailed, ExitCode: 1, FinishedAt: t0.Add(3 * time.Minute),
			Error: "restic exit 1: Fatal: repository contains errors\npack 1234 damaged"},
		&protocol.JobStarted{JobID: "j-agent", Kind: protocol.KindUnlock, StartedAt: t0.Add(4 * time.Minute)},
	)
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())

	row := func(id string) (hub.Job, string, string) {
		j := v.history.jobs[v.history.index[id]]
		out, _ := v.history.outcome(j)
		return j, v.originText(j), out
	}
	if j, origin, out := row("j-backup"); origin != "a schedule since deleted" || out != "3 new files, 1 changed · 2.0 KiB added" ||
		jobDuration(j, time.Now()) != "1 min" {
		t.Errorf("backup row: origin %q, outcome %q, duration %q", origin, out, jobDuration(j, time.Now()))
	}
	if _, origin, out := row("j-check"); origin != "maintenance: check" || out != "restic exit 1: Fatal: repository contains errors" {
		t.Errorf("check row: origin %q, outcome %q (want the error's first line)", origin, out)
	}
	if j, origin, out := row("j-agent"); origin != "agent" || out != "running" || jobDuration(j, time.Now()) != "6 min" {
		t.Errorf("agent row: origin %q, outcome %q", origin, out)
	}
	if v.history.jobs[0].ID != "j-agent" {
		t.Errorf("newest job first: got %s", v.history.jobs[0].ID)
	}
	// What is on screen: the rows render those texts.
	text := strings.Join(uitest.VisibleTexts(v.history.list), " | ")
	for _, want := range []string{"backup", "check", "unlock", "maintenance: check", "restic exit 1: Fatal: repository contains errors", "2.0 KiB added"} {
		if !strings.Contains(text, want) {
			t.Errorf("the list does not show %q; it shows %s", want, text)
		}
	}
	if !v.history.empty.Hidden {
		t.Error("the empty state shows above a history")
	}
}

func TestJobsEmptyHistorySaysWhatToDo(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "empty", "")
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())
	if v.history.empty.Hidden || !strings.Contains(v.history.empty.Text, "Back up") {
		t.Errorf("empty history: %q (hidden %v)", v.history.empty.Text, v.history.empty.Hidden)
	}
	if !strings.Contains(strings.Join(uitest.VisibleTexts(v.actions.groupsBox), " "), "no source groups yet") {
		t.Errorf("a host without groups does not say how to get a Run now button: %v", uitest.VisibleTexts(v.actions.groupsBox))
	}
}

func TestJobsProgressShowsTheResultOfABackupARestoreAndAFailure(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "result", "")
	t0 := time.Now().Add(-time.Hour)
	applyEvents(t, e.st, hostID, time.Now(),
		&protocol.JobStarted{JobID: "ok", Kind: protocol.KindBackup, StartedAt: t0},
		&protocol.JobFinished{JobID: "ok", Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: t0.Add(12 * time.Second),
			Stats: mustJSON(t, map[string]any{"files_new": 5, "files_changed": 2, "files_unmodified": 10, "data_added": 3 << 20,
				"total_files_processed": 17, "total_bytes_processed": 9 << 20, "snapshot_id": "0123abcd"})},
		&protocol.JobStarted{JobID: "rest", Kind: protocol.KindRestore, StartedAt: t0},
		&protocol.JobFinished{JobID: "rest", Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: t0.Add(3 * time.Second),
			Stats: mustJSON(t, map[string]any{"total_files": 4, "files_restored": 3, "files_skipped": 1, "total_bytes": 4096, "bytes_restored": 3072, "measured_by": "agent"})},
		&protocol.JobStarted{JobID: "bad", Kind: protocol.KindPrune, StartedAt: t0},
		&protocol.JobFinished{JobID: "bad", Status: protocol.StatusFailed, ExitCode: 12, FinishedAt: t0.Add(time.Second), Error: "restic exit 12: wrong password"},
	)
	p := newJobProgress(e.UI, e.newScope(), "ok")
	if p.bar.Value != 1 || !strings.Contains(p.status.Text, "succeeded") {
		t.Errorf("succeeded backup: bar %.2f, status %q", p.bar.Value, p.status.Text)
	}
	for row, want := range map[*formRow]string{
		p.files:   "5 new, 2 changed, 10 unmodified (17 processed)",
		p.data:    "3.0 MiB added (9.0 MiB processed)",
		p.snap:    "0123abcd",
		p.exit:    "0",
		p.elapsed: "12 s",
	} {
		if row.val.Text != want || !row.val.Visible() {
			t.Errorf("%s = %q (visible %v), want %q", row.key.Text, row.val.Text, row.val.Visible(), want)
		}
	}
	if p.speed.val.Visible() || p.eta.val.Visible() || p.errRow.val.Visible() {
		t.Error("a finished job still shows speed, time left or an error")
	}

	r := newJobProgress(e.UI, e.newScope(), "rest")
	if r.files.val.Text != "3 of 4 restored, 1 skipped" || r.data.val.Text != "3.0 KiB of 4.0 KiB restored" || r.snap.val.Visible() {
		t.Errorf("restore result: files %q, data %q, snapshot shown %v", r.files.val.Text, r.data.val.Text, r.snap.val.Visible())
	}

	f := newJobProgress(e.UI, e.newScope(), "bad")
	// A failure says its cause (job_cause.go), not the raw error row.
	if !strings.Contains(f.status.Text, "failed") || f.exit.val.Text != "12" || f.cause.words.Text != "Restic exit 12: wrong password" || f.errRow.val.Visible() {
		t.Errorf("failed prune: status %q, exit %q, cause %q, raw error shown %v", f.status.Text, f.exit.val.Text, f.cause.words.Text, f.errRow.val.Visible())
	}
}

func TestJobsLogStaysVirtualAndFollowsTheEndUnlessScrolledUp(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "biglog", "")
	t0 := time.Now().Add(-time.Hour)
	const job = "log-job"
	applyEvents(t, e.st, hostID, time.Now(), &protocol.JobStarted{JobID: job, Kind: protocol.KindBackup, StartedAt: t0})
	// 30 more lines come below: all of it within the 20,000 lines a job
	// keeps (the manager counts, and does not store, lines past that).
	const n = 20000 - 30
	var batch []protocol.Payload
	for i := uint64(1); i <= n; i++ {
		ln := &protocol.LogStream{JobID: job, Seq: i, TS: t0.Add(time.Duration(i) * time.Millisecond), Stream: protocol.StreamStdout, Payload: fmt.Sprintf("line %d of the log", i)}
		switch {
		case i == 2:
			ln.Stream, ln.Payload = protocol.StreamStderr, "unable to open /etc/shadow"
		case i == 3:
			ln.Stream, ln.Payload = protocol.StreamEvent, `{"message_type":"change","path":"/docs/a.txt","modifier":"+"}`
		}
		batch = append(batch, ln)
		if len(batch) == 2000 || i == n {
			applyEvents(t, e.st, hostID, time.Now(), batch...)
			batch = batch[:0]
		}
	}

	start := time.Now()
	l := newJobLog(e.UI, e.newScope(), job)
	e.show(l)
	t.Logf("%d lines loaded and shown in %s", n, time.Since(start))
	if len(l.lines) != n || l.lastSeq != n {
		t.Fatalf("the view holds %d lines up to seq %d, want %d", len(l.lines), l.lastSeq, n)
	}
	if got := l.count.Text; !strings.HasPrefix(got, fmt.Sprintf("%d lines · ", n)) {
		t.Errorf("line count %q", got)
	}
	if !strings.HasSuffix(l.lines[1].text, "! unable to open /etc/shadow") || l.lines[1].stream != protocol.StreamStderr {
		t.Errorf("stderr line reads %q", l.lines[1].text)
	}
	if !strings.HasSuffix(l.lines[2].text, "» + /docs/a.txt") {
		t.Errorf("event line reads %q, want the compact change", l.lines[2].text)
	}
	// Virtualised: only the visible rows exist as widgets.
	if rows := len(uitest.VisibleTexts(l.list)); rows == 0 || rows > 200 {
		t.Errorf("the list renders %d rows for %d lines; want only what is visible", rows, n)
	}
	if !l.atEnd() || l.list.GetScrollOffset() == 0 {
		t.Fatalf("a new log view does not start at its end (offset %.0f)", l.list.GetScrollOffset())
	}
	if !strings.Contains(strings.Join(uitest.VisibleTexts(l.list), " "), fmt.Sprintf("line %d of the log", n)) {
		t.Error("the last line is not on screen")
	}

	more := func(from uint64, k int) {
		var ps []protocol.Payload
		for i := from; i < from+uint64(k); i++ {
			ps = append(ps, &protocol.LogStream{JobID: job, Seq: i, TS: time.Now(), Stream: protocol.StreamStdout, Payload: fmt.Sprintf("line %d of the log", i)})
		}
		applyEvents(t, e.st, hostID, time.Now(), ps...)
		l.fetch() // what a ChangeJobLog for the job does
	}
	more(n+1, 10)
	if !l.atEnd() || !l.follow {
		t.Error("following stopped though the user stayed at the end")
	}

	l.list.ScrollToTop()
	more(n+11, 10)
	if off := l.list.GetScrollOffset(); off != 0 || l.follow {
		t.Errorf("new lines moved a view the user scrolled up (offset %.0f, follow %v)", off, l.follow)
	}
	if len(l.lines) != n+20 {
		t.Errorf("lines while scrolled up: %d, want %d", len(l.lines), n+20)
	}

	test.Tap(l.toEnd)
	more(n+21, 10)
	if !l.atEnd() || !l.follow {
		t.Error(`"Go to end" did not resume following`)
	}

	// A selected line shows whole under the list, to read or copy.
	l.list.Select(1)
	if !l.lineBox.Visible() || l.lineText.Text != "unable to open /etc/shadow" || !strings.Contains(l.lineHead.Text, "Line 2") ||
		!strings.Contains(l.lineHead.Text, "stderr") {
		t.Errorf("selecting a stderr line shows %q: %q (shown %v)", l.lineHead.Text, l.lineText.Text, l.lineBox.Visible())
	}
	test.Tap(l.copyLine)
	if got := e.app.Clipboard().Content(); got != "unable to open /etc/shadow" {
		t.Errorf("Copy line copied %q", got)
	}
	test.Tap(l.closeLine)
	if l.lineBox.Visible() {
		t.Error("the line stays shown after closing it")
	}

	// "Copy log" copies every line, with its date, time and mark.
	test.Tap(l.copyAll)
	got := strings.Split(strings.TrimSuffix(e.app.Clipboard().Content(), "\n"), "\n")
	if len(got) != n+30 || !strings.HasSuffix(got[0], "   line 1 of the log") || !strings.HasSuffix(got[n+29], fmt.Sprintf("line %d of the log", n+30)) {
		t.Fatalf("Copy log copied %d lines (want %d), first %q, last %q", len(got), n+30, got[0], got[len(got)-1])
	}
	if !strings.HasSuffix(got[1], " ! unable to open /etc/shadow") || !strings.HasSuffix(got[2], ` » {"message_type":"change","path":"/docs/a.txt","modifier":"+"}`) {
		t.Errorf("copied stderr and event lines read %q and %q; want their marks and whole payloads", got[1], got[2])
	}
	if _, err := time.Parse("2006-01-02 15:04:05", got[0][:19]); err != nil {
		t.Errorf("a copied line starts %q; want its date and time", got[0][:19])
	}
	if want := plural(n+30, "line") + " copied"; l.count.Text != want {
		t.Errorf("after Copy log the bar says %q, want %q", l.count.Text, want)
	}
}

// "Copy log" reads the job's lines from the store, not the view: lines
// that arrived since the view last read are copied too.
func TestJobsCopyLogCopiesEveryLineOfTheJob(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "copier", "")
	job := "job-copy"
	recordJob(t, e.st, hostID, job, protocol.KindBackup, "docs", protocol.StatusRunning, "", time.Now())
	line := func(i uint64) protocol.Payload {
		return &protocol.LogStream{JobID: job, Seq: i, TS: time.Now(), Stream: protocol.StreamStdout, Payload: fmt.Sprintf("line %d", i)}
	}
	applyEvents(t, e.st, hostID, time.Now(), line(1), line(2), line(3))
	l := newJobLog(e.UI, e.newScope(), job)
	e.show(l)
	applyEvents(t, e.st, hostID, time.Now(), line(4), line(5)) // not yet read by the view
	test.Tap(l.copyAll)
	got := strings.Split(strings.TrimSuffix(e.app.Clipboard().Content(), "\n"), "\n")
	if len(l.lines) != 3 || len(got) != 5 || !strings.HasSuffix(got[4], "   line 5") {
		t.Errorf("the view holds %d lines; Copy log copied %d: %q; want all 5", len(l.lines), len(got), got)
	}
}

// A line longer than the view is cut in its row and shown whole,
// wrapped, when selected: the view does not grow to its width.
func TestJobsLogShowsALongLineWhole(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "longlines", "")
	job := "job-long"
	recordJob(t, e.st, hostID, job, protocol.KindBackup, "docs", protocol.StatusRunning, "", time.Now())
	long := "Fatal: unable to open config file: " + strings.Repeat("rest:https://backup.example:8000/a-very-long-repository-path/", 40) + "the end"
	applyEvents(t, e.st, hostID, time.Now(), &protocol.LogStream{JobID: job, Seq: 1, TS: time.Now(), Stream: protocol.StreamStderr, Payload: long})
	l := newJobLog(e.UI, e.newScope(), job)
	e.show(l)
	if w := l.MinSize().Width; w > 600 {
		t.Errorf("a long line makes the log %.0f px wide", w)
	}
	if !strings.Contains(l.count.Text, "select one to read it whole") {
		t.Errorf("the bar says %q; want it to say a line can be read whole", l.count.Text)
	}
	l.list.Select(0)
	if l.lineText.Text != long || l.lineText.Wrapping != fyne.TextWrapBreak {
		t.Errorf("the selected line shows %d of %d bytes (wrapping %v)", len(l.lineText.Text), len(long), l.lineText.Wrapping)
	}
	if w := l.MinSize().Width; w > 600 {
		t.Errorf("the line shown whole makes the log %.0f px wide; it should wrap", w)
	}
}

func TestJobsCheckSubsetRefusesWhatTheAgentWould(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "check", "")
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())
	test.Tap(v.actions.checkBtn)
	if v.actions.checkEntry == nil || v.actions.checkRun == nil {
		t.Fatal("Check… opened no dialog")
	}
	if v.actions.checkRun.Disabled() {
		t.Error("an empty subset (metadata-only check) is refused")
	}
	test.Type(v.actions.checkEntry, "abc")
	if v.actions.checkEntry.Validate() == nil || !v.actions.checkRun.Disabled() {
		t.Errorf(`subset "abc": validation %v, Run check disabled %v; want refused`, v.actions.checkEntry.Validate(), v.actions.checkRun.Disabled())
	}
	test.Tap(v.actions.checkRun) // refused: nothing runs
	if len(v.history.jobs) != 0 {
		t.Fatalf("a refused subset started %d job(s)", len(v.history.jobs))
	}
	v.actions.checkEntry.SetText("")
	test.Type(v.actions.checkEntry, "1/10")
	if err := v.actions.checkEntry.Validate(); err != nil || v.actions.checkRun.Disabled() {
		t.Fatalf(`subset "1/10": validation %v, disabled %v; want accepted`, err, v.actions.checkRun.Disabled())
	}
	test.Tap(v.actions.checkRun)
	e.app.WaitFor(t, "the check job", func() bool { return len(v.history.jobs) == 1 })
	var cmd protocol.CommandRun
	if err := json.Unmarshal(v.history.jobs[0].Command, &cmd); err != nil || cmd.Kind != protocol.KindCheck || len(cmd.Args) != 1 || cmd.Args[0] != "1/10" {
		t.Errorf("check command %s (%v), want args [1/10]", v.history.jobs[0].Command, err)
	}
}

func TestJobsRunNowOnAnOfflineHostQueuesAndSaysSo(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "sleepy", "")
	if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: "docs", Includes: []string{"/srv/docs"}}); err != nil {
		t.Fatal(err)
	}
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())
	b := v.actions.runNow["docs"]
	if b == nil {
		t.Fatalf("no Run now button for group docs; buttons: %v", uitest.VisibleTexts(v.actions.groupsBox))
	}
	test.Tap(b)
	if got := v.notice.text(); !strings.Contains(got, "queued") || !strings.Contains(got, "offline") || v.notice.label.Importance != widget.WarningImportance {
		t.Errorf("notice after Run now on an offline host: %q", got)
	}
	if len(v.history.jobs) != 1 || v.history.jobs[0].Status != protocol.StatusQueued || v.history.jobs[0].Tag != "docs" || v.history.jobs[0].Origin != hub.OriginOperator {
		t.Fatalf("history after Run now: %+v", v.history.jobs)
	}
	if v.detail.selected != v.history.jobs[0].ID || v.detail.progress == nil || !strings.Contains(v.detail.progress.status.Text, "offline") {
		t.Errorf("the new job is not selected with its queued state (selected %q)", v.detail.selected)
	}
	if out, _ := v.history.outcome(v.history.jobs[0]); out != "queued until the host connects" {
		t.Errorf("queued row outcome %q", out)
	}

	// Cancel asks first, and "Keep running" asks the hub nothing (asked,
	// it would refuse: the host is offline).
	if v.detail.cancelBtn.Disabled() {
		t.Fatal("Cancel is disabled on a queued job")
	}
	jobID := v.detail.selected
	test.Tap(v.detail.cancelBtn)
	if got := overlayText(e.UI); !strings.Contains(got, "Cancel the backup of docs on sleepy?") || !strings.Contains(got, "Keep running") {
		t.Fatalf("Cancel job shows %q; want a confirmation naming the job", got)
	}
	uitest.TapDialogButton(t, e.win, "Keep running")
	if got := overlayText(e.UI); got != "" {
		t.Errorf("after Keep running the window shows %q; want nothing asked of the hub", got)
	}
	if v.detail.cancelAsked[jobID] || v.detail.cancelBtn.Text != "Cancel job" || v.detail.cancelBtn.Disabled() {
		t.Errorf("after Keep running: cancel asked %v, button %q (disabled %v)", v.detail.cancelAsked[jobID], v.detail.cancelBtn.Text, v.detail.cancelBtn.Disabled())
	}
	// Confirmed, the hub is asked; cancelling needs the agent, and the
	// refusal says so.
	test.Tap(v.detail.cancelBtn)
	uitest.TapDialogButton(t, e.win, "Cancel job")
	if got := overlayText(e.UI); !strings.Contains(got, "offline") {
		t.Errorf("cancel on an offline host shows %q, want it to say the host is offline", got)
	}
}

// The orange "queued: the host is offline" strip says what is true now:
// it goes when the job leaves the queue (here the agent's events arrive
// as the hub stores them, and the tab is handed the batch the hub
// publishes for them), and the strip goes when the job ends.
// jobs_agent_test.go has the host reconnecting.
func TestJobsNoticeClearsWhenItsCauseDoes(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "sleepy", "")
	if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: "docs", Includes: []string{"/srv/docs"}}); err != nil {
		t.Fatal(err)
	}
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())
	test.Tap(v.actions.runNow["docs"])
	jobID := v.detail.selected
	if got := v.notice.text(); !strings.Contains(got, "Backup of docs queued: sleepy is offline") {
		t.Fatalf("notice after Run now on an offline host: %q", got)
	}
	// Another job's news leaves it alone.
	v.changed([]change{{Kind: hub.ChangeJob, HostID: hostID, JobID: "another-job"}})
	if got := v.notice.text(); !strings.Contains(got, "offline") {
		t.Errorf("another job's change took the warning away: %q", got)
	}

	started := time.Now()
	applyEvents(t, e.st, hostID, started, &protocol.JobStarted{JobID: jobID, Kind: protocol.KindBackup, StartedAt: started})
	v.changed([]change{{Kind: hub.ChangeJob, HostID: hostID, JobID: jobID}})
	if got := v.notice.text(); strings.Contains(got, "offline") || !strings.Contains(got, "running") {
		t.Errorf("the job left the queue; the notice says %q", got)
	}
	applyEvents(t, e.st, hostID, time.Now(), &protocol.JobFinished{JobID: jobID, Status: protocol.StatusSucceeded, FinishedAt: time.Now()})
	v.changed([]change{{Kind: hub.ChangeJob, HostID: hostID, JobID: jobID}})
	if got := v.notice.text(); got != "" || v.notice.label.Visible() {
		t.Errorf("the job ended; the notice still says %q", got)
	}
}

func TestJobsRefusedRequestShowsTheHubsError(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "noretention", "")
	if err := e.hub.PutSourceGroup(hostID, hub.SourceGroup{Name: "docs", Includes: []string{"/srv/docs"}}); err != nil {
		t.Fatal(err)
	}
	v := newJobsTab(e.UI, e.newScope(), hostID)
	e.show(v.object())
	test.Tap(v.actions.forgetBtn)
	if v.actions.confirmOK == nil {
		t.Fatal("Forget… asked nothing")
	}
	test.Tap(v.actions.confirmOK)
	if got := overlayText(e.UI); !strings.Contains(got, "no source group has a retention policy") {
		t.Errorf("refused forget shows %q, want the hub's reason", got)
	}
	if len(v.history.jobs) != 0 {
		t.Errorf("a refused request left %d job(s)", len(v.history.jobs))
	}
}
