package link

import (
	"testing"

	"restic-manager/protocol"
)

// hello carries the journal's last acked seq (always, 0 before any ack)
// and the enrollment token only until the manager has issued a token;
// from then on the token alone.
func TestHelloCarriesTheEnrollTokenOnlyUntilATokenIsStored(t *testing.T) {
	m := newScriptedManager(t)
	j := openJournal(t)
	logLines(t, j, "job-1", 3)
	if err := j.Ack(2); err != nil {
		t.Fatal(err)
	}
	a := startLink(t, m, j, &memTokens{}, nil)

	c := m.accept(t)
	h := c.admit(t, protocol.HostApproved, 2, "agent-token-1")
	if h.LastAckedSeq != 2 || h.EnrollToken != "enroll-secret" || h.Token != "" || h.ProtocolVersion != protocol.ProtocolVersion {
		t.Fatalf("first hello: last_acked_seq %d, enroll_token %v, token %v, protocol %d; want 2, the enroll token, none, %d",
			h.LastAckedSeq, h.EnrollToken != "", h.Token != "", h.ProtocolVersion, protocol.ProtocolVersion)
	}
	a.waitStatus(t, "approved", func(s Status) bool { return s.Approved })
	if tok, _ := a.tokens.AgentToken(); tok != "agent-token-1" {
		t.Fatalf("stored agent token %q; want the one hello.ack issued", tok)
	}

	c.drop()
	h = m.accept(t).admit(t, protocol.HostApproved, 2, "")
	if h.Token != "agent-token-1" || h.EnrollToken != "" || h.LastAckedSeq != 2 {
		t.Errorf("hello after enrolling: token %v (the issued one: %v), enroll_token %v, last_acked_seq %d; want the token only, 2",
			h.Token != "", h.Token == "agent-token-1", h.EnrollToken != "", h.LastAckedSeq)
	}
}

// Over the tailnet the manager issues no token: the node is the identity.
// Once approved, the agent still never sends the enrollment token again —
// not on a reconnect, not after a restart — while a pending agent keeps it
// (an enrollment token is how a pending node gets approved).
func TestAnApprovalWithoutATokenEndsTheEnrollToken(t *testing.T) {
	m := newScriptedManager(t)
	j := openJournal(t)
	tokens := &memTokens{}
	a := startLink(t, m, j, tokens, nil)

	c := m.accept(t)
	if h := c.admit(t, protocol.HostPending, 0, ""); h.EnrollToken == "" || h.LastAckedSeq != 0 {
		t.Fatalf("first hello: enroll_token %v, last_acked_seq %d; want the enroll token, 0", h.EnrollToken != "", h.LastAckedSeq)
	}
	a.waitStatus(t, "pending", func(s Status) bool { return s.Pending })
	c.drop()
	c = m.accept(t)
	if h := c.admit(t, protocol.HostApproved, 0, ""); h.EnrollToken == "" {
		t.Fatal("a pending agent's reconnect dropped the enroll token; it must keep it until approved")
	}
	a.waitStatus(t, "approved", func(s Status) bool { return s.Approved })
	c.drop()
	if h := m.accept(t).admit(t, protocol.HostApproved, 0, ""); h.EnrollToken != "" || h.Token != "" {
		t.Errorf("hello after approval: enroll_token %v, token %v; want neither", h.EnrollToken != "", h.Token != "")
	}

	// A restart: a new link over the same journal and token store.
	a.stop()
	startLink(t, m, j, tokens, nil)
	if _, h := m.accept(t).hello(t); h.EnrollToken != "" || h.Token != "" {
		t.Errorf("hello after a restart: enroll_token %v, token %v; want neither", h.EnrollToken != "", h.Token != "")
	}
}
