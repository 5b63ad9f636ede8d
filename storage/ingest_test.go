package storage

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// approvedHost enrolls one host and returns its id.
func approvedHost(t *testing.T, s *Store, name string) string {
	t.Helper()
	tok := "enroll-" + name + "-0123456789"
	if _, err := s.CreateEnrollToken(tok, 1, t0.Add(24*time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	r, err := s.Enroll(EnrollRequest{EnrollToken: tok, AgentID: "agent-" + name, AgentToken: "tok-" + name, Info: HostInfo{Hostname: name}, Now: t0})
	if err != nil {
		t.Fatal(err)
	}
	return r.Host.ID
}

func ev(t *testing.T, hostID string, seq uint64, p protocol.Payload) Event {
	t.Helper()
	env, err := protocol.NewEnvelope(p)
	if err != nil {
		t.Fatal(err)
	}
	env.Seq = seq
	return Event{HostID: hostID, Seq: seq, Env: env}
}

func line(job string, n uint64) *protocol.LogStream {
	return &protocol.LogStream{JobID: job, Seq: n, TS: t0.Add(time.Duration(n) * time.Second), Stream: protocol.StreamStdout, Payload: fmt.Sprintf("line %d", n)}
}

func started(job string) *protocol.JobStarted {
	return &protocol.JobStarted{JobID: job, Kind: protocol.KindBackup, StartedAt: t0}
}

func apply(t *testing.T, s *Store, evs ...Event) BatchResult {
	t.Helper()
	r, err := s.ApplyBatch(evs, t0)
	if err != nil {
		t.Fatalf("ApplyBatch: %v", err)
	}
	return r
}

func outcomes(r BatchResult) string {
	var out []string
	for _, x := range r.Results {
		out = append(out, x.Outcome.String())
	}
	return strings.Join(out, " ")
}

func TestABatchAppliesEventsOfManyHostsAndTheirMarksTogether(t *testing.T) {
	s := newStore(t)
	a, b := approvedHost(t, s, "a"), approvedHost(t, s, "b")
	r := apply(t, s,
		ev(t, a, 1, &protocol.JobStarted{JobID: "job-a", Kind: protocol.KindBackup, StartedAt: t0}),
		ev(t, b, 1, &protocol.JobStarted{JobID: "job-b", Kind: protocol.KindCheck, StartedAt: t0}),
		ev(t, a, 2, line("job-a", 1)),
		ev(t, a, 3, line("job-a", 2)),
		ev(t, b, 2, &protocol.JobFinished{JobID: "job-b", Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: t0.Add(time.Minute)}),
	)
	if got := outcomes(r); got != "stored stored stored stored stored" {
		t.Fatalf("outcomes = %s", got)
	}
	if r.Marks[a] != 3 || r.Marks[b] != 2 {
		t.Errorf("marks = %v, want a=3 b=2", r.Marks)
	}
	if m, _ := s.Mark(a); m != 3 {
		t.Errorf("stored mark of a = %d, want 3", m)
	}
	lines, _ := s.JobLog("job-a", 1, 10)
	if len(lines) != 2 || lines[0].Payload != "line 1" || lines[1].Seq != 2 {
		t.Errorf("job-a log = %+v", lines)
	}
	jb, _ := s.Job("job-b")
	if jb.Status != protocol.StatusSucceeded || jb.Origin != OriginAgent || jb.ExitCode == nil || *jb.ExitCode != 0 {
		t.Errorf("job-b = %+v, want succeeded, started by the agent", jb)
	}
}

func TestReplayStoresEveryLineExactlyOnce(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "replay")
	var evs []Event
	evs = append(evs, ev(t, h, 1, &protocol.JobStarted{JobID: "j", Kind: protocol.KindBackup, StartedAt: t0}))
	for n := uint64(1); n <= 10; n++ {
		evs = append(evs, ev(t, h, n+1, line("j", n)))
	}
	apply(t, s, evs[:6]...)
	// The connection dropped before the ack: the agent replays from 1.
	r := apply(t, s, evs...)
	if got := outcomes(r); got != strings.TrimSpace(strings.Repeat("duplicate ", 6)+strings.Repeat("stored ", 5)) {
		t.Fatalf("replay outcomes = %s", got)
	}
	lines, _ := s.JobLog("j", 1, 100)
	if len(lines) != 10 {
		t.Fatalf("stored %d lines, want 10", len(lines))
	}
	for i, l := range lines {
		if l.Seq != uint64(i+1) {
			t.Errorf("line %d has seq %d", i, l.Seq)
		}
	}
	if last, _ := s.JobLogLast("j"); last != 10 {
		t.Errorf("JobLogLast = %d, want 10", last)
	}
	page, _ := s.JobLog("j", 8, 2)
	if len(page) != 2 || page[0].Seq != 8 || page[1].Seq != 9 {
		t.Errorf("JobLog from 8 limit 2 = %+v", page)
	}
}

func TestAGapIsAcceptedAndLoggedOnTheHost(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "gap")
	r := apply(t, s, ev(t, h, 1, started("j")), ev(t, h, 5, line("j", 1)))
	if got := outcomes(r); got != "stored stored" || !r.Results[1].Gap || r.Marks[h] != 5 {
		t.Fatalf("gap batch = %s gap=%v mark=%d; want both stored, a gap, mark 5", got, r.Results[1].Gap, r.Marks[h])
	}
	evs, _ := s.HostEvents(h, "", 10)
	if len(evs.Events) != 1 || evs.Events[0].Kind != EventGap || !strings.Contains(evs.Events[0].Message, "events 2 to 4 never arrived") {
		t.Errorf("host events = %+v, want one gap naming 2 to 4", evs.Events)
	}
}

