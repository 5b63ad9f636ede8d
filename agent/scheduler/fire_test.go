package scheduler

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// One fire queues a backup per source group in group order, then one
// forget for the groups with a retention policy, which runs only if one of
// those backups succeeded. schedule.fire is recorded in the same call
// (one transaction) as the jobs, and lists exactly their ids, in order.
func TestFireSubmitsBackupsInGroupOrderThenForget(t *testing.T) {
	t.Parallel()
	tr := &trace{}
	store := newTestStore(t)
	jobs := newRecorder(store, false)
	jobs.trace = tr
	s := newScheduler(t, store, jobs, Options{})

	docs := protocol.SourceGroup{Name: "docs", Includes: []string{"/home/a/Documents", "/home/b/Documents"}, Excludes: []string{"*.tmp"},
		RetentionPolicy: protocol.RetentionPolicy{KeepDaily: 7, KeepWeekly: 4}, RetryMax: 2, RetryBackoffSeconds: 30,
		PreHook: "/usr/local/bin/dump-db", PostHook: "/usr/local/bin/notify"}
	media := protocol.SourceGroup{Name: "media", Includes: []string{"/srv/media"}, RetryMax: 5, RetryBackoffSeconds: 600}
	mail := protocol.SourceGroup{Name: "mail", Includes: []string{"/var/mail"},
		RetentionPolicy: protocol.RetentionPolicy{KeepLast: 3}, RetryMax: 1, RetryBackoffSeconds: 60}
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{
		{ID: "office", CronExpr: "@every 1s", Enabled: true, SourceGroups: []protocol.SourceGroup{docs, media, mail}},
	}})
	s.Start()
	waitFor(t, 5*time.Second, "the first fire's four jobs", func() bool { return len(jobs.submitted()) >= 4 })
	s.Stop()

	fires := store.firesOf(t, "office")
	if len(fires) == 0 || fires[0].Skipped != "" {
		t.Fatalf("journaled fires %+v, want a first fire that started jobs", fires)
	}
	fire := fires[0]
	got := jobs.submitted()[:4]
	var ids []string
	for _, j := range got {
		ids = append(ids, j.Run.JobID)
	}
	if !slices.Equal(fire.JobIDs, ids) {
		t.Fatalf("schedule.fire job_ids %v, want exactly the submitted ids %v", fire.JobIDs, ids)
	}
	if fire.ScheduledAt.IsZero() || fire.ScheduledAt.Nanosecond() != 0 {
		t.Errorf("scheduled_at %v, want an @every tick on the second", fire.ScheduledAt)
	}

	for i, g := range []protocol.SourceGroup{docs, media, mail} {
		j := got[i]
		want := Job{
			Run: protocol.CommandRun{JobID: ids[i], Kind: protocol.KindBackup, Tag: g.Name,
				Includes: g.Includes, Excludes: g.Excludes, PreHook: g.PreHook, PostHook: g.PostHook},
			ScheduleID: "office", RetryMax: g.RetryMax, RetryBackoff: time.Duration(g.RetryBackoffSeconds) * time.Second,
		}
		if !jobEqual(j, want) {
			t.Errorf("job %d:\n got %+v\nwant %+v", i, j, want)
		}
	}
	forget := got[3]
	wantForget := Job{
		Run: protocol.CommandRun{JobID: ids[3], Kind: protocol.KindForget, ForgetGroups: []protocol.ForgetGroup{
			{Tag: "docs", Policy: docs.RetentionPolicy}, {Tag: "mail", Policy: mail.RetentionPolicy}}},
		ScheduleID: "office", RetryMax: 2, RetryBackoff: 60 * time.Second,
		RunIfAnySucceeded: ids[:3],
	}
	if !jobEqual(forget, wantForget) {
		t.Errorf("forget job:\n got %+v\nwant %+v", forget, wantForget)
	}
	for _, j := range got {
		if err := j.Run.Validate(); err != nil {
			t.Errorf("job %s is not a valid command.run: %v", j.Run.Kind, err)
		}
	}

	if lines := tr.snapshot(); len(lines) == 0 || lines[0] != "fire office "+strings.Join(ids, ",") {
		t.Fatalf("SubmitFire calls %q, want the first to carry the fire with ids %v", lines, ids)
	}
	stored := store.storedJobs(t)
	for _, id := range ids {
		if _, ok := stored[id]; !ok {
			t.Errorf("job %s is not in the store with its fire", id)
		}
	}
}

