package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"restic-manager/agent/journal"
	"restic-manager/agent/restic"
	"restic-manager/agent/secrets"
	"restic-manager/protocol"
)

// Job is the runner's job record: the protocol.CommandRun plus what a
// schedule fire adds (ScheduleID, lock-retry policy, RunIfAnySucceeded).
type Job = journal.Job

// Store is the durable side of the runner: the job queue and the journaled
// events. *journal.Journal implements it.
type Store interface {
	Append(events ...protocol.Payload) (uint64, error)
	Enqueue(jobs []journal.Job, events ...protocol.Payload) error
	Jobs() ([]journal.JobState, error)
	Job(id string) (journal.JobState, bool, error)
	Status(id string) (status string, ok bool, err error)
	Config() (journal.Config, error)
	UnlockNeeded() (bool, error)
	SetUnlockNeeded(bool) error
}

// Secrets hands out credentials by slot; *secrets.Store implements it.
type Secrets interface {
	Get(slot string) (secrets.Credentials, error)
}

// Sink receives best-effort state. Its methods must return quickly and
// never block on the network: the latest value wins, and what a disconnected
// link misses the next value restates.
type Sink interface {
	Progress(protocol.JobProgress)
	Snapshots([]protocol.Snapshot)
	RepoStats(protocol.RepoStats)
	// Notice is a line for the host's log on the manager (the journal
	// could not record a job's end, for one).
	Notice(text string)
}

// DiscardSink drops everything.
type DiscardSink struct{}

func (DiscardSink) Progress(protocol.JobProgress) {}
func (DiscardSink) Snapshots([]protocol.Snapshot) {}
func (DiscardSink) RepoStats(protocol.RepoStats)  {}
func (DiscardSink) Notice(string)                 {}

// Options configure a Runner.
type Options struct {
	Restic  *restic.Restic // required
	Store   Store          // required
	Secrets Secrets        // required
	Sink    Sink           // nil: DiscardSink
	// Hostname is the agent's own hostname (backup --host, forget --host);
	// empty: os.Hostname().
	Hostname string
	// StateDir is the agent's --state: no restore may write inside it.
	StateDir string
	// CancelGrace is the time between SIGINT and kill when a job is
	// cancelled (default 30 s).
	CancelGrace time.Duration
	// ProgressInterval is the minimum time between two job.progress events
	// of a job; the first is sent at once (default 1 s).
	ProgressInterval time.Duration
	// JournalRetries is how often a refused job.started or job.finished is
	// written again (default 3), the first JournalRetryWait later (default
	// 1 s), doubling; see hold for what happens after.
	JournalRetries   int
	JournalRetryWait time.Duration
	// HeldRetry is how often job ends the journal could not take are
	// tried again while no other write does it (default 30 s).
	HeldRetry time.Duration
	// NoHooks refuses every job that carries a hook (--no-hooks): hooks
	// run as the agent's user, usually root or SYSTEM.
	NoHooks bool
	// ProbeTimeout bounds a repository test (default 60 s): a server that
	// never answers is unreachable, said within this time.
	ProbeTimeout time.Duration
	Logger       *slog.Logger // nil: slog.Default()
}

// Runner runs jobs. Create it with New, start it with Run.
type Runner struct {
	restic   *restic.Restic
	store    Store
	secrets  Secrets
	sink     Sink
	hostname string
	stateDir string
	grace    time.Duration
	interval time.Duration
	retries  int
	retryGap time.Duration
	heldGap  time.Duration
	noHooks  bool
	probeMax time.Duration
	log      *slog.Logger

	// wake has one channel per lane (see lanes.go); wakeBeside wakes the
	// loop of the jobs that run beside both (see beside.go).
	wake       [laneCount]chan struct{}
	wakeBeside chan struct{}

	mu      sync.Mutex
	running [laneCount]*activeJob // the job each lane has claimed, if any
	beside  map[string]*activeJob // jobs running beside the lanes (see runsBeside)
	cleared map[string]bool       // repositories cleared of stale locks in this life

	// source is the source slot: another host's repository for the next
	// from_source restore, in memory only (see source.go).
	source sourceSlot

	snapMu     sync.Mutex
	snapshots  []protocol.Snapshot
	snapsValid bool

	// held are the ends of jobs the journal could not record: the jobs
	// ended failed in memory, and their job.finished waits here, oldest
	// first, until the journal takes it (see hold).
	heldMu sync.Mutex
	held   []*protocol.JobFinished
}

type activeJob struct {
	id     string
	kind   string
	cancel context.CancelCauseFunc
}

