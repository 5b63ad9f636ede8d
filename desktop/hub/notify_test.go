package hub

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/desktop/notify"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// hookServer is a real HTTP server on 127.0.0.1 that records every request
// (webhook and ntfy alike).
type hookServer struct {
	mu   sync.Mutex
	reqs []hookRequest
	srv  *http.Server
	addr string
}

type hookRequest struct {
	Path   string
	Header http.Header
	Body   string
}

// startHookServer listens on addr ("127.0.0.1:0" for any port).
func startHookServer(t *testing.T, addr string) *hookServer {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &hookServer{addr: l.Addr().String()}
	s.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.reqs = append(s.reqs, hookRequest{Path: r.URL.Path, Header: r.Header.Clone(), Body: string(b)})
		s.mu.Unlock()
	})}
	go func() { _ = s.srv.Serve(l) }()
	t.Cleanup(func() { _ = s.srv.Close() })
	return s
}

func (s *hookServer) on(path string) []hookRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []hookRequest
	for _, r := range s.reqs {
		if r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

func webhookEvents(t *testing.T, reqs []hookRequest) []notify.Message {
	t.Helper()
	var out []notify.Message
	for _, r := range reqs {
		var m notify.Message
		if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
			t.Fatalf("webhook body %q: %v", r.Body, err)
		}
		out = append(out, m)
	}
	return out
}

func flagChannel(t *testing.T, f func(string) (notify.Channel, error), u string) NotifyChannel {
	t.Helper()
	c, err := f(u)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// backup emits one finished backup (of no known group).
func (a *testAgent) backup(id, status, errText string) uint64 {
	at := time.Now().UTC()
	a.emit(&protocol.JobStarted{JobID: id, Kind: protocol.KindBackup, StartedAt: at})
	code := 0
	if status == protocol.StatusFailed {
		code = 1
	}
	return a.emit(&protocol.JobFinished{JobID: id, Status: status, ExitCode: code, FinishedAt: at, Error: errText})
}

// The webhook gets the design's JSON object and ntfy its headers, once
// per state change: a second failure sends nothing, the recovery sends
// the .resolved.
func TestWebhookAndNtfyGetOneMessagePerStateChange(t *testing.T) {
	srv := startHookServer(t, "127.0.0.1:0")
	th, _ := newTestHub(t, func(o *Options) {
		o.Notify.Channels = []NotifyChannel{
			flagChannel(t, notify.WebhookFlag, "http://"+srv.addr+"/hook"),
			flagChannel(t, notify.NtfyFlag, "http://"+srv.addr+"/backups"),
		}
	}, nil)
	a, hostID, _ := enrollAgent(t, th, "office-pc", th.enrollToken(t, 1))

	a.waitAck(a.backup("b1", protocol.StatusFailed, "repository is locked\nby PID 42"))
	waitFor(t, testWait, "the webhook's backup.failed", func() bool { return len(srv.on("/hook")) >= 1 })
	a.waitAck(a.backup("b2", protocol.StatusFailed, "still locked"))
	a.waitAck(a.backup("b3", protocol.StatusSucceeded, ""))
	waitFor(t, testWait, "the webhook's backup.failed.resolved", func() bool { return len(srv.on("/hook")) >= 2 })
	waitFor(t, testWait, "two ntfy posts", func() bool { return len(srv.on("/backups")) >= 2 })
	th.evaluateNotifications() // nothing changed: nothing more is queued

	hooks := srv.on("/hook")
	ev := webhookEvents(t, hooks)
	if len(ev) != 2 || ev[0].Event != "backup.failed" || ev[1].Event != "backup.failed.resolved" {
		t.Fatalf("webhook events = %+v; want backup.failed then backup.failed.resolved", ev)
	}
	f := ev[0]
	if f.Host != "office-pc" || f.HostID != hostID || f.JobID != "b1" || f.Kind != "backup" || f.Status != "failed" ||
		!strings.HasPrefix(f.Error, "repository is locked") || f.At.IsZero() {
		t.Errorf("backup.failed = %+v; want host office-pc, its id, job b1, kind backup, status failed, the error, a time", f)
	}
	if ev[1].JobID != "b3" || ev[1].Status != "succeeded" {
		t.Errorf("resolved = %+v; want job b3 succeeded", ev[1])
	}
	var keys map[string]any
	_ = json.Unmarshal([]byte(hooks[0].Body), &keys)
	for k := range keys {
		switch k {
		case "event", "host", "host_id", "job_id", "kind", "status", "error", "at":
		default:
			t.Errorf("webhook field %q is not in the design's object", k)
		}
	}
	if ct := hooks[0].Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("webhook Content-Type = %q", ct)
	}
	posts := srv.on("/backups")
	if len(posts) != 2 {
		t.Fatalf("ntfy posts = %d, want 2", len(posts))
	}
	if p := posts[0]; p.Header.Get("Title") != "office-pc: backup failed" || p.Header.Get("Priority") != "high" ||
		!strings.Contains(p.Header.Get("Tags"), "backup.failed") || !strings.Contains(p.Body, "repository is locked") {
		t.Errorf("ntfy failure post: title %q, priority %q, tags %q, body %q", p.Header.Get("Title"), p.Header.Get("Priority"), p.Header.Get("Tags"), p.Body)
	}
	if p := posts[1]; p.Header.Get("Title") != "office-pc: backup works again" || p.Header.Get("Priority") != "default" {
		t.Errorf("ntfy resolved post: title %q, priority %q", p.Header.Get("Title"), p.Header.Get("Priority"))
	}
	waitFor(t, testWait, "an empty outbox", func() bool { e, _ := th.store.Outbox(); return len(e) == 0 })
}

