package tailnet

import (
	"strings"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
)

// An agent joins the tailnet with its own embedded node, finds the manager
// by its tailnet name, enrolls with a token and runs a real restic backup
// whose events travel over the tailnet; the host is bound to the node the
// tailnet names, not to anything the agent says.
func TestAnAgentEnrollsOverTheTailnetAndBacksUp(t *testing.T) {
	ctl := newControl(t)
	m := startManager(t, ctl, t.TempDir(), secrets.NewMemory())
	a := startAgent(t, ctl, "office-pc", t.TempDir(), "--enroll", m.enrollToken(t, 1))

	node := waitNode(t, ctl, "office-pc")
	hv := m.waitHost(t, node.StableID)
	if hv.Pending || hv.Host.Status != hub.StatusApproved {
		t.Fatalf("host %s is %s; a host enrolling with a token is approved at once", hv.Host.ID, hv.Host.Status)
	}
	if want := strings.TrimSuffix(node.Name, "."); hv.Host.NodeName != want || hv.Host.Hostname != "office-pc" {
		t.Errorf("host bound to node name %q (hostname %q); want %q (office-pc)", hv.Host.NodeName, hv.Host.Hostname, want)
	}

	sess := m.Tap.sessions(nodeIP(node))
	if len(sess) != 1 {
		t.Fatalf("%d connections from the agent's node; want 1", len(sess))
	}
	hello, ok := sess[0].hello()
	if !ok || hello.EnrollToken == "" || hello.Token != "" {
		t.Errorf("first hello = %s; want an enroll_token and no token", describeHello(hello))
	}
	// The host is stored before its hello.ack is written: wait for the ack
	// to reach the tap rather than read the session the moment the host
	// appears.
	waitFor(t, "the manager's hello.ack on the agent's connection", func() bool {
		s := m.Tap.sessions(nodeIP(node))
		return len(s) > 0 && len(s[0].helloAcks()) > 0
	})
	sess = m.Tap.sessions(nodeIP(node))
	if acks := sess[0].helloAcks(); len(acks) != 1 || acks[0].Status != protocol.HostApproved || acks[0].AgentToken != "" {
		t.Errorf("hello.acks = %s; want one, approved, without an agent token (the node is the identity)", describeAcks(acks))
	}

	m.configure(t, hv.Host.ID, a)
	m.runJob(t, hv.Host.ID, protocol.KindInit, "")
	job := m.runJob(t, hv.Host.ID, protocol.KindBackup, testfleet.Group)
	waitFor(t, "the backup's snapshot in the projection", func() bool {
		s, err := m.Hub.Snapshots(hv.Host.ID)
		return err == nil && len(s) == 1 && len(s[0].Paths) == 1 && s[0].Paths[0] == a.Files && s[0].Hostname == "office-pc"
	})

	// The job's journaled events came in over the tailnet connection and
	// were acked there.
	sess = m.Tap.sessions(nodeIP(node))
	var started, finished, acked bool
	for _, f := range sess[len(sess)-1].Received {
		if f.Env.Seq > 0 && strings.Contains(string(f.Env.Payload), job.ID) {
			started = started || f.Env.Type == protocol.TypeJobStarted
			finished = finished || f.Env.Type == protocol.TypeJobFinished
		}
	}
	for _, f := range sess[len(sess)-1].Sent {
		acked = acked || f.Env.Type == protocol.TypeAck
	}
	if !started || !finished || !acked {
		t.Errorf("over the tailnet: job.started %v, job.finished %v for %s, acks %v; want all", started, finished, job.ID, acked)
	}
}