func TestARejectedEventIsLoggedAndStillAdvancesTheMark(t *testing.T) {
	s := newStore(t)
	a, b := approvedHost(t, s, "a"), approvedHost(t, s, "b")
	apply(t, s, ev(t, a, 1, &protocol.JobStarted{JobID: "job-of-a", Kind: protocol.KindBackup, StartedAt: t0}))
	bad := ev(t, b, 1, line("job-of-a", 1)) // b writes into a's job
	invalid := ev(t, b, 2, line("x", 1))
	invalid.Reject = "seq: is the line number within the job, from 1"
	garbled := ev(t, b, 3, line("x", 1))
	garbled.Env.Payload = json.RawMessage(`{"job_id":5}`)
	r := apply(t, s, bad, invalid, garbled, ev(t, b, 4, started("own")))
	if got := outcomes(r); got != "rejected rejected rejected stored" {
		t.Fatalf("outcomes = %s", got)
	}
	if !strings.Contains(r.Results[0].Reason, "belongs to another host") {
		t.Errorf("reason = %q", r.Results[0].Reason)
	}
	if r.Marks[b] != 4 {
		t.Errorf("mark of b = %d, want 4 (rejections advance it)", r.Marks[b])
	}
	if lines, _ := s.JobLog("job-of-a", 1, 10); len(lines) != 0 {
		t.Errorf("a's job got b's line: %+v", lines)
	}
	page, _ := s.HostEvents(b, "", 10)
	if len(page.Events) != 3 {
		t.Fatalf("b's event log has %d entries, want 3 rejections: %+v", len(page.Events), page.Events)
	}
	for _, e := range page.Events {
		if e.Kind != EventRejected {
			t.Errorf("event %+v, want kind rejected", e)
		}
	}
}

