package storage

import (
	"errors"
	"fmt"
	"os"
	"time"

	"restic-manager/internal/boltfile"
)

// The check at open reads every page and decodes every record: about 6 ms
// a MiB here, 10 s and more for a year of a large fleet. A cold start must
// not grow with history, so Open checks a file up to CheckAtOpenMax
// before it returns and leaves a larger one to CheckDeferred, which the
// manager runs in the background as soon as it is serving. Undecodable
// records found then go to quarantine as at open; a damaged file cannot be
// dealt with under the running manager, so it is marked, and the next
// Open checks it first thing and salvages it as it would any damaged
// file.

// CheckAtOpenMax is the largest file Open checks page by page before it
// returns.
const CheckAtOpenMax = 64 << 20

// checkFailedSuffix names the mark a failed deferred check leaves.
const checkFailedSuffix = ".check-failed"

// checkAtOpen says whether Open checks the pages now: the file is small,
// or a deferred check found damage last time.
func checkAtOpen(path string, o *Options) bool {
	limit := o.checkAtOpenMax
	if limit == 0 {
		limit = CheckAtOpenMax
	}
	if _, err := os.Stat(path + checkFailedSuffix); err == nil {
		return true
	}
	fi, err := os.Stat(path)
	return err != nil || fi.Size() <= limit
}

// CheckPending reports whether Open left the check to CheckDeferred.
func (s *Store) CheckPending() bool { return s.checkPending.Load() }

// CheckDeferred runs the check Open left for later, once (a no-op when
// there is none): every page and record read, undecodable records moved
// to quarantine and returned (Quarantined lists them too). It reads the
// whole file and cannot be interrupted: Close waits for it. Damage is
// returned wrapping ErrDamaged, and the file is marked so that the next
// Open checks it before anything else.
func (s *Store) CheckDeferred(now time.Time) ([]BadRecord, error) {
	if !s.checkPending.CompareAndSwap(true, false) {
		return nil, nil
	}
	cerr := boltfile.Check(s.db)
	if cerr == nil {
		bad, err := s.checkRecords(now.UTC())
		s.mu.Lock()
		s.quarantined = append(s.quarantined, bad...)
		s.mu.Unlock()
		return bad, err
	}
	if err := os.WriteFile(s.path+checkFailedSuffix, []byte(cerr.Error()+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("%w: %v; marking it for the next start failed too (%v): restart and the check runs again", ErrDamaged, cerr, err)
	}
	return nil, fmt.Errorf("%w: %v; restart the manager: the next start moves the file aside and salvages it", ErrDamaged, cerr)
}

// clearCheckMark removes a failed deferred check's mark once the file was
// checked again (and moved aside, if it was still damaged).
func clearCheckMark(path string) error {
	if err := os.Remove(path + checkFailedSuffix); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}
