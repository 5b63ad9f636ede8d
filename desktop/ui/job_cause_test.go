package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/protocol"
)

// A failed job's detail says the cause first (not restic's "Is there a
// repository at the following location?" for a server that refused the
// connection), then what to do, then restic's own line, and offers the
// fix right there.
func TestFailedJobSaysItsCauseFirstWithTheFix(t *testing.T) {
	e := newTestEnv(t)
	hostID := e.enroll(t, "office-pc2", "UTC")
	at := time.Now().Add(-time.Minute)
	for _, c := range []struct {
		kind, err, words, fix string
	}{
		{protocol.ErrorKindNoRepository, "there is no repository at this location\nFatal: unable to open config file", "There is no repository at this location", "Initialise now"},
		{protocol.ErrorKindLocked, "the repository is locked by another restic\nrepo already locked, waiting up to 0s for the lock", "The repository is locked by another restic", "Unlock…"},
		{protocol.ErrorKindUnreachable, "cannot reach the repository: connection refused\nFatal: unable to open config file: Get \"http://127.0.0.1:9/config\": dial tcp 127.0.0.1:9: connect: connection refused",
			"Cannot reach the repository: connection refused", "Repository settings…"},
		{protocol.ErrorKindWrongPassword, "wrong repository password\nFatal: wrong password or no key found", "Wrong repository password", "Repository settings…"},
		{protocol.ErrorKindPermission, "access to the repository was refused\nunexpected HTTP response (401): 401 Unauthorized", "Access to the repository was refused", "Repository settings…"},
		{protocol.ErrorKindOther, "restic exit 1: Fatal: something else", "Restic exit 1: Fatal: something else", ""},
	} {
		t.Run(c.kind, func(t *testing.T) {
			id := "job-" + c.kind
			recordFailed(t, e.st, hostID, id, "docs", c.kind, c.err, at)
			sc := e.newScope()
			defer sc.close()
			p := newJobProgress(e.UI, sc, id)
			e.show(p.object())
			cv := p.cause
			if !cv.obj.Visible() || cv.words.Text != c.words {
				t.Fatalf("the cause says %q (shown %v); want %q first", cv.words.Text, cv.obj.Visible(), c.words)
			}
			if _, detail, _ := strings.Cut(c.err, "\n"); cv.detail.Text != detail {
				t.Errorf("restic's line %q; want %q", cv.detail.Text, detail)
			}
			if p.errRow.val.Visible() {
				t.Errorf("the raw error shows as well: %q", p.errRow.val.Text)
			}
			switch {
			case c.fix == "" && cv.fix != nil:
				t.Errorf("a fix %q for a cause that has none", cv.fix.Text)
			case c.fix != "" && (cv.fix == nil || cv.fix.Text != c.fix):
				t.Fatalf("fix %v; want %q", cv.fix, c.fix)
			case c.fix != "" && cv.hint.Text == "":
				t.Error("no hint says what the fix does")
			}
		})
	}

	// Initialise now starts init on the host at once, and the Jobs tab
	// shows it.
	sc := e.newScope()
	defer sc.close()
	p := newJobProgress(e.UI, sc, "job-"+protocol.ErrorKindNoRepository)
	e.show(p.object())
	test.Tap(p.cause.fix)
	if kinds := jobKinds(t, e.hub, hostID); !strings.Contains(kinds, protocol.KindInit) {
		t.Fatalf("after Initialise now the host's jobs are %s; want an init", kinds)
	}
	// Unlock… asks first; Unlock then starts unlock.
	p = newJobProgress(e.UI, sc, "job-"+protocol.ErrorKindLocked)
	e.show(p.object())
	test.Tap(p.cause.fix)
	if strings.Contains(jobKinds(t, e.hub, hostID), protocol.KindUnlock) {
		t.Fatal("Unlock… ran unlock without asking")
	}
	uitest.TapDialogButton(t, e.win, "Unlock")
	if kinds := jobKinds(t, e.hub, hostID); !strings.Contains(kinds, protocol.KindUnlock) {
		t.Fatalf("after Unlock the host's jobs are %s; want an unlock", kinds)
	}
}

// jobKinds lists a host's jobs' kinds, newest first.
func jobKinds(t *testing.T, h *hub.Hub, hostID string) string {
	t.Helper()
	page, err := h.Jobs(hostID, "", 50)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range page.Jobs {
		out = append(out, j.Kind)
	}
	return strings.Join(out, ",")
}
