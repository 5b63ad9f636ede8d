package storage

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func enroll(s *Store, tok, agentID, agentToken string, now time.Time) (EnrollResult, error) {
	return s.Enroll(EnrollRequest{EnrollToken: tok, AgentID: agentID, AgentToken: agentToken,
		Info: HostInfo{Hostname: "pc-" + agentID, OS: "linux", Arch: "amd64"}, Now: now})
}

func TestEnrollmentTokenUsesAndIdempotentRetries(t *testing.T) {
	s := newStore(t)
	const tok = "enroll-token-0123456789"
	if _, err := s.CreateEnrollToken(tok, 2, t0.Add(24*time.Hour), t0); err != nil {
		t.Fatal(err)
	}

	first, err := enroll(s, tok, "agent-a", "agent-token-a1", t0)
	if err != nil || first.Reenrolled || first.Host.Status != HostApproved {
		t.Fatalf("first enrollment = %+v, %v; want a new approved host", first, err)
	}
	// The same agent retries (it lost the hello.ack): same host, fresh
	// token, no use spent.
	again, err := enroll(s, tok, "agent-a", "agent-token-a2", t0.Add(time.Minute))
	if err != nil || !again.Reenrolled || again.Host.ID != first.Host.ID {
		t.Fatalf("retry = %+v, %v; want the same host %s, reenrolled", again, err, first.Host.ID)
	}
	if _, err := s.HostByToken("agent-token-a1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the replaced agent token still works (err %v)", err)
	}
	if h, err := s.HostByToken("agent-token-a2"); err != nil || h.ID != first.Host.ID {
		t.Errorf("the fresh agent token finds %v, %v; want host %s", h.ID, err, first.Host.ID)
	}
	toks, _ := s.EnrollTokens()
	if len(toks) != 1 || toks[0].Used != 1 || toks[0].UsesLeft() != 1 {
		t.Fatalf("token after one enrollment and a retry = %+v, want 1 of 2 used", toks)
	}

	second, err := enroll(s, tok, "agent-b", "agent-token-b", t0)
	if err != nil || second.Host.ID == first.Host.ID {
		t.Fatalf("second host = %+v, %v; want a new host", second, err)
	}
	_, err = enroll(s, tok, "agent-c", "agent-token-c", t0)
	if !errors.Is(err, ErrEnrollRefused) || !strings.Contains(err.Error(), "no uses left") {
		t.Fatalf("third host on a two-use token: err = %v, want refused, no uses left", err)
	}
	// A retry by an enrolled agent still works on an exhausted token.
	if r, err := enroll(s, tok, "agent-b", "agent-token-b2", t0); err != nil || r.Host.ID != second.Host.ID {
		t.Errorf("retry on exhausted token = %+v, %v; want host %s", r, err, second.Host.ID)
	}
}

func TestEnrollmentRefusals(t *testing.T) {
	s := newStore(t)
	if _, err := s.CreateEnrollToken("short-lived-token", 5, t0.Add(time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, token string
		at          time.Time
		want        string
	}{
		{"unknown token", "never-created-token", t0, "not known"},
		{"expired token", "short-lived-token", t0.Add(2 * time.Hour), "expired"},
	} {
		_, err := enroll(s, tc.token, "agent-x", "tok", tc.at)
		if !errors.Is(err, ErrEnrollRefused) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want refused saying %q", tc.name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), tc.token) {
			t.Errorf("%s: refusal quotes the token: %v", tc.name, err)
		}
	}
	hosts, _ := s.Hosts()
	if len(hosts) != 0 {
		t.Errorf("refused enrollments created %d hosts", len(hosts))
	}
}

func TestSeedEnrollTokenLeavesAnExistingTokenAlone(t *testing.T) {
	s := newStore(t)
	if _, created, err := s.SeedEnrollToken("seeded-token-1", 2, t0.Add(time.Hour), t0); err != nil || !created {
		t.Fatalf("seed = created %v, %v; want created", created, err)
	}
	if _, err := enroll(s, "seeded-token-1", "a1", "t1", t0); err != nil {
		t.Fatal(err)
	}
	tok, created, err := s.SeedEnrollToken("seeded-token-1", 10, t0.Add(48*time.Hour), t0.Add(time.Minute))
	if err != nil || created {
		t.Fatalf("reseed = created %v, %v; want left alone", created, err)
	}
	if tok.Uses != 2 || tok.Used != 1 || !tok.ExpiresAt.Equal(t0.Add(time.Hour)) {
		t.Errorf("reseeded token = %+v; want the original 1 of 2 uses and expiry", tok)
	}
}

func TestTokensAreStoredOnlyAsHashes(t *testing.T) {
	s := newStore(t)
	const enrollTok, agentTok = "PLAIN-ENROLL-TOKEN-abcdef", "PLAIN-AGENT-TOKEN-uvwxyz"
	if _, err := s.CreateEnrollToken(enrollTok, 1, t0.Add(time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	if _, err := enroll(s, enrollTok, "agent", agentTok, t0); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	s.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{enrollTok, agentTok} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the store file contains the plain token %q", secret)
		}
	}
}

