package runner

import (
	"context"
	"sync"

	"restic-manager/agent/journal"
	"restic-manager/protocol"
)

// Jobs that take no lock and change nothing — the repository test and a
// retention preview — need not wait for a backup to end: they run beside
// the queue, each at once in its own goroutine, a few at a time. They are
// journaled like any job (job.started, log, job.finished), so a restart
// during one reports it as any other.

// maxBeside bounds the jobs running beside the queue; more wait their turn.
const maxBeside = 4

// runsBeside reports whether a job runs beside the queue rather than in it.
func runsBeside(run protocol.CommandRun) bool {
	return run.Kind == protocol.KindProbe || (run.Kind == protocol.KindForget && run.DryRun)
}

// runBesideLoop starts the queued jobs that run beside the queue until ctx
// is done, then waits for those running.
func (r *Runner) runBesideLoop(ctx context.Context) {
	var running sync.WaitGroup
	defer running.Wait()
	for {
		for _, claimed := range r.claimBeside(ctx) {
			running.Add(1)
			go func() {
				defer running.Done()
				r.runJob(ctx, claimed.ctx, claimed.st)
				claimed.cancel(nil)
				r.mu.Lock()
				delete(r.beside, claimed.st.ID())
				r.mu.Unlock()
				r.kick() // a slot is free
			}()
		}
		select {
		case <-r.wakeBeside:
		case <-ctx.Done():
			return
		}
	}
}

type claimedJob struct {
	st     journal.JobState
	ctx    context.Context
	cancel context.CancelCauseFunc
}

// claimBeside takes queued beside-jobs not running yet, up to the free
// slots, under the lock Cancel takes.
func (r *Runner) claimBeside(ctx context.Context) []claimedJob {
	r.mu.Lock()
	defer r.mu.Unlock()
	jobs, err := r.store.Jobs()
	if err != nil {
		r.log.Error("runner: read the job queue", "err", err)
		return nil
	}
	var out []claimedJob
	for _, st := range jobs {
		if len(r.beside) >= maxBeside {
			break
		}
		if st.Status != protocol.StatusQueued || !runsBeside(st.Run) || r.beside[st.ID()] != nil || r.isHeld(st.ID()) {
			continue
		}
		jobCtx, cancel := context.WithCancelCause(ctx)
		r.beside[st.ID()] = &activeJob{id: st.ID(), cancel: cancel}
		out = append(out, claimedJob{st: st, ctx: jobCtx, cancel: cancel})
	}
	return out
}
