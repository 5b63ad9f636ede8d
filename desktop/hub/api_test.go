package hub

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"restic-manager/internal/cronspec"
	"restic-manager/protocol"
)

// serveTree answers tree.list requests from a fixed directory listing,
// paging like the agent does, until the connection ends.
func serveTree(a *testAgent, entries []protocol.TreeEntry) {
	for {
		req, ok := a.next(protocol.TypeTreeList)
		if !ok {
			return
		}
		tl, _ := protocol.Decode[protocol.TreeList](req)
		if tl.Path != "/" {
			_, _ = a.c.SendPayload(context.Background(), &protocol.TreeListResult{SnapshotID: tl.SnapshotID, Path: tl.Path, Error: "path not found in snapshot"}, req.ID)
			continue
		}
		end := min(tl.Offset+tl.EffectiveLimit(), len(entries))
		res := &protocol.TreeListResult{SnapshotID: tl.SnapshotID, Path: tl.Path, Entries: entries[tl.Offset:end]}
		if end < len(entries) {
			res.NextOffset = &end
		}
		_, _ = a.c.SendPayload(context.Background(), res, req.ID)
	}
}

func TestTreeListRoundTripPagingAndTimeout(t *testing.T) {
	th, _ := newTestHub(t, func(o *Options) { o.RPCTimeout = 300 * time.Millisecond }, nil)
	a, hostID, _ := enrollAgent(t, th, "browse", th.enrollToken(t, 1))
	entries := []protocol.TreeEntry{{Name: "a", Type: protocol.EntryDir}, {Name: "b", Type: protocol.EntryFile, Size: 3}, {Name: "c", Type: protocol.EntrySymlink}}
	ctx := context.Background()

	go serveTree(a, entries)
	p1, err := th.TreeList(ctx, hostID, "0123456789abcdef", "/", 0, 2)
	if err != nil || len(p1.Entries) != 2 || p1.NextOffset != 2 {
		t.Fatalf("page 1 = %+v, %v; want 2 entries, next offset 2", p1, err)
	}
	p2, err := th.TreeList(ctx, hostID, "0123456789abcdef", "/", p1.NextOffset, 2)
	if err != nil || len(p2.Entries) != 1 || p2.Entries[0].Name != "c" || p2.NextOffset != 0 {
		t.Fatalf("page 2 = %+v, %v; want [c], complete", p2, err)
	}
	if _, err := th.TreeList(ctx, hostID, "0123456789abcdef", "/missing", 0, 0); !errors.Is(err, ErrNotFound) || !contains(err.Error(), "path not found") {
		t.Errorf("missing path: %v; want ErrNotFound with the agent's message", err)
	}
	if _, err := th.TreeList(ctx, hostID, "not-hex!", "/", 0, 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("bad snapshot id: %v; want ErrInvalid", err)
	}

	// An agent that never answers: the call ends at RPCTimeout.
	b, silentID, _ := enrollAgent(t, th, "silent", th.enrollToken(t, 1))
	start := time.Now()
	_, err = th.TreeList(ctx, silentID, "0123456789abcdef", "/", 0, 0)
	if !errors.Is(err, ErrRPCTimeout) {
		t.Errorf("unanswered tree.list: %v; want ErrRPCTimeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("timeout took %s", took)
	}
	b.expect(protocol.TypeTreeList)

	// Offline: fails at once.
	b.c.CloseNow()
	waitFor(t, testWait, "silent host offline", func() bool { h, _ := th.Host(silentID); return !h.Online })
	if _, err := th.TreeList(ctx, silentID, "0123456789abcdef", "/", 0, 0); !errors.Is(err, ErrHostOffline) {
		t.Errorf("offline host: %v; want ErrHostOffline", err)
	}
}

func TestSchedulesArePushedVersionedAndAcked(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "sched", th.enrollToken(t, 1))

	if _, err := th.PutSchedule(hostID, Schedule{CronExpr: "@daily", Enabled: true}); !errors.Is(err, ErrInvalid) || !contains(err.Error(), "at least one source group") {
		t.Errorf("schedule without groups: %v; want refused", err)
	}
	if err := th.PutSourceGroup(hostID, SourceGroup{Name: "docs", Includes: []string{"/home/docs"}, Retention: RetentionPolicy{KeepDaily: 7}, RetryMax: 2, RetryBackoffSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	a.expect(protocol.TypeScheduleSet)
	sc, err := th.PutSchedule(hostID, Schedule{CronExpr: "30 2 * * *", Enabled: true, Groups: []string{"docs"}})
	if err != nil {
		t.Fatal(err)
	}
	setEnv := a.expect(protocol.TypeScheduleSet)
	set, _ := protocol.Decode[protocol.ScheduleSet](setEnv)
	if len(set.Schedules) != 1 || set.Schedules[0].ID != sc.ID || !set.Schedules[0].Enabled ||
		set.Schedules[0].SourceGroups[0].RetentionPolicy.KeepDaily != 7 || set.Schedules[0].SourceGroups[0].RetryMax != 2 {
		t.Fatalf("schedule.set = %+v; want the schedule with its full group", set)
	}
	st, _ := th.ScheduleStatus(hostID)
	if st.Version != set.Version || st.InSync() {
		t.Fatalf("status before ack = %+v; want version %d not yet acked", st, set.Version)
	}
	a.send(&protocol.ScheduleAck{Version: set.Version, AppliedAt: time.Now()}, setEnv.ID)
	waitFor(t, testWait, "schedule ack recorded", func() bool { s, _ := th.ScheduleStatus(hostID); return s.AckedVersion == set.Version })

	views, err := th.Schedules(hostID)
	if err != nil || len(views) != 1 || len(views[0].NextFires) != 5 || views[0].Location != "Europe/Berlin" {
		t.Fatalf("schedule views = %+v, %v", views, err)
	}
	if f := views[0].NextFires[0]; f.Hour() != 2 || f.Minute() != 30 || f.Location().String() != "Europe/Berlin" {
		t.Errorf("next fire %v; want 02:30 Berlin time", f)
	}

	// Pause all: every entry goes out disabled; resume brings them back.
	if err := th.PauseAllSchedules(true); err != nil {
		t.Fatal(err)
	}
	paused, _ := protocol.Decode[protocol.ScheduleSet](a.expect(protocol.TypeScheduleSet))
	if paused.Version <= set.Version || paused.Schedules[0].Enabled {
		t.Errorf("paused set = %+v; want a newer version with the entry disabled", paused)
	}
	if err := th.PauseAllSchedules(false); err != nil {
		t.Fatal(err)
	}
	resumed, _ := protocol.Decode[protocol.ScheduleSet](a.expect(protocol.TypeScheduleSet))
	if resumed.Version <= paused.Version || !resumed.Schedules[0].Enabled {
		t.Errorf("resumed set = %+v; want the entry enabled again", resumed)
	}

	// An agent that runs a higher version (rebuilt manager data) makes the
	// manager jump past it.
	a.send(&protocol.ScheduleAck{Version: resumed.Version + 100, AppliedAt: time.Now()}, "")
	again, _ := protocol.Decode[protocol.ScheduleSet](a.expect(protocol.TypeScheduleSet))
	if again.Version <= resumed.Version+100 {
		t.Errorf("after an ack of %d the manager sent version %d; want above it", resumed.Version+100, again.Version)
	}
}

// The manager refuses exactly what the agents refuse, in their words:
// both ask internal/cronspec (whose table test lists every case).
func TestCronValidationIsTheAgentsParser(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"0 3 * * *", ""},
		{"@every 6h", ""},
		{"CRON_TZ=Europe/Berlin 0 3 * * 1-5", ""},
		{"", "is empty"},
		{"61 * * * *", `minute field "61"`},
		{"0 3 * *", "has 4 fields, want 5"},
		{"@every 1500ms", "whole number of seconds"},
		{"@every -1s", "at least 1s"},
		{"0 0 30 2 *", "never fires"},
		{"CRON_TZ=Mars/Olympus 0 3 * * *", `time zone "Mars/Olympus"`},
	} {
		err := ValidateCron(tc.expr)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("ValidateCron(%q) = %v; want ok", tc.expr, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, ErrInvalid) || !errors.Is(err, cronspec.ErrInvalid)):
			t.Errorf("ValidateCron(%q) = %v; want ErrInvalid saying %s", tc.expr, err, tc.want)
		}
		if _, agentErr := cronspec.Parse(tc.expr, time.Now()); (agentErr == nil) != (err == nil) || agentErr != nil && !strings.Contains(err.Error(), agentErr.Error()) {
			t.Errorf("ValidateCron(%q) = %v, the agent's parser says %v; want the same verdict and words", tc.expr, err, agentErr)
		}
	}
	fires, err := NextFires("CRON_TZ=UTC 0 12 * * *", "Asia/Tokyo", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), 2)
	if err != nil || len(fires) != 2 || fires[0].UTC().Hour() != 12 || fires[0].Location().String() != "Asia/Tokyo" {
		t.Errorf("NextFires with CRON_TZ = %v, %v; want 12:00 UTC shown in Tokyo time", fires, err)
	}
}

