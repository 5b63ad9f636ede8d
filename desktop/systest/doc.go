// Package systest holds restic-manager's system tests: the real
// restic-agent binary (and, where a test kills the manager as a process,
// the real restic-manager binary) talking to the manager over real
// loopback WebSocket connections, with the real restic on temp
// repositories and real bbolt files on both sides. Each test states one
// promise of DESIGN.md end to end — delivery across crashes, paging,
// secrets, schedules, locks — and waits on conditions with deadlines,
// never on sleeps.
//
// The fixture is desktop/internal/testfleet: an in-process hub over a real
// store, agents as processes, and restic-manager as a process. The tailnet
// system tests live in desktop/systest/tailnet.
//
// Test files only; nothing imports this package.
package systest
