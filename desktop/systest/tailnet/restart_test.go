package tailnet

import (
	"testing"

	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
)

// A known node comes back without a token. The manager (hub and node,
// closed and reopened on the same data directory) and the agent (restarted
// on its state directory with the same command line, --enroll included, as
// a service definition keeps it) both restart; the host reconnects as the
// same host, bound to the same node, sending neither token nor enrollment
// token, and backs up again.
func TestAnApprovedNodeReconnectsAfterBothSidesRestart(t *testing.T) {
	ctl := newControl(t)
	sec := secrets.NewMemory() // the keyring outlives the manager
	data := t.TempDir()
	m := startManager(t, ctl, data, sec)
	managerNode := m.Node.Status().NodeID
	a := startAgent(t, ctl, "office-pc", t.TempDir(), "--enroll", m.enrollToken(t, 1))
	node := waitNode(t, ctl, "office-pc")
	hv := m.waitHost(t, node.StableID)
	m.configure(t, hv.Host.ID, a)
	m.runJob(t, hv.Host.ID, protocol.KindInit, "")

	a.Stop(t)
	m.Close()
	m = startManager(t, ctl, data, sec)
	if got := m.Node.Status().NodeID; got != managerNode {
		t.Fatalf("the manager's node came back as %s; want %s (its state is on disk)", got, managerNode)
	}
	a.Start(t)

	again := m.waitHost(t, node.StableID)
	if again.Host.ID != hv.Host.ID || again.Host.Status != "approved" {
		t.Fatalf("after both restarts the node is host %s (%s); want %s, approved", again.Host.ID, again.Host.Status, hv.Host.ID)
	}
	if hosts, _ := m.Hub.Hosts(); len(hosts) != 1 {
		t.Errorf("%d hosts after the restarts; want 1", len(hosts))
	}
	if n := waitNode(t, ctl, "office-pc"); n.StableID != node.StableID {
		t.Errorf("the agent's node came back as %s; want %s (its state is on disk)", n.StableID, node.StableID)
	}
	// Usually one connection; a dial that outlived its timeout (a restarted
	// node's first WireGuard handshake can take 5 s or more, see
	// docs/PERFORMANCE.md) makes another, and none may carry a token.
	// The hub has the host approved before its hello.ack is written back:
	// wait for the ack to cross the tap, as the enrollment test does.
	var sess []session
	testfleet.WaitFor(t, testfleet.Wait, "a hello.ack on the agent's connection to the restarted manager", func() bool {
		sess = m.Tap.sessions(nodeIP(node))
		return len(sess) > 0 && len(sess[len(sess)-1].helloAcks()) > 0
	})
	for _, s := range sess {
		if h, ok := s.hello(); ok && (h.Token != "" || h.EnrollToken != "" || h.AgentID != hv.Host.AgentID) {
			t.Errorf("hello after the restarts = %s; want no token of either kind, agent %s", describeHello(h), hv.Host.AgentID)
		}
	}
	if acks := sess[len(sess)-1].helloAcks(); len(acks) != 1 || acks[0].Status != protocol.HostApproved {
		t.Errorf("hello.acks = %s; want one, approved", describeAcks(acks))
	}
	m.runJob(t, hv.Host.ID, protocol.KindBackup, testfleet.Group)
}
