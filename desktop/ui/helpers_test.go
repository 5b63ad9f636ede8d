package ui

// The tests' helpers that know this package: a real hub over a temp
// store, hosts and jobs put straight into it, and the window over the
// hub on desktop/internal/uitest's app (which holds the helpers that know
// only Fyne: the wait, the text finders).

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// testNow is the tests' "now" when they inject a clock.
var testNow = time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)

// storeHub is a real hub over a real store in a temp dir, closed when the
// test ends. o sets the hub's options beyond Store (Secrets defaults to an
// in-memory store); so the store options (nil: the defaults).
func storeHub(t *testing.T, o hub.Options, so *storage.Options) (*hub.Hub, *storage.Store) {
	t.Helper()
	st, err := storage.OpenDir(t.TempDir(), so)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	o.Store = st
	if o.Secrets == nil {
		o.Secrets = secrets.NewMemory()
	}
	h, err := hub.New(o)
	if err != nil {
		st.Close()
		t.Fatalf("new hub: %v", err)
	}
	t.Cleanup(func() {
		h.Close()
		st.Close()
	})
	return h, st
}

// newTestUI opens the window over h on a fresh uitest app. Changes reach
// the views every millisecond unless o says otherwise, and only when the
// test pumps (uitest.App.WaitFor).
func newTestUI(t *testing.T, h Hub, o Options) (*UI, *uitest.App) {
	t.Helper()
	app := uitest.NewApp()
	if o.RepaintInterval == 0 {
		o.RepaintInterval = time.Millisecond
	}
	u := New(app, h, o)
	t.Cleanup(func() {
		u.Close()
		app.CloseWindows()
	})
	return u, app
}

// testHost is what a host enrolled by the tests reports about itself.
func testHost(name, os string) storage.HostInfo {
	return storage.HostInfo{Hostname: name, OS: os, Arch: "amd64", AgentVersion: "0.1.0", ResticVersion: "0.14.0"}
}

// enrollHost adds an approved host to the store, first seen at seen, and
// returns its id. It never connects: it stays offline.
func enrollHost(t *testing.T, st *storage.Store, info storage.HostInfo, seen time.Time) string {
	t.Helper()
	tok := "enroll-" + info.Hostname + "-0123456789abcdef"
	if _, err := st.CreateEnrollToken(tok, 1, seen.Add(24*time.Hour), seen); err != nil {
		t.Fatal(err)
	}
	r, err := st.Enroll(storage.EnrollRequest{EnrollToken: tok, AgentID: "agent-" + info.Hostname, AgentToken: "tok-" + info.Hostname,
		Info: info, Now: seen})
	if err != nil {
		t.Fatal(err)
	}
	return r.Host.ID
}

// applyEvents stores agent events for a host through the store's real
// ingest, received at at, numbering journaled ones after the host's mark.
func applyEvents(t *testing.T, st *storage.Store, hostID string, at time.Time, ps ...protocol.Payload) {
	t.Helper()
	mark, err := st.Mark(hostID)
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]storage.Event, 0, len(ps))
	for _, p := range ps {
		env, err := protocol.NewEnvelope(p)
		if err != nil {
			t.Fatal(err)
		}
		var seq uint64
		if protocol.IsJournaled(env.Type) {
			mark++
			seq = mark
			env.Seq = seq
		}
		evs = append(evs, storage.Event{HostID: hostID, Seq: seq, Env: env})
	}
	res, err := st.ApplyBatch(evs, at)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range res.Results {
		if r.Outcome != storage.Stored {
			t.Fatalf("event %d (%T) %s: %s", i, ps[i], r.Outcome, r.Reason)
		}
	}
}

// recordJob records a job that ran on a host and ended with status at
// finished (or is still running), as an agent's events would arrive.
func recordJob(t *testing.T, st *storage.Store, hostID, jobID, kind, group, status, errMsg string, finished time.Time) {
	t.Helper()
	started := finished.Add(-time.Minute)
	if err := st.CreateJob(storage.Job{ID: jobID, HostID: hostID, Kind: kind, Tag: group, Origin: storage.OriginOperator, CreatedAt: started}); err != nil {
		t.Fatal(err)
	}
	events := []protocol.Payload{&protocol.JobStarted{JobID: jobID, Kind: kind, StartedAt: started}}
	if status != protocol.StatusRunning {
		events = append(events, &protocol.JobFinished{JobID: jobID, Status: status, ExitCode: 1, FinishedAt: finished, Error: errMsg})
	}
	applyEvents(t, st, hostID, finished, events...)
}

// testEnv is the window over a real hub and a real store, on the
// uitest app, with a record of the changes its views were handed.
type testEnv struct {
	*UI
	app *uitest.App
	hub *hub.Hub
	st  *storage.Store
	sec *secrets.Memory

	delivered []change // every change the bus handed the views, in order
	consumed  int      // delivered[:consumed] were matched by waitChange
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	sec := secrets.NewMemory()
	h, st := storeHub(t, hub.Options{Secrets: sec}, &storage.Options{NoSync: true})
	return newTestEnvOn(t, h, st, sec)
}

// newTestEnvOn opens the window over a hub made elsewhere (testfleet's).
func newTestEnvOn(t *testing.T, h *hub.Hub, st *storage.Store, sec *secrets.Memory) *testEnv {
	t.Helper()
	u, app := newTestUI(t, h, Options{})
	e := &testEnv{UI: u, app: app, hub: h, st: st, sec: sec}
	u.newScope().on(func(batch []change) { e.delivered = append(e.delivered, batch...) })
	return e
}

// enroll adds an approved, offline host named name (linux, in zone; ""
// for none) and returns its id.
func (e *testEnv) enroll(t *testing.T, name, zone string) string {
	t.Helper()
	info := testHost(name, "linux")
	info.Timezone = zone
	return enrollHost(t, e.st, info, time.Now())
}

// show puts o in the window, at a desktop size.
func (e *testEnv) show(o fyne.CanvasObject) {
	e.win.SetContent(o)
	e.win.Resize(fyne.NewSize(1180, 760))
}

// waitChange waits until a change of kind about hostID has reached the
// views since the last waitChange matched one: after an action, the point
// where the views have heard of it. (A like change still on its way from
// before the action matches too: the store already holds both.)
func (e *testEnv) waitChange(t *testing.T, kind hub.ChangeKind, hostID string) {
	t.Helper()
	e.app.WaitFor(t, fmt.Sprintf("a %s change of %s to reach the views", kind, hostID), func() bool {
		for i := e.consumed; i < len(e.delivered); i++ {
			if c := e.delivered[i]; c.Kind == kind && c.HostID == hostID {
				e.consumed = i + 1
				return true
			}
		}
		return false
	})
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
