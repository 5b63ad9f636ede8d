package hub

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// runReported plays the agent's side of a command: accepted, started,
// finished as fin says.
func runReported(t *testing.T, a *testAgent, fin protocol.JobFinished) protocol.CommandRun {
	t.Helper()
	cmd, err := protocol.Decode[protocol.CommandRun](a.expect(protocol.TypeCommandRun))
	if err != nil {
		t.Fatal(err)
	}
	a.send(&protocol.CommandResult{JobID: cmd.JobID, Accepted: true}, "")
	a.emit(&protocol.JobStarted{JobID: cmd.JobID, Kind: cmd.Kind, StartedAt: time.Now().UTC()})
	fin.JobID, fin.FinishedAt = cmd.JobID, time.Now().UTC()
	a.waitAck(a.emit(&fin))
	return *cmd
}

// The repository test answers the questions a person asks, for each way
// it can end; a missing repository offers "Initialise now".
func TestRepositoryTestSaysWhatIsWrong(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "tested", th.enrollToken(t, 1))
	if _, err := th.TestRepository(hostID); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a test without a repository: %v; want ErrInvalid", err)
	}
	if _, err := th.SaveRepository(hostID, RepositoryUpdate{URL: ptr("rest:http://192.0.2.1:8000/x"), Password: ptr("pw")}); err != nil {
		t.Fatal(err)
	}
	a.expect(protocol.TypeConfigUpdate)
	for _, tc := range []struct {
		name                           string
		fin                            protocol.JobFinished
		reach, initd, password, locked Answer
		fix                            Fix
		summary                        string
	}{
		{"good", protocol.JobFinished{Status: protocol.StatusSucceeded, Stats: json.RawMessage(`{"locks":0}`)},
			Yes, Yes, Yes, No, FixNone, "The repository answers, is initialised and the password is right; it is not locked."},
		{"locked", protocol.JobFinished{Status: protocol.StatusSucceeded, Stats: json.RawMessage(`{"locks":2}`)},
			Yes, Yes, Yes, Yes, FixUnlock, "it holds 2 lock(s)"},
		{"unreachable", protocol.JobFinished{Status: protocol.StatusFailed, ExitCode: 1, ErrorKind: protocol.ErrorKindUnreachable,
			Error: "cannot reach the repository: connection refused\nrestic cat exit 1: …"},
			No, Unknown, Unknown, Unknown, FixSettings, "cannot reach the repository: connection refused"},
		{"no repository", protocol.JobFinished{Status: protocol.StatusFailed, ExitCode: 10, ErrorKind: protocol.ErrorKindNoRepository,
			Error: "no repository at rest:http://192.0.2.1:8000/x\nrestic cat exit 10: …"},
			Yes, No, Unknown, Unknown, FixInit, "no repository at rest:http://192.0.2.1:8000/x"},
		{"wrong password", protocol.JobFinished{Status: protocol.StatusFailed, ExitCode: 12, ErrorKind: protocol.ErrorKindWrongPassword,
			Error: "wrong password\nrestic cat exit 12: wrong password or no key found"},
			Yes, Yes, No, Unknown, FixSettings, "wrong password"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobID, err := th.TestRepository(hostID)
			if err != nil {
				t.Fatal(err)
			}
			if cmd := runReported(t, a, tc.fin); cmd.Kind != protocol.KindProbe || cmd.JobID != jobID {
				t.Fatalf("command.run %+v; want a probe", cmd)
			}
			r, err := th.RepositoryTest(jobID)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Done || r.Reachable != tc.reach || r.Initialised != tc.initd || r.PasswordRight != tc.password || r.Locked != tc.locked ||
				r.Cause.Fix != tc.fix || !strings.Contains(r.Summary, tc.summary) {
				t.Errorf("test %+v; want reachable %s, initialised %s, password %s, locked %s, fix %q, summary with %q",
					r, tc.reach, tc.initd, tc.password, tc.locked, tc.fix, tc.summary)
			}
		})
	}
	if got := CauseOf(Job{Status: JobFailed, ErrorKind: ErrorNoRepository, Error: "no repository at /x"}); got.FixLabel != "Initialise now" {
		t.Errorf("no repository offers %q", got.FixLabel)
	}
}

// A test started while the host is offline says so, and stops saying it
// once the host connects.
func TestRepositoryTestWaitingForTheHost(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, token := enrollAgent(t, th, "asleep", th.enrollToken(t, 1))
	if _, err := th.SaveRepository(hostID, RepositoryUpdate{URL: ptr("/srv/r"), Password: ptr("pw")}); err != nil {
		t.Fatal(err)
	}
	a.c.CloseNow()
	waitFor(t, testWait, "offline", func() bool { h, _ := th.Host(hostID); return !h.Online })
	jobID, err := th.TestRepository(hostID)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := th.RepositoryTest(jobID)
	if r.Done || !strings.Contains(r.Waiting, "asleep is offline") {
		t.Errorf("waiting test: %+v", r)
	}
	b := a.reconnect(th.url, token)
	b.expectHelloAck()
	runReported(t, b, protocol.JobFinished{Status: protocol.StatusSucceeded, Stats: json.RawMessage(`{"locks":0}`)})
	if r, _ := th.RepositoryTest(jobID); !r.Done || r.Waiting != "" || r.PasswordRight != Yes {
		t.Errorf("after the host came back: %+v", r)
	}
}
