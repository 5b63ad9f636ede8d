package storage

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// A sweep beside a busy ingest shares its commits. bbolt has one writer:
// a sweep transaction of its own makes the next group commit wait for its
// deletes and its fsync (tens of milliseconds on a busy disk). Instead the
// sweep leaves its planned deletes in a slot that the next ApplyBatch
// takes into its own transaction: the deletes cost that commit a
// millisecond or two and no fsync, and ingest never waits for the lock.
// When no batch was applied in the last SweepOptions.ShareWait nobody is
// sending, and the sweep commits on its own at once.

// sweepSlot holds at most one plan waiting for a group commit.
type sweepSlot struct {
	mu   sync.Mutex
	plan *plan
	done chan error // told the outcome of the commit that took plan
	// lastBatch is when ApplyBatch last ran (unix ns).
	lastBatch atomic.Int64
}

// sharedPlan is a plan a batch took, and who waits for its outcome.
type sharedPlan struct {
	plan *plan
	done chan error
}

// take empties the slot (nil when it holds nothing); ApplyBatch calls it.
func (s *sweepSlot) take() *sharedPlan {
	s.lastBatch.Store(time.Now().UnixNano())
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.plan == nil {
		return nil
	}
	sp := &sharedPlan{plan: s.plan, done: s.done}
	s.plan, s.done = nil, nil
	return sp
}

// deleteIn applies the plan inside a batch's transaction.
func (sp *sharedPlan) deleteIn(tx *bolt.Tx) error {
	if sp == nil {
		return nil
	}
	return deleteKeys(tx, sp.plan.keys)
}

// finish tells the sweep how the batch's commit went.
func (sp *sharedPlan) finish(err error) {
	if sp != nil {
		sp.done <- err
	}
}

// share offers p to the next group commit for up to wait, when a batch
// was applied within wait. It reports whether a commit took it, and that
// commit's error; false means the sweep commits p itself.
func (s *sweepSlot) share(ctx context.Context, p *plan, wait time.Duration) (bool, error) {
	if time.Since(time.Unix(0, s.lastBatch.Load())) > wait {
		return false, ctx.Err() // nobody is sending
	}
	done := make(chan error, 1)
	s.mu.Lock()
	s.plan, s.done = p, done
	s.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case err := <-done:
		return true, err
	case <-t.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	if s.plan == p { // still there: withdraw it
		s.plan, s.done = nil, nil
		s.mu.Unlock()
		return false, ctx.Err()
	}
	s.mu.Unlock()
	return true, <-done // a batch took it just now: wait for its commit
}

func deleteKeys(tx *bolt.Tx, keys []planKey) error {
	for _, k := range keys {
		if err := tx.Bucket(k.bucket).Delete(k.key); err != nil {
			return err
		}
	}
	return nil
}
