package link

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/agent/journal"
	"restic-manager/protocol"
	"restic-manager/protocol/wsconn"
)

// wait bounds every wait in these tests.
const wait = 10 * time.Second

// scriptedManager is a manager on loopback that the test drives frame by
// frame: an httptest server speaking the protocol through protocol/wsconn.
// Each agent connection is handed to the test in order.
type scriptedManager struct {
	srv   *httptest.Server
	URL   string
	conns chan *managerConn
	// refuse, when set, answers the WebSocket upgrade with 503 (a manager
	// that is up but not accepting), so the agent's dial fails.
	mu     sync.Mutex
	refuse bool
}

// managerConn is one agent connection as the manager sees it.
type managerConn struct {
	c      *wsconn.Conn
	at     time.Time // when it was accepted
	frames chan protocol.Envelope
	ended  chan struct{} // closed when the agent's side is gone
}

func newScriptedManager(t *testing.T) *scriptedManager {
	t.Helper()
	m := &scriptedManager{conns: make(chan *managerConn, 16)}
	m.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		refuse := m.refuse
		m.mu.Unlock()
		if refuse {
			http.Error(w, "not now", http.StatusServiceUnavailable)
			return
		}
		c, err := wsconn.Accept(w, r)
		if err != nil {
			return
		}
		defer c.CloseNow()
		mc := &managerConn{c: c, at: time.Now(), frames: make(chan protocol.Envelope, 4096), ended: make(chan struct{})}
		m.conns <- mc
		defer close(mc.ended)
		for {
			env, err := c.Receive(context.Background())
			var fe *wsconn.FrameError
			if errors.As(err, &fe) {
				continue
			}
			if err != nil {
				close(mc.frames)
				return
			}
			mc.frames <- env
		}
	}))
	t.Cleanup(m.srv.Close)
	m.URL = "ws" + strings.TrimPrefix(m.srv.URL, "http") + protocol.AgentPath
	return m
}

func (m *scriptedManager) setRefuse(on bool) {
	m.mu.Lock()
	m.refuse = on
	m.mu.Unlock()
}

// accept waits for the agent's next connection.
func (m *scriptedManager) accept(t *testing.T) *managerConn {
	t.Helper()
	select {
	case c := <-m.conns:
		t.Cleanup(func() { c.c.CloseNow() })
		return c
	case <-time.After(wait):
		t.Fatalf("the agent did not connect within %s", wait)
		return nil
	}
}

// next returns the next frame from the agent.
func (c *managerConn) next(t *testing.T) protocol.Envelope {
	t.Helper()
	select {
	case env, ok := <-c.frames:
		if !ok {
			t.Fatal("the agent closed the connection; want another frame")
		}
		return env
	case <-time.After(wait):
		t.Fatalf("no frame from the agent within %s", wait)
		return protocol.Envelope{}
	}
}

// nextExcept returns the next frame whose type is not one of skip.
func (c *managerConn) nextExcept(t *testing.T, skip ...string) protocol.Envelope {
	t.Helper()
	for {
		env := c.next(t)
		if !slices.Contains(skip, env.Type) {
			return env
		}
	}
}

// hello reads the agent's hello.
func (c *managerConn) hello(t *testing.T) (protocol.Envelope, *protocol.Hello) {
	t.Helper()
	env := c.next(t)
	h, err := protocol.Decode[protocol.Hello](env)
	if err != nil || env.Type != protocol.TypeHello {
		t.Fatalf("first frame is %s (%v); want a valid hello", env.Type, err)
	}
	return env, h
}

// admit reads the hello and answers it with a hello.ack (accepted, status as
// given, host h1).
func (c *managerConn) admit(t *testing.T, status string, ackedSeq uint64, agentToken string) *protocol.Hello {
	t.Helper()
	env, h := c.hello(t)
	c.send(t, &protocol.HelloAck{Accepted: true, HostID: "h1", Status: status, ProtocolVersion: protocol.ProtocolVersion,
		AckedSeq: ackedSeq, AgentToken: agentToken}, env.ID)
	return h
}

func (c *managerConn) send(t *testing.T, p protocol.Payload, replyTo string) protocol.Envelope {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	env, err := c.c.SendPayload(ctx, p, replyTo)
	if err != nil {
		t.Fatalf("send %s: %v", p.MessageType(), err)
	}
	return env
}

func (c *managerConn) sendRaw(t *testing.T, frame string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := c.c.SendRaw(ctx, []byte(frame)); err != nil {
		t.Fatal(err)
	}
}

// drop closes the connection from the manager's side.
func (c *managerConn) drop() { c.c.CloseNow() }

// queue is the real journal as the link's outbound queue (the agent's
// wiring has the same adapter).
type queue struct{ *journal.Journal }

func (q queue) Pending(after uint64, max int) ([]Frame, error) {
	fs, err := q.Journal.Pending(after, max)
	out := make([]Frame, len(fs))
	for i, f := range fs {
		out[i] = Frame(f)
	}
	return out, err
}

func openJournal(t *testing.T) *journal.Journal {
	t.Helper()
	j, err := journal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

// logLines journals n log lines of job and returns their frames as stored.
func logLines(t *testing.T, j *journal.Journal, job string, n int) []journal.Frame {
	t.Helper()
	before, err := j.LastSeq()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := j.Append(&protocol.LogStream{JobID: job, Seq: uint64(i), TS: time.Now().UTC(), Stream: protocol.StreamStdout,
			Payload: "line " + strings.Repeat("x", i)}); err != nil {
			t.Fatal(err)
		}
	}
	frames, err := j.Pending(before, 0)
	if err != nil {
		t.Fatal(err)
	}
	return frames
}

