package ui

import (
	"strings"
	"testing"
	"time"

	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
)

// Closing the window quits the manager. With jobs running it names them
// and asks; "Keep open" keeps it, "Quit" closes it. With none running it
// closes at once. (The test driver has no title bar to click: the test
// calls what the window's close intercept calls.)
func TestClosingTheWindowWhileJobsRunAsksFirst(t *testing.T) {
	e := newTestEnv(t)
	office := e.enroll(t, "office-pc", "")
	laptop := e.enroll(t, "laptop", "")
	recordJob(t, e.st, office, "job-backup", protocol.KindBackup, "docs", protocol.StatusRunning, "", time.Now())
	recordJob(t, e.st, laptop, "job-check", protocol.KindCheck, "", protocol.StatusRunning, "", time.Now())
	recordJob(t, e.st, laptop, "job-done", protocol.KindBackup, "mail", protocol.StatusSucceeded, "", time.Now())
	const title = "Restic Manager"

	e.confirmQuit(e.win.Close)
	got := overlayText(e.UI)
	for _, want := range []string{"Quit while 2 jobs are running?", "office-pc — backup of docs", "laptop — check", "carry on on their hosts"} {
		if !strings.Contains(got, want) {
			t.Errorf("the warning says %q; want %q in it", got, want)
		}
	}
	if strings.Contains(got, "mail") {
		t.Errorf("the warning names a finished job: %q", got)
	}
	uitest.TapDialogButton(t, e.win, "Keep open")
	if e.app.Window(title) == nil {
		t.Fatal("Keep open closed the window")
	}

	e.confirmQuit(e.win.Close)
	uitest.TapDialogButton(t, e.win, "Quit")
	if e.app.Window(title) != nil {
		t.Error("Quit left the window open")
	}
}

func TestClosingTheWindowWithNothingRunningClosesAtOnce(t *testing.T) {
	e := newTestEnv(t)
	host := e.enroll(t, "office-pc", "")
	recordJob(t, e.st, host, "job-done", protocol.KindBackup, "docs", protocol.StatusSucceeded, "", time.Now())
	e.confirmQuit(e.win.Close)
	if e.app.Window("Restic Manager") != nil {
		t.Errorf("with no job running the window stays open; it shows %q", overlayText(e.UI))
	}
}

// The tray's Quit asks the same, on the window it shows.
func TestTrayQuitWhileAJobRunsAsksFirst(t *testing.T) {
	e := newTestEnv(t)
	host := e.enroll(t, "office-pc", "")
	recordJob(t, e.st, host, "job-backup", protocol.KindBackup, "docs", protocol.StatusRunning, "", time.Now())
	tr := newTrayMenu(e.UI)
	tr.quit.Action()
	if got := overlayText(e.UI); !strings.Contains(got, "Quit while a job is running?") || !strings.Contains(got, "office-pc — backup of docs") {
		t.Errorf("the tray's Quit shows %q; want the warning naming the backup", got)
	}
}
