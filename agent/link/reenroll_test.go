package link

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// The manager lost its store (or the host was removed): it refuses the
// agent's token as unknown. An agent that still has its enrollment token
// enrolls again on the very next try, without waiting out RejectedRetry,
// keeps the new token, and says so in its log.
func TestAnUnknownTokenEnrollsAgainWithTheEnrollmentToken(t *testing.T) {
	m := newScriptedManager(t)
	logs := newRecordedLogs()
	tokens := &memTokens{token: "old-agent-token", enrolled: true}
	a := startLink(t, m, openJournal(t), tokens, func(o *Options) {
		o.RejectedRetry = time.Hour // a plain refusal would stall the test
		o.Logger = slog.New(logs)
	})

	c := m.accept(t)
	env, h := c.hello(t)
	if h.Token != "old-agent-token" || h.EnrollToken != "" {
		t.Fatalf("first hello: token %q enroll_token %q; want the agent token only", h.Token, h.EnrollToken)
	}
	c.send(t, &protocol.HelloAck{Accepted: false, ProtocolVersion: protocol.ProtocolVersion, Error: protocol.RefusedUnknownToken}, env.ID)

	c = m.accept(t)
	env, h = c.hello(t)
	if h.EnrollToken != "enroll-secret" || h.Token != "" {
		t.Fatalf("the retry sent token %q enroll_token %q; want the enrollment token only", h.Token, h.EnrollToken)
	}
	c.send(t, &protocol.HelloAck{Accepted: true, HostID: "h2", Status: protocol.HostApproved, ProtocolVersion: protocol.ProtocolVersion,
		AgentToken: "new-agent-token"}, env.ID)
	a.waitStatus(t, "connected as the new host", func(s Status) bool { return s.Connected && s.HostID == "h2" })
	if tok, _ := tokens.AgentToken(); tok != "new-agent-token" {
		t.Errorf("agent token after enrolling again: %q; want the new one", tok)
	}
	logs.waitMessages(t, "enrolled again with the enrollment token; the manager issued a new agent token", 1)

	// From now on the new token is used, never the enrollment token.
	c.drop()
	c = m.accept(t)
	if _, h := c.hello(t); h.Token != "new-agent-token" || h.EnrollToken != "" {
		t.Errorf("hello after enrolling again: token %q enroll_token %q; want the new agent token only", h.Token, h.EnrollToken)
	}
}

// Without an enrollment token the agent cannot help itself: it logs what
// the admin must do and asks again only after RejectedRetry, with its
// token (the manager's data may come back from a backup).
func TestAnUnknownTokenWithoutAnEnrollmentTokenWaitsAndSaysWhatToDo(t *testing.T) {
	const retry = 400 * time.Millisecond
	m := newScriptedManager(t)
	logs := newRecordedLogs()
	startLink(t, m, openJournal(t), &memTokens{token: "old-agent-token", enrolled: true}, func(o *Options) {
		o.EnrollToken = ""
		o.RejectedRetry = retry
		o.Logger = slog.New(logs)
	})

	c := m.accept(t)
	env, _ := c.hello(t)
	c.send(t, &protocol.HelloAck{Accepted: false, ProtocolVersion: protocol.ProtocolVersion, Error: protocol.RefusedUnknownToken}, env.ID)
	refused := time.Now()
	var advice string
	logs.waitMessages(t, "disconnected from manager", 1) // the refusal is logged before
	logs.mu.Lock()
	for _, r := range logs.records {
		if strings.Contains(r.Message, "no enrollment token") {
			advice = r.Message
		}
	}
	logs.mu.Unlock()
	if !strings.Contains(advice, "Add host") || !strings.Contains(advice, "--enroll") {
		t.Errorf("the log does not tell the admin what to do; got %q", advice)
	}

	again := m.accept(t)
	if waited := again.at.Sub(refused); waited < retry {
		t.Errorf("asked again %s after the refusal; want at least RejectedRetry (%s)", waited.Round(time.Millisecond), retry)
	}
	if _, h := again.hello(t); h.Token != "old-agent-token" {
		t.Errorf("the retry sent token %q; want the agent's token again", h.Token)
	}
}

// Any other refusal is not an unknown token, even with an enrollment
// token at hand: the agent waits RejectedRetry and does not enroll.
func TestOtherRefusalsDoNotEnrollAgain(t *testing.T) {
	const retry = 300 * time.Millisecond
	m := newScriptedManager(t)
	startLink(t, m, openJournal(t), &memTokens{token: "old-agent-token", enrolled: true}, func(o *Options) { o.RejectedRetry = retry })
	c := m.accept(t)
	env, _ := c.hello(t)
	c.send(t, &protocol.HelloAck{Accepted: false, ProtocolVersion: protocol.ProtocolVersion, Error: "this host was rejected by the administrator"}, env.ID)
	refused := time.Now()
	again := m.accept(t)
	if again.at.Sub(refused) < retry {
		t.Errorf("asked again after %s; want RejectedRetry", again.at.Sub(refused))
	}
	if _, h := again.hello(t); h.EnrollToken != "" || h.Token != "old-agent-token" {
		t.Errorf("after a rejection the agent sent token %q enroll_token %q; want its token, no enrollment", h.Token, h.EnrollToken)
	}
}
