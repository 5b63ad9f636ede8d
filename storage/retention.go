package storage

import (
	"bytes"
	"context"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// The history sweep: HistorySettings applied to the store in small write
// transactions, each planned first in a read transaction (which also
// brings the pages it will touch into memory), so the writer lock that
// group commit needs is held for a few milliseconds at a time. What it
// keeps:
//
//   - every job that has not finished;
//   - the newest KeepJobsPerHost jobs of each host and the latest
//     successful backup of each source group, with their logs;
//   - other jobs until JobDays after they were created, and their logs
//     until SucceededLogDays (succeeded) or FailedLogDays (failed,
//     cancelled) after they finished;
//   - the newest MaxHostEvents entries of each host's event log, and
//     schedule fires and repository sizes for JobDays.
//
// The work is found through indexes, never by reading all of history:
// a host's jobs are keyed by creation time (host_jobs), logs by when they
// expire (finished_jobs, written when a job ends), events, fires and sizes
// by time. A sweep's cost grows with what it removes.

// Log classes of finished_jobs keys: each expires after its own setting.
const (
	logClassSucceeded = 's'
	logClassFailed    = 'f' // failed or cancelled
)

func logClass(status string) byte {
	if status == protocol.StatusSucceeded {
		return logClassSucceeded
	}
	return logClassFailed
}

func finishedTime(j *Job) time.Time {
	if j.FinishedAt != nil {
		return *j.FinishedAt
	}
	return j.CreatedAt
}

// finishedKey is a terminal job's key in finished_jobs.
func finishedKey(j *Job) []byte {
	return cat([]byte{logClass(j.Status)}, timeKey(finishedTime(j)), []byte(j.ID))
}

// SweepOptions tune a sweep. The zero value is right for production.
type SweepOptions struct {
	// Now is the time ages are measured from (default time.Now()).
	Now time.Time
	// MaxKeysPerTx bounds the keys one write transaction deletes
	// (default 1000).
	MaxKeysPerTx int
	// Pace, when set, is called before every write transaction and may
	// wait (the hub starts each right after a group commit); an error
	// stops the sweep.
	Pace func(context.Context) error
}

// SweepReport says what a sweep removed.
type SweepReport struct {
	Started  time.Time
	Finished time.Time
	// JobsRemoved: job records removed (with their logs).
	JobsRemoved int
	// LogsRemoved: jobs whose log was removed while the record stays.
	LogsRemoved int
	// LogLinesRemoved: log lines removed, for either reason.
	LogLinesRemoved int
	// EventsRemoved: host event log entries past MaxHostEvents or of
	// removed hosts.
	EventsRemoved int
	// OtherRemoved: schedule fires, repository sizes and snapshot
	// entries.
	OtherRemoved int
	// HostsRemoved: removed hosts whose history is now gone.
	HostsRemoved int
	// Transactions is how many write transactions the sweep took.
	Transactions int
}

func (r *SweepReport) add(o SweepReport) {
	r.JobsRemoved += o.JobsRemoved
	r.LogsRemoved += o.LogsRemoved
	r.LogLinesRemoved += o.LogLinesRemoved
	r.EventsRemoved += o.EventsRemoved
	r.OtherRemoved += o.OtherRemoved
	r.HostsRemoved += o.HostsRemoved
	r.Transactions += o.Transactions
}

// Removed is the number of records the sweep removed.
func (r SweepReport) Removed() int {
	return r.JobsRemoved + r.LogLinesRemoved + r.EventsRemoved + r.OtherRemoved
}

// Sweep applies the history settings once: finishes removing the history
// of removed hosts, then removes expired jobs, logs, events, fires and
// sizes. It may run beside ingest; a cancelled ctx stops it between two
// transactions, with everything before committed.
func (s *Store) Sweep(ctx context.Context, o SweepOptions) (SweepReport, error) {
	w := newSweeper(s, ctx, o)
	err := w.run()
	w.rep.Finished = time.Now()
	return w.rep, err
}

type sweeper struct {
	s   *Store
	ctx context.Context
	o   SweepOptions
	rep SweepReport
	set HistorySettings
	// keep caches each host's always-kept jobs for this sweep.
	keep map[string]*keepSet
}

// keepSet is what the sweep never removes of one host.
type keepSet struct {
	// newestFrom: history keys at or after it are the host's newest
	// KeepJobsPerHost jobs.
	newestFrom []byte
	// jobs are each group's latest successful backup.
	jobs map[string]bool
}

func newSweeper(s *Store, ctx context.Context, o SweepOptions) *sweeper {
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.MaxKeysPerTx <= 0 {
		o.MaxKeysPerTx = 1000
	}
	// Room for a job's own keys beside some of its log lines.
	o.MaxKeysPerTx = max(o.MaxKeysPerTx, 4*jobKeysMax)
	return &sweeper{s: s, ctx: ctx, o: o, rep: SweepReport{Started: time.Now()}, keep: map[string]*keepSet{}}
}

func (w *sweeper) run() error {
	if err := w.removedHosts(); err != nil {
		return err
	}
	var hosts []string
	err := w.s.db.View(func(tx *bolt.Tx) error {
		var err error
		w.set, err = loadHistorySettings(tx)
		if err != nil {
			return err
		}
		return tx.Bucket(bucketHosts).ForEach(func(k, _ []byte) error {
			hosts = append(hosts, string(k))
			return nil
		})
	})
	if err != nil {
		return err
	}
	jobCutoff := w.o.Now.AddDate(0, 0, -w.set.JobDays)
	for _, h := range hosts {
		if err := w.expiredJobs(h, jobCutoff); err != nil {
			return err
		}
	}
	if err := w.expiredLogs(logClassSucceeded, w.o.Now.AddDate(0, 0, -w.set.SucceededLogDays)); err != nil {
		return err
	}
	if err := w.expiredLogs(logClassFailed, w.o.Now.AddDate(0, 0, -w.set.FailedLogDays)); err != nil {
		return err
	}
	for _, h := range hosts {
		if err := w.capEvents(h); err != nil {
			return err
		}
		p := hk(h)
		for _, b := range [][]byte{bucketFires, bucketRepoSizes} {
			n, err := w.deleteRange(b, p, cat(p, timeKey(jobCutoff)))
			w.rep.OtherRemoved += n
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// plan is the keys one write transaction deletes, found in a read
// transaction.
type plan struct {
	keys []planKey
	rep  SweepReport
}

type planKey struct {
	bucket []byte
	key    []byte
}

func (p *plan) del(bucket, key []byte) {
	p.keys = append(p.keys, planKey{bucket, bytes.Clone(key)})
}

// apply deletes a plan's keys in one write transaction, after Pace.
func (w *sweeper) apply(p *plan) error {
	if len(p.keys) == 0 {
		return nil
	}
	if err := w.ctx.Err(); err != nil {
		return err
	}
	if w.o.Pace != nil {
		if err := w.o.Pace(w.ctx); err != nil {
			return err
		}
	}
	err := w.s.db.Update(func(tx *bolt.Tx) error {
		for _, k := range p.keys {
			if err := tx.Bucket(k.bucket).Delete(k.key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	p.rep.Transactions++
	w.rep.add(p.rep)
	return nil
}

// deleteRange removes the keys of bucket that start with prefix and sort
// before end (nil: no bound), a transaction at a time. It returns how
// many it removed.
func (w *sweeper) deleteRange(bucket, prefix, end []byte) (int, error) {
	total := 0
	for {
		var p plan
		err := w.s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix) && (end == nil || bytes.Compare(k, end) < 0); k, _ = c.Next() {
				if len(p.keys) == w.o.MaxKeysPerTx {
					break
				}
				p.del(bucket, k)
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		n := len(p.keys)
		if err := w.apply(&p); err != nil {
			return total, err
		}
		total += n
		if n < w.o.MaxKeysPerTx {
			return total, nil
		}
	}
}

// planJob adds a job's log lines and (unless logsOnly) its record and
// index keys to p, within room keys (logsOnly leaves its finished_jobs
// key to the caller). histKey is its host_jobs key when the caller has it
// (a key whose job record is gone is removed too). It reports whether all of it fit;
// when not, p holds as many of its log lines as fit and nothing else.
func planJob(tx *bolt.Tx, p *plan, jobID, hostID string, histKey []byte, logsOnly bool, room int) bool {
	lp := jk(jobID)
	c := tx.Bucket(bucketLogs).Cursor()
	keys, lines := 0, 0
	for k, _ := c.Seek(lp); k != nil && hasPrefix(k, lp); k, _ = c.Next() {
		if keys == room {
			p.rep.LogLinesRemoved += lines
			return false
		}
		p.del(bucketLogs, k)
		keys++
		if getU64(k[len(lp):]) != tallySeq { // the log's tally is not a line
			lines++
		}
	}
	p.rep.LogLinesRemoved += lines
	if logsOnly {
		if lines > 0 {
			p.rep.LogsRemoved++
		}
		return true
	}
	j, err := loadJob(tx, jobID)
	found := err == nil
	if found {
		if j.Terminal() {
			p.del(bucketFinished, finishedKey(&j))
		}
		if histKey == nil {
			histKey = historyKey(j.HostID, j.CreatedAt, j.ID)
		}
		hostID = j.HostID
	}
	if histKey != nil {
		p.del(bucketHostJobs, histKey)
	}
	p.del(bucketJobs, []byte(jobID))
	ak := cat(hk(hostID), []byte(jobID))
	p.del(bucketActive, ak)
	p.del(bucketUndelivered, ak)
	p.rep.JobsRemoved++
	return true
}

// jobKeysMax is how many keys besides its log lines a job takes at most.
const jobKeysMax = 6

// sweepJobs walks history keys of one host from its start, before end,
// and removes the jobs remove says to, a transaction at a time.
func (w *sweeper) sweepJobs(hostID string, end []byte, remove func(tx *bolt.Tx, k []byte, jobID string) (bool, error)) error {
	p0 := hk(hostID)
	from := p0
	for {
		var (
			p    plan
			more bool
		)
		err := w.s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketHostJobs).Cursor()
			for k, _ := c.Seek(from); k != nil && hasPrefix(k, p0) && (end == nil || bytes.Compare(k, end) < 0); k, _ = c.Next() {
				room := w.o.MaxKeysPerTx - len(p.keys) - jobKeysMax
				if room <= 0 {
					more = true
					return nil
				}
				id := string(k[len(p0)+8:])
				ok, err := remove(tx, k, id)
				if err != nil {
					return err
				}
				if ok && !planJob(tx, &p, id, hostID, k, false, room) {
					// A long log: its lines go first, the job next round.
					more = true
					return nil
				}
				from = append(bytes.Clone(k), 0)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := w.apply(&p); err != nil {
			return err
		}
		if !more {
			return nil
		}
		if len(p.keys) == 0 {
			return errors.New("history sweep: a job does not fit in one transaction")
		}
	}
}

// expiredJobs removes the host's finished jobs created before cutoff,
// except the always-kept ones.
func (w *sweeper) expiredJobs(hostID string, cutoff time.Time) error {
	keep, err := w.keepSet(hostID)
	if err != nil {
		return err
	}
	end := cat(hk(hostID), timeKey(cutoff))
	if bytes.Compare(keep.newestFrom, end) < 0 {
		end = keep.newestFrom
	}
	return w.sweepJobs(hostID, end, func(tx *bolt.Tx, _ []byte, id string) (bool, error) {
		if keep.jobs[id] {
			return false, nil
		}
		j, err := loadJob(tx, id)
		if errors.Is(err, ErrNotFound) {
			return true, nil // a history key without its job: drop it
		}
		if err != nil {
			return false, err
		}
		return j.Terminal(), nil
	})
}

// expiredLogs removes the logs of class that finished before cutoff,
// except those of always-kept jobs.
func (w *sweeper) expiredLogs(class byte, cutoff time.Time) error {
	end := cat([]byte{class}, timeKey(cutoff))
	from := []byte{class}
	for {
		var (
			p    plan
			more bool
		)
		err := w.s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucketFinished).Cursor()
			for k, v := c.Seek(from); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
				room := w.o.MaxKeysPerTx - len(p.keys) - 1
				if room <= 0 {
					more = true
					return nil
				}
				id, host := string(k[9:]), string(v)
				kept, err := w.keptJob(tx, host, id)
				if err != nil {
					return err
				}
				if !kept {
					if !planJob(tx, &p, id, host, nil, true, room) {
						more = true
						return nil
					}
					p.del(bucketFinished, k)
				}
				from = append(bytes.Clone(k), 0)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := w.apply(&p); err != nil {
			return err
		}
		if !more {
			return nil
		}
	}
}

// keptJob reports whether a job is one of its host's always-kept jobs.
func (w *sweeper) keptJob(tx *bolt.Tx, hostID, jobID string) (bool, error) {
	keep, err := w.keepSetIn(tx, hostID)
	if err != nil {
		return false, err
	}
	if keep.jobs[jobID] {
		return true, nil
	}
	j, err := loadJob(tx, jobID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return bytes.Compare(historyKey(j.HostID, j.CreatedAt, j.ID), keep.newestFrom) >= 0, nil
}

func (w *sweeper) keepSet(hostID string) (*keepSet, error) {
	var k *keepSet
	err := w.s.db.View(func(tx *bolt.Tx) error {
		var err error
		k, err = w.keepSetIn(tx, hostID)
		return err
	})
	return k, err
}

func (w *sweeper) keepSetIn(tx *bolt.Tx, hostID string) (*keepSet, error) {
	if k, ok := w.keep[hostID]; ok {
		return k, nil
	}
	k := &keepSet{newestFrom: hk(hostID), jobs: map[string]bool{}}
	c := tx.Bucket(bucketHostJobs).Cursor()
	p := hk(hostID)
	n := 0
	for key := seekLastWithPrefix(c, p); key != nil && hasPrefix(key, p); key, _ = c.Prev() {
		if n++; n == KeepJobsPerHost {
			k.newestFrom = bytes.Clone(key)
			break
		}
	}
	var hl health
	if err := getJSON(tx.Bucket(bucketHealth), []byte(hostID), &hl); err != nil && !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	for _, g := range hl.Groups {
		if g.LastSuccessJobID != "" {
			k.jobs[g.LastSuccessJobID] = true
		}
	}
	w.keep[hostID] = k
	return k, nil
}

// capEvents removes all but the newest MaxHostEvents of a host's events.
func (w *sweeper) capEvents(hostID string) error {
	p := hk(hostID)
	var end []byte
	err := w.s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketHostEvents).Cursor()
		n := 0
		for k := seekLastWithPrefix(c, p); k != nil && hasPrefix(k, p); k, _ = c.Prev() {
			if n++; n == MaxHostEvents {
				end = bytes.Clone(k)
				break
			}
		}
		return nil
	})
	if err != nil || end == nil {
		return err
	}
	n, err := w.deleteRange(bucketHostEvents, p, end)
	w.rep.EventsRemoved += n
	return err
}
