package hub

import (
	"slices"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// backupOutcome reports a backup the agent ran by itself, finished at
// at, with its cause when it failed, as the agent journals it; it returns
// once the hub has stored it.
func backupOutcome(t *testing.T, a *testAgent, job, status, kind string, at time.Time) {
	t.Helper()
	a.emit(&protocol.JobStarted{JobID: job, Kind: protocol.KindBackup, StartedAt: at.Add(-time.Minute)})
	fin := &protocol.JobFinished{JobID: job, Status: status, FinishedAt: at}
	if status == protocol.StatusFailed {
		fin.ExitCode, fin.ErrorKind = 1, kind
		fin.Error = "cannot reach the repository: connection refused\nrestic backup exit 1: dial tcp 127.0.0.1:1: connect: connection refused"
	}
	a.waitAck(a.emit(fin))
}

func names(list []HostAttention) []string {
	var out []string
	for _, a := range list {
		out = append(out, a.Host.Host.DisplayName())
	}
	return out
}

// The dashboard lists every host that needs attention, each once, with
// every reason: failing (its latest backup failed, with the cause),
// stale (no successful backup within the threshold — including never),
// offline (since when), pending approval. The counters are the lists'
// lengths, so they always agree. Real hub, real store, real sockets.
func TestDashboardListsEveryHostThatNeedsAttentionOnce(t *testing.T) {
	th, tailURL, tn := newTailnetHub(t)
	now := time.Now().UTC()

	fine, _, _ := enrollAgent(t, th, "fine", th.enrollToken(t, 1))
	backupOutcome(t, fine, "fine-1", protocol.StatusSucceeded, "", now.Add(-time.Hour))

	failing, failingID, _ := enrollAgent(t, th, "failing", th.enrollToken(t, 1))
	backupOutcome(t, failing, "failing-1", protocol.StatusSucceeded, "", now.Add(-2*time.Hour))
	backupOutcome(t, failing, "failing-2", protocol.StatusFailed, protocol.ErrorKindUnreachable, now.Add(-time.Hour))

	enrollAgent(t, th, "never", th.enrollToken(t, 1))

	old, _, _ := enrollAgent(t, th, "old", th.enrollToken(t, 1))
	backupOutcome(t, old, "old-1", protocol.StatusSucceeded, "", now.Add(-30*time.Hour))

	gone, goneID, goneToken := enrollAgent(t, th, "gone", th.enrollToken(t, 1))
	backupOutcome(t, gone, "gone-1", protocol.StatusSucceeded, "", now.Add(-time.Hour))
	gone.c.CloseNow()
	waitFor(t, testWait, "gone offline", func() bool { h, _ := th.Host(goneID); return !h.Online })

	tn.as(Peer{NodeID: "nPending", NodeName: "pending.ts.net", Hostname: "pending"})
	p := dialAgent(t, tailURL, "pending")
	p.hello(nil)
	if ack := p.expectHelloAck(); ack.Status != protocol.HostPending {
		t.Fatalf("pending node: %+v", ack)
	}

	d, err := th.Dashboard(24 * time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got := names(d.Attention); !slices.Equal(got, []string{"failing", "gone", "never", "old", "pending"}) {
		t.Fatalf("hosts needing attention %v; want failing, gone, never, old, pending, each once", got)
	}
	want := map[AttentionKind][]string{
		AttentionFailing: {"failing"},
		AttentionStale:   {"never", "old"},
		AttentionOffline: {"gone"},
		AttentionPending: {"pending"},
	}
	for _, k := range AttentionKinds {
		if got := names(d.With(k)); !slices.Equal(got, want[k]) {
			t.Errorf("%s: %v, want %v", k, got, want[k])
		}
		if d.Count(k) != len(d.With(k)) {
			t.Errorf("%s: count %d beside a list of %d", k, d.Count(k), len(d.With(k)))
		}
	}
	if d.Hosts != 5 || d.Online != 4 {
		t.Errorf("hosts %d, online %d; want 5 approved, 4 online", d.Hosts, d.Online)
	}
	for _, a := range d.Attention {
		for _, r := range a.Reasons {
			switch {
			case a.Host.Host.ID == failingID && r.Kind == AttentionFailing:
				if r.Cause.Kind != ErrorUnreachable || !strings.Contains(r.Text, "cannot reach the repository: connection refused") {
					t.Errorf("failing reason %+v; want the cause in words", r)
				}
			case a.Host.Host.DisplayName() == "never" && r.Kind == AttentionStale:
				if r.Since != nil || !strings.HasPrefix(r.Text, "never backed up") {
					t.Errorf("never: %+v", r)
				}
			case a.Host.Host.ID == goneID && r.Kind == AttentionOffline:
				if r.Since == nil || r.Since.IsZero() || !strings.HasPrefix(r.Text, "offline since ") {
					t.Errorf("offline: %+v; want since when", r)
				}
			}
		}
	}

	// The failing host's next backup succeeds: it leaves the list, and the
	// counter with it.
	backupOutcome(t, failing, "failing-3", protocol.StatusSucceeded, "", now)
	d, _ = th.Dashboard(24 * time.Hour)
	if d.Count(AttentionFailing) != 0 || slices.Contains(names(d.Attention), "failing") {
		t.Errorf("after a good backup: failing %v", names(d.With(AttentionFailing)))
	}
	// The offline host reconnects: it leaves the list.
	back := gone.reconnect(th.url, goneToken)
	back.expectHelloAck()
	waitFor(t, testWait, "gone online", func() bool { h, _ := th.Host(goneID); return h.Online })
	d, _ = th.Dashboard(24 * time.Hour)
	if slices.Contains(names(d.Attention), "gone") || d.Online != 5 {
		t.Errorf("after reconnecting: attention %v, online %d", names(d.Attention), d.Online)
	}
}
