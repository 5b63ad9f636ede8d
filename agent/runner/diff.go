package runner

import (
	"context"
	"encoding/json"
	"sync"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// diff runs `restic diff --json a b`. Each change line goes to the job log
// as an `event` line holding restic's JSON (the Diff dialog reads them);
// the statistics line becomes job.finished.stats.
func (ex *execution) diff(ctx context.Context) result {
	d := ex.job.Run.Diff
	var (
		mu    sync.Mutex
		stats json.RawMessage
	)
	err := ex.restic(ctx, restic.DiffArgs(d.SnapshotA, d.SnapshotB), func(line []byte) {
		switch restic.MessageType(line) {
		case restic.MsgChange:
			ex.log.add(protocol.StreamEvent, string(line))
		case restic.MsgStatistics:
			if s, err := restic.StatsObject(line); err == nil {
				mu.Lock()
				stats = s
				mu.Unlock()
			}
		default:
			ex.stdoutLine(line)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	return result{err: err, stats: stats}
}
