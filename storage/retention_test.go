package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// sweepNow is the sweep tests' "now"; ages are days before it.
var sweepNow = time.Date(2027, 12, 1, 12, 0, 0, 0, time.UTC)

func daysAgo(n int) time.Time { return sweepNow.AddDate(0, 0, -n) }

// fastStore is a real bbolt file without fsync: these tests write
// thousands of transactions and test what is kept, not durability.
func fastStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), FileName), &Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// history writes jobs the way agents report them: an operator job (for
// its group) or a job.started, its log lines, and its job.finished.
type history struct {
	t    *testing.T
	s    *Store
	seqs map[string]uint64
}

type pastJob struct {
	id, kind, tag, status string
	at                    time.Time // created and started; finished a minute later
	lines                 int
}

func (h *history) add(host string, js pastJob) {
	h.t.Helper()
	if h.seqs == nil {
		h.seqs = map[string]uint64{}
	}
	if js.kind == "" {
		js.kind = protocol.KindBackup
	}
	if js.tag != "" {
		if err := h.s.CreateJob(Job{ID: js.id, HostID: host, Kind: js.kind, Tag: js.tag, Origin: OriginOperator, CreatedAt: js.at}); err != nil {
			h.t.Fatal(err)
		}
	}
	next := func(p protocol.Payload) Event {
		h.seqs[host]++
		return ev(h.t, host, h.seqs[host], p)
	}
	evs := []Event{next(&protocol.JobStarted{JobID: js.id, Kind: js.kind, StartedAt: js.at})}
	for n := 1; n <= js.lines; n++ {
		evs = append(evs, next(&protocol.LogStream{JobID: js.id, Seq: uint64(n), TS: js.at, Stream: protocol.StreamStdout, Payload: fmt.Sprintf("%s line %d", js.id, n)}))
	}
	if js.status != protocol.StatusRunning {
		evs = append(evs, next(&protocol.JobFinished{JobID: js.id, Status: js.status, FinishedAt: js.at.Add(time.Minute)}))
	}
	for len(evs) > 0 {
		n := min(len(evs), 5000)
		if _, err := h.s.ApplyBatch(evs[:n], js.at); err != nil {
			h.t.Fatal(err)
		}
		evs = evs[n:]
	}
}

