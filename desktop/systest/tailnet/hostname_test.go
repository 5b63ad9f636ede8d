package tailnet

import (
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
)

// A hostname never identifies a host. A second node calls itself what an
// approved host is called (--hostname office-pc) and even carries that
// agent's journal, so its hello has the same hostname and agent_id; it
// still becomes a separate pending host, told nothing, and the approved
// host stays bound to its own node, online on its own connection.
func TestAnotherNodeClaimingAHostnameIsASeparatePendingHost(t *testing.T) {
	ctl := newControl(t)
	m := startManager(t, ctl, t.TempDir(), secrets.NewMemory())
	a := startAgent(t, ctl, "office-pc", t.TempDir(), "--enroll", m.enrollToken(t, 1))
	nodeA := waitNode(t, ctl, "office-pc")
	hostA := m.waitHost(t, nodeA.StableID)
	pw := m.configure(t, hostA.Host.ID, a)

	// The impostor starts from a copy of the agent's journal (its agent id
	// and applied settings), but not its tailnet state: a new node.
	a.Stop(t)
	impostorDir := t.TempDir()
	copyFile(t, filepath.Join(a.State, "journal.db"), filepath.Join(impostorDir, "state", "journal.db"))
	restarted := time.Now()
	a.Start(t)
	hostA = m.waitHostSince(t, nodeA.StableID, restarted)
	b := startAgent(t, ctl, "office-pc", impostorDir)
	nodeB := waitNode(t, ctl, "office-pc", nodeA.StableID)
	hostB := m.waitHost(t, nodeB.StableID)

	if hostB.Host.ID == hostA.Host.ID || !hostB.Pending {
		t.Fatalf("the second node is host %s (%s); want a new pending host, not %s", hostB.Host.ID, hostB.Host.Status, hostA.Host.ID)
	}
	hosts, err := m.Hub.Hosts()
	if err != nil || len(hosts) != 2 {
		t.Fatalf("Hosts() lists %d hosts (err %v); want 2", len(hosts), err)
	}
	d, err := m.Hub.Host(hostA.Host.ID)
	if err != nil || d.Host.NodeID != string(nodeA.StableID) || d.Host.Status != hub.StatusApproved || !d.Online ||
		!d.ConnectedSince.Equal(hostA.ConnectedSince) {
		t.Errorf("the approved host after the impostor came: node %s, %s, online %v since %s; want node %s, approved, online since %s",
			d.Host.NodeID, d.Host.Status, d.Online, d.ConnectedSince.Format(time.RFC3339Nano), nodeA.StableID, hostA.ConnectedSince.Format(time.RFC3339Nano))
	}

	helloA, _ := m.Tap.sessions(nodeIP(nodeA))[0].hello()
	sessB := m.Tap.sessions(nodeIP(nodeB))
	if len(sessB) != 1 {
		t.Fatalf("%d connections from the impostor; want 1", len(sessB))
	}
	helloB, _ := sessB[0].hello()
	if helloB == nil || helloA == nil || helloB.Hostname != helloA.Hostname || helloB.AgentID != helloA.AgentID {
		t.Fatalf("impostor %s vs host %s; the test wants the same hostname and agent_id", describeHello(helloB), describeHello(helloA))
	}
	if got := sessB[0].sentTypes(); !slices.Equal(got, []string{protocol.TypeHelloAck}) {
		t.Errorf("sent to the impostor: %v; want only hello.ack (pending)", got)
	}
	if acks := sessB[0].helloAcks(); len(acks) != 1 || acks[0].Status != protocol.HostPending {
		t.Errorf("impostor's hello.acks = %s; want one, pending", describeAcks(acks))
	}
	if held := stateHolds(t, b.State, pw); len(held) > 0 {
		t.Errorf("the impostor's state holds the repository password")
	}
}

func copyFile(t testing.TB, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		t.Fatal(err)
	}
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
