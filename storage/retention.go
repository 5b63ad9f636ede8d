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
// jobs by creation time (jobs_by_created), logs by when they expire
// (finished_jobs, written when a job ends), events, fires and sizes by
// time. A sweep's cost grows with what it removes, and it removes in time
// order across hosts, the order jobs and their logs lie in the file.

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
	// Progress, when set, is told the report so far after every write
	// transaction.
	Progress func(SweepReport)
	// ShareWait, when set, makes each transaction's deletes ride on a
	// group commit (ApplyBatch) while batches come: ingest then never
	// waits for the sweep's lock and fsync (sweep_share.go). With no batch
	// in the last ShareWait, or none within ShareWait, the sweep commits
	// on its own.
	ShareWait time.Duration
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
	// Transactions is how many write transactions the sweep took, and
	// LongestTx the longest of them: what a group commit may have waited.
	// SharedCommits is how many more rode on group commits.
	Transactions  int
	LongestTx     time.Duration
	SharedCommits int
}

func (r *SweepReport) add(o SweepReport) {
	r.JobsRemoved += o.JobsRemoved
	r.LogsRemoved += o.LogsRemoved
	r.LogLinesRemoved += o.LogLinesRemoved
	r.EventsRemoved += o.EventsRemoved
	r.OtherRemoved += o.OtherRemoved
	r.HostsRemoved += o.HostsRemoved
	r.Transactions += o.Transactions
	r.LongestTx = max(r.LongestTx, o.LongestTx)
	r.SharedCommits += o.SharedCommits
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
	if err := w.expiredJobs(jobCutoff); err != nil {
		return err
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

// apply deletes a plan's keys in one write transaction, after Pace: a
// group commit's (ShareWait) or its own.
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
	shared := false
	if w.o.ShareWait > 0 {
		var err error
		if shared, err = w.s.sweepSlot.share(w.ctx, p, w.o.ShareWait); err != nil {
			return err
		}
	}
	if shared {
		p.rep.SharedCommits = 1
	} else {
		start := time.Now()
		if err := w.s.db.Update(func(tx *bolt.Tx) error { return deleteKeys(tx, p.keys) }); err != nil {
			return err
		}
		p.rep.Transactions, p.rep.LongestTx = 1, time.Since(start)
	}
	w.rep.add(p.rep)
	if w.o.Progress != nil {
		w.o.Progress(w.rep)
	}
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
// key to the caller). It reports whether all of it fit; when not, p holds
// as many of its log lines as fit and nothing else. hostID and the keys
// in also are removed even when the job record is gone (an index entry
// left behind by an interrupted removal).
func planJob(tx *bolt.Tx, p *plan, jobID, hostID string, logsOnly bool, room int, also ...planKey) bool {
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
	if j, err := loadJob(tx, jobID); err == nil {
		if j.Terminal() {
			p.del(bucketFinished, finishedKey(&j))
		}
		p.del(bucketHostJobs, historyKey(j.HostID, j.CreatedAt, j.ID))
		p.del(bucketCreated, createdKey(&j))
		hostID = j.HostID
	}
	for _, k := range also {
		p.del(k.bucket, k.key)
	}
	p.del(bucketJobs, []byte(jobID))
	ak := cat(hk(hostID), []byte(jobID))
	p.del(bucketActive, ak)
	p.del(bucketUndelivered, ak)
	p.rep.JobsRemoved++
	return true
}

// jobKeysMax is how many keys besides its log lines a job takes at most.
const jobKeysMax = 8

// createdKey is a job's key in jobs_by_created.
func createdKey(j *Job) []byte { return cat(timeKey(j.CreatedAt), []byte(j.ID)) }

// visitFunc looks at one index entry inside a planning read transaction
// and adds what goes to p, within room keys. done=false means the entry
// did not fit whole: the walk commits what p holds and comes back to it.
type visitFunc func(tx *bolt.Tx, p *plan, k, v []byte, room int) (done bool, err error)

// walk visits the keys of bucket from start (inclusive) to end
// (exclusive; nil: no bound) that start with prefix, and removes what
// visit plans, a transaction at a time.
func (w *sweeper) walk(bucket, prefix, start, end []byte, visit visitFunc) error {
	from := start
	for {
		var (
			p    plan
			more bool
		)
		err := w.s.db.View(func(tx *bolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			for k, v := c.Seek(from); k != nil && hasPrefix(k, prefix) && (end == nil || bytes.Compare(k, end) < 0); k, v = c.Next() {
				room := w.o.MaxKeysPerTx - len(p.keys) - jobKeysMax
				if room <= 0 {
					more = true
					return nil
				}
				done, err := visit(tx, &p, k, v, room)
				if err != nil {
					return err
				}
				if !done {
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
			return errors.New("history sweep: an entry does not fit in one transaction")
		}
	}
}

// expiredJobs removes the finished jobs of every host created before
// cutoff, except the always-kept ones, oldest first across hosts: jobs
// and their logs are keyed by time-ordered ids, so each transaction
// empties neighbouring pages instead of touching a page of every host.
func (w *sweeper) expiredJobs(cutoff time.Time) error {
	return w.walk(bucketCreated, nil, nil, timeKey(cutoff), func(tx *bolt.Tx, p *plan, k, v []byte, room int) (bool, error) {
		id, host := string(k[8:]), string(v)
		j, err := loadJob(tx, id)
		if errors.Is(err, ErrNotFound) {
			return planJob(tx, p, id, host, false, room, planKey{bucketCreated, k}), nil // a stale entry
		}
		if err != nil || !j.Terminal() {
			return true, err
		}
		if kept, err := w.keptJob(tx, &j); kept || err != nil {
			return true, err
		}
		return planJob(tx, p, id, host, false, room), nil
	})
}

// expiredLogs removes the logs of class that finished before cutoff,
// except those of always-kept jobs.
func (w *sweeper) expiredLogs(class byte, cutoff time.Time) error {
	return w.walk(bucketFinished, []byte{class}, []byte{class}, cat([]byte{class}, timeKey(cutoff)), func(tx *bolt.Tx, p *plan, k, v []byte, room int) (bool, error) {
		id := string(k[9:])
		j, err := loadJob(tx, id)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return false, err
		}
		if err == nil {
			if kept, err := w.keptJob(tx, &j); kept || err != nil {
				return true, err
			}
		}
		if !planJob(tx, p, id, string(v), true, room-1) {
			return false, nil
		}
		p.del(bucketFinished, k)
		return true, nil
	})
}

// keptJob reports whether a job is one of its host's always-kept jobs.
func (w *sweeper) keptJob(tx *bolt.Tx, j *Job) (bool, error) {
	keep, err := w.keepSetIn(tx, j.HostID)
	if err != nil {
		return false, err
	}
	return keep.jobs[j.ID] || bytes.Compare(historyKey(j.HostID, j.CreatedAt, j.ID), keep.newestFrom) >= 0, nil
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