// A message queued while the webhook's server is down stays in the
// outbox across a restart of the manager on the same file, and the new
// manager delivers it once the server is back — once.
func TestOutboxDeliversAfterTheServerWasDownAndTheManagerRestarted(t *testing.T) {
	// Take a free port, then leave it closed: the server is down.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	hook := flagChannel(t, notify.WebhookFlag, "http://"+addr+"/hook")
	dir := t.TempDir()
	sec := secrets.NewMemory()
	open := func() (*Hub, *storage.Store, string, func()) {
		st, err := storage.OpenDir(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		h, err := New(Options{Store: st, Secrets: sec, Logger: slog.New(slog.DiscardHandler),
			Notify: NotifyOptions{Channels: []NotifyChannel{hook}, RetryBase: time.Hour}})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		lis := loopback(t, "tcp")
		done := make(chan struct{})
		go func() { defer close(done); _ = h.Serve(ctx, lis) }()
		return h, st, "ws://" + lis.L.Addr().String() + protocol.AgentPath, func() { cancel(); h.Close(); <-done; st.Close() }
	}

	h1, st1, url1, stop1 := open()
	th := &testHub{Hub: h1, store: st1, url: url1}
	a, _, _ := enrollAgent(t, th, "office-pc", th.enrollToken(t, 1))
	a.waitAck(a.backup("b1", protocol.StatusFailed, "disk full"))
	waitFor(t, testWait, "a failed delivery recorded in the outbox", func() bool {
		e, _ := st1.Outbox()
		return len(e) == 1 && e[0].Attempts >= 1
	})
	stop1()

	srv := startHookServer(t, addr)
	h2, st2, _, stop2 := open()
	defer stop2()
	waitFor(t, testWait, "the webhook delivered after the restart", func() bool { return len(srv.on("/hook")) >= 1 })
	h2.evaluateNotifications() // the restarted manager re-reads the fleet: no second message
	waitFor(t, testWait, "an empty outbox", func() bool { e, _ := st2.Outbox(); return len(e) == 0 })
	ev := webhookEvents(t, srv.on("/hook"))
	if len(ev) != 1 || ev[0].Event != "backup.failed" || ev[0].JobID != "b1" || ev[0].Host != "office-pc" {
		t.Fatalf("webhook events after the restart = %+v; want exactly one backup.failed for b1 on office-pc", ev)
	}
}

// Settings → Notifications refusals name their input and store nothing;
// the mail password goes to the keyring, never to the store or the logs.
func TestNotifyChannelChecksAndTheMailPassword(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	for _, c := range []struct {
		ch    NotifyChannel
		field string
	}{
		{NotifyChannel{Type: "webhook", URL: "javascript:alert(1)"}, "webhook URL"},
		{NotifyChannel{Type: "webhook", URL: "https://"}, "webhook URL"},
		{NotifyChannel{Type: "ntfy", URL: "https://ntfy.sh", Topic: "a/b"}, "ntfy topic"},
		{NotifyChannel{Type: "email", SMTPHost: "smtp.example.com", SMTPPort: 587, From: "x", To: []string{"a@b.c"}}, "from"},
		{NotifyChannel{Type: "email", SMTPHost: "smtp.example.com", SMTPPort: 70000, From: "a@b.c", To: []string{"a@b.c"}}, "port"},
		{NotifyChannel{Type: "email", SMTPHost: "smtp.example.com", SMTPPort: 587, From: "a@b.c", To: []string{"a@b.c", "nope"}}, "to"},
		{NotifyChannel{Type: "ping", URL: "https://hc-ping.com/x", HostID: "no-such-host"}, "host"},
		{NotifyChannel{Type: "pager"}, "type"},
	} {
		pw := "hunter2-secret"
		_, err := th.PutNotifyChannel(c.ch, &pw)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != c.field || !errors.Is(err, ErrInvalid) {
			t.Errorf("PutNotifyChannel(%+v) = %v; want a FieldError on %q", c.ch, err, c.field)
		}
	}
	if stored, _ := th.store.NotifyChannels(); len(stored) != 0 {
		t.Errorf("refused channels stored: %+v", stored)
	}

	pw := "hunter2-secret"
	mail, err := th.PutNotifyChannel(NotifyChannel{Type: "email", SMTPHost: "smtp.example.com", SMTPPort: 587, User: "bot",
		From: "backups@example.com", To: []string{" admin@example.com "}}, &pw)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := th.secrets.Get(secrets.ManagerID, smtpPasswordSlot(mail.ID)); got != pw {
		t.Errorf("keyring holds %q; want the password", got)
	}
	views, _ := th.NotifyChannels()
	if len(views) != 2 || views[0].Type != "desktop" || !views[1].PasswordSet || views[1].To[0] != "admin@example.com" {
		t.Errorf("channels = %+v; want desktop and the mail channel with its password set", views)
	}
	raw, err := os.ReadFile(th.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), pw) || strings.Contains(th.logs.String(), pw) {
		t.Error("the mail password reached the store file or the logs")
	}
	if err := th.DeleteNotifyChannel(mail.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := th.secrets.Get(secrets.ManagerID, smtpPasswordSlot(mail.ID)); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("after delete the keyring still holds the password (%v)", err)
	}
}

// Send test reaches the server and says what it answered.
func TestSendTestReportsTheResult(t *testing.T) {
	srv := startHookServer(t, "127.0.0.1:0")
	th, _ := newTestHub(t, nil, nil)
	ok, err := th.PutNotifyChannel(NotifyChannel{Type: "webhook", URL: "http://" + srv.addr + "/hook"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := th.TestNotifyChannel(context.Background(), ok.ID); err != nil {
		t.Fatalf("Send test: %v", err)
	}
	if ev := webhookEvents(t, srv.on("/hook")); len(ev) != 1 || ev[0].Event != "test" {
		t.Errorf("webhook got %+v; want one test event", ev)
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	defer gone.Close()
	nf, _ := th.PutNotifyChannel(NotifyChannel{Type: "webhook", URL: gone.URL + "/missing?token=t0ken"}, nil)
	err = th.TestNotifyChannel(context.Background(), nf.ID)
	var se *notify.HTTPStatusError
	if !errors.As(err, &se) || se.Code != 404 || strings.Contains(err.Error(), "t0ken") {
		t.Errorf("Send test to a 404 = %v; want HTTP 404 without the URL", err)
	}
}