// memTokens is the agent's token store in memory.
type memTokens struct {
	mu       sync.Mutex
	token    string
	enrolled bool
}

func (m *memTokens) AgentToken() (string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.token, nil
}

func (m *memTokens) SetAgentToken(tok string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.token = tok
	return nil
}

func (m *memTokens) Enrolled() (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.enrolled, nil
}

func (m *memTokens) SetEnrolled() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.enrolled = true
	return nil
}

// recorder is the Handler: it records what the link hands it. submit, if
// set, runs inside Submit (a runner that starts the job at once).
type recorder struct {
	mu        sync.Mutex
	configs   []protocol.ConfigUpdate
	submitted []string
	approved  int
	submit    func(c *protocol.CommandRun) error
	approvals chan struct{}
	// treeList, if set, answers TreeList (one that takes its time).
	treeList func(ctx context.Context, q *protocol.TreeList) *protocol.TreeListResult
}

func newRecorder() *recorder { return &recorder{approvals: make(chan struct{}, 16)} }

func (r *recorder) ApplyConfig(_ context.Context, u *protocol.ConfigUpdate) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.configs = append(r.configs, *u)
	return nil
}

func (r *recorder) ApplySchedule(_ context.Context, s *protocol.ScheduleSet) (uint64, error) {
	return s.Version, nil
}

func (r *recorder) Submit(_ context.Context, c *protocol.CommandRun) error {
	r.mu.Lock()
	r.submitted = append(r.submitted, c.JobID)
	f := r.submit
	r.mu.Unlock()
	if f != nil {
		return f(c)
	}
	return nil
}

func (r *recorder) Cancel(context.Context, string) error { return ErrUnknownJob }

func (r *recorder) TreeList(ctx context.Context, q *protocol.TreeList) *protocol.TreeListResult {
	r.mu.Lock()
	f := r.treeList
	r.mu.Unlock()
	if f != nil {
		return f(ctx, q)
	}
	return &protocol.TreeListResult{SnapshotID: q.SnapshotID, Path: q.Path, Entries: []protocol.TreeEntry{}}
}

func (r *recorder) Approved(context.Context) {
	r.mu.Lock()
	r.approved++
	r.mu.Unlock()
	r.approvals <- struct{}{}
}

func (r *recorder) setTreeList(f func(ctx context.Context, q *protocol.TreeList) *protocol.TreeListResult) {
	r.mu.Lock()
	r.treeList = f
	r.mu.Unlock()
}

func (r *recorder) setSubmit(f func(c *protocol.CommandRun) error) {
	r.mu.Lock()
	r.submit = f
	r.mu.Unlock()
}

func (r *recorder) approvedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.approved
}

func (r *recorder) configCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.configs)
}

// agent is a link under test with its parts.
type agent struct {
	*Link
	j      *journal.Journal
	tokens *memTokens
	h      *recorder
	// stop ends Run and waits for it (the agent exiting).
	stop func()
}

// startLink runs a link against m until the test ends. opts may adjust
// the options first.
func startLink(t *testing.T, m *scriptedManager, j *journal.Journal, tokens *memTokens, opts func(*Options)) *agent {
	t.Helper()
	a := &agent{j: j, tokens: tokens, h: newRecorder()}
	o := Options{
		URL: m.URL,
		Hello: protocol.Hello{AgentVersion: "test", ResticVersion: "0.14.0", Hostname: "office-pc", OS: "linux", Arch: "amd64",
			Timezone: "UTC", AgentID: j.AgentID()},
		EnrollToken: "enroll-secret",
		Journal:     queue{j},
		Handler:     a.h,
		Tokens:      tokens,
		Logger:      slog.New(slog.DiscardHandler),
	}
	if opts != nil {
		opts(&o)
	}
	a.Link = New(o)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = a.Run(ctx)
	}()
	a.stop = sync.OnceFunc(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(wait):
			t.Errorf("the link did not stop within %s of its context ending", wait)
		}
	})
	t.Cleanup(a.stop)
	return a
}

// waitStatus waits until the link's status satisfies cond.
func (a *agent) waitStatus(t *testing.T, what string, cond func(Status) bool) {
	t.Helper()
	deadline := time.After(wait)
	for {
		ch := a.Changed()
		if cond(a.Status()) {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("link status %+v after %s; want %s", a.Status(), wait, what)
		}
	}
}

// recordedLogs keeps the link's log records for tests that read them.
type recordedLogs struct {
	mu      sync.Mutex
	records []slog.Record
	added   chan struct{}
}

func newRecordedLogs() *recordedLogs { return &recordedLogs{added: make(chan struct{}, 1024)} }

func (l *recordedLogs) Enabled(context.Context, slog.Level) bool { return true }
func (l *recordedLogs) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *recordedLogs) WithGroup(string) slog.Handler            { return l }

func (l *recordedLogs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.records = append(l.records, r.Clone())
	l.mu.Unlock()
	select {
	case l.added <- struct{}{}:
	default:
	}
	return nil
}

// waitMessages waits until n records with msg were logged and returns
// them.
func (l *recordedLogs) waitMessages(t *testing.T, msg string, n int) []slog.Record {
	t.Helper()
	deadline := time.After(wait)
	for {
		var out []slog.Record
		l.mu.Lock()
		for _, r := range l.records {
			if r.Message == msg {
				out = append(out, r)
			}
		}
		l.mu.Unlock()
		if len(out) >= n {
			return out
		}
		select {
		case <-l.added:
		case <-deadline:
			t.Fatalf("%d %q log records after %s; want %d", len(out), msg, wait, n)
		}
	}
}

func attr(r slog.Record, key string) slog.Value {
	var v slog.Value
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == key {
			v = a.Value
			return false
		}
		return true
	})
	return v
}