// jobsAndLogs lists every stored job id, and those with log lines.
func jobsAndLogs(t *testing.T, s *Store) (jobs, withLogs []string) {
	t.Helper()
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketJobs).ForEach(func(k, _ []byte) error {
			jobs = append(jobs, string(k))
			return nil
		}); err != nil {
			return err
		}
		seen := map[string]bool{}
		return tx.Bucket(bucketLogs).ForEach(func(k, _ []byte) error {
			id := string(k[1 : 1+int(k[0])])
			if !seen[id] {
				seen[id] = true
				withLogs = append(withLogs, id)
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(jobs)
	sort.Strings(withLogs)
	return jobs, withLogs
}

func sorted(ids ...string) []string {
	out := slices.Clone(ids)
	sort.Strings(out)
	return out
}

func TestTheSweepKeepsExactlyWhatTheRulesKeep(t *testing.T) {
	s := fastStore(t)
	h := &history{t: t, s: s}
	a, b := approvedHost(t, s, "a"), approvedHost(t, s, "b")
	for _, g := range []string{"docs", "photos"} {
		if _, err := s.PutSourceGroup(a, SourceGroup{Name: g, Includes: []string{"/" + g}}); err != nil {
			t.Fatal(err)
		}
	}
	ok, failed, cancelled, running := protocol.StatusSucceeded, protocol.StatusFailed, protocol.StatusCancelled, protocol.StatusRunning

	// Host a: the age rules, with the default settings (365 / 30 / 180).
	h.add(a, pastJob{id: "photos-last-ok", tag: "photos", status: ok, at: daysAgo(500), lines: 3}) // the group's last success: kept, with its log
	h.add(a, pastJob{id: "old-ok", tag: "docs", status: ok, at: daysAgo(400), lines: 3})           // past 365 days: gone
	h.add(a, pastJob{id: "old-failed", tag: "docs", status: failed, at: daysAgo(370), lines: 3})   // gone
	h.add(a, pastJob{id: "old-running", kind: protocol.KindCheck, status: running, at: daysAgo(400), lines: 3})
	h.add(a, pastJob{id: "long-log-ok", tag: "docs", status: ok, at: daysAgo(300), lines: 2500}) // log past 30 days, in many transactions
	h.add(a, pastJob{id: "failed-200", tag: "docs", status: failed, at: daysAgo(200), lines: 3}) // log past 180 days
	h.add(a, pastJob{id: "cancelled-190", kind: protocol.KindPrune, status: cancelled, at: daysAgo(190), lines: 3})
	h.add(a, pastJob{id: "mid-ok", tag: "docs", status: ok, at: daysAgo(100), lines: 3})         // log past 30 days
	h.add(a, pastJob{id: "mid-failed", tag: "docs", status: failed, at: daysAgo(100), lines: 3}) // log kept (180)
	h.add(a, pastJob{id: "photos-failed", tag: "photos", status: failed, at: daysAgo(50), lines: 3})
	h.add(a, pastJob{id: "docs-last-ok", tag: "docs", status: ok, at: daysAgo(29), lines: 3}) // young: all kept
	for i := range KeepJobsPerHost {
		h.add(a, pastJob{id: fmt.Sprintf("a-new-%02d", i), kind: protocol.KindCheck, status: ok, at: daysAgo(10).Add(time.Duration(i) * time.Hour), lines: 1})
	}
	// Host b: 25 jobs, all a year and a half old: its newest 20 stay.
	var bKept []string
	for i := range 25 {
		id := fmt.Sprintf("b-%02d", i)
		h.add(b, pastJob{id: id, kind: protocol.KindCheck, status: ok, at: daysAgo(550).Add(time.Duration(i) * time.Hour), lines: 2})
		if i >= 5 {
			bKept = append(bKept, id)
		}
	}
	// Fires and repository sizes live as long as job records.
	h.seqs[a]++
	if _, err := s.ApplyBatch([]Event{ev(t, a, h.seqs[a], &protocol.ScheduleFire{ScheduleID: "s", ScheduledAt: daysAgo(400), Skipped: "paused", JobIDs: []string{}})}, daysAgo(400)); err != nil {
		t.Fatal(err)
	}
	h.seqs[a]++
	if _, err := s.ApplyBatch([]Event{ev(t, a, h.seqs[a], &protocol.ScheduleFire{ScheduleID: "s", ScheduledAt: daysAgo(3), Skipped: "paused", JobIDs: []string{}})}, daysAgo(3)); err != nil {
		t.Fatal(err)
	}
	size := uint64(1 << 30)
	for _, at := range []time.Time{daysAgo(366), daysAgo(364)} {
		if err := s.MergeRepoStats(a, &protocol.RepoStats{TotalSizeBytes: &size}, at); err != nil {
			t.Fatal(err)
		}
	}

	rep, err := s.Sweep(context.Background(), SweepOptions{Now: sweepNow, MaxKeysPerTx: 100})
	if err != nil {
		t.Fatal(err)
	}

	var aNew []string
	for i := range KeepJobsPerHost {
		aNew = append(aNew, fmt.Sprintf("a-new-%02d", i))
	}
	wantJobs := sorted(append(append([]string{"photos-last-ok", "old-running", "long-log-ok", "failed-200", "cancelled-190",
		"mid-ok", "mid-failed", "photos-failed", "docs-last-ok"}, aNew...), bKept...)...)
	wantLogs := sorted(append(append([]string{"photos-last-ok", "old-running", "mid-failed", "photos-failed", "docs-last-ok"}, aNew...), bKept...)...)
	jobs, logs := jobsAndLogs(t, s)
	if !slices.Equal(jobs, wantJobs) {
		t.Errorf("jobs kept:\n got %v\nwant %v", jobs, wantJobs)
	}
	if !slices.Equal(logs, wantLogs) {
		t.Errorf("jobs that kept their log:\n got %v\nwant %v", logs, wantLogs)
	}
	wantRep := SweepReport{JobsRemoved: 2 + 5, LogsRemoved: 4, LogLinesRemoved: 3 + 3 + 5*2 + 2500 + 3 + 3 + 3, OtherRemoved: 2}
	if rep.JobsRemoved != wantRep.JobsRemoved || rep.LogsRemoved != wantRep.LogsRemoved ||
		rep.LogLinesRemoved != wantRep.LogLinesRemoved || rep.OtherRemoved != wantRep.OtherRemoved {
		t.Errorf("report = %+v, want jobs %d, logs %d, lines %d, other %d", rep,
			wantRep.JobsRemoved, wantRep.LogsRemoved, wantRep.LogLinesRemoved, wantRep.OtherRemoved)
	}
	if rep.Transactions < 25 {
		t.Errorf("the sweep took %d transactions; with 100 keys each the 2,500-line log alone needs 25", rep.Transactions)
	}

	// The history pages and indexes agree with the records.
	page, err := s.JobsPage(b, "", 100)
	if err != nil || len(page.Jobs) != 20 || page.Jobs[19].ID != "b-05" {
		t.Errorf("host b's history after the sweep = %d jobs (%v), want its newest 20 down to b-05", len(page.Jobs), err)
	}
	fires, _ := s.Fires(a, 10)
	if len(fires) != 1 || !fires[0].ScheduledAt.Equal(daysAgo(3)) {
		t.Errorf("fires after the sweep = %+v, want the one of 3 days ago", fires)
	}
	sizes, _ := s.RepoSizeHistory(a)
	if len(sizes) != 1 || !sizes[0].Time.Equal(daysAgo(364)) {
		t.Errorf("repository sizes after the sweep = %+v, want the one of 364 days ago", sizes)
	}
	assertIndexesMatchJobs(t, s)

	// A second sweep finds nothing more to do.
	again, err := s.Sweep(context.Background(), SweepOptions{Now: sweepNow})
	if err != nil || again.Removed() != 0 || again.Transactions != 0 {
		t.Errorf("second sweep = %+v, %v; want nothing removed, no write transaction", again, err)
	}

	// Shorter settings take effect at the next sweep.
	if err := s.SetHistorySettings(HistorySettings{JobDays: 60, SucceededLogDays: 5, FailedLogDays: 60}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Sweep(context.Background(), SweepOptions{Now: sweepNow}); err != nil {
		t.Fatal(err)
	}
	jobs, logs = jobsAndLogs(t, s)
	wantJobs = sorted(append(append([]string{"photos-last-ok", "old-running", "photos-failed", "docs-last-ok"}, aNew...), bKept...)...)
	wantLogs = sorted(append(append([]string{"photos-last-ok", "old-running", "photos-failed", "docs-last-ok"}, aNew...), bKept...)...)
	if !slices.Equal(jobs, wantJobs) {
		t.Errorf("jobs kept with 60-day records:\n got %v\nwant %v", jobs, wantJobs)
	}
	if !slices.Equal(logs, wantLogs) {
		t.Errorf("logs kept with 5/60-day logs:\n got %v\nwant %v", logs, wantLogs)
	}
	assertIndexesMatchJobs(t, s)
}

// assertIndexesMatchJobs checks that host_jobs and jobs_by_created name
// exactly the stored jobs, and finished_jobs every finished job that
// still has a log (and no job that is gone).
func assertIndexesMatchJobs(t *testing.T, s *Store) {
	t.Helper()
	_ = s.db.View(func(tx *bolt.Tx) error {
		jobs, logs := tx.Bucket(bucketJobs), tx.Bucket(bucketLogs)
		inHistory := 0
		_ = tx.Bucket(bucketHostJobs).ForEach(func(k, _ []byte) error {
			inHistory++
			if id := k[1+int(k[0])+8:]; jobs.Get(id) == nil {
				t.Errorf("host_jobs names job %s, which is gone", id)
			}
			return nil
		})
		fin := tx.Bucket(bucketFinished)
		_ = fin.ForEach(func(k, _ []byte) error {
			if jobs.Get(k[9:]) == nil {
				t.Errorf("finished_jobs names job %s, which is gone", k[9:])
			}
			return nil
		})
		n := 0
		_ = jobs.ForEach(func(k, v []byte) error {
			n++
			var j Job
			_ = getJSON(jobs, k, &j)
			if lk, _ := logs.Cursor().Seek(jk(j.ID)); j.Terminal() && lk != nil && hasPrefix(lk, jk(j.ID)) && fin.Get(finishedKey(&j)) == nil {
				t.Errorf("finished job %s has a log but no finished_jobs entry: the sweep would never remove it", j.ID)
			}
			return nil
		})
		byCreated := 0
		_ = tx.Bucket(bucketCreated).ForEach(func(k, _ []byte) error {
			byCreated++
			if jobs.Get(k[8:]) == nil {
				t.Errorf("jobs_by_created names job %s, which is gone", k[8:])
			}
			return nil
		})
		if inHistory != n || byCreated != n {
			t.Errorf("%d jobs, host_jobs has %d, jobs_by_created %d", n, inHistory, byCreated)
		}
		return nil
	})
}

func TestTheEventLogKeepsTheNewestTenThousandEntriesPerHost(t *testing.T) {
	s := fastStore(t)
	busy, quiet := approvedHost(t, s, "busy"), approvedHost(t, s, "quiet")
	extra := 37
	err := s.db.Update(func(tx *bolt.Tx) error {
		for i := range MaxHostEvents + extra {
			if err := addHostEvent(tx, busy, HostEvent{Time: daysAgo(1).Add(time.Duration(i) * time.Second), Kind: EventConnection, Message: fmt.Sprint("event ", i)}); err != nil {
				return err
			}
		}
		for i := range 5 {
			if err := addHostEvent(tx, quiet, HostEvent{Time: daysAgo(900), Kind: EventConnection, Message: fmt.Sprint("old ", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Sweep(context.Background(), SweepOptions{Now: sweepNow})
	if err != nil {
		t.Fatal(err)
	}
	if rep.EventsRemoved != extra {
		t.Errorf("removed %d events, want %d", rep.EventsRemoved, extra)
	}
	count := func(host string) (n int, oldest string) {
		cursor := ""
		for {
			p, err := s.HostEvents(host, cursor, 1000)
			if err != nil {
				t.Fatal(err)
			}
			n += len(p.Events)
			if len(p.Events) > 0 {
				oldest = p.Events[len(p.Events)-1].Message
			}
			if p.Next == "" {
				return n, oldest
			}
			cursor = p.Next
		}
	}
	if n, oldest := count(busy); n != MaxHostEvents || oldest != fmt.Sprint("event ", extra) {
		t.Errorf("busy host keeps %d events, the oldest %q; want %d down to %q", n, oldest, MaxHostEvents, fmt.Sprint("event ", extra))
	}
	if n, _ := count(quiet); n != 5 {
		t.Errorf("quiet host keeps %d events, want all 5 (events are capped by count, not age)", n)
	}
}

// hostTrace lists every key or value in the store that mentions one of
// needles: what a removed host may not leave behind.
func hostTrace(t *testing.T, s *Store, needles ...string) []string {
	t.Helper()
	var found []string
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				for _, n := range needles {
					if bytes.Contains(k, []byte(n)) || bytes.Contains(v, []byte(n)) {
						found = append(found, fmt.Sprintf("%s: %q", name, k))
						return nil
					}
				}
				return nil
			})
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return found
}

// keysPerBucket counts the keys of every bucket.
func keysPerBucket(t *testing.T, s *Store) map[string]int {
	t.Helper()
	out := map[string]int{}
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			out[string(name)] = b.Stats().KeyN
			return nil
		})
	})
	return out
}

// fullHost gives a host one of everything the store keeps per host.
func fullHost(t *testing.T, s *Store, h *history, name string) (string, []string) {
	t.Helper()
	id := approvedHost(t, s, name)
	if _, err := s.BindNode(id, "node-"+name, name+".tailnet"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutSourceGroup(id, SourceGroup{Name: "docs", Includes: []string{"/docs"}}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutSchedule(id, Schedule{CronExpr: "@daily", Enabled: true, Groups: []string{"docs"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetMaintenance(id, Maintenance{PruneCron: "@weekly"}); err != nil {
		t.Fatal(err)
	}
	var jobs []string
	for i := range 30 {
		j := fmt.Sprintf("%s-job-%02d", name, i)
		jobs = append(jobs, j)
		status := protocol.StatusSucceeded
		if i == 29 {
			status = protocol.StatusRunning
		}
		h.add(id, pastJob{id: j, tag: "docs", status: status, at: daysAgo(30 - i), lines: 40})
	}
	if err := s.CreateJob(Job{ID: name + "-queued", HostID: id, Kind: protocol.KindCheck, Origin: OriginOperator, Command: []byte(`{}`)}); err != nil {
		t.Fatal(err)
	}
	jobs = append(jobs, name+"-queued")
	size := uint64(42)
	if err := s.MergeRepoStats(id, &protocol.RepoStats{TotalSizeBytes: &size}, daysAgo(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceSnapshots(id, []Snapshot{{ID: name + "-snap", Time: daysAgo(1), Tags: []string{"docs"}}}); err != nil {
		t.Fatal(err)
	}
	h.seqs[id]++
	if _, err := s.ApplyBatch([]Event{ev(t, id, h.seqs[id], &protocol.ScheduleFire{ScheduleID: "s", ScheduledAt: daysAgo(1), Skipped: "paused", JobIDs: []string{}})}, daysAgo(1)); err != nil {
		t.Fatal(err)
	}
	return id, jobs
}

func TestARemovedHostLeavesNothingBehindAndTheOthersLoseNothing(t *testing.T) {
	s := fastStore(t)
	h := &history{t: t, s: s, seqs: map[string]uint64{}}
	gone, goneJobs := fullHost(t, s, h, "gone")
	stays, _ := fullHost(t, s, h, "stays")
	before := keysPerBucket(t, s)
	stayTrace := len(hostTrace(t, s, stays))

	rep, err := s.RemoveHostData(context.Background(), gone, SweepOptions{MaxKeysPerTx: 100})
	if err != nil {
		t.Fatal(err)
	}
	if left := hostTrace(t, s, append([]string{gone, "gone"}, goneJobs...)...); len(left) > 0 {
		t.Errorf("the removed host left %d records behind: %v", len(left), left)
	}
	if rep.HostsRemoved != 1 || rep.JobsRemoved != len(goneJobs) || rep.LogLinesRemoved != 30*40 {
		t.Errorf("report = %+v, want 1 host, %d jobs, %d lines", rep, len(goneJobs), 30*40)
	}
	if n := len(hostTrace(t, s, stays)); n != stayTrace {
		t.Errorf("the other host has %d records mentioning it, had %d", n, stayTrace)
	}
	after := keysPerBucket(t, s)
	for b, n := range before {
		// Every bucket holds the other host's half; enrollment tokens are
		// not the host's and stay.
		want := n / 2
		switch b {
		case string(bucketMeta), string(bucketEnrollToks), string(bucketRemoved):
			want = n
		}
		if after[b] != want {
			t.Errorf("bucket %s has %d keys after the removal, want %d (of %d)", b, after[b], want, n)
		}
	}
	if _, err := s.Host(gone); !errors.Is(err, ErrNotFound) {
		t.Errorf("Host(removed) = %v, want ErrNotFound", err)
	}
	if _, err := s.RemoveHostData(context.Background(), gone, SweepOptions{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("removing it again = %v, want ErrNotFound", err)
	}
	// Its agent's events are refused from now on.
	r, err := s.ApplyBatch([]Event{ev(t, gone, 1000, line("gone-job-00", 1))}, sweepNow)
	if err != nil || r.Results[0].Outcome != Rejected {
		t.Errorf("an event of the removed host = %+v, %v; want rejected", r.Results, err)
	}
}

func TestAnInterruptedRemovalIsFinishedByTheNextSweep(t *testing.T) {
	s := fastStore(t)
	h := &history{t: t, s: s, seqs: map[string]uint64{}}
	gone, goneJobs := fullHost(t, s, h, "gone")
	stop := errors.New("manager closing")
	txs := 0
	_, err := s.RemoveHostData(context.Background(), gone, SweepOptions{MaxKeysPerTx: 100, Pace: func(context.Context) error {
		if txs++; txs > 3 {
			return stop
		}
		return nil
	}})
	if !errors.Is(err, stop) {
		t.Fatalf("RemoveHostData stopped by Pace = %v, want its error", err)
	}
	if _, err := s.Host(gone); !errors.Is(err, ErrNotFound) {
		t.Errorf("a half-removed host is still listed: %v", err)
	}
	if left := hostTrace(t, s, goneJobs...); len(left) == 0 {
		t.Fatal("the interrupted removal left nothing to finish; the test needs a longer history")
	}
	rep, err := s.Sweep(context.Background(), SweepOptions{Now: sweepNow})
	if err != nil {
		t.Fatal(err)
	}
	if left := hostTrace(t, s, append([]string{gone}, goneJobs...)...); len(left) > 0 {
		t.Errorf("after the sweep the removed host still has %d records: %v", len(left), left[:min(5, len(left))])
	}
	if rep.HostsRemoved != 1 {
		t.Errorf("sweep report = %+v, want the host finished", rep)
	}
}

func TestHistorySettingsAreStoredAndNonsenseIsRefused(t *testing.T) {
	s := newStore(t)
	if got, _ := s.HistorySettings(); got != DefaultHistorySettings() {
		t.Errorf("a new store's settings = %+v, want the defaults %+v", got, DefaultHistorySettings())
	}
	for _, bad := range []HistorySettings{
		{JobDays: 0, SucceededLogDays: 0, FailedLogDays: 0},
		{JobDays: -1, SucceededLogDays: 1, FailedLogDays: 1},
		{JobDays: MaxHistoryDays + 1, SucceededLogDays: 1, FailedLogDays: 1},
		{JobDays: 30, SucceededLogDays: 31, FailedLogDays: 30},
		{JobDays: 30, SucceededLogDays: 30, FailedLogDays: 31},
	} {
		err := s.SetHistorySettings(bad)
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("SetHistorySettings(%+v) = %v, want ErrInvalid", bad, err)
		}
		if field, _ := bad.Problem(); field == "" || !strings.Contains(err.Error(), field) {
			t.Errorf("the refusal of %+v does not name its field: %v", bad, err)
		}
		if got, _ := s.HistorySettings(); got != DefaultHistorySettings() {
			t.Errorf("a refused setting was written: %+v", got)
		}
	}
	want := HistorySettings{JobDays: 90, SucceededLogDays: 7, FailedLogDays: 90}
	if err := s.SetHistorySettings(want); err != nil {
		t.Fatal(err)
	}
	path := s.Path()
	s.Close()
	s, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got, _ := s.HistorySettings(); got != want {
		t.Errorf("settings after reopening = %+v, want %+v", got, want)
	}
}

func TestTheSummaryKeepsEachGroupsLastSuccessfulBackup(t *testing.T) {
	s := fastStore(t)
	h := &history{t: t, s: s}
	a := approvedHost(t, s, "a")
	h.add(a, pastJob{id: "docs-1", tag: "docs", status: protocol.StatusSucceeded, at: daysAgo(3)})
	h.add(a, pastJob{id: "docs-2", tag: "docs", status: protocol.StatusFailed, at: daysAgo(2)})
	h.add(a, pastJob{id: "mail-1", tag: "mail", status: protocol.StatusFailed, at: daysAgo(1)})
	// A replayed older success must not replace the newer one.
	h.add(a, pastJob{id: "docs-0", tag: "docs", status: protocol.StatusSucceeded, at: daysAgo(9)})

	sum, err := s.HostSummary(a)
	if err != nil {
		t.Fatal(err)
	}
	docs, mail := sum.Groups["docs"], sum.Groups["mail"]
	if docs.Status != protocol.StatusFailed || docs.JobID != "docs-2" || docs.LastSuccessJobID != "docs-1" ||
		docs.LastSuccessAt == nil || !docs.LastSuccessAt.Equal(daysAgo(3).Add(time.Minute)) {
		t.Errorf("docs = %+v, want failed by docs-2, last success docs-1", docs)
	}
	if mail.LastSuccessJobID != "" || mail.LastSuccessAt != nil {
		t.Errorf("mail never succeeded, but its summary says %+v", mail)
	}
	if !sum.Failing || !slices.Equal(sum.FailingGroups, []string{"docs", "mail"}) {
		t.Errorf("failing = %v %v, want docs and mail", sum.Failing, sum.FailingGroups)
	}
}

func TestAnOlderStoreGetsItsHistoryIndexesOnce(t *testing.T) {
	fin := daysAgo(40)
	ok := func(id, tag string, at time.Time) Job {
		t := at
		return Job{ID: id, HostID: "h1", Kind: protocol.KindBackup, Tag: tag, Status: protocol.StatusSucceeded, CreatedAt: at.Add(-time.Minute), FinishedAt: &t}
	}
	s := migratedFrom(t, 3, func(tx *bolt.Tx) error {
		if err := putJSON(tx.Bucket(bucketHosts), []byte("h1"), hostRecord{Host: Host{ID: "h1", Status: HostApproved, ScheduleVersion: 1}}); err != nil {
			return err
		}
		failedAt := fin.Add(time.Hour)
		jobs := []Job{ok("old", "docs", fin.Add(-time.Hour)), ok("new", "docs", fin),
			{ID: "bad", HostID: "h1", Kind: protocol.KindBackup, Tag: "docs", Status: protocol.StatusFailed, CreatedAt: failedAt, FinishedAt: &failedAt},
			{ID: "run", HostID: "h1", Kind: protocol.KindCheck, Status: protocol.StatusRunning, CreatedAt: fin}}
		for i := range jobs {
			if err := putJSON(tx.Bucket(bucketJobs), []byte(jobs[i].ID), jobs[i]); err != nil {
				return err
			}
			if err := tx.Bucket(bucketHostJobs).Put(historyKey("h1", jobs[i].CreatedAt, jobs[i].ID), nil); err != nil {
				return err
			}
		}
		// The health of a store of that version: no last success per group.
		return putJSON(tx.Bucket(bucketHealth), []byte("h1"), health{Groups: map[string]GroupHealth{
			"docs": {Status: protocol.StatusFailed, JobID: "bad", FinishedAt: failedAt}}})
	})
	sum, err := s.HostSummary("h1")
	if err != nil {
		t.Fatal(err)
	}
	if g := sum.Groups["docs"]; g.JobID != "bad" || g.LastSuccessJobID != "new" {
		t.Errorf("docs after migrating = %+v, want latest bad, last success new", g)
	}
	var entries []string
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketFinished).ForEach(func(k, _ []byte) error {
			entries = append(entries, string(k[:1])+":"+string(k[9:]))
			return nil
		})
	})
	if want := []string{"f:bad", "s:old", "s:new"}; !slices.Equal(entries, want) {
		t.Errorf("finished_jobs after migrating = %v, want %v (the running job has none)", entries, want)
	}
	entries = nil
	_ = s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCreated).ForEach(func(k, v []byte) error {
			entries = append(entries, string(k[8:])+"@"+string(v))
			return nil
		})
	})
	if want := []string{"old@h1", "new@h1", "run@h1", "bad@h1"}; !slices.Equal(entries, want) {
		t.Errorf("jobs_by_created after migrating = %v, want %v (oldest first)", entries, want)
	}
}

// oldJobs gives a host n jobs of two years ago with lines lines each.
func oldJobs(t *testing.T, h *history, host string, n, lines int) {
	t.Helper()
	for i := range n {
		h.add(host, pastJob{id: fmt.Sprintf("%s-old-%03d", host[:8], i), kind: protocol.KindCheck, status: protocol.StatusSucceeded,
			at: daysAgo(800).Add(time.Duration(i) * time.Minute), lines: lines})
	}
}

func TestASweepBesideIngestRidesOnItsCommits(t *testing.T) {
	s := fastStore(t)
	h := &history{t: t, s: s}
	a, busy := approvedHost(t, s, "a"), approvedHost(t, s, "busy")
	oldJobs(t, h, a, 200, 5)
	h.add(busy, pastJob{id: "live", kind: protocol.KindBackup, status: protocol.StatusRunning, at: sweepNow})

	// A host streams its log as fast as batches commit, until the sweep ends.
	stop, ingested := make(chan struct{}), make(chan int)
	go func() {
		n := 0
		defer func() { ingested <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			h.seqs[busy]++ // only this goroutine touches busy's seq now
			n++
			if _, err := s.ApplyBatch([]Event{ev(t, busy, h.seqs[busy], line("live", uint64(n)))}, sweepNow); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	rep, err := s.Sweep(context.Background(), SweepOptions{Now: sweepNow, MaxKeysPerTx: 50, ShareWait: time.Minute})
	close(stop)
	n := <-ingested
	if err != nil {
		t.Fatal(err)
	}
	if rep.SharedCommits == 0 || rep.Transactions != 0 {
		t.Errorf("sweep beside ingest: %d shared commits, %d of its own; want every delete in a group commit", rep.SharedCommits, rep.Transactions)
	}
	if rep.JobsRemoved != 200-KeepJobsPerHost || rep.LogLinesRemoved != 5*(200-KeepJobsPerHost) {
		t.Errorf("report = %+v; want %d jobs and their lines removed", rep, 200-KeepJobsPerHost)
	}
	if page, _ := s.JobsPage(a, "", 1000); len(page.Jobs) != KeepJobsPerHost {
		t.Errorf("host a keeps %d jobs, want %d", len(page.Jobs), KeepJobsPerHost)
	}
	if c, _ := s.JobLogCount("live"); c != n {
		t.Errorf("the busy host's log has %d lines, %d were ingested", c, n)
	}
	assertIndexesMatchJobs(t, s)
}

func TestASweepWithNoIngestCommitsOnItsOwn(t *testing.T) {
	s := fastStore(t)
	h := &history{t: t, s: s}
	a := approvedHost(t, s, "a")
	oldJobs(t, h, a, 60, 5)
	rep, err := s.Sweep(context.Background(), SweepOptions{Now: sweepNow, MaxKeysPerTx: 50, ShareWait: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.SharedCommits != 0 || rep.Transactions == 0 || rep.JobsRemoved != 60-KeepJobsPerHost {
		t.Errorf("idle sweep = %+v; want its own transactions and %d jobs removed", rep, 60-KeepJobsPerHost)
	}
}
