package tailnet

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/protocol/mesh"
)

// A node the manager has never seen, bringing no token, is held pending:
// visible to the admin, told nothing (no configuration, no schedules, no
// commands, no browsing) while the admin configures it, and given
// everything on the same connection the moment it is approved.
func TestAnUnknownNodeIsHeldPendingUntilApproved(t *testing.T) {
	ctl := newControl(t)
	m := startManager(t, ctl, t.TempDir(), secrets.NewMemory())
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "authkey")
	if err := os.WriteFile(keyFile, []byte(authKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The auth key comes from --auth-key-file here, not TS_AUTHKEY.
	a := testfleet.StartProcess(t, testfleet.ProcessOptions{Name: "stranger", Dir: dir, Manager: mesh.DefaultManagerHostname,
		Args: tailnetArgs(ctl, "--auth-key-file", keyFile), Env: ctl.SubprocessEnv()})

	node := waitNode(t, ctl, "stranger")
	hv := m.waitHost(t, node.StableID)
	if !hv.Pending || hv.Host.Status != hub.StatusPending {
		t.Fatalf("unknown node's host is %s; want pending", hv.Host.Status)
	}
	hosts, err := m.Hub.Hosts()
	if err != nil || len(hosts) != 1 || !hosts[0].Pending || !hosts[0].Online {
		t.Fatalf("Hosts() lists %d hosts (err %v); want the one pending host, online", len(hosts), err)
	}
	id := hv.Host.ID

	// The admin prepares the host while it waits: repository, source
	// group, schedule. None of it may reach the agent yet.
	pw := m.configure(t, id, a)
	if _, err := m.Hub.PutSchedule(id, hub.Schedule{CronExpr: "@every 1h", Enabled: true, Groups: []string{"files"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Hub.RunNow(id, hub.RunRequest{Kind: protocol.KindBackup, Group: "files"}); !errors.Is(err, hub.ErrHostPending) {
		t.Errorf("RunNow on a pending host: %v; want ErrHostPending", err)
	}
	if _, err := m.Hub.TreeList(context.Background(), id, "0123456789abcdef", "/", 0, 0); !errors.Is(err, hub.ErrHostPending) {
		t.Errorf("TreeList on a pending host: %v; want ErrHostPending", err)
	}
	if held := stateHolds(t, a.State, pw, a.Repo); len(held) > 0 {
		t.Fatalf("the pending agent's state holds %q; it must hold no repository settings", held)
	}

	if err := m.Hub.ApproveHost(id); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the approved agent to store its repository password and URL", func() bool {
		return len(stateHolds(t, a.State, pw, a.Repo)) == 2
	})
	waitFor(t, "the agent to acknowledge its schedules", func() bool {
		st, err := m.Hub.ScheduleStatus(id)
		return err == nil && st.Version > 0 && st.InSync()
	})

	// On the wire: one connection, which carried nothing but hello.ack
	// (pending) until the approving hello.ack, and then the configuration.
	sess := m.Tap.sessions(nodeIP(node))
	if len(sess) != 1 {
		t.Fatalf("%d connections from the node; approval must arrive on the same one", len(sess))
	}
	if h, ok := sess[0].hello(); !ok || h.Token != "" || h.EnrollToken != "" {
		t.Errorf("hello = %s; want neither token nor enroll_token", describeHello(h))
	}
	acks := sess[0].helloAcks()
	if len(acks) != 2 || acks[0].Status != protocol.HostPending || acks[1].Status != protocol.HostApproved || acks[1].HostID != id {
		t.Fatalf("hello.acks = %s; want pending, then approved for %s", describeAcks(acks), id)
	}
	types := sess[0].sentTypes()
	approvedAt := slices.Index(types[1:], protocol.TypeHelloAck) + 1
	for _, typ := range types[:approvedAt] {
		if typ != protocol.TypeHelloAck && typ != protocol.TypeError {
			t.Errorf("sent %s to the pending agent (frames before approval: %v)", typ, types[:approvedAt])
		}
	}
	after := types[approvedAt+1:]
	if i, j := slices.Index(after, protocol.TypeConfigUpdate), slices.Index(after, protocol.TypeScheduleSet); i < 0 || j < i {
		t.Errorf("after approval sent %v; want config.update, then schedule.set", after)
	}
	if slices.Contains(types, protocol.TypeCommandRun) {
		t.Errorf("sent command.run (%v); the run-now was refused while pending", types)
	}
}