func TestJobStateMachine(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "sm")
	fin := func(seq uint64, status string, at time.Duration) Event {
		return ev(t, h, seq, &protocol.JobFinished{JobID: "j", Status: status, ExitCode: 1, FinishedAt: t0.Add(at), Error: status})
	}
	r := apply(t, s,
		ev(t, h, 2, &protocol.JobStarted{JobID: "j", Kind: protocol.KindBackup, StartedAt: t0, ScheduleID: "s1"}),
		fin(3, protocol.StatusFailed, time.Minute),
		fin(4, protocol.StatusSucceeded, 2*time.Minute),                                                        // terminal is final
		ev(t, h, 5, &protocol.JobStarted{JobID: "j", Kind: protocol.KindBackup, StartedAt: t0.Add(time.Hour)}), // no way back
	)
	if got := outcomes(r); got != "stored stored stored stored" {
		t.Fatalf("outcomes = %s", got)
	}
	if !r.Results[0].JobChanged || !r.Results[1].JobChanged || r.Results[2].JobChanged || r.Results[3].JobChanged {
		t.Errorf("JobChanged flags = %v %v %v %v, want true true false false",
			r.Results[0].JobChanged, r.Results[1].JobChanged, r.Results[2].JobChanged, r.Results[3].JobChanged)
	}
	j, _ := s.Job("j")
	if j.Status != protocol.StatusFailed || j.Kind != protocol.KindBackup || j.Origin != OriginSchedule || j.Placeholder ||
		!j.FinishedAt.Equal(t0.Add(time.Minute)) || !j.StartedAt.Equal(t0) {
		t.Errorf("job = %+v; want failed at +1m, a scheduled backup started at t0", j)
	}
	if act, _ := s.ActiveJobs(h); len(act) != 0 {
		t.Errorf("active jobs = %d, want 0", len(act))
	}
}

func TestScheduleFireIsRecordedAndQueuesItsJobsWithTheirGroups(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "fire")
	for _, g := range []string{"docs", "mail"} {
		if _, err := s.PutSourceGroup(h, SourceGroup{Name: g, Includes: []string{"/" + g}, Retention: protocol.RetentionPolicy{KeepLast: 3}}); err != nil {
			t.Fatal(err)
		}
	}
	sc, _, err := s.PutSchedule(h, Schedule{CronExpr: "@daily", Enabled: true, Groups: []string{"docs", "mail"}})
	if err != nil {
		t.Fatal(err)
	}
	apply(t, s,
		ev(t, h, 1, &protocol.ScheduleFire{ScheduleID: sc.ID, ScheduledAt: t0, JobIDs: []string{"b1", "b2", "f1"}}),
		ev(t, h, 2, &protocol.ScheduleFire{ScheduleID: sc.ID, ScheduledAt: t0.Add(time.Hour), JobIDs: []string{}, Skipped: protocol.SkipPreviousRunning}),
	)
	want := map[string][2]string{"b1": {protocol.KindBackup, "docs"}, "b2": {protocol.KindBackup, "mail"}, "f1": {protocol.KindForget, ""}}
	for id, kt := range want {
		j, err := s.Job(id)
		if err != nil || j.Status != protocol.StatusQueued || j.Kind != kt[0] || j.Tag != kt[1] || j.Origin != OriginSchedule || j.ScheduleID != sc.ID {
			t.Errorf("job %s = %+v, %v; want queued %s of group %q from schedule %s", id, j, err, kt[0], kt[1], sc.ID)
		}
	}
	fires, _ := s.Fires(h, 10)
	if len(fires) != 2 || fires[0].Skipped != protocol.SkipPreviousRunning || len(fires[1].JobIDs) != 3 {
		t.Errorf("fires = %+v", fires)
	}
	page, _ := s.HostEvents(h, "", 10)
	if len(page.Events) != 2 || page.Events[0].Kind != EventFire || !strings.Contains(page.Events[0].Message, "previous fire still running") {
		t.Errorf("host events = %+v", page.Events)
	}
	// A failed backup of "mail" makes the host failing; "docs" succeeded.
	apply(t, s,
		ev(t, h, 3, &protocol.JobFinished{JobID: "b1", Status: protocol.StatusSucceeded, FinishedAt: t0.Add(time.Minute)}),
		ev(t, h, 4, &protocol.JobFinished{JobID: "b2", Status: protocol.StatusFailed, ExitCode: 1, FinishedAt: t0.Add(2 * time.Minute)}),
	)
	sum, err := s.HostSummary(h)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Failing || len(sum.FailingGroups) != 1 || sum.FailingGroups[0] != "mail" || sum.LastBackupAt == nil || !sum.LastBackupAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("summary = %+v; want failing on mail, last backup at +1m", sum)
	}
	if sum.QueuedJobs != 1 { // f1
		t.Errorf("queued jobs = %d, want 1", sum.QueuedJobs)
	}
}

