package runner

import (
	"context"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// unlock runs `restic unlock`: stale locks only, never --remove-all (a live
// lock belongs to a restic that is still working). Afterwards it counts the
// locks that remain, for repo.stats lock_present.
func (ex *execution) unlock(ctx context.Context) result {
	if err := ex.restic(ctx, restic.UnlockArgs(), nil); err != nil {
		return result{err: err}
	}
	ex.r.markCleared(ex.repo.URL)
	res := result{}
	if n, err := ex.r.restic.LockCount(ctx, ex.repo); err == nil {
		present := n > 0
		res.repo = &protocol.RepoStats{LockPresent: &present}
		if present {
			ex.note("a live lock remains: another restic is still working on this repository")
		}
	}
	return res
}
