package notify

import (
	"strings"
	"testing"
	"time"

	"restic-manager/storage"
)

// Evaluate is run over a sequence of moments, carrying its state as the
// hub does; each step lists the events it must send, and nothing else.
func TestEvaluateSendsOneMessagePerStateChange(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	at := func(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }
	ok := func(job string, h float64) storage.GroupHealth {
		return storage.GroupHealth{Status: "succeeded", JobID: job, FinishedAt: at(h)}
	}
	bad := func(job string, h float64) storage.GroupHealth {
		return storage.GroupHealth{Status: "failed", JobID: job, FinishedAt: at(h), Error: "boom"}
	}
	host := func(online bool, lastSeen float64, lock bool, last *time.Time, groups map[string]storage.GroupHealth) HostFacts {
		return HostFacts{ID: "h1", Name: "office-pc", Online: online, LastSeen: at(lastSeen), FirstSeen: at(-100),
			LastBackupAt: last, Groups: groups, LockPresent: lock}
	}
	lastOK := func(h float64) *time.Time { x := at(h); return &x }
	steps := []struct {
		name string
		now  float64
		h    HostFacts
		want string
	}{
		{"a healthy host", 0, host(true, 0, false, lastOK(-1), map[string]storage.GroupHealth{"docs": ok("b0", -1)}), ""},
		{"a backup fails", 1, host(true, 1, false, lastOK(-1), map[string]storage.GroupHealth{"docs": bad("b1", 1)}), "backup.failed b1, backup.finished b1"},
		{"it fails again: no repeat, one ping", 2, host(true, 2, false, lastOK(-1), map[string]storage.GroupHealth{"docs": bad("b2", 2)}), "backup.finished b2"},
		{"the same facts later", 2.5, host(true, 2, false, lastOK(-1), map[string]storage.GroupHealth{"docs": bad("b2", 2)}), ""},
		{"a cancelled backup changes nothing", 2.6, host(true, 2, false, lastOK(-1), map[string]storage.GroupHealth{"docs": {Status: "cancelled", JobID: "b3", FinishedAt: at(2.6)}}), "backup.finished b3"},
		{"it works again", 3, host(true, 3, false, lastOK(3), map[string]storage.GroupHealth{"docs": ok("b4", 3)}), "backup.failed.resolved b4, backup.finished b4"},
		{"a lock appears", 4, host(true, 4, true, lastOK(3), map[string]storage.GroupHealth{"docs": ok("b4", 3)}), ""},
		{"the lock is old", 6.5, host(true, 6, true, lastOK(3), map[string]storage.GroupHealth{"docs": ok("b4", 3)}), "repo.locked"},
		{"the lock goes", 7, host(true, 7, false, lastOK(3), map[string]storage.GroupHealth{"docs": ok("b4", 3)}), "repo.locked.resolved"},
		{"offline, not long", 8, host(false, 7, false, lastOK(3), map[string]storage.GroupHealth{"docs": ok("b4", 3)}), ""},
		{"offline and stale", 31, host(false, 7, false, lastOK(3), map[string]storage.GroupHealth{"docs": ok("b4", 3)}), "host.stale, host.offline"},
		{"back, and backed up", 32, host(true, 32, false, lastOK(32), map[string]storage.GroupHealth{"docs": ok("b5", 32)}), "backup.finished b5, host.stale.resolved, host.offline.resolved"},
	}
	state := map[string]storage.NotifyCondition{}
	for i, s := range steps {
		res := Evaluate(state, Facts{Now: at(s.now), Hosts: []HostFacts{s.h}}, Thresholds{})
		var got []string
		for _, m := range res.Messages {
			g := m.Event
			if m.JobID != "" && m.Kind == "backup" {
				g += " " + m.JobID
			}
			if m.Host != "office-pc" || m.HostID != "h1" {
				t.Errorf("step %d: message names %q/%q; want office-pc/h1", i, m.Host, m.HostID)
			}
			got = append(got, g)
		}
		if strings.Join(got, ", ") != s.want {
			t.Errorf("step %d (%s): messages %q; want %q", i, s.name, strings.Join(got, ", "), s.want)
		}
		for k, c := range res.Set {
			state[k] = c
		}
		for _, k := range res.Drop {
			delete(state, k)
		}
	}
	// A removed host is forgotten without a message.
	res := Evaluate(state, Facts{Now: at(40)}, Thresholds{})
	if len(res.Messages) != 0 || len(res.Drop) == 0 {
		t.Errorf("host removed: messages %v, dropped %v; want none sent, its state dropped", res.Messages, res.Drop)
	}
}

// A backup that ended before notifications began is history: no ping.
func TestEvaluateDoesNotPingOldBackups(t *testing.T) {
	now := time.Date(2026, 12, 8, 3, 0, 0, 0, time.UTC)
	h := HostFacts{ID: "h1", Name: "pc", Online: true, LastSeen: now, FirstSeen: now.Add(-time.Hour),
		Groups: map[string]storage.GroupHealth{"docs": {Status: "succeeded", JobID: "old", FinishedAt: now.Add(-time.Minute)}}}
	res := Evaluate(nil, Facts{Now: now, Hosts: []HostFacts{h}}, Thresholds{})
	if len(res.Messages) != 0 {
		t.Errorf("messages %+v; want none for a backup that ended before notifications began", res.Messages)
	}
}
