package hub

import (
	"encoding/json"
	"fmt"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// The repository test behind Settings → "Test": a probe job (restic cat
// config without a lock, beside any running job), read back as answers to
// the questions a person asks — can the agent reach it, is it initialised,
// is the password right, is it locked.

// TestRepository starts a repository test on the host and returns its job
// id; read the answer with RepositoryTest. The host needs a repository URL
// and password first (ErrInvalid).
func (h *Hub) TestRepository(hostID string) (string, error) {
	host, err := h.store.Host(hostID)
	if err != nil {
		return "", err
	}
	if host.Settings.RepoURL == "" || !host.Settings.Credentials.RepoPassword {
		return "", fmt.Errorf("test the repository of %s: %w: set its URL and password first", host.DisplayName(), ErrInvalid)
	}
	return h.run(hostID, RunRequest{Kind: protocol.KindProbe}, storage.OriginOperator)
}

// Answer is a yes, a no, or not known (yet).
type Answer int8

const (
	Unknown Answer = iota
	Yes
	No
)

func (a Answer) String() string {
	switch a {
	case Yes:
		return "yes"
	case No:
		return "no"
	}
	return "unknown"
}

// RepoTest is a repository test's answer.
type RepoTest struct {
	JobID string
	// Status is the job's: queued (the host may be offline: Waiting
	// says), running, succeeded, failed, cancelled.
	Status string
	Done   bool
	// Waiting says why a queued test has not run: "the host is offline;
	// the test runs when it connects".
	Waiting string
	// The answers, as far as the test got.
	Reachable, Initialised, PasswordRight, Locked Answer
	// Locks is how many lock files the repository holds (-1: not known).
	Locks int
	// Cause is why the test failed, with its fix.
	Cause Cause
	// Summary says it all in a line: "The repository answers, is
	// initialised and the password is right." / "Cannot reach the
	// repository: connection refused".
	Summary string
}

// RepositoryTest reads a repository test's answer.
func (h *Hub) RepositoryTest(jobID string) (RepoTest, error) {
	j, err := h.store.Job(jobID)
	if err != nil {
		return RepoTest{}, err
	}
	if j.Kind != protocol.KindProbe {
		return RepoTest{}, fmt.Errorf("job %s: %w: a %s job is not a repository test", jobID, ErrInvalid, j.Kind)
	}
	t := RepoTest{JobID: j.ID, Status: j.Status, Done: j.Terminal(), Locks: -1}
	switch j.Status {
	case JobQueued:
		t.Waiting = h.waitingText(j)
		t.Summary = "Waiting to test: " + t.Waiting
	case JobRunning:
		t.Summary = "Testing the repository…"
	case JobCancelled:
		t.Summary = "The test was cancelled: " + FirstLine(j.Error)
	case JobSucceeded:
		t.Reachable, t.Initialised, t.PasswordRight, t.Locked = Yes, Yes, Yes, Unknown
		var st struct {
			Locks *int `json:"locks"`
		}
		if json.Unmarshal(j.Stats, &st) == nil && st.Locks != nil {
			t.Locks = *st.Locks
			t.Locked = No
			if *st.Locks > 0 {
				t.Locked = Yes
			}
		}
		t.Summary = "The repository answers, is initialised and the password is right"
		switch {
		case t.Locked == Yes:
			t.Summary += fmt.Sprintf("; it holds %d lock(s): a restic is running, or one was interrupted (Unlock removes stale locks)", t.Locks)
			t.Cause = Cause{Kind: ErrorLocked, Fix: FixUnlock, FixLabel: "Unlock…"}
		case t.Locked == No:
			t.Summary += "; it is not locked"
		}
		t.Summary += "."
	case JobFailed:
		t.Cause = CauseOf(j)
		switch t.Cause.Kind {
		case ErrorUnreachable:
			t.Reachable = No
		case ErrorNoRepository:
			t.Reachable, t.Initialised = Yes, No
		case ErrorWrongPassword:
			t.Reachable, t.Initialised, t.PasswordRight = Yes, Yes, No
		case ErrorPermission:
			t.Reachable = Yes // it answered, and refused
		}
		t.Summary = t.Cause.Words
		if t.Summary == "" {
			t.Summary = "The test failed"
		}
	}
	return t, nil
}

// waitingText says why a queued job has not started.
func (h *Hub) waitingText(j Job) string {
	host, err := h.store.Host(j.HostID)
	name := j.HostID
	if err == nil {
		name = host.DisplayName()
	}
	c := h.liveConn(j.HostID)
	switch {
	case err == nil && host.Status == storage.HostPending:
		return name + " waits for approval; the job runs once it is approved"
	case c == nil:
		return name + " is offline; the job is sent when it connects"
	case !j.ResultReceived && len(j.Command) > 0:
		return "sent to " + name + "; waiting for its agent to accept it"
	}
	return "queued on " + name + " behind its running job"
}
