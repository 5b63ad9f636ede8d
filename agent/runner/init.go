package runner

import (
	"context"

	"restic-manager/agent/restic"
)

// init runs `restic init`. A new repository has no stale locks, so the
// runner counts it as cleared for this life.
func (ex *execution) init(ctx context.Context) result {
	if err := ex.restic(ctx, restic.InitArgs(), nil); err != nil {
		return result{err: err}
	}
	ex.r.markCleared(ex.repo.URL)
	return result{}
}
