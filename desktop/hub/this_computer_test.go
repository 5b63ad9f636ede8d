package hub

import (
	"testing"
	"time"

	"restic-manager/storage"
)

func TestIsThisComputer(t *testing.T) {
	for _, c := range []struct {
		self, hostname, remote string
		want                   bool
	}{
		{"mgr-box", "MGR-BOX", "", true},                         // same name, offline
		{"mgr-box", "demo-host", "127.0.0.1:41234", true},        // --hostname, over loopback
		{"mgr-box", "demo-host", "[::1]:41234", true},            // IPv6 loopback
		{"mgr-box", "demo-host", "[::ffff:127.0.0.1]:9", true},   // v4-mapped loopback
		{"mgr-box", "office-pc", "100.101.102.103:41641", false}, // a tailnet peer
		{"mgr-box", "office-pc", "192.168.1.20:50000", false},    // the LAN
		{"mgr-box", "office-pc", "", false},                      // offline, another name
		{"mgr-box", "mgr-box.example.com", "", false},            // a name is compared whole
		{"", "", "", false},                                      // nothing known
		{"", "office-pc", "not an address", false},
	} {
		if got := isThisComputer(c.self, c.hostname, c.remote); got != c.want {
			t.Errorf("isThisComputer(%q, %q, %q) = %v, want %v", c.self, c.hostname, c.remote, got, c.want)
		}
	}
}

// Through the hub: an agent on the loopback listener is this computer
// whatever name it reports, and stops being so when it goes (a foreign
// name, offline); a stored host that reports this computer's name is this
// computer offline too.
func TestHostViewSaysWhetherTheHostIsThisComputer(t *testing.T) {
	th, _ := newTestHub(t, func(o *Options) { o.Hostname = "mgr-box" }, nil)
	a, hostID, _ := enrollAgent(t, th, "demo-host", th.enrollToken(t, 1))
	if d, err := th.Host(hostID); err != nil || !d.Online || !d.ThisComputer {
		t.Fatalf("an agent on 127.0.0.1: online %v, this computer %v (err %v); want both", d.Online, d.ThisComputer, err)
	}
	a.c.CloseNow()
	waitFor(t, testWait, "the host offline", func() bool { d, _ := th.Host(hostID); return !d.Online })
	if d, _ := th.Host(hostID); d.ThisComputer {
		t.Error("an offline host named demo-host on a manager named mgr-box is said to be this computer")
	}

	now := time.Now()
	if _, err := th.store.CreateEnrollToken("enroll-same-name-0123456789", 1, now.Add(time.Hour), now); err != nil {
		t.Fatal(err)
	}
	r, err := th.store.Enroll(storage.EnrollRequest{EnrollToken: "enroll-same-name-0123456789", AgentID: "agent-same",
		AgentToken: "tok-same-0123456789", Info: storage.HostInfo{Hostname: "Mgr-Box", OS: "linux", Arch: "amd64"}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := th.Hosts()
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range hosts {
		if want := v.Host.ID == r.Host.ID; v.ThisComputer != want {
			t.Errorf("host %s (%s, online %v): this computer %v, want %v", v.Host.ID, v.Host.Hostname, v.Online, v.ThisComputer, want)
		}
	}
}