func TestConfigCarriesCredentialsButTheyNeverReachTheStoreOrTheLogs(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	const (
		password   = "RepoPassw0rd-do-not-leak"
		credential = "RestCred-do-not-leak"
		adminCred  = "AdminCred-do-not-leak"
	)
	a, hostID, _ := enrollAgent(t, th, "secretive", th.enrollToken(t, 1))
	url, pw, user, cred, acred := "rest:https://backup.example/pc1", password, "pc1", credential, adminCred
	if err := th.SetRepository(hostID, RepositoryUpdate{URL: &url, Password: &pw, Username: &user, Credential: &cred, AdminCredential: &acred}); err != nil {
		t.Fatal(err)
	}
	repo, _ := protocol.Decode[protocol.ConfigUpdate](a.expect(protocol.TypeConfigUpdate))
	admin, _ := protocol.Decode[protocol.ConfigUpdate](a.expect(protocol.TypeConfigUpdate))
	if repo.EffectiveSlot() != protocol.SlotRepo || repo.RepoURL != url || repo.RepoPassword != password || repo.RepoCredential != credential {
		t.Errorf("repo config.update = %+v", repo)
	}
	// No separate admin password: the repo one goes to the admin slot too.
	if admin.Slot != protocol.SlotAdmin || admin.RepoPassword != password || admin.RepoCredential != adminCred || admin.RepoUsername != "pc1" {
		t.Errorf("admin config.update = %+v; want the repo password and username with the admin credential", admin)
	}
	rs, _ := th.Repository(hostID)
	if !rs.PasswordSet || !rs.CredentialSet || !rs.AdminCredentialSet || rs.AdminPasswordSet {
		t.Errorf("repository settings = %+v", rs)
	}
	withPassword := "rest:https://u:" + password + "@backup.example/"
	if err := th.SetRepository(hostID, RepositoryUpdate{URL: &withPassword}); !errors.Is(err, ErrInvalid) || contains(err.Error(), password) {
		t.Errorf("URL with a password: %v; want refused without quoting it", err)
	}
	// Operator jobs and reconnects push it again; still nothing stored.
	if _, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindPrune}); err != nil {
		t.Fatal(err)
	}
	cmd, _ := protocol.Decode[protocol.CommandRun](a.expect(protocol.TypeCommandRun))
	if !cmd.RequiresAdminCreds {
		t.Errorf("prune command = %+v; want requires_admin_creds", cmd)
	}
	raw, err := os.ReadFile(th.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{password, credential, adminCred} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the store file contains %q", secret)
		}
		if strings.Contains(th.logs.String(), secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
	if !strings.Contains(th.logs.String(), "config.update sent") {
		t.Error("expected the config push to be logged (without secrets)")
	}
}

