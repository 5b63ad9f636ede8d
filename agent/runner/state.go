package runner

import (
	"context"
	"iter"
	"slices"

	"restic-manager/agent/restic"
	"restic-manager/agent/secrets"
	"restic-manager/protocol"
)

// afterJob sends the state a job changed, best effort: the snapshot list
// after backup, forget and prune (when restic ran), and the repository
// facts the job learnt (check result, prune time, locks left) as repo.stats.
func (r *Runner) afterJob(ctx context.Context, ex *execution, res result) {
	stats := res.repo
	switch ex.job.Run.Kind {
	case protocol.KindBackup, protocol.KindForget, protocol.KindPrune:
		if ex.exitCode < 0 || ex.job.Run.DryRun {
			break // restic never ran, or a preview changed nothing
		}
		r.invalidateSnapshots()
		snaps, err := r.Snapshots(ctx)
		if err != nil {
			r.log.Warn("runner: refresh the snapshot list", "job_id", ex.job.ID(), "err", err)
			break
		}
		r.sink.Snapshots(snaps)
		if stats == nil {
			stats = &protocol.RepoStats{}
		}
		n := len(snaps)
		stats.SnapshotCount = &n
	}
	if stats != nil {
		r.sink.RepoStats(*stats)
	}
}

func (r *Runner) invalidateSnapshots() {
	r.snapMu.Lock()
	r.snapsValid = false
	r.snapMu.Unlock()
}

// Repo returns the repository with the everyday (repo slot) credentials,
// as the jobs that need no admin slot run it; an error says what is not
// configured yet.
func (r *Runner) Repo() (restic.Repo, error) { return r.repo() }

// ConfigChanged tells the runner the repository settings may have changed:
// the snapshot list it keeps is read again before it is next used.
func (r *Runner) ConfigChanged() { r.invalidateSnapshots() }

// repo returns the repository with the everyday (repo slot) credentials.
func (r *Runner) repo() (restic.Repo, error) {
	_, repo, err := r.repoFor(secrets.SlotRepo)
	return repo, err
}

// Snapshots returns the repository's snapshot list for snapshots.report: the
// last list the runner read, refreshed with `restic snapshots --json` when
// a job has changed the repository since (or none was read yet in this
// life). It takes no lock, so it may run beside a job.
func (r *Runner) Snapshots(ctx context.Context) ([]protocol.Snapshot, error) {
	r.snapMu.Lock()
	defer r.snapMu.Unlock()
	if r.snapsValid {
		return slices.Clone(r.snapshots), nil
	}
	repo, err := r.repo()
	if err != nil {
		return nil, err
	}
	snaps, err := r.restic.Snapshots(ctx, repo)
	if err != nil {
		return nil, err
	}
	r.snapshots, r.snapsValid = snaps, true
	return slices.Clone(snaps), nil
}

// Ls streams the nodes of a snapshot (restricted to paths when given) for
// the browse index, with the repository's everyday credentials; see
// restic.Restic.Ls. It takes no lock.
func (r *Runner) Ls(ctx context.Context, snapshotID string, paths ...string) iter.Seq2[restic.Node, error] {
	repo, err := r.repo()
	if err != nil {
		return func(yield func(restic.Node, error) bool) { yield(restic.Node{}, err) }
	}
	return r.restic.Ls(ctx, repo, snapshotID, paths...)
}
