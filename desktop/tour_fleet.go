//go:build tour

package main

import (
	"fmt"
	"time"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// The tour's dashboard needs hosts that need attention: make demo runs
// one agent, and the pictures must show a failing, a stale and an
// offline host. They are written into the manager's store as their
// agents' enrollment and events would have left them (hosts that never
// connect again, so they are offline): office-pc2, whose last backup
// failed on an unreachable repository; front-desk, which never backed up;
// old-laptop, last backed up three days ago.

// tourAttentionHosts are the names the dashboard picture waits for.
var tourAttentionHosts = []string{"office-pc2", "front-desk", "old-laptop"}

func tourAddAttentionHosts(st *storage.Store, now time.Time) error {
	office, err := tourEnroll(st, "office-pc2", "linux", now.Add(-50*time.Hour))
	if err != nil {
		return err
	}
	if err := tourJob(st, office, "documents", protocol.StatusSucceeded, "", "", now.Add(-26*time.Hour)); err != nil {
		return err
	}
	if err := tourJob(st, office, "documents", protocol.StatusFailed, protocol.ErrorKindUnreachable,
		"cannot reach the repository: connection refused\nFatal: unable to open config file: Head \"http://nas.local:8000/office-pc2/config\": dial tcp 192.168.1.30:8000: connect: connection refused",
		now.Add(-2*time.Hour)); err != nil {
		return err
	}
	if _, err := tourEnroll(st, "front-desk", "windows", now.Add(-5*time.Hour)); err != nil {
		return err
	}
	old, err := tourEnroll(st, "old-laptop", "linux", now.Add(-30*24*time.Hour))
	if err != nil {
		return err
	}
	return tourJob(st, old, "home", protocol.StatusSucceeded, "", "", now.Add(-72*time.Hour))
}

// tourEnroll adds an approved host that enrolled at at and never
// connected since.
func tourEnroll(st *storage.Store, name, os string, at time.Time) (string, error) {
	tok := "tour-enroll-" + name + "-0123456789abcdef"
	if _, err := st.CreateEnrollToken(tok, 1, at.Add(time.Hour), at); err != nil {
		return "", fmt.Errorf("screenshot tour: %s: %w", name, err)
	}
	r, err := st.Enroll(storage.EnrollRequest{EnrollToken: tok, AgentID: "tour-agent-" + name, AgentToken: "tour-token-" + name + "-0123456789abcdef",
		Info: storage.HostInfo{Hostname: name, OS: os, Arch: "amd64", AgentVersion: version, ResticVersion: "0.16.5", Timezone: "Europe/Berlin"}, Now: at})
	if err != nil {
		return "", fmt.Errorf("screenshot tour: enroll %s: %w", name, err)
	}
	return r.Host.ID, nil
}

// tourJob records a backup of group that ended at at, as the agent's
// job.started and job.finished would.
func tourJob(st *storage.Store, hostID, group, status, kind, errMsg string, at time.Time) error {
	id := protocol.NewID()
	started := at.Add(-3 * time.Minute)
	if err := st.CreateJob(storage.Job{ID: id, HostID: hostID, Kind: protocol.KindBackup, Tag: group, Origin: storage.OriginSchedule, CreatedAt: started}); err != nil {
		return err
	}
	mark, err := st.Mark(hostID)
	if err != nil {
		return err
	}
	exit := 0
	if status == protocol.StatusFailed {
		exit = 1
	}
	var evs []storage.Event
	for _, p := range []protocol.Payload{
		&protocol.JobStarted{JobID: id, Kind: protocol.KindBackup, StartedAt: started},
		&protocol.JobFinished{JobID: id, Status: status, ExitCode: exit, FinishedAt: at, Error: errMsg, ErrorKind: kind},
	} {
		env, err := protocol.NewEnvelope(p)
		if err != nil {
			return err
		}
		mark++
		env.Seq = mark
		evs = append(evs, storage.Event{HostID: hostID, Seq: mark, Env: env})
	}
	res, err := st.ApplyBatch(evs, at)
	if err != nil {
		return err
	}
	for _, r := range res.Results {
		if r.Outcome != storage.Stored {
			return fmt.Errorf("screenshot tour: a job event was %s: %s", r.Outcome, r.Reason)
		}
	}
	return nil
}