func TestOperatorCommandsAreResentUntilTheirResult(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, token := enrollAgent(t, th, "cmd", th.enrollToken(t, 1))
	a.c.CloseNow()
	waitFor(t, testWait, "host offline", func() bool { h, _ := th.Host(hostID); return !h.Online })

	if err := th.PutSourceGroup(hostID, SourceGroup{Name: "docs", Includes: []string{"/docs"}, Excludes: []string{"*.tmp"}, PreHook: "echo pre"}); err != nil {
		t.Fatal(err)
	}
	jobID, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindBackup, Group: "docs"})
	if err != nil {
		t.Fatal(err)
	}
	if j, _ := th.Job(jobID); j.Status != protocol.StatusQueued || j.Origin != OriginOperator || j.Tag != "docs" {
		t.Errorf("new job = %+v; want queued operator backup of docs", j)
	}
	if err := th.CancelJob(jobID); !errors.Is(err, ErrHostOffline) {
		t.Errorf("cancel on an offline host: %v; want ErrHostOffline", err)
	}

	b := a.reconnect(th.url, token)
	b.expectHelloAck()
	cmd, _ := protocol.Decode[protocol.CommandRun](b.expect(protocol.TypeCommandRun))
	if cmd.JobID != jobID || cmd.Tag != "docs" || cmd.Includes[0] != "/docs" || cmd.PreHook != "echo pre" {
		t.Fatalf("command.run = %+v", cmd)
	}
	b.c.CloseNow() // dropped before command.result

	c := b.reconnect(th.url, token)
	c.expectHelloAck()
	cmd2, _ := protocol.Decode[protocol.CommandRun](c.expect(protocol.TypeCommandRun))
	if cmd2.JobID != jobID {
		t.Fatalf("resent command.run for %s, want %s", cmd2.JobID, jobID)
	}
	c.send(&protocol.CommandResult{JobID: jobID, Accepted: true}, "")
	waitFor(t, testWait, "command.result recorded", func() bool { j, _ := th.Job(jobID); return j.ResultReceived })
	if err := th.CancelJob(jobID); err != nil {
		t.Fatal(err)
	}
	cc, _ := protocol.Decode[protocol.CommandCancel](c.expect(protocol.TypeCommandCancel))
	if cc.JobID != jobID {
		t.Errorf("command.cancel = %+v", cc)
	}
	c.c.CloseNow()

	d := c.reconnect(th.url, token)
	d.expectHelloAck()
	d.expect(protocol.TypeScheduleSet)
	d.waitAck(d.emit(logLine("x", 1))) // everything after connect has been sent by now
	if d.has(protocol.TypeCommandRun) {
		t.Error("a command with a result was sent again")
	}
	// A dropped connection never fails the job.
	if j, _ := th.Job(jobID); j.Status != protocol.StatusQueued {
		t.Errorf("job after reconnects = %s; want still queued", j.Status)
	}
}

