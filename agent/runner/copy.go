package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// copy copies every snapshot of the host's repository into its second
// repository (slot copy) with `restic copy`: the second repository is
// RESTIC_REPOSITORY/RESTIC_PASSWORD and the host's RESTIC_FROM_*, in the
// environment only. A second repository that does not exist yet is first
// created with `init --copy-chunker-params`, so what is copied
// deduplicates there as it does here. restic skips snapshots it copied
// before, so a copy with nothing new copies nothing. The stats count the
// snapshots this run copied.
func (ex *execution) copy(ctx context.Context) result {
	dst, err := ex.r.copyRepo()
	if err != nil {
		return result{err: err}
	}
	ex.copyTo = &dst
	src := ex.repo

	var stats protocol.CopyStats
	_, err = ex.r.restic.Run(ctx, restic.Cmd{Args: restic.CatConfigArgs(), Repo: dst, Grace: ex.r.grace})
	switch {
	case errors.Is(err, restic.ErrNoRepository):
		ex.note("the second repository does not exist yet: creating it with this host's repository's chunker parameters")
		if err := ex.resticCmd(ctx, restic.Cmd{Args: restic.InitCopyArgs(), Repo: dst, From: &src}); err != nil {
			return result{err: fmt.Errorf("create the second repository: %w", err)}
		}
		stats.Initialized = true
	case err != nil:
		return result{err: fmt.Errorf("open the second repository: %w", err)}
	}

	var copied atomic.Int64
	count := func(log func([]byte)) func([]byte) {
		return func(line []byte) {
			if restic.IsCopiedLine(line) {
				copied.Add(1)
			}
			log(line)
		}
	}
	args := restic.CopyArgs(restic.KbpsToKiB(effectiveCap(ex.job.Run.BandwidthUpKbps, ex.cfg.BandwidthUpKbps)),
		restic.KbpsToKiB(effectiveCap(ex.job.Run.BandwidthDownKbps, ex.cfg.BandwidthDownKbps)))
	err = ex.resticCmd(ctx, restic.Cmd{Args: args, Repo: dst, From: &src, Stdout: count(ex.stdoutLine), Stderr: count(ex.stderrLine)})
	stats.SnapshotsCopied = int(copied.Load())
	raw, _ := json.Marshal(stats)
	return result{err: err, stats: raw}
}
