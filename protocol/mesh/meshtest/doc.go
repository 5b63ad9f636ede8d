// Package meshtest builds a real tailnet inside a test process: a
// tailscale testcontrol server with its own DERP and STUN on 127.0.0.1, and
// mesh nodes joined to it, ready to dial each other without the first-dial
// stall. Nothing leaves the machine and no root is needed.
//
//	ctl := meshtest.NewControl(t)
//	mgr := meshtest.NewNode(t, ctl, "restic-manager")
//	agent := meshtest.NewNode(t, ctl, "office-pc")
//	meshtest.WaitPeers(t, mgr, agent)
//	ln, _ := mgr.ListenAgents()
//	conn, _ := mesh.Dialer{URL: "ws://restic-manager:8443/v1/agent", Node: agent}.Dial(ctx)
//
// Test code only (it imports "testing"); imported by tests of
// protocol/mesh, desktop/hub and the agent. Set MESHTEST_VERBOSE=1 to see
// tsnet's logs on stderr.
package meshtest
