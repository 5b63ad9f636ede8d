package daemon

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/internal/restictest"
	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
)

// testWait bounds every wait of these tests.
const testWait = 120 * time.Second

// fakeManager is the manager side of one real agent (daemon.Run, with the
// real runner, scheduler, journal and restic) over a real loopback
// WebSocket. It approves the agent, pushes the repository settings, acks
// every journaled event as the real manager does, and keeps every frame
// the agent sends, so a test can send what the real manager never would
// and wait for the agent's answer.
type fakeManager struct {
	t    *testing.T
	url  string
	repo string // the repository config.update sets
	pw   string

	mu      sync.Mutex
	conn    *wsconn.Conn
	frames  []protocol.Envelope
	changed chan struct{}
}

func newFakeManager(t *testing.T, repo, password string) *fakeManager {
	t.Helper()
	m := &fakeManager{t: t, repo: repo, pw: password, changed: make(chan struct{})}
	srv := httptest.NewServer(http.HandlerFunc(m.serve))
	t.Cleanup(srv.Close)
	m.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return m
}

func (m *fakeManager) serve(w http.ResponseWriter, r *http.Request) {
	c, err := wsconn.Accept(w, r)
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := r.Context()
	env, err := c.Receive(ctx)
	if err != nil || env.Type != protocol.TypeHello {
		return
	}
	hello, err := protocol.Decode[protocol.Hello](env)
	if err != nil {
		return
	}
	if _, err := c.SendPayload(ctx, &protocol.HelloAck{Accepted: true, HostID: "h1", Status: protocol.HostApproved,
		ProtocolVersion: protocol.ProtocolVersion, AckedSeq: hello.LastAckedSeq, AgentToken: "agent-token-of-the-test"}, env.ID); err != nil {
		return
	}
	if _, err := c.SendPayload(ctx, &protocol.ConfigUpdate{RepoURL: m.repo, RepoPassword: m.pw}, ""); err != nil {
		return
	}
	m.mu.Lock()
	m.conn = c
	m.mu.Unlock()
	m.record(env)
	for {
		env, err := c.Receive(ctx)
		var fe *wsconn.FrameError
		if errors.As(err, &fe) {
			continue
		}
		if err != nil {
			return
		}
		if protocol.IsJournaled(env.Type) {
			if _, err := c.SendPayload(ctx, &protocol.Ack{Seq: env.Seq}, ""); err != nil {
				return
			}
		}
		m.record(env)
	}
}

func (m *fakeManager) record(env protocol.Envelope) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.frames = append(m.frames, env)
	close(m.changed)
	m.changed = make(chan struct{})
}

// mark is the number of frames received so far: waits from a mark look
// only at later frames.
func (m *fakeManager) mark() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.frames)
}

// send sends p to the agent and returns its envelope.
func (m *fakeManager) send(p protocol.Payload) protocol.Envelope {
	m.t.Helper()
	m.waitFor("the agent to connect", 0, func(protocol.Envelope) bool { return true })
	m.mu.Lock()
	c := m.conn
	m.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	env, err := c.SendPayload(ctx, p, "")
	if err != nil {
		m.t.Fatalf("send %s: %v", p.MessageType(), err)
	}
	return env
}

// waitFor returns the first frame from index from on that match accepts.
func (m *fakeManager) waitFor(what string, from int, match func(protocol.Envelope) bool) protocol.Envelope {
	m.t.Helper()
	deadline := time.After(testWait)
	for {
		m.mu.Lock()
		frames, changed := m.frames, m.changed
		m.mu.Unlock()
		for _, f := range frames[min(from, len(frames)):] {
			if match(f) {
				return f
			}
		}
		select {
		case <-changed:
		case <-deadline:
			m.t.Fatalf("no %s within %s", what, testWait)
		}
	}
}

// framesFrom returns the frames received from index from on.
func (m *fakeManager) framesFrom(from int) []protocol.Envelope {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]protocol.Envelope(nil), m.frames[min(from, len(m.frames)):]...)
}

// all returns every received frame of type typ whose payload decodes.
func all[T any](m *fakeManager, typ string) []*T {
	m.mu.Lock()
	frames := m.frames
	m.mu.Unlock()
	var out []*T
	for _, f := range frames {
		if f.Type != typ {
			continue
		}
		if p, err := protocol.Decode[T](f); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// reply waits for the agent's answer (reply_to) to the frame sent as env.
func (m *fakeManager) reply(env protocol.Envelope) protocol.Envelope {
	m.t.Helper()
	return m.waitFor("an answer to "+env.Type, 0, func(f protocol.Envelope) bool { return f.ReplyTo == env.ID })
}

// run sends command.run and returns the agent's command.result.
func (m *fakeManager) run(cmd *protocol.CommandRun) *protocol.CommandResult {
	m.t.Helper()
	if cmd.JobID == "" {
		cmd.JobID = protocol.NewID()
	}
	res, err := protocol.Decode[protocol.CommandResult](m.reply(m.send(cmd)))
	if err != nil {
		m.t.Fatalf("command.result for %s: %v", cmd.Kind, err)
	}
	return res
}

// finished waits for a job's job.finished.
func (m *fakeManager) finished(jobID string) *protocol.JobFinished {
	m.t.Helper()
	env := m.waitFor("job.finished of "+jobID, 0, func(f protocol.Envelope) bool {
		if f.Type != protocol.TypeJobFinished {
			return false
		}
		p, err := protocol.Decode[protocol.JobFinished](f)
		return err == nil && p.JobID == jobID
	})
	fin, _ := protocol.Decode[protocol.JobFinished](env)
	return fin
}

// runToEnd runs a job the agent must accept and returns how it ended.
func (m *fakeManager) runToEnd(cmd *protocol.CommandRun) *protocol.JobFinished {
	m.t.Helper()
	if res := m.run(cmd); !res.Accepted {
		m.t.Fatalf("%s job refused: %s", cmd.Kind, res.Error)
	}
	return m.finished(cmd.JobID)
}

// startAgent runs the real agent (daemon.Run) against m until the test
// ends; its log is shown when the test failed. tweaks adjust its Config
// (a flag such as --no-hooks).
func startAgent(t *testing.T, m *fakeManager, stateDir string, tweaks ...func(*Config)) {
	t.Helper()
	bin := restictest.Binary(t)
	logPath := filepath.Join(t.TempDir(), "agent.log")
	logs, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	c := Config{Manager: m.url, StateDir: stateDir, EnrollToken: "enroll-token-of-the-test", NoKeyring: true, ResticPath: bin,
		Hostname: "trust-agent", Version: "test", CancelGrace: 5 * time.Second,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	for _, tweak := range tweaks {
		tweak(&c)
	}
	go func() { done <- Run(ctx, c) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("agent: %v", err)
		}
		logs.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("agent log:\n%s", b)
		}
	})
}
