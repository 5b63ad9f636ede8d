package systest

import (
	"regexp"
	"strings"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
)

// The manager is away (closed, as a laptop that sleeps) while two
// scheduled backups run on the agent; when it is back, both jobs appear
// exactly once, with their complete logs, their schedule and their
// schedule.fire.
func TestScheduledBackupsWhileTheManagerIsAwayArriveWhenItIsBack(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "nightly-pc"})
	want := hookGroup(t, f, a, 100, 100, nil)
	s := putSchedule(t, f, a, "@every 2s", true)

	f.Close(t)
	mark := len(a.Log())
	fires := waitAgentFires(t, a, mark, s.ID, 2)
	f.Reopen(t)

	checkFiresArrived(t, f, a, s, fires, want)
}

// The agent is restarted while the manager is away: it rebuilds its cron
// from the journal and its schedules keep firing; the manager, back, gets
// those fires and their jobs from the journal.
func TestSchedulesFireAfterAnAgentRestartWhileTheManagerIsAway(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "rebooted-pc"})
	want := hookGroup(t, f, a, 20, 20, nil)
	s := putSchedule(t, f, a, "@every 2s", true)

	f.Close(t)
	a.Stop(t)
	mark := len(a.Log())
	a.Restart(t)
	testfleet.WaitFor(t, testfleet.Wait, "the agent to start again", func() bool {
		return strings.Contains(a.Log()[mark:], "restic-agent starting")
	})
	if !strings.Contains(a.Log()[mark:], "schedule set restored") {
		t.Errorf("the restarted agent did not restore its schedule set from the journal:\n%s", a.Log()[mark:])
	}
	fires := waitAgentFires(t, a, mark, s.ID, 2)
	f.Reopen(t)

	checkFiresArrived(t, f, a, s, fires, want)
}

// agentFire is one schedule fire as the agent logged it.
type agentFire struct {
	line   string
	jobIDs []string
}

var jobIDsRe = regexp.MustCompile(`job_ids="?\[([^\]]*)\]`)

// waitAgentFires waits until the agent's log, from byte offset mark,
// shows n fires of the schedule whose jobs all finished, and returns the
// first n.
func waitAgentFires(t *testing.T, a *testfleet.Agent, mark int, scheduleID string, n int) []agentFire {
	t.Helper()
	var fires []agentFire
	testfleet.WaitFor(t, testfleet.Wait, "scheduled jobs to run on the agent", func() bool {
		log := a.Log()[mark:]
		fires = fires[:0]
		for _, line := range strings.Split(log, "\n") {
			if !strings.Contains(line, `msg="schedule fired"`) || !strings.Contains(line, "schedule_id="+scheduleID) {
				continue
			}
			m := jobIDsRe.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("no job_ids in %q", line)
			}
			fires = append(fires, agentFire{line: line, jobIDs: strings.Fields(m[1])})
		}
		if len(fires) < n {
			return false
		}
		fires = fires[:n]
		for _, fr := range fires {
			for _, id := range fr.jobIDs {
				if len(agentLogLines(a, `msg="runner: job finished"`, "job_id="+id)) == 0 {
					return false
				}
			}
		}
		return true
	})
	return fires
}

// checkFiresArrived waits for the fires' jobs to reach the manager and
// checks each: a backup of the schedule that succeeded with its complete
// log, stored once, and its schedule.fire stored once.
func checkFiresArrived(t *testing.T, f *testfleet.Fleet, a *testfleet.Agent, s hub.Schedule, fires []agentFire, want []string) {
	t.Helper()
	for _, fr := range fires {
		if len(fr.jobIDs) != 1 {
			t.Fatalf("fire %q started %d jobs; want one backup (no retention, so no forget)", fr.line, len(fr.jobIDs))
		}
		id := fr.jobIDs[0]
		j := f.WaitJob(t, id, "succeeded")
		if j.Origin != hub.OriginSchedule || j.ScheduleID != s.ID || j.Kind != "backup" || j.Tag != testfleet.Group {
			t.Errorf("job %s: %s of %q, origin %q, schedule %q; want a backup of %s by schedule %s", id, j.Kind, j.Tag, j.Origin, j.ScheduleID, testfleet.Group, s.ID)
		}
		checkCompleteLog(t, f.Hub, id, want)
	}
	all, err := f.Hub.Fires(a.HostID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	page, err := f.Hub.Jobs(a.HostID, "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range fires {
		id := fr.jobIDs[0]
		nFires, nJobs := 0, 0
		for _, stored := range all {
			if len(stored.JobIDs) == 1 && stored.JobIDs[0] == id {
				nFires++
				if stored.ScheduleID != s.ID {
					t.Errorf("the fire of job %s is stored for schedule %q; want %s", id, stored.ScheduleID, s.ID)
				}
			}
		}
		for _, j := range page.Jobs {
			if j.ID == id {
				nJobs++
			}
		}
		if nFires != 1 || nJobs != 1 {
			t.Errorf("job %s: its fire stored %d times and the job listed %d times; want exactly once each", id, nFires, nJobs)
		}
	}
}
