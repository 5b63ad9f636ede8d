// Package testfleet runs a real manager core and real agents for tests of
// desktop/ui and the system tests: a hub over a bbolt store in a temp
// directory serving a plain-TCP listener on 127.0.0.1, and restic-agent
// processes (the real binary, built once per test process) enrolled with
// it, each with its own restic repository (the real restic binary) and a
// folder of sample files.
//
//	func TestMain(m *testing.M) { os.Exit(testfleet.Main(m)) }
//
//	f := testfleet.New(t, testfleet.Options{})
//	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc"})
//	job := f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group})
//	f.WaitJob(t, job, "succeeded")
//
// With Options{TLS: true} the listener serves TLS on 127.0.0.1 (the
// manager's --tls) and agents dial wss:// with --manager-pin; agents
// always get their enrollment token through a 0600 --enroll-file.
//
// The manager can go away and come back: Close stops the hub and closes
// the store (agents keep running and retrying), Reopen starts a new hub
// on the same store directory and address, with the same secrets. While
// the fleet is closed, StartManagerProcess runs the real restic-manager
// binary on that store and address, for tests that kill the manager as a
// process (its --log-json lines are parsed for waits).
//
// Secrets live in desktop/secrets' in-memory store (the keyring has its own
// tests). One part is stood in for: PendingPeer's tailnet listener names
// its peers with a WhoIs function instead of a tailnet (protocol/mesh and
// the system tests run the real one); everything behind it is real.
//
// Imported by tests under desktop/ only.
package testfleet
