package storage

import (
	"testing"
	"time"

	"restic-manager/protocol"
)

// A copy-only maintenance plan goes out in the schedule set; a fire of
// maintenance:copy queues copy jobs; each copy's end is the host's last
// copy (a replayed older one never replaces a newer outcome), and a failed
// last copy shows in the summary without touching the backup groups.
func TestCopyScheduleFiresAndLastCopyOutcome(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "copier")
	if _, err := s.SetMaintenance(h, Maintenance{CopyCron: "30 23 * * *"}); err != nil {
		t.Fatal(err)
	}
	// Without a second repository the copy cron stays home.
	if set, err := s.ScheduleSet(h); err != nil || set.Maintenance != nil {
		t.Fatalf("schedule set without a second repository: %+v, %v", set.Maintenance, err)
	}
	if _, err := s.UpdateHostSettings(h, func(st *HostSettings) error { st.CopyURL = "/mnt/offsite/copier"; return nil }); err != nil {
		t.Fatal(err)
	}
	set, err := s.ScheduleSet(h)
	if err != nil {
		t.Fatal(err)
	}
	if set.Maintenance == nil || set.Maintenance.CopyCron != "30 23 * * *" || set.Maintenance.PruneCron != "" {
		t.Fatalf("schedule set maintenance = %+v, want the copy cron alone", set.Maintenance)
	}

	apply(t, s,
		ev(t, h, 1, &protocol.ScheduleFire{ScheduleID: protocol.MaintenanceCopyID, ScheduledAt: t0, JobIDs: []string{"c1"}}),
		ev(t, h, 2, &protocol.JobStarted{JobID: "c1", Kind: protocol.KindCopy, StartedAt: t0, ScheduleID: protocol.MaintenanceCopyID}),
		ev(t, h, 3, &protocol.JobFinished{JobID: "c1", Status: protocol.StatusSucceeded, FinishedAt: t0.Add(time.Minute)}),
	)
	if j, err := s.Job("c1"); err != nil || j.Kind != protocol.KindCopy || j.Origin != OriginSchedule {
		t.Fatalf("fired job = %+v, %v; want a scheduled copy", j, err)
	}
	sum, err := s.HostSummary(h)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Copy.Failing() || sum.Copy.Last == nil || sum.Copy.Last.JobID != "c1" || !sum.Copy.LastSuccessAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("copy health after a success = %+v", sum.Copy)
	}

	apply(t, s,
		ev(t, h, 4, &protocol.JobStarted{JobID: "c2", Kind: protocol.KindCopy, StartedAt: t0.Add(time.Hour)}),
		ev(t, h, 5, &protocol.JobFinished{JobID: "c2", Status: protocol.StatusFailed, ExitCode: 1, FinishedAt: t0.Add(61 * time.Minute),
			Error: "copy: restic exit 1: cannot reach the second repository"}),
		// An older copy's end arriving late changes nothing.
		ev(t, h, 6, &protocol.JobStarted{JobID: "c0", Kind: protocol.KindCopy, StartedAt: t0.Add(-time.Hour)}),
		ev(t, h, 7, &protocol.JobFinished{JobID: "c0", Status: protocol.StatusSucceeded, FinishedAt: t0.Add(-59 * time.Minute)}),
	)
	sum, _ = s.HostSummary(h)
	if !sum.Copy.Failing() || sum.Copy.Last.JobID != "c2" || sum.Copy.Last.Error == "" || !sum.Copy.LastSuccessAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("copy health after a failure = %+v / last %+v", sum.Copy, sum.Copy.Last)
	}
	if sum.Failing || len(sum.Groups) != 0 || sum.LastBackupAt != nil {
		t.Errorf("a copy changed the backup health: %+v", sum)
	}
}
