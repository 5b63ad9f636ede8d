package systest

import (
	"encoding/json"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
)

// A schedule is pushed, acknowledged, and fires on the agent: each fire
// runs a backup of the group and then a forget (only after the backup),
// the jobs arrive as the schedule's, the snapshots are projected, and the
// retention is applied: keep_last 1 after several fires leaves one
// snapshot.
func TestAScheduleFiresBackupThenForgetAndAppliesRetention(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "scheduled-pc"})
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: testfleet.Group, Includes: []string{a.Files},
		Retention: hub.RetentionPolicy{KeepLast: 1}}); err != nil {
		t.Fatal(err)
	}
	s := putSchedule(t, f, a, "@every 2s", true)

	fires := waitFires(t, f, a.HostID, s.ID, 2, func(fr hub.Fire) bool { return jobsEnded(f, fr.JobIDs) })
	s.Enabled = false
	putScheduleAs(t, f, a, s)
	settle(t, f, a)

	all, err := f.Hub.Fires(a.HostID, 100)
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, fr := range all {
		if fr.ScheduleID != s.ID || fr.Skipped != "" {
			continue
		}
		ran++
		if len(fr.JobIDs) != 2 {
			t.Fatalf("fire at %s started %d jobs; want a backup and a forget", fr.ScheduledAt, len(fr.JobIDs))
		}
		backup, forget := job(t, f, fr.JobIDs[0]), job(t, f, fr.JobIDs[1])
		for _, j := range []hub.Job{backup, forget} {
			if j.Origin != hub.OriginSchedule || j.ScheduleID != s.ID || j.Status != protocol.StatusSucceeded {
				t.Errorf("job %s (%s): origin %q schedule %q status %s; want a succeeded job of schedule %s", j.ID, j.Kind, j.Origin, j.ScheduleID, j.Status, s.ID)
			}
		}
		if backup.Kind != protocol.KindBackup || backup.Tag != testfleet.Group || forget.Kind != protocol.KindForget {
			t.Errorf("fire's jobs are %s (%s) and %s; want backup of %s, then forget", backup.Kind, backup.Tag, forget.Kind, testfleet.Group)
		}
		if forget.StartedAt == nil || backup.FinishedAt == nil || forget.StartedAt.Before(*backup.FinishedAt) {
			t.Errorf("forget started %v, before its backup finished (%v)", forget.StartedAt, backup.FinishedAt)
		}
	}
	if ran < len(fires) {
		t.Fatalf("%d fires with jobs in the store; saw %d before", ran, len(fires))
	}

	// Retention: the latest forget ran after the latest backup; one
	// snapshot is left, in the repository and in the projection.
	var list []struct{ ID string }
	out, err := resticCmd(t, a, "snapshots", "--json").Output()
	if err != nil || json.Unmarshal(out, &list) != nil {
		t.Fatalf("restic snapshots: %v: %s", err, out)
	}
	if len(list) != 1 {
		t.Fatalf("the repository holds %d snapshots after %d fires with keep_last 1; want 1", len(list), ran)
	}
	testfleet.WaitFor(t, testfleet.Wait, "the projection to hold the one snapshot left", func() bool {
		snaps, err := f.Hub.Snapshots(a.HostID)
		return err == nil && len(snaps) == 1 && snaps[0].ID == list[0].ID
	})
}

// A disabled schedule never fires: over a window of several of its ticks
// its enabled sibling, on the same ticks, fires again and again.
func TestADisabledScheduleNeverFires(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "half-scheduled-pc"})
	off := putSchedule(t, f, a, "@every 1s", false)
	on := putSchedule(t, f, a, "@every 2s", true)

	// Three fires of the enabled one span at least four seconds: four or
	// more ticks of the disabled one. Fires arrive in journal order, so
	// one of the disabled schedule before them would be stored by now.
	waitFires(t, f, a.HostID, on.ID, 3, func(hub.Fire) bool { return true })
	all, err := f.Hub.Fires(a.HostID, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range all {
		if fr.ScheduleID == off.ID {
			t.Errorf("the disabled schedule fired at %s (jobs %v, skipped %q)", fr.ScheduledAt, fr.JobIDs, fr.Skipped)
		}
	}
	if lines := agentLogLines(a, "schedule_id="+off.ID); len(lines) > 0 {
		t.Errorf("the agent logged the disabled schedule:\n%s", lines[0])
	}
}

// putSchedule stores a schedule of testfleet.Group and waits until the
// agent acknowledged the set that holds it.
func putSchedule(t *testing.T, f *testfleet.Fleet, a *testfleet.Agent, cron string, enabled bool) hub.Schedule {
	t.Helper()
	return putScheduleAs(t, f, a, hub.Schedule{CronExpr: cron, Enabled: enabled, Groups: []string{testfleet.Group}})
}

func putScheduleAs(t *testing.T, f *testfleet.Fleet, a *testfleet.Agent, s hub.Schedule) hub.Schedule {
	t.Helper()
	s, err := f.Hub.PutSchedule(a.HostID, s)
	if err != nil {
		t.Fatal(err)
	}
	waitScheduleInSync(t, f, a.HostID)
	return s
}

func waitScheduleInSync(t *testing.T, f *testfleet.Fleet, hostID string) {
	t.Helper()
	testfleet.WaitFor(t, testfleet.Wait, "the agent to acknowledge the schedule set", func() bool {
		st, err := f.Hub.ScheduleStatus(hostID)
		return err == nil && st.Version > 0 && st.InSync()
	})
}

// waitFires waits until the store holds n fires of the schedule that
// started jobs and satisfy cond, and returns them (newest first).
func waitFires(t *testing.T, f *testfleet.Fleet, hostID, scheduleID string, n int, cond func(hub.Fire) bool) []hub.Fire {
	t.Helper()
	var got []hub.Fire
	testfleet.WaitFor(t, testfleet.Wait, "fires of the schedule", func() bool {
		all, err := f.Hub.Fires(hostID, 100)
		if err != nil {
			return false
		}
		got = got[:0]
		for _, fr := range all {
			if fr.ScheduleID == scheduleID && len(fr.JobIDs) > 0 && cond(fr) {
				got = append(got, fr)
			}
		}
		return len(got) >= n
	})
	return got
}

// jobsEnded reports whether every job has reached a terminal status.
func jobsEnded(f *testfleet.Fleet, ids []string) bool {
	for _, id := range ids {
		j, err := f.Hub.Job(id)
		if err != nil || !j.Terminal() {
			return false
		}
	}
	return true
}

func job(t *testing.T, f *testfleet.Fleet, id string) hub.Job {
	t.Helper()
	j, err := f.Hub.Job(id)
	if err != nil {
		t.Fatalf("job %s: %v", id, err)
	}
	return j
}

// settle runs an operator unlock to success: the agent runs one job per
// repository at a time, in order, and delivers events in journal order,
// so every job queued before it — a fire that came just before its
// schedule was disabled — has ended and is stored when it has.
func settle(t *testing.T, f *testfleet.Fleet, a *testfleet.Agent) {
	t.Helper()
	f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "unlock"}), "succeeded")
}
