package link

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// A manager that refuses the hello (accepted:false) is asked again only
// after RejectedRetry (5 minutes in production), and the reason is kept
// for the agent's status.
func TestARefusedAgentRetriesAfterRejectedRetry(t *testing.T) {
	const retry = 400 * time.Millisecond
	m := newScriptedManager(t)
	a := startLink(t, m, openJournal(t), &memTokens{}, func(o *Options) { o.RejectedRetry = retry })

	c := m.accept(t)
	env, _ := c.hello(t)
	c.send(t, &protocol.HelloAck{Accepted: false, ProtocolVersion: 1, Error: "this host was rejected by the administrator"}, env.ID)
	refused := time.Now()
	a.waitStatus(t, "the refusal recorded", func(s Status) bool { return strings.Contains(s.LastError, "rejected by the administrator") })

	again := m.accept(t)
	if waited := again.at.Sub(refused); waited < retry {
		t.Errorf("the agent asked again %s after the refusal; want at least RejectedRetry (%s)", waited.Round(time.Millisecond), retry)
	}
	if _, h := again.hello(t); h.EnrollToken == "" {
		t.Error("the retry after a refusal lost the enroll token")
	}
}

// Reconnecting backs off exponentially with jitter from under a second up
// to MaxBackoff, and an accepted session starts the count again.
func TestReconnectBackoffStartsUnderASecondAndIsCapped(t *testing.T) {
	l := New(Options{})
	for attempt := range 40 {
		upper := min(firstBackoff<<min(attempt, 10), DefaultMaxBackoff)
		for range 50 {
			d := l.backoff(attempt)
			if d < upper/2 || d > upper {
				t.Fatalf("backoff(%d) = %s; want within [%s, %s]", attempt, d, upper/2, upper)
			}
		}
	}
	if d := l.backoff(0); d >= time.Second {
		t.Errorf("first backoff %s; want under 1 s", d)
	}
	if d := l.backoff(1000); d > DefaultMaxBackoff {
		t.Errorf("backoff after many attempts %s; want capped at %s", d, DefaultMaxBackoff)
	}
}

// The same, as the link lives it: dials that fail wait longer each time
// up to the cap; after an accepted session the next retry is quick again.
func TestFailedDialsBackOffAndAnAcceptedSessionResetsIt(t *testing.T) {
	const maxBackoff = 800 * time.Millisecond
	m := newScriptedManager(t)
	m.setRefuse(true)
	logs := newRecordedLogs()
	startLink(t, m, openJournal(t), &memTokens{}, func(o *Options) {
		o.MaxBackoff = maxBackoff
		o.Logger = slog.New(logs)
	})
	records := logs.waitMessages(t, "disconnected from manager", 5)
	for i, r := range records[:5] {
		upper := min(firstBackoff<<i, maxBackoff)
		if d := attr(r, "retry_in").Duration(); d < upper/2-time.Millisecond || d > upper {
			t.Errorf("retry %d in %s; want within [%s, %s]", i+1, d, upper/2, upper)
		}
	}

	m.setRefuse(false)
	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")
	n := len(logs.waitMessages(t, "disconnected from manager", 5))
	c.drop()
	r := logs.waitMessages(t, "disconnected from manager", n+1)[n]
	if d := attr(r, "retry_in").Duration(); d >= time.Second {
		t.Errorf("retry after an accepted session in %s; want under 1 s", d)
	}
}