func TestARefusedCommandFailsItsJob(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "refuser", th.enrollToken(t, 1))
	jobID, err := th.Restore(hostID, RestoreRequest{SnapshotID: "0123abcd", Paths: []string{"/etc/hosts"}, TargetDir: "/tmp/restore"})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := protocol.Decode[protocol.CommandRun](a.expect(protocol.TypeCommandRun))
	if cmd.Restore == nil || cmd.Restore.TargetDir != "/tmp/restore" {
		t.Fatalf("restore command = %+v", cmd)
	}
	a.send(&protocol.CommandResult{JobID: jobID, Accepted: false, Error: "target_dir: not writable"}, "")
	waitFor(t, testWait, "job failed", func() bool { j, _ := th.Job(jobID); return j.Status == protocol.StatusFailed })
	if _, err := th.Restore(hostID, RestoreRequest{SnapshotID: "0123abcd", Paths: []string{"relative"}, TargetDir: "/"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("invalid restore: %v; want ErrInvalid", err)
	}
}

func TestSplitSnapshotReportsReplaceTheProjectionWhenComplete(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "snaps", th.enrollToken(t, 1))
	sn := func(i int) protocol.Snapshot {
		size := uint64(1000 * i)
		return protocol.Snapshot{ID: fmt.Sprintf("%08x", i), ShortID: fmt.Sprintf("%08x", i), Time: time.Date(2026, 1, i, 0, 0, 0, 0, time.UTC), Hostname: "snaps", Paths: []string{"/"}, SizeBytes: &size}
	}
	a.send(&protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{sn(1)}}, "")
	waitFor(t, testWait, "first report stored", func() bool { s, _ := th.Snapshots(hostID); return len(s) == 1 })
	a.send(&protocol.SnapshotsReport{ReportID: "r1", Part: 1, Parts: 2, Snapshots: []protocol.Snapshot{sn(2), sn(3)}}, "")
	a.waitAck(a.emit(logLine("sync", 1)))
	if s, _ := th.Snapshots(hostID); len(s) != 1 {
		t.Fatalf("after part 1 of 2: %d snapshots; the projection must wait for all parts", len(s))
	}
	a.send(&protocol.SnapshotsReport{ReportID: "r1", Part: 2, Parts: 2, Snapshots: []protocol.Snapshot{sn(4)}}, "")
	waitFor(t, testWait, "assembled report stored", func() bool { s, _ := th.Snapshots(hostID); return len(s) == 3 })
	series, _ := th.SizeSeries(hostID)
	if len(series.Snapshots) != 3 || series.Snapshots[2].SizeBytes != 4000 {
		t.Errorf("size series = %+v", series)
	}
	total := uint64(12345)
	a.send(&protocol.RepoStats{TotalSizeBytes: &total}, "")
	waitFor(t, testWait, "repo stats", func() bool { s, _ := th.RepoStats(hostID); return s.TotalSizeBytes != nil })
}