func TestFireWithoutRetentionHasNoForget(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	jobs := newRecorder(store, false)
	s := newScheduler(t, store, jobs, Options{})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{
		{ID: "plain", CronExpr: "@every 1s", Enabled: true, SourceGroups: []protocol.SourceGroup{
			group("a", protocol.RetentionPolicy{}), group("b", protocol.RetentionPolicy{})}},
	}})
	s.Start()
	waitFor(t, 5*time.Second, "the first fire", func() bool { return len(store.firesOf(t, "plain")) > 0 })
	s.Stop()
	fire := store.firesOf(t, "plain")[0]
	got := jobs.submitted()
	if len(fire.JobIDs) != 2 || len(got) != 2 {
		t.Fatalf("fire %+v submitted %d jobs, want two backups and no forget", fire, len(got))
	}
	for _, j := range got {
		if j.Run.Kind != protocol.KindBackup {
			t.Errorf("submitted a %s job, want only backups", j.Run.Kind)
		}
	}
}

// A tick while the previous fire still has a job queued or running is
// journaled as skipped and starts nothing; once those jobs end, the next
// tick fires again.
func TestTickWhilePreviousFireRunsIsSkipped(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	jobs := newRecorder(store, false)
	s := newScheduler(t, store, jobs, Options{})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("busy", "@every 1s")}})
	s.Start()

	skipped := func() []protocol.ScheduleFire {
		var out []protocol.ScheduleFire
		for _, f := range store.firesOf(t, "busy") {
			if f.Skipped != "" {
				out = append(out, f)
			}
		}
		return out
	}
	waitFor(t, 5*time.Second, "a skipped fire", func() bool { return len(skipped()) > 0 })
	sk := skipped()[0]
	if sk.Skipped != protocol.SkipPreviousRunning || sk.JobIDs == nil || len(sk.JobIDs) != 0 {
		t.Fatalf("skipped fire %+v, want job_ids [] and skipped %q", sk, protocol.SkipPreviousRunning)
	}
	if n := len(jobs.submitted()); n != 1 {
		t.Fatalf("%d jobs submitted while the first fire was running, want only the first fire's 1", n)
	}

	jobs.finishAll()
	waitFor(t, 5*time.Second, "a second fire that starts jobs", func() bool { return len(jobs.submitted()) >= 2 })
	s.Stop()
	var started int
	for _, f := range store.firesOf(t, "busy") {
		if f.Skipped == "" {
			started++
		}
	}
	if started != 2 {
		t.Errorf("%d fires started jobs, want 2", started)
	}
}

// Maintenance: prune (admin credentials), check (with the read-data
// subset) and copy on their own crons, journaled under the maintenance
// ids.
func TestMaintenanceFiresPruneCheckAndCopy(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	jobs := newRecorder(store, true)
	s := newScheduler(t, store, jobs, Options{})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{},
		Maintenance: &protocol.Maintenance{PruneCron: "@every 1s", CheckCron: "@every 2s", CheckReadDataSubset: "1/10", CopyCron: "@every 1s"}})
	s.Start()
	waitFor(t, 6*time.Second, "prune, check and copy to fire", func() bool {
		return len(store.firesOf(t, protocol.MaintenancePruneID)) > 0 && len(store.firesOf(t, protocol.MaintenanceCheckID)) > 0 &&
			len(store.firesOf(t, protocol.MaintenanceCopyID)) > 0
	})
	s.Stop()

	byID := jobs.byID()
	for _, tc := range []struct {
		id   string
		want protocol.CommandRun
	}{
		{protocol.MaintenancePruneID, protocol.CommandRun{Kind: protocol.KindPrune, RequiresAdminCreds: true}},
		{protocol.MaintenanceCheckID, protocol.CommandRun{Kind: protocol.KindCheck, Args: []string{"1/10"}}},
		{protocol.MaintenanceCopyID, protocol.CommandRun{Kind: protocol.KindCopy}},
	} {
		fire := store.firesOf(t, tc.id)[0]
		if len(fire.JobIDs) != 1 {
			t.Fatalf("%s fire %+v, want one job", tc.id, fire)
		}
		j, ok := byID[fire.JobIDs[0]]
		if !ok {
			t.Fatalf("%s fire lists job %s, which was not submitted", tc.id, fire.JobIDs[0])
		}
		tc.want.JobID = fire.JobIDs[0]
		if want := (Job{Run: tc.want, ScheduleID: tc.id}); !jobEqual(j, want) {
			t.Errorf("%s job:\n got %+v\nwant %+v", tc.id, j, want)
		}
		if err := j.Run.Validate(); err != nil {
			t.Errorf("%s job is not a valid command.run: %v", tc.id, err)
		}
	}
}

func TestCheckWithoutSubsetHasNoArgs(t *testing.T) {
	e := &entry{id: protocol.MaintenanceCheckID, kind: protocol.KindCheck}
	jobs := e.plan()
	if len(jobs) != 1 || jobs[0].Run.Args != nil || jobs[0].Run.Kind != protocol.KindCheck {
		t.Fatalf("check plan %+v, want one check job without args", jobs)
	}
}

