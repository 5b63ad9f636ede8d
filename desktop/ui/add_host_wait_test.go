package ui

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"restic-manager/desktop/hub"
	"restic-manager/storage"
)

// After the token is made, "Add host" shows every set of commands whole
// (Linux as a service and as a plain binary, Windows), each Copy says it
// copied, and the dialog waits, live, for the host: "Waiting for the host
// to enroll…" becomes "Enrolled: office-pc2" with a button that opens it.
func TestAddHostWaitsForTheHostAndCopiesWithFeedback(t *testing.T) {
	h, st := storeHub(t, hub.Options{}, nil)
	u, app := newTestUI(t, h, Options{AgentURLs: []string{"restic-manager"}})
	a := newAddHostDialog(u)
	test.Tap(a.create)
	if a.issued.Token == "" {
		t.Fatal("no token made")
	}
	for name, l := range map[string]string{"linux": a.linux.Text, "linux binary": a.linuxRun.Text, "windows": a.windows.Text} {
		if !strings.Contains(l, "--manager restic-manager") {
			t.Errorf("%s commands lack the manager: %q", name, l)
		}
	}
	if a.linux.Wrapping == 0 || !a.linux.Selectable {
		t.Error("the commands are neither wrapped nor selectable")
	}
	if !strings.Contains(a.linuxRun.Text, "sudo ./restic-agent_") {
		t.Errorf("the plain binary tab does not run the binary: %q", a.linuxRun.Text)
	}

	test.Tap(a.copyLinux)
	if got := app.Clipboard().Content(); got != a.linux.Text {
		t.Errorf("Copy copied %q; want the Linux commands", got)
	}
	if a.copyLinux.Text != "Copied" {
		t.Errorf("after Copy the button says %q; want Copied", a.copyLinux.Text)
	}
	app.WaitFor(t, "Copy to say Copy again", func() bool { return a.copyLinux.Text == "Copy" })

	w := a.wait
	if !strings.HasPrefix(w.label.Text, "Waiting for the host to enroll") || w.open.Visible() {
		t.Errorf("before any host enrolled: %q (open shown %v)", w.label.Text, w.open.Visible())
	}
	// The agent enrolls with the token. (The store is written directly, as
	// the hub's enrollment would; the hub's event for it is what the
	// dialog's listener hears, so the test hands the view the change.)
	now := time.Now()
	r, err := st.Enroll(storage.EnrollRequest{EnrollToken: a.issued.Token, AgentID: "agent-office-pc2", AgentToken: "tok-office-pc2",
		Info: testHost("office-pc2", "linux"), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	a.sc.b.deliver([]change{{Kind: hub.ChangeHosts}})
	app.Pump()
	if w.label.Text != "Enrolled: office-pc2." || !w.open.Visible() || w.open.Text != "Open office-pc2" {
		t.Fatalf("after enrolling: %q, open %q shown %v", w.label.Text, w.open.Text, w.open.Visible())
	}
	test.Tap(w.open)
	if u.main.selected != r.Host.ID {
		t.Errorf("Open showed %q; want office-pc2", u.main.selected)
	}
}