func TestRejectedHostLosesItsToken(t *testing.T) {
	s := newStore(t)
	_, _ = s.CreateEnrollToken("token-for-reject", 1, t0.Add(time.Hour), t0)
	r, err := enroll(s, "token-for-reject", "agent", "agent-tok", t0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetHostStatus(r.Host.ID, HostRejected); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HostByToken("agent-tok"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a rejected host's token still finds it (err %v)", err)
	}
	if _, err := enroll(s, "token-for-reject", "agent", "agent-tok2", t0); !errors.Is(err, ErrEnrollRefused) {
		t.Errorf("a rejected host re-enrolling with its token: err = %v, want refused", err)
	}
}

func TestTailnetNodesBindToOneHost(t *testing.T) {
	s := newStore(t)
	p, err := s.CreatePendingHost("node-1", "laptop.tailnet", "agent-1", HostInfo{Hostname: "laptop"}, t0)
	if err != nil || p.Status != HostPending {
		t.Fatalf("pending host = %+v, %v", p, err)
	}
	again, _ := s.CreatePendingHost("node-1", "laptop.tailnet", "agent-1", HostInfo{Hostname: "laptop"}, t0)
	if again.ID != p.ID {
		t.Errorf("the same node made a second pending host")
	}
	if h, err := s.HostByNode("node-1"); err != nil || h.ID != p.ID {
		t.Errorf("HostByNode = %v, %v", h.ID, err)
	}
	_, _ = s.CreateEnrollToken("bind-token-xyz", 2, t0.Add(time.Hour), t0)
	// The pending node brings a token: it is that host, approved.
	r, err := s.Enroll(EnrollRequest{EnrollToken: "bind-token-xyz", AgentID: "agent-1", NodeID: "node-1", Now: t0})
	if err != nil || r.Host.ID != p.ID || r.Host.Status != HostApproved {
		t.Fatalf("pending node enrolling = %+v, %v; want host %s approved", r, err, p.ID)
	}
	_, err = s.Enroll(EnrollRequest{EnrollToken: "bind-token-xyz", AgentID: "agent-2", NodeID: "node-1", Now: t0})
	if !errors.Is(err, ErrEnrollRefused) || !strings.Contains(err.Error(), "already belongs") {
		t.Errorf("enrolling a node bound to another approved host: err = %v, want refused", err)
	}
}

// An enrollment retry is for an agent that never got its token. Once the
// host has said hello with its own token, the enrollment token and its
// agent_id (which others may have seen) are refused, and nothing is
// written: the host keeps its token, the token its uses.
func TestEnrollmentReplayIsRefusedOnceTheHostUsedItsToken(t *testing.T) {
	s := newStore(t)
	const tok = "replayed-enroll-token"
	if _, err := s.CreateEnrollToken(tok, 1, t0.Add(24*time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	first, err := enroll(s, tok, "agent-a", "agent-token-1", t0)
	if err != nil {
		t.Fatal(err)
	}
	// Over the tailnet a hello carries no token: that ends nothing.
	if _, _, err := s.RecordHello(first.Host.ID, HelloRecord{Info: first.Host.HostInfo, Now: t0}); err != nil {
		t.Fatal(err)
	}
	retry, err := enroll(s, tok, "agent-a", "agent-token-2", t0.Add(time.Minute))
	if err != nil || !retry.Reenrolled {
		t.Fatalf("retry before the host used its token = %+v, %v; want it to work", retry, err)
	}
	if _, _, err := s.RecordHello(first.Host.ID, HelloRecord{Info: first.Host.HostInfo, ByToken: true, Now: t0.Add(2 * time.Minute)}); err != nil {
		t.Fatal(err)
	}

	rev, _ := s.Revision()
	_, err = enroll(s, tok, "agent-a", "agent-token-thief", t0.Add(3*time.Minute))
	if !errors.Is(err, ErrEnrollRefused) || !errors.Is(err, ErrAlreadyEnrolled) ||
		!strings.Contains(err.Error(), "already enrolled; remove the host to enroll it again") {
		t.Fatalf("replay after the host used its token: err = %v; want refused, already enrolled", err)
	}
	if after, _ := s.Revision(); after != rev {
		t.Errorf("the refused replay wrote to the store (revision %d → %d)", rev, after)
	}
	if h, err := s.HostByToken("agent-token-2"); err != nil || h.ID != first.Host.ID {
		t.Errorf("the host's own token after the replay: %v, %v; want it to still work", h.ID, err)
	}
	if _, err := s.HostByToken("agent-token-thief"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the replayed enrollment's token works (err %v)", err)
	}
}
