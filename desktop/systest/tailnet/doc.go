// Package tailnet holds Restic Manager's system tests over a real tailnet:
// an in-process control server with DERP and STUN on 127.0.0.1
// (protocol/mesh/meshtest), the manager's hub behind its own embedded node
// (wired by desktop/internal/hubnet, as restic-manager does), and real
// restic-agent processes joining with --tailnet, running the real restic.
// A wire tap on the manager's tailnet listener records every frame both
// ways, so the tests can say what was and was not sent.
//
// The package holds tests and benchmarks only; nothing imports it. The
// loopback system tests live in desktop/systest.
package tailnet
