package runner

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// check runs `restic check`, reading the read-data subset in args[0] when
// the job names one. Text output goes to the log; where restic prints JSON
// (0.18+), its summary becomes the stats.
func (ex *execution) check(ctx context.Context) result {
	subset := ""
	if len(ex.job.Run.Args) > 0 {
		subset = ex.job.Run.Args[0]
	}
	args, err := ex.r.restic.CheckArgs(subset)
	if err != nil {
		return result{err: err}
	}
	var (
		mu    sync.Mutex
		stats json.RawMessage
	)
	err = ex.restic(ctx, args, func(line []byte) {
		if restic.MessageType(line) == restic.MsgSummary {
			if s, err := restic.StatsObject(line); err == nil {
				mu.Lock()
				stats = s
				mu.Unlock()
			}
		}
		ex.stdoutLine(line)
	})
	now := time.Now().UTC()
	status := "ok"
	if err != nil {
		status = "failed: " + err.Error()
	}
	if ctx.Err() != nil {
		return result{err: err}
	}
	mu.Lock()
	defer mu.Unlock()
	return result{err: err, stats: stats, repo: &protocol.RepoStats{LastCheckAt: &now, LastCheckStatus: &status}}
}