func TestProgressIsKeptInMemoryAndClearedWhenTheJobEnds(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, _, _ := enrollAgent(t, th, "prog", th.enrollToken(t, 1))
	other, _, _ := enrollAgent(t, th, "other", th.enrollToken(t, 1))
	a.waitAck(a.emit(&protocol.JobStarted{JobID: "pj", Kind: protocol.KindBackup, StartedAt: time.Now()}))
	a.send(&protocol.JobProgress{JobID: "pj", PercentDone: 0.25}, "")
	a.send(&protocol.JobProgress{JobID: "pj", PercentDone: 0.5, BytesDone: 50}, "")
	waitFor(t, testWait, "latest progress", func() bool { p, ok := th.Progress("pj"); return ok && p.PercentDone == 0.5 })
	other.send(&protocol.JobProgress{JobID: "pj", PercentDone: 0.99}, "")
	if e, _ := protocol.Decode[protocol.Error](other.expect(protocol.TypeError)); e == nil || e.Code != protocol.CodeUnknownJob {
		t.Errorf("progress for another host's job answered %+v; want unknown_job", e)
	}
	if p, _ := th.Progress("pj"); p.PercentDone != 0.5 {
		t.Errorf("another host changed this job's progress to %v", p.PercentDone)
	}
	a.send(&protocol.JobProgress{JobID: "pj", PercentDone: 7}, "")
	if e, _ := protocol.Decode[protocol.Error](a.expect(protocol.TypeError)); e == nil || !strings.HasPrefix(e.Message, "percent_done") {
		t.Errorf("invalid progress answered %+v; want an error naming percent_done", e)
	}
	a.waitAck(a.emit(&protocol.JobFinished{JobID: "pj", Status: protocol.StatusSucceeded, FinishedAt: time.Now()}))
	waitFor(t, testWait, "progress cleared", func() bool { _, ok := th.Progress("pj"); return !ok })
}

func TestSubscribersSeeCoalescedChangesAndNeverBlockIngest(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	slow, cancelSlow := th.Subscribe() // never read until the end
	defer cancelSlow()
	fast, cancelFast := th.Subscribe()
	defer cancelFast()

	a, hostID, _ := enrollAgent(t, th, "busy", th.enrollToken(t, 1))
	a.emit(&protocol.JobStarted{JobID: "bj", Kind: protocol.KindBackup, StartedAt: time.Now()})
	var last uint64
	for n := uint64(1); n <= 2000; n++ {
		last = a.emit(logLine("bj", n))
	}
	a.waitAck(last) // ingest went on while a subscriber slept

	sawLog := false
	deadline := time.After(testWait)
	for !sawLog {
		select {
		case c := <-fast:
			sawLog = c.Kind == ChangeJobLog && c.JobID == "bj" && c.HostID == hostID
		case <-deadline:
			t.Fatal("the reading subscriber never saw the job log change")
		}
	}
	// The sleeping subscriber gets a short, coalesced backlog.
	n := 0
	for {
		select {
		case <-slow:
			n++
			continue
		case <-time.After(200 * time.Millisecond):
		}
		break
	}
	if n == 0 || n > 20 {
		t.Errorf("the slow subscriber got %d changes; want a handful (coalesced), not one per event", n)
	}
	cancelSlow()
	waitFor(t, testWait, "cancelled channel closes", func() bool {
		select {
		case _, ok := <-slow:
			return !ok
		default:
			return false
		}
	})
}

