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
	stream := ex.summaryStream(func(line []byte) protocol.JobProgress {
		var s restic.BackupStatus
		_ = json.Unmarshal(line, &s)
		return s.Progress(ex.job.ID())
	}, func(summary []byte) protocol.JobProgress {
		var s restic.BackupSummary
		_ = json.Unmarshal(summary, &s)
		return s.FinalProgress(ex.job.ID())
	})
	stream.said = func(summary []byte) {
		// The summary as restic's text mode says it: backup --json prints
		// no text of its own, and a log without it reads as if nothing
		// happened.
		var s restic.BackupSummary
		if json.Unmarshal(summary, &s) == nil {
			ex.stdoutText(s.Lines()...)
		}
	}
	err = ex.restic(ctx, args, stream.line)
	return result{err: err, stats: stream.stats()}
}

// summaryStream handles the JSON lines of backup and (0.16+) restore:
// status lines become throttled progress (never log lines), the summary
// becomes the job's stats and a last, unthrottled progress at 100%, verbose
// lines are dropped and anything else is logged.
//
// The final progress is not restic's last status line: restic prints
// status lines on a timer (0.16.5 often none for a short restore, 0.19 none
// for a short backup), and the throttle may drop the last one, so only the
// summary says reliably that restic got to the end.
type summaryStream struct {
	ex       *execution
	progress func(status []byte) protocol.JobProgress
	final    func(summary []byte) protocol.JobProgress
	// said, when set, is told restic's summary line as it arrives.
	said func(summary []byte)

	mu      sync.Mutex
	summary json.RawMessage
}

func (ex *execution) summaryStream(progress, final func(line []byte) protocol.JobProgress) *summaryStream {
	return &summaryStream{ex: ex, progress: progress, final: final}
}

func (s *summaryStream) line(line []byte) {
	switch restic.MessageType(line) {
	case restic.MsgStatus:
		s.ex.sendProgress(func() protocol.JobProgress { return s.progress(line) })
	case restic.MsgSummary:
		if stats, err := restic.StatsObject(line); err == nil {
			s.mu.Lock()
			s.summary = stats
			s.mu.Unlock()
			s.ex.r.sink.Progress(s.final(line))
			if s.said != nil {
				s.said(line)
			}
		}
	case restic.MsgVerboseStatus:
	default:
		s.ex.stdoutLine(line)
	}
}

func (s *summaryStream) stats() json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.summary
}

// effectiveCap is a job's bandwidth cap in kbps: the job's own value when it
// sets one (0 meaning "no cap"), else the host's.
func effectiveCap(job *int, host int) int {
	if job != nil {
		return *job
	}
	return host
}