func TestSnapshotsReplaceTheProjectionAndRepoStatsMerge(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "snaps")
	size := func(n uint64) *uint64 { return &n }
	snap := func(id string, at time.Duration, sz uint64) protocol.Snapshot {
		return protocol.Snapshot{ID: id, ShortID: id[:8], Time: t0.Add(at), Hostname: "snaps", Paths: []string{"/"}, SizeBytes: size(sz)}
	}
	first := &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{snap("aaaaaaaa11", 0, 100), snap("bbbbbbbb22", time.Hour, 150)}}
	second := &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{snap("bbbbbbbb22", time.Hour, 150), snap("cccccccc33", 2*time.Hour, 175)}}
	apply(t, s, ev(t, h, 0, first))
	apply(t, s, ev(t, h, 0, second))
	snaps, _ := s.Snapshots(h)
	if len(snaps) != 2 || snaps[0].ID != "cccccccc33" || snaps[1].ID != "bbbbbbbb22" {
		t.Fatalf("snapshots = %+v; want c, b (newest first, a gone)", snaps)
	}
	series, _ := s.SizeSeries(h)
	if len(series) != 2 || series[0].SizeBytes != 150 || series[1].SizeBytes != 175 {
		t.Errorf("size series = %+v", series)
	}
	n := 7
	locked := true
	apply(t, s, ev(t, h, 0, &protocol.RepoStats{TotalSizeBytes: size(1000), SnapshotCount: &n}))
	apply(t, s, ev(t, h, 0, &protocol.RepoStats{LockPresent: &locked}))
	st, _ := s.RepoStats(h)
	if st.TotalSizeBytes == nil || *st.TotalSizeBytes != 1000 || st.SnapshotCount == nil || *st.SnapshotCount != 7 || st.LockPresent == nil || !*st.LockPresent {
		t.Errorf("merged stats = %+v; want size 1000, 7 snapshots, lock present", st)
	}
	if hist, _ := s.RepoSizeHistory(h); len(hist) != 1 || hist[0].TotalSizeBytes != 1000 {
		t.Errorf("repo size history = %+v", hist)
	}
}

