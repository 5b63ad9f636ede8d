package runner

import (
	"errors"
	"sync"

	"restic-manager/agent/restic"
)

// The source slot holds another host's repository for a restore onto this
// host (restore.from_source). Its credentials are that host's, so the
// agent keeps them in memory only: never in the journal, the keyring or a
// file. The manager sends config.update{slot:"source"} right before the
// command.run it is for, and the slot serves that command only: a
// from_source restore takes it and keeps it bound to its job until the job
// ends; any other command drops it. A restart loses it, and a from_source
// restore still queued then fails when it comes to run.
type sourceSlot struct {
	mu      sync.Mutex
	pending *restic.Repo
	bound   map[string]restic.Repo // job id → its source repository
}

// errSourceLost ends a from_source restore whose credentials are gone.
var errSourceLost = errors.New("the source repository's credentials are kept in memory only and were lost " +
	"(the agent restarted since the restore was queued): start the restore again")

// SetSource fills the source slot for the next command.run (config.update
// with slot source). It replaces what the slot held.
func (r *Runner) SetSource(repo restic.Repo) {
	r.source.mu.Lock()
	r.source.pending = &repo
	r.source.mu.Unlock()
}

// take empties the slot and returns what it held.
func (s *sourceSlot) take() *restic.Repo {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

func (s *sourceSlot) bind(jobID string, repo restic.Repo) {
	s.mu.Lock()
	s.bound[jobID] = repo
	s.mu.Unlock()
}

func (s *sourceSlot) unbind(jobID string) {
	s.mu.Lock()
	delete(s.bound, jobID)
	s.mu.Unlock()
}

func (s *sourceSlot) of(jobID string) (restic.Repo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	repo, ok := s.bound[jobID]
	return repo, ok
}

// holds reports whether any source credentials are in memory (tests).
func (s *sourceSlot) holds() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending != nil || len(s.bound) > 0
}

// fromSource reports whether a job restores from the source slot.
func fromSource(job Job) bool { return job.Run.Restore != nil && job.Run.Restore.FromSource }