func TestHostListShowsFailingGroupsAndLastBackup(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "health", th.enrollToken(t, 1))
	for _, g := range []string{"docs", "mail"} {
		if err := th.PutSourceGroup(hostID, SourceGroup{Name: g, Includes: []string{"/" + g}}); err != nil {
			t.Fatal(err)
		}
	}
	sc, err := th.PutSchedule(hostID, Schedule{CronExpr: "@daily", Enabled: true, Groups: []string{"docs", "mail"}})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-2 * time.Hour).UTC()
	a.emit(&protocol.ScheduleFire{ScheduleID: sc.ID, ScheduledAt: at, JobIDs: []string{"b-docs", "b-mail", "f"}})
	a.emit(&protocol.JobStarted{JobID: "b-docs", Kind: protocol.KindBackup, StartedAt: at, ScheduleID: sc.ID})
	a.emit(&protocol.JobFinished{JobID: "b-docs", Status: protocol.StatusSucceeded, FinishedAt: at.Add(time.Minute)})
	a.emit(&protocol.JobStarted{JobID: "b-mail", Kind: protocol.KindBackup, StartedAt: at, ScheduleID: sc.ID})
	a.waitAck(a.emit(&protocol.JobFinished{JobID: "b-mail", Status: protocol.StatusFailed, ExitCode: 1, FinishedAt: at.Add(2 * time.Minute), Error: "lock failed"}))
	hosts, err := th.Hosts()
	if err != nil {
		t.Fatal(err)
	}
	v := hosts[0]
	if !v.Failing || len(v.FailingGroups) != 1 || v.FailingGroups[0] != "mail" || v.LastBackupAt == nil || v.LastBackupAge < time.Hour || v.QueuedJobs != 1 {
		t.Errorf("host view = %+v; want failing on mail, last backup ~2h ago, the forget queued", v)
	}
	page, _ := th.Jobs(hostID, "", 10)
	if len(page.Jobs) != 3 {
		t.Errorf("job history = %d jobs, want 3", len(page.Jobs))
	}
	fires, _ := th.Fires(hostID, 5)
	if len(fires) != 1 {
		t.Errorf("fires = %+v", fires)
	}
}

// Bandwidth caps are kilobits per second from SetBandwidth to the wire:
// config.update and every command.run carry the number as given.
func TestBandwidthCapsReachTheWireInKbps(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "capped", th.enrollToken(t, 1))
	if err := th.SetBandwidth(hostID, 2097, 800); err != nil {
		t.Fatal(err)
	}
	u, _ := protocol.Decode[protocol.ConfigUpdate](a.expect(protocol.TypeConfigUpdate))
	if u.BandwidthUpKbps == nil || *u.BandwidthUpKbps != 2097 || u.BandwidthDownKbps == nil || *u.BandwidthDownKbps != 800 {
		t.Fatalf("config.update bandwidth = %v / %v; want 2097 / 800 kbps", u.BandwidthUpKbps, u.BandwidthDownKbps)
	}
	if rs, _ := th.Repository(hostID); rs.BandwidthUpKbps != 2097 || rs.BandwidthDownKbps != 800 {
		t.Errorf("repository settings = %d / %d kbps; want 2097 / 800", rs.BandwidthUpKbps, rs.BandwidthDownKbps)
	}
	if err := th.PutSourceGroup(hostID, SourceGroup{Name: "docs", Includes: []string{"/docs"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindBackup, Group: "docs"}); err != nil {
		t.Fatal(err)
	}
	cmd, _ := protocol.Decode[protocol.CommandRun](a.expect(protocol.TypeCommandRun))
	if cmd.BandwidthUpKbps == nil || *cmd.BandwidthUpKbps != 2097 {
		t.Errorf("command.run bandwidth_up_kbps = %v; want 2097", cmd.BandwidthUpKbps)
	}
}
