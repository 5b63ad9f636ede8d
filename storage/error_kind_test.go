package storage

import (
	"encoding/json"
	"testing"
	"time"

	"restic-manager/protocol"
)

func finished(job, status, kind string) *protocol.JobFinished {
	return &protocol.JobFinished{JobID: job, Status: status, ExitCode: 1, FinishedAt: t0.Add(time.Minute),
		Error: "cause\nrestic's line", ErrorKind: kind}
}

// A failed job keeps the agent's error_kind; an unknown one, or none (an
// older agent), is "other"; a job that did not fail has none. The group's
// health carries it, for the dashboard.
func TestFailedJobsKeepTheirErrorKind(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "pc")
	cases := []struct{ job, status, sent, want string }{
		{"j-pw", protocol.StatusFailed, protocol.ErrorKindWrongPassword, protocol.ErrorKindWrongPassword},
		{"j-new", protocol.StatusFailed, "quota_exceeded", protocol.ErrorKindOther},
		{"j-old", protocol.StatusFailed, "", protocol.ErrorKindOther},
		{"j-ok", protocol.StatusSucceeded, "", ""},
		{"j-odd", protocol.StatusSucceeded, protocol.ErrorKindLocked, ""},
	}
	seq := uint64(0)
	for _, c := range cases {
		seq += 2
		apply(t, s, ev(t, h, seq-1, started(c.job)), ev(t, h, seq, finished(c.job, c.status, c.sent)))
		j, err := s.Job(c.job)
		if err != nil {
			t.Fatal(err)
		}
		if j.ErrorKind != c.want {
			t.Errorf("%s: error_kind %q sent, %q stored; want %q", c.job, c.sent, j.ErrorKind, c.want)
		}
	}
	apply(t, s, ev(t, h, seq+1, &protocol.JobStarted{JobID: "j-last", Kind: protocol.KindBackup, StartedAt: t0.Add(2 * time.Minute)}),
		ev(t, h, seq+2, &protocol.JobFinished{JobID: "j-last", Status: protocol.StatusFailed, FinishedAt: t0.Add(3 * time.Minute),
			Error: "cannot reach the repository: connection refused", ErrorKind: protocol.ErrorKindUnreachable}))
	sum, err := s.HostSummary(h)
	if err != nil {
		t.Fatal(err)
	}
	if g := sum.Groups[untaggedGroup]; g.ErrorKind != protocol.ErrorKindUnreachable {
		t.Errorf("group health %+v; want error_kind unreachable", g)
	}
}

// A job the manager starts by itself keeps its origin when the agent
// reports it started and finished.
func TestSetupOriginIsKept(t *testing.T) {
	s := newStore(t)
	h := approvedHost(t, s, "pc")
	cmd, _ := json.Marshal(protocol.CommandRun{JobID: "j-init", Kind: protocol.KindInit})
	if err := s.CreateJob(Job{ID: "j-init", HostID: h, Kind: protocol.KindInit, Origin: OriginSetup, CreatedAt: t0, Command: cmd}); err != nil {
		t.Fatal(err)
	}
	apply(t, s, ev(t, h, 1, &protocol.JobStarted{JobID: "j-init", Kind: protocol.KindInit, StartedAt: t0}),
		ev(t, h, 2, finished("j-init", protocol.StatusSucceeded, "")))
	if j, _ := s.Job("j-init"); j.Origin != OriginSetup || j.Status != protocol.StatusSucceeded {
		t.Errorf("job %+v; want origin setup, succeeded", j)
	}
}
