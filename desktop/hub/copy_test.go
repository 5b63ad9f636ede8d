package hub

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// The second repository's credentials go to the keyring and to the agent
// (config.update slot copy), never to the store or the logs; copies can
// be run and scheduled only while there is one; each copy's end is the
// host's last copy, and a failed one makes the host failing.
func TestSecondRepositoryCopiesAndTheirOutcome(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	const copyPassword, copyCred = "CopyPassw0rd-do-not-leak", "CopyRestCred-do-not-leak"
	a, hostID, _ := enrollAgent(t, th, "copier", th.enrollToken(t, 1))

	if _, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindCopy}); !errors.Is(err, ErrInvalid) {
		t.Errorf("copy without a second repository: %v; want ErrInvalid", err)
	}
	withPassword := "rest:https://u:" + copyPassword + "@offsite.example/copier"
	if err := th.SetCopyRepository(hostID, CopyRepositoryUpdate{URL: &withPassword}); !errors.Is(err, ErrInvalid) || contains(err.Error(), copyPassword) {
		t.Errorf("second repository URL with a password: %v; want refused without quoting it", err)
	}
	if cs, _ := th.CopyRepository(hostID); cs.Configured() {
		t.Fatalf("a refused update configured %+v", cs)
	}

	url, pw, user, cred := "rest:https://offsite.example/copier", copyPassword, "copier", copyCred
	if err := th.SetCopyRepository(hostID, CopyRepositoryUpdate{URL: &url, Password: &pw, Username: &user, Credential: &cred}); err != nil {
		t.Fatal(err)
	}
	var cp *protocol.ConfigUpdate
	a.waitState("config.update for the copy slot", func() bool {
		for _, f := range a.frames {
			if f.Type == protocol.TypeConfigUpdate {
				if u, err := protocol.Decode[protocol.ConfigUpdate](f); err == nil && u.Slot == protocol.SlotCopy {
					cp = u
					return true
				}
			}
		}
		return false
	})
	if cp.RepoURL != url || cp.RepoPassword != copyPassword || cp.RepoUsername != "copier" || cp.RepoCredential != copyCred || cp.HookShell != "" || cp.BandwidthUpKbps != nil {
		t.Errorf("copy config.update = %+v", cp)
	}
	if cs, _ := th.CopyRepository(hostID); cs != (CopyRepositorySettings{URL: url, PasswordSet: true, UsernameSet: true, CredentialSet: true}) {
		t.Errorf("copy settings = %+v", cs)
	}

	if err := th.SetMaintenance(hostID, Maintenance{CopyCron: "61 * * * *"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("copy cron 61 * * * *: %v; want ErrInvalid", err)
	}
	if err := th.SetMaintenance(hostID, Maintenance{CopyCron: "30 23 * * *"}); err != nil {
		t.Fatal(err)
	}
	var set *protocol.ScheduleSet
	a.waitState("a schedule.set with the copy cron", func() bool {
		for _, f := range a.frames {
			if s, err := protocol.Decode[protocol.ScheduleSet](f); err == nil && f.Type == protocol.TypeScheduleSet && s.Maintenance != nil {
				set = s
				return true
			}
		}
		return false
	})
	if set.Maintenance.CopyCron != "30 23 * * *" {
		t.Errorf("schedule.set maintenance = %+v", set.Maintenance)
	}

	jobID, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindCopy})
	if err != nil {
		t.Fatal(err)
	}
	cmd, _ := protocol.Decode[protocol.CommandRun](a.expect(protocol.TypeCommandRun))
	if cmd.JobID != jobID || cmd.Kind != protocol.KindCopy {
		t.Errorf("command.run = %+v", cmd)
	}
	at := time.Now().UTC().Add(-time.Hour)
	a.send(&protocol.CommandResult{JobID: jobID, Accepted: true}, "")
	a.emit(&protocol.JobStarted{JobID: jobID, Kind: protocol.KindCopy, StartedAt: at})
	a.waitAck(a.emit(&protocol.JobFinished{JobID: jobID, Status: protocol.StatusSucceeded, FinishedAt: at.Add(time.Minute),
		Stats: []byte(`{"snapshots_copied":4,"initialized":true}`)}))
	st, err := th.LastCopy(hostID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Last == nil || st.Last.Status != protocol.StatusSucceeded || st.Failing() || st.SnapshotsCopied == nil || *st.SnapshotsCopied != 4 ||
		!st.LastSuccessAt.Equal(at.Add(time.Minute)) || !st.Repository.Configured() {
		t.Errorf("last copy = %+v (copied %v)", st, st.SnapshotsCopied)
	}

	// A scheduled copy fails: the host is failing, for its copy alone.
	a.emit(&protocol.ScheduleFire{ScheduleID: protocol.MaintenanceCopyID, ScheduledAt: at.Add(30 * time.Minute), JobIDs: []string{"copy-2"}})
	a.emit(&protocol.JobStarted{JobID: "copy-2", Kind: protocol.KindCopy, StartedAt: at.Add(30 * time.Minute), ScheduleID: protocol.MaintenanceCopyID})
	a.waitAck(a.emit(&protocol.JobFinished{JobID: "copy-2", Status: protocol.StatusFailed, ExitCode: 1, FinishedAt: at.Add(31 * time.Minute),
		Error: "open the second repository: cannot reach it"}))
	hosts, _ := th.Hosts()
	if v := hosts[0]; !v.Failing || !v.CopyFailing || len(v.FailingGroups) != 0 || v.Copy.Last == nil || v.Copy.Last.JobID != "copy-2" {
		t.Errorf("host view after a failed copy = %+v; want failing for its copy", v)
	}
	if st, _ := th.LastCopy(hostID); st.SnapshotsCopied != nil || !st.LastSuccessAt.Equal(at.Add(time.Minute)) {
		t.Errorf("last copy after the failure = %+v", st)
	}

	// Without a second repository the copy cron stays home and copies
	// are refused again.
	empty := ""
	if err := th.SetCopyRepository(hostID, CopyRepositoryUpdate{URL: &empty}); err != nil {
		t.Fatal(err)
	}
	if s, _ := th.store.ScheduleSet(hostID); s.Maintenance != nil {
		t.Errorf("schedule set without a second repository = %+v", s.Maintenance)
	}
	if _, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindCopy}); !errors.Is(err, ErrInvalid) {
		t.Errorf("copy after the second repository was removed: %v", err)
	}

	raw, err := os.ReadFile(th.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{copyPassword, copyCred} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("the store file contains %q", secret)
		}
		if strings.Contains(th.logs.String(), secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}