func TestJobHistoryPagesNewestFirstWithACursor(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "hist")
	other := approvedHost(t, s, "other")
	for i := 0; i < 25; i++ {
		if err := s.CreateJob(Job{ID: fmt.Sprintf("job-%02d", i), HostID: h, Kind: protocol.KindCheck, Origin: OriginOperator, CreatedAt: t0.Add(time.Duration(i) * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	_ = s.CreateJob(Job{ID: "other-job", HostID: other, Kind: protocol.KindCheck, CreatedAt: t0.Add(time.Hour)})
	var got []string
	cursor := ""
	for pages := 0; ; pages++ {
		p, err := s.JobsPage(h, cursor, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range p.Jobs {
			got = append(got, j.ID)
		}
		if p.Next == "" {
			if pages != 2 {
				t.Errorf("took %d pages, want 3", pages+1)
			}
			break
		}
		cursor = p.Next
	}
	if len(got) != 25 || got[0] != "job-24" || got[24] != "job-00" {
		t.Errorf("history = %v; want job-24 … job-00", got)
	}
	if _, err := s.JobsPage(other, cursor, 10); err == nil {
		t.Error("a cursor of one host was accepted for another")
	}
}

func TestOperatorCommandsStayUndeliveredUntilTheirResult(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "cmd")
	cmd := json.RawMessage(`{"job_id":"op1","kind":"check"}`)
	_ = s.CreateJob(Job{ID: "op1", HostID: h, Kind: protocol.KindCheck, Origin: OriginOperator, CreatedAt: t0, Command: cmd})
	_ = s.CreateJob(Job{ID: "op2", HostID: h, Kind: protocol.KindUnlock, Origin: OriginOperator, CreatedAt: t0.Add(time.Second), Command: cmd})
	und, _ := s.UndeliveredCommands(h)
	if len(und) != 2 || und[0].ID != "op1" {
		t.Fatalf("undelivered = %+v", und)
	}
	if _, err := s.RecordCommandResult(h, "op1", true, "", t0); err != nil {
		t.Fatal(err)
	}
	j, err := s.RecordCommandResult(h, "op2", false, "kind unlock is busy", t0)
	if err != nil || j.Status != protocol.StatusFailed || !strings.Contains(j.Error, "busy") {
		t.Errorf("refused command = %+v, %v; want failed", j, err)
	}
	if und, _ := s.UndeliveredCommands(h); len(und) != 0 {
		t.Errorf("undelivered after results = %+v", und)
	}
}

func TestScheduleSetResolvesGroupsAndPauseKeepsEnabledFlags(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "sched")
	if _, _, err := s.PutSchedule(h, Schedule{CronExpr: "@daily", Groups: nil}); err == nil {
		t.Error("a schedule with no source groups was accepted")
	}
	if _, _, err := s.PutSchedule(h, Schedule{CronExpr: "@daily", Groups: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `"nope" does not exist`) {
		t.Errorf("a schedule naming a missing group: %v", err)
	}
	v1, _ := s.PutSourceGroup(h, SourceGroup{Name: "docs", Includes: []string{"/home"}, Excludes: []string{"*.tmp"}, RetryMax: 2, RetryBackoffSeconds: 30, PreHook: "sync"})
	sc, v2, err := s.PutSchedule(h, Schedule{CronExpr: "0 3 * * *", Enabled: true, Groups: []string{"docs"}})
	if err != nil || v2 <= v1 {
		t.Fatalf("put schedule: v%d → v%d, %v; want the version to grow", v1, v2, err)
	}
	_, _ = s.SetMaintenance(h, Maintenance{PruneCron: "@weekly", CheckCron: "@monthly", CheckReadDataSubset: "5%"})
	set, err := s.ScheduleSet(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(); err != nil {
		t.Fatalf("resolved set is not a valid schedule.set: %v", err)
	}
	if len(set.Schedules) != 1 || !set.Schedules[0].Enabled || set.Schedules[0].SourceGroups[0].PreHook != "sync" || set.Maintenance == nil || set.Maintenance.CheckReadDataSubset != "5%" {
		t.Errorf("resolved set = %+v", set)
	}
	if _, err := s.DeleteSourceGroup(h, "docs"); err == nil || !strings.Contains(err.Error(), sc.ID) {
		t.Errorf("deleting a group a schedule uses: %v; want refused naming the schedule", err)
	}
	hosts, _ := s.SetGlobalSchedulesPaused(true)
	paused, _ := s.ScheduleSet(h)
	if paused.Version <= set.Version || paused.Schedules[0].Enabled || paused.Maintenance != nil || len(hosts) != 1 {
		t.Errorf("paused set = %+v; want a higher version, entries disabled, no maintenance", paused)
	}
	_, _ = s.SetGlobalSchedulesPaused(false)
	resumed, _ := s.ScheduleSet(h)
	if !resumed.Schedules[0].Enabled || resumed.Version <= paused.Version {
		t.Errorf("resumed set = %+v; want the stored enabled flag back", resumed)
	}
}

func TestHelloRaisesTheMarkToTheAgentsLastAck(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "rebuilt")
	apply(t, s, ev(t, h, 1, started("j")))
	// A rebuilt manager data dir: the agent saw acks up to 40.
	host, m, err := s.RecordHello(h, HelloRecord{Info: HostInfo{Hostname: "rebuilt", Timezone: "UTC"}, LastAckedSeq: 40, Note: "connected", Now: t0})
	if err != nil || m != 40 || host.Timezone != "UTC" {
		t.Fatalf("RecordHello = %+v, %d, %v; want mark 40", host, m, err)
	}
	if _, m, _ := s.RecordHello(h, HelloRecord{LastAckedSeq: 10, Now: t0}); m != 40 {
		t.Errorf("a lower last_acked_seq lowered the mark to %d", m)
	}
	r := apply(t, s, ev(t, h, 40, line("j", 2)), ev(t, h, 41, line("j", 3)))
	if got := outcomes(r); got != "duplicate stored" {
		t.Errorf("after the raise: %s, want duplicate stored", got)
	}
	page, _ := s.HostEvents(h, "", 10)
	if len(page.Events) != 2 || page.Events[0].Kind != EventGap || !strings.Contains(page.Events[0].Message, "events 2 to 40 are not here") || page.Events[1].Kind != EventConnection {
		t.Errorf("host events = %+v; want the raise logged as a gap after the connection note", page.Events)
	}
}
