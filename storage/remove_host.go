package storage

import (
	"context"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// RemoveHostData removes a host and everything stored about it. First, in
// one transaction, the host itself: its row, token, tailnet binding,
// enrollments, groups, schedules, maintenance plan, repository stats,
// mark, health, unfinished jobs — from then on it is in no list and its
// agent is unknown — and a note that its history is still to go. Then its
// history (jobs, logs, events, fires, sizes, snapshots and their
// backup sizes, forgotten snapshots) in small
// transactions paced by o.Pace. When that is interrupted (ctx, a crash),
// the next Sweep finishes it. A host that does not exist is ErrNotFound,
// unless its history is still being removed.
func (s *Store) RemoveHostData(ctx context.Context, hostID string, o SweepOptions) (SweepReport, error) {
	w := newSweeper(s, ctx, o)
	err := s.db.Update(func(tx *bolt.Tx) error { return removeHostRecords(tx, hostID, w.o.Now) })
	if err == nil {
		err = w.removeHost(hostID)
	}
	w.rep.Finished = time.Now()
	return w.rep, err
}

// removeHostRecords is RemoveHostData's first transaction.
func removeHostRecords(tx *bolt.Tx, hostID string, now time.Time) error {
	removed := tx.Bucket(bucketRemoved)
	if tx.Bucket(bucketHosts).Get([]byte(hostID)) == nil {
		if removed.Get([]byte(hostID)) != nil {
			return nil
		}
		return fmt.Errorf("host %q: %w", hostID, ErrNotFound)
	}
	// Small buckets keyed by something else than the host: look for
	// every entry that names it (a rebound node or a reissued token left
	// none behind, but a stale one must not outlive the host either).
	for _, b := range [][]byte{bucketHostTokens, bucketHostNodes, bucketEnrollments} {
		if err := deleteWhereValue(tx.Bucket(b), []byte(hostID)); err != nil {
			return err
		}
	}
	for _, b := range [][]byte{bucketGroups, bucketSchedules, bucketActive, bucketUndelivered} {
		if err := deletePrefix(tx.Bucket(b), hk(hostID)); err != nil {
			return err
		}
	}
	for _, b := range [][]byte{bucketMaint, bucketRepoStats, bucketMarks, bucketHealth, bucketHosts} {
		if err := tx.Bucket(b).Delete([]byte(hostID)); err != nil {
			return err
		}
	}
	return removed.Put([]byte(hostID), timeKey(now))
}

// removedHosts finishes the history of every removed host.
func (w *sweeper) removedHosts() error {
	var ids []string
	err := w.s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketRemoved).ForEach(func(k, _ []byte) error {
			ids = append(ids, string(k))
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := w.removeHost(id); err != nil {
			return err
		}
	}
	return nil
}

// removeHost removes a removed host's history, then its note.
func (w *sweeper) removeHost(hostID string) error {
	p := hk(hostID)
	err := w.walk(bucketHostJobs, p, p, nil, func(tx *bolt.Tx, pl *plan, k, _ []byte, room int) (bool, error) {
		return planJob(tx, pl, string(k[len(p)+8:]), hostID, false, room, planKey{bucketHostJobs, k}), nil
	})
	if err != nil {
		return err
	}
	n, err := w.deleteRange(bucketHostEvents, p, nil)
	w.rep.EventsRemoved += n
	if err != nil {
		return err
	}
	for _, b := range [][]byte{bucketFires, bucketRepoSizes, bucketSnapshots, bucketBackupSizes, bucketForgotten} {
		n, err := w.deleteRange(b, p, nil)
		w.rep.OtherRemoved += n
		if err != nil {
			return err
		}
	}
	var last plan
	last.del(bucketRemoved, []byte(hostID))
	last.rep.HostsRemoved = 1
	return w.apply(&last)
}