// A fire that cannot be recorded starts nothing (the manager would see
// jobs no fire accounts for); the next tick tries again.
func TestFireThatCannotBeRecordedStartsNothing(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	jobs := newRecorder(store, true)
	jobs.setFail(errBoom)
	s := newScheduler(t, store, jobs, Options{})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{schedule("s", "@every 1s")}})
	s.Start()
	waitFor(t, 5*time.Second, "a tick to try to record its fire", func() bool { return jobs.failures() > 0 })
	if n, f := len(jobs.submitted()), len(store.fires(t)); n != 0 || f != 0 {
		t.Fatalf("%d jobs queued and %d fires journaled by a refused SubmitFire", n, f)
	}
	jobs.setFail(nil)
	waitFor(t, 5*time.Second, "a fire once recording works", func() bool { return len(store.fires(t)) > 0 })
	s.Stop()
	if fire, n := store.fires(t)[0], len(jobs.submitted()); len(fire.JobIDs) != n || n == 0 {
		t.Fatalf("fire lists %d jobs, %d queued", len(fire.JobIDs), n)
	}
}

// A fire whose jobs the runner refuses (here: prune without admin
// credentials) is journaled as skipped with the reason, so the manager sees
// why nothing ran.
func TestRefusedFireIsJournaledAsSkipped(t *testing.T) {
	t.Parallel()
	store := newTestStore(t)
	jobs := newRecorder(store, true)
	jobs.refuse = errors.New("job rejected: this job requires admin credentials, but the admin slot is empty")
	s := newScheduler(t, store, jobs, Options{})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Maintenance: &protocol.Maintenance{PruneCron: "@every 1s"}})
	s.Start()
	waitFor(t, 5*time.Second, "the refused prune fire", func() bool { return len(store.fires(t)) > 0 })
	s.Stop()
	f := store.fires(t)[0]
	want := "not started: job rejected: this job requires admin credentials, but the admin slot is empty"
	if f.ScheduleID != protocol.MaintenancePruneID || f.Skipped != want || f.JobIDs == nil || len(f.JobIDs) != 0 {
		t.Fatalf("refused fire journaled as %+v, want skipped %q with job_ids []", f, want)
	}
	if n := len(jobs.submitted()); n != 0 {
		t.Fatalf("%d jobs queued for a refused fire", n)
	}
}

// Stop returns only once a fire in progress has been recorded with its
// jobs.
func TestStopWaitsForTheFireInProgress(t *testing.T) {
	t.Parallel()
	tr := &trace{}
	store := newTestStore(t)
	jobs := newRecorder(store, true)
	jobs.trace = tr
	jobs.gate = make(chan struct{})
	jobs.entered = make(chan struct{}, 1)
	s := newScheduler(t, store, jobs, Options{})
	mustApply(t, s, &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{
		{ID: "s", CronExpr: "@every 1s", Enabled: true, SourceGroups: []protocol.SourceGroup{
			group("a", protocol.RetentionPolicy{KeepLast: 1}), group("b", protocol.RetentionPolicy{})}},
	}})
	s.Start()
	select {
	case <-jobs.entered:
	case <-time.After(5 * time.Second):
		t.Fatal("no SubmitFire within 5s")
	}
	stopped := make(chan struct{})
	go func() {
		s.Stop()
		tr.add("stopped")
		close(stopped)
	}()
	close(jobs.gate)
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not return within 5s")
	}
	lines := tr.snapshot()
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "fire s ") || lines[len(lines)-1] != "stopped" {
		t.Fatalf("effects %q, want the fire recorded, then Stop returning", lines)
	}
}

func jobEqual(a, b Job) bool {
	ca, cb := a.Run, b.Run
	return ca.JobID == cb.JobID && ca.Kind == cb.Kind && ca.Tag == cb.Tag &&
		slices.Equal(ca.Includes, cb.Includes) && slices.Equal(ca.Excludes, cb.Excludes) &&
		ca.PreHook == cb.PreHook && ca.PostHook == cb.PostHook &&
		slices.Equal(ca.ForgetGroups, cb.ForgetGroups) && slices.Equal(ca.Args, cb.Args) &&
		ca.RequiresAdminCreds == cb.RequiresAdminCreds && ca.Restore == nil && ca.Diff == nil &&
		ca.BandwidthUpKbps == nil && ca.BandwidthDownKbps == nil &&
		a.ScheduleID == b.ScheduleID && a.RetryMax == b.RetryMax && a.RetryBackoff == b.RetryBackoff &&
		slices.Equal(a.RunIfAnySucceeded, b.RunIfAnySucceeded)
}
