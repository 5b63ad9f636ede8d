package hub

import (
	"testing"
	"time"

	"restic-manager/protocol"
)

// A job's origin is said as a name: who, or which schedule in words,
// never a cron expression and an id's tail.
func TestOriginLabels(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "pc", th.enrollToken(t, 1))
	if err := th.PutSourceGroup(hostID, SourceGroup{Name: "docs", Includes: []string{"/docs"}}); err != nil {
		t.Fatal(err)
	}
	sc, err := th.PutSchedule(hostID, Schedule{CronExpr: "*/5 * * * *", Enabled: true, Groups: []string{"docs"}})
	if err != nil {
		t.Fatal(err)
	}
	setup, err := th.RunForSetup(hostID, RunRequest{Kind: protocol.KindInit})
	if err != nil {
		t.Fatal(err)
	}
	op, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindCheck})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	a.emit(&protocol.JobStarted{JobID: "by-schedule", Kind: protocol.KindBackup, StartedAt: now, ScheduleID: sc.ID})
	a.emit(&protocol.JobStarted{JobID: "by-prune", Kind: protocol.KindPrune, StartedAt: now, ScheduleID: protocol.MaintenancePruneID})
	a.emit(&protocol.JobStarted{JobID: "by-old", Kind: protocol.KindBackup, StartedAt: now, ScheduleID: "0193aaaa-dead-7000-8000-00000000d32b"})
	a.waitAck(a.emit(&protocol.JobStarted{JobID: "by-agent", Kind: protocol.KindUnlock, StartedAt: now}))
	for id, want := range map[string]string{
		setup:         "manager: setup",
		op:            "operator",
		"by-schedule": "schedule: " + DescribeCron("*/5 * * * *"),
		"by-prune":    "maintenance: prune",
		"by-old":      "a schedule since deleted",
		"by-agent":    "agent",
	} {
		j, err := th.Job(id)
		if err != nil {
			t.Fatal(err)
		}
		if got := th.OriginLabel(j); got != want {
			t.Errorf("job %s (origin %s): %q, want %q", id, j.Origin, got, want)
		}
	}
	if DescribeCron("*/5 * * * *") == "" {
		t.Error("no words for */5 * * * *")
	}
}
