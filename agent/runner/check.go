package runner

import (
	"context"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// check runs `restic check`, reading the read-data subset in args[0] when
// the job names one. Its text goes to the log in every restic version (see
// restic.CheckArgs); the exit code is the result, recorded in repo.stats.
func (ex *execution) check(ctx context.Context) result {
	subset := ""
	if len(ex.job.Run.Args) > 0 {
		subset = ex.job.Run.Args[0]
	}
	args, err := restic.CheckArgs(subset)
	if err != nil {
		return result{err: err}
	}
	err = ex.restic(ctx, args, nil)
	now := time.Now().UTC()
	status := "ok"
	if err != nil {
		status = "failed: " + err.Error()
	}
	if ctx.Err() != nil {
		return result{err: err}
	}
	return result{err: err, repo: &protocol.RepoStats{LastCheckAt: &now, LastCheckStatus: &status}}
}
