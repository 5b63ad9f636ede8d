package runner

import (
	"context"
	"encoding/json"
	"sync"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// backup runs `restic backup --json` for one source group. Status lines
// become throttled job.progress (never log lines); the summary becomes
// job.finished.stats, also when the job fails after restic made a snapshot
// (a missing path, unreadable files).
func (ex *execution) backup(ctx context.Context) result {
	run := ex.job.Run
	args, err := restic.BackupArgs(restic.BackupOptions{
		Host: ex.r.hostname, Tag: run.Tag, Includes: run.Includes, Excludes: run.Excludes,
		LimitUploadKiB:   restic.KbpsToKiB(effectiveCap(run.BandwidthUpKbps, ex.cfg.BandwidthUpKbps)),
		LimitDownloadKiB: restic.KbpsToKiB(effectiveCap(run.BandwidthDownKbps, ex.cfg.BandwidthDownKbps)),
	})
	if err != nil {
		return result{err: err}
	}
	var (
		mu      sync.Mutex
		summary json.RawMessage
	)
	err = ex.restic(ctx, args, func(line []byte) {
		switch restic.MessageType(line) {
		case restic.MsgStatus:
			ex.sendProgress(func() protocol.JobProgress {
				var s restic.BackupStatus
				_ = json.Unmarshal(line, &s)
				return s.Progress(ex.job.ID())
			})
		case restic.MsgSummary:
			if stats, err := restic.StatsObject(line); err == nil {
				mu.Lock()
				summary = stats
				mu.Unlock()
			}
		case restic.MsgVerboseStatus:
		default:
			ex.stdoutLine(line)
		}
	})
	mu.Lock()
	defer mu.Unlock()
	return result{err: err, stats: summary}
}

// effectiveCap is a job's bandwidth cap in kbps: the job's own value when it
// sets one (0 meaning "no cap"), else the host's.
func effectiveCap(job *int, host int) int {
	if job != nil {
		return *job
	}
	return host
}
