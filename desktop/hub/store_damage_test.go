package hub

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"restic-manager/desktop/secrets"
	"restic-manager/internal/boltfile/bolttest"
	"restic-manager/storage"
)

// A host record and another host's schedule, each with bytes written over
// its JSON in the store file: the hub starts, lists every other host, and
// the host whose schedule was lost says so in its event log.
func TestUndecodableRecordsNeverPoisonTheHostList(t *testing.T) {
	dir := t.TempDir()
	st, err := storage.OpenDir(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ids := map[string]string{}
	for _, name := range []string{"accounts", "backoffice", "reception", "warehouse"} {
		tok := "enroll-" + name + "-0123456789"
		if _, err := st.CreateEnrollToken(tok, 1, now.Add(time.Hour), now); err != nil {
			t.Fatal(err)
		}
		r, err := st.Enroll(storage.EnrollRequest{EnrollToken: tok, AgentID: "agent-" + name, AgentToken: "tok-" + name,
			Info: storage.HostInfo{Hostname: name}, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		ids[name] = r.Host.ID
	}
	if _, err := st.PutSourceGroup(ids["warehouse"], storage.SourceGroup{Name: "stock", Includes: []string{"/srv/stock"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.PutSchedule(ids["warehouse"], storage.Schedule{ID: "stock-nightly", CronExpr: "0 2 * * *", Enabled: true, Groups: []string{"stock"}}); err != nil {
		t.Fatal(err)
	}
	path := st.Path()
	st.Close()
	bolttest.Scribble(t, path, `"hostname":"backoffice"`)
	bolttest.Scribble(t, path, `"cron_expr":"0 2 * * *"`)

	st, err = storage.OpenDir(dir, nil)
	if err != nil {
		t.Fatalf("open the store with two bad records: %v; want it open", err)
	}
	defer st.Close()
	logs := &syncBuffer{}
	h, err := New(Options{Store: st, Secrets: secrets.NewMemory(), Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	hosts, err := h.Hosts()
	if err != nil {
		t.Fatalf("Hosts() = %v; one bad record must not fail the list", err)
	}
	var names []string
	for _, v := range hosts {
		names = append(names, v.Host.Hostname)
	}
	if !slices.Equal(names, []string{"accounts", "reception", "warehouse"}) {
		t.Errorf("hosts: %v; want every host but backoffice", names)
	}
	if !strings.Contains(logs.String(), "host "+ids["backoffice"]) {
		t.Errorf("the hub's log does not name the lost host %s:\n%s", ids["backoffice"], logs)
	}
	page, err := h.HostEvents(ids["warehouse"], "", 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range page.Events {
		found = found || (e.Kind == storage.EventStore && strings.Contains(e.Message, `schedule "stock-nightly"`))
	}
	if !found {
		t.Errorf("warehouse's events %+v; want one saying its schedule stock-nightly was quarantined", page.Events)
	}
	if scs, err := h.Schedules(ids["warehouse"]); err != nil || len(scs) != 0 {
		t.Errorf("warehouse's schedules: %v, %v; want none listed (the bad one is in quarantine)", scs, err)
	}
}