// Errors of the runner's API.
var (
	// ErrUnknownJob is Cancel's answer for a job id the agent does not know
	// (the link answers error{code:"unknown_job"}).
	ErrUnknownJob = errors.New("unknown job")
	// ErrRejected wraps every agent-side reason to refuse a job at Submit.
	ErrRejected = errors.New("job rejected")
)

// errCancelled is the cause of a job context cancelled by Cancel.
var errCancelled = errors.New("cancelled by the operator")

// New checks the options and returns a Runner.
func New(o Options) (*Runner, error) {
	if o.Restic == nil || o.Store == nil || o.Secrets == nil {
		return nil, errors.New("runner: Restic, Store and Secrets are required")
	}
	r := &Runner{
		restic: o.Restic, store: o.Store, secrets: o.Secrets, sink: o.Sink,
		hostname: o.Hostname, stateDir: o.StateDir, grace: o.CancelGrace, interval: o.ProgressInterval, noHooks: o.NoHooks, log: o.Logger,
		retries: o.JournalRetries, retryGap: o.JournalRetryWait, heldGap: o.HeldRetry, probeMax: o.ProbeTimeout,
		wakeBeside: make(chan struct{}, 1), beside: map[string]*activeJob{}, cleared: map[string]bool{},
	}
	for i := range r.wake {
		r.wake[i] = make(chan struct{}, 1)
	}
	r.source.bound = map[string]restic.Repo{}
	if r.sink == nil {
		r.sink = DiscardSink{}
	}
	if r.hostname == "" {
		h, err := os.Hostname()
		if err != nil {
			return nil, fmt.Errorf("runner: own hostname: %w", err)
		}
		r.hostname = h
	}
	if r.grace <= 0 {
		r.grace = restic.DefaultGrace
	}
	if r.interval <= 0 {
		r.interval = time.Second
	}
	if r.retries <= 0 {
		r.retries = 3
	}
	if r.retryGap <= 0 {
		r.retryGap = time.Second
	}
	if r.heldGap <= 0 {
		r.heldGap = 30 * time.Second
	}
	if r.probeMax <= 0 {
		r.probeMax = 60 * time.Second
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r, nil
}

// Hostname is the name the runner gives restic as --host.
func (r *Runner) Hostname() string { return r.hostname }

// Run works through the queue until ctx is done: the main lane runs jobs
// one at a time, oldest first, and the side lane runs the jobs that may
// share the repository (find) beside it (see lanes.go). Jobs queued in a
// previous life run too. When ctx ends during a job, restic is
// interrupted and the job is left for the next start to report as failed
// ("agent restarted during job"). Jobs that take no lock run beside the
// queue at once (see runsBeside).
func (r *Runner) Run(ctx context.Context) error {
	var beside sync.WaitGroup
	beside.Add(1)
	go func() {
		defer beside.Done()
		r.runBesideLoop(ctx)
	}()
	defer beside.Wait()
	side := make(chan struct{})
	go func() {
		defer close(side)
		r.work(ctx, laneSide)
	}()
	err := r.work(ctx, laneMain)
	<-side
	return err
}

// work is one lane's loop.
func (r *Runner) work(ctx context.Context, lane lane) error {
	for {
		allRecorded := r.flushHeld()
		st, jobCtx, ok, err := r.claimNext(ctx, lane)
		if err != nil {
			r.log.Error("runner: read the job queue", "err", err)
			if !sleepCtx(ctx, time.Second) {
				return ctx.Err()
			}
			continue
		}
		if !ok {
			// Idle: wait for work, or, while job ends are held, for the
			// next try to journal them (the main lane does that).
			var retry <-chan time.Time
			var t *time.Timer
			if !allRecorded && lane == laneMain {
				t = time.NewTimer(r.heldGap)
				retry = t.C
			}
			select {
			case <-r.wake[lane]:
			case <-retry:
			case <-ctx.Done():
			}
			if t != nil {
				t.Stop()
			}
			if ctx.Err() != nil {
				return ctx.Err()
			}
			continue
		}
		r.runJob(ctx, jobCtx, st)
		r.mu.Lock()
		r.running[lane] = nil
		r.mu.Unlock()
		r.kick() // the other lane may have waited for this job
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// claimNext takes the lane's oldest queued job that may start now (see
// mayStart) under the lock Cancel takes, so a cancel sees the job either
// queued or claimed, never in between. A job that already ended in memory
// (its start could not be journaled) is skipped.
func (r *Runner) claimNext(ctx context.Context, lane lane) (journal.JobState, context.Context, bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	jobs, err := r.store.Jobs()
	if err != nil {
		return journal.JobState{}, nil, false, err
	}
	for _, st := range jobs {
		if st.Status != protocol.StatusQueued || runsBeside(st.Run) || laneOf(st.Run.Kind) != lane || r.isHeld(st.ID()) {
			continue
		}
		if !r.mayStartLocked(lane, st.Run.Kind) {
			// Jobs of a lane run in order: a later one never overtakes
			// the oldest.
			break
		}
		jobCtx, cancel := context.WithCancelCause(ctx)
		r.running[lane] = &activeJob{id: st.ID(), kind: st.Run.Kind, cancel: cancel}
		return st, jobCtx, true, nil
	}
	return journal.JobState{}, nil, false, nil
}

// kick wakes both lanes to look at the queue.
func (r *Runner) kick() {
	for _, w := range r.wake {
		wake(w)
	}
	wake(r.wakeBeside)
}

// wake signals w without blocking: one pending wake-up is enough.
func wake(w chan struct{}) {
	select {
	case w <- struct{}{}:
	default:
	}
}

// Submit validates a job and, when it is acceptable, persists it as queued
// and returns nil: the caller then answers command.result{accepted:true}.
// Nothing is written for a rejected job. The error is a
// *protocol.ValidationError naming the field, or wraps ErrRejected with the
// reason. A job id the agent already has (in flight or recently finished)
// is accepted again and changes nothing.
//
// Submit is for the manager's command.run: the source slot (SetSource)
// serves that one command. A new from_source restore takes it; every
// other command, and a re-sent one the agent already has, drops it.
func (r *Runner) Submit(job Job) error {
	source := r.source.take()
	if fromSource(job) {
		if _, known, err := r.store.Status(job.ID()); err == nil && known {
			return nil // re-sent: the job has had its source since it first came
		}
	}
	if err := r.validate(job); err != nil {
		return err
	}
	if fromSource(job) {
		if source == nil {
			return fmt.Errorf("%w: restore.from_source: the source slot is empty: the manager sends the other host's repository "+
				"(config.update slot source) right before each such restore", ErrRejected)
		}
		r.source.bind(job.ID(), *source)
	}
	r.flushHeld() // held job ends go first
	err := r.store.Enqueue([]journal.Job{job})
	if errors.Is(err, journal.ErrJobExists) {
		return nil
	}
	if err != nil {
		r.source.unbind(job.ID())
		return fmt.Errorf("persist job %s: %w", job.ID(), err)
	}
	r.kick()
	return nil
}

// SubmitFire validates every job of one schedule fire and, when all are
// acceptable, journals the schedule.fire and queues the jobs in one
// transaction. Nothing is written when any job is refused.
func (r *Runner) SubmitFire(fire *protocol.ScheduleFire, jobs []Job) error {
	for _, j := range jobs {
		if err := r.validate(j); err != nil {
			return fmt.Errorf("job %s: %w", j.ID(), err)
		}
	}
	var events []protocol.Payload
	if fire != nil {
		events = append(events, fire)
	}
	r.flushHeld() // held job ends go first
	if err := r.store.Enqueue(jobs, events...); err != nil {
		return fmt.Errorf("persist schedule fire: %w", err)
	}
	r.kick()
	return nil
}

// Cancel cancels a job. A running job's restic gets SIGINT, then is killed
// after the grace period; it ends `cancelled`. A queued job ends
// `cancelled` at once, without job.started. A finished job is left as it
// is. An id the agent does not know is ErrUnknownJob.
func (r *Runner) Cancel(jobID string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := r.activeLocked(jobID); a != nil {
		a.cancel(errCancelled)
		return nil
	}
	if b := r.beside[jobID]; b != nil {
		b.cancel(errCancelled)
		return nil
	}
	if r.isHeld(jobID) {
		return nil // it has ended already
	}
	st, inFlight, err := r.store.Job(jobID)
	if err != nil {
		return err
	}
	if inFlight && st.Status == protocol.StatusQueued {
		_, err := r.store.Append(&protocol.JobFinished{JobID: jobID, Status: protocol.StatusCancelled, ExitCode: -1,
			FinishedAt: time.Now().UTC(), Error: errCancelled.Error()})
		if err == nil {
			r.source.unbind(jobID)
		}
		return err
	}
	if _, known, err := r.store.Status(jobID); err != nil || known {
		return err
	}
	return fmt.Errorf("cancel %s: %w", jobID, ErrUnknownJob)
}

// Active reports whether a job of this schedule is queued or running (jobs
// kept from before a restart included), so the scheduler can skip a tick
// while the previous fire still runs. A job that ended in memory because
// the journal could not record its end is not active: later ticks fire.
func (r *Runner) Active(scheduleID string) bool {
	jobs, err := r.store.Jobs()
	if err != nil {
		r.log.Error("runner: read the job queue", "err", err)
		return false
	}
	for _, j := range jobs {
		if j.ScheduleID == scheduleID && !r.isHeld(j.ID()) {
			return true
		}
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
