package runner

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// errProbeTimeout ends a repository test that got no answer in time.
var errProbeTimeout = errors.New("no answer in time")

// probeGrace is the time between SIGINT and kill for the test's restic: it
// holds no lock, so there is nothing to wait for.
const probeGrace = 2 * time.Second

// probe is the repository test behind Settings → "Test": `restic cat
// config --no-lock` with the repo slot, which needs the repository
// reachable, initialised and the password right, and changes nothing. A
// failure says which (error_kind). restic 0.17+ retries an unreachable
// server for 15 minutes; the test stops at its first retry, and at
// ProbeTimeout at the latest. When the repository answers, the lock files
// it holds are counted too (stats {"locks": n}, and repo.stats
// lock_present), so the test can say "locked" before a backup finds out.
func (ex *execution) probe(ctx context.Context) result {
	r := ex.r
	pctx, cancel := context.WithTimeoutCause(ctx, r.probeMax, errProbeTimeout)
	defer cancel()
	// stdout is the repository's config (id, chunker polynomial): no
	// secret, and nothing a person reads.
	res, err := r.restic.Run(pctx, restic.Cmd{Args: restic.ProbeArgs(), Repo: ex.repo, Grace: probeGrace, FailFast: true,
		Stderr: ex.stderrLine})
	if res.Started {
		ex.exitCode = res.ExitCode
	}
	if err != nil {
		if ctx.Err() == nil && errors.Is(context.Cause(pctx), errProbeTimeout) {
			err = &restic.Error{Op: "cat", ExitCode: res.ExitCode, Cause: restic.ErrUnreachable,
				Reason: fmt.Sprintf("no answer within %s", r.probeMax), Detail: "restic cat config did not finish in time"}
		}
		return result{err: err}
	}
	ex.stdoutText("the repository answers, is initialised, and the password is right")
	locks, err := r.restic.LockCount(pctx, ex.repo)
	if err != nil {
		ex.note("could not count the repository's locks: " + err.Error())
		return result{}
	}
	if locks > 0 {
		ex.stdoutText(fmt.Sprintf("%d lock(s) in the repository: a restic is running, or one was interrupted (Unlock removes stale locks)", locks))
	}
	stats, _ := json.Marshal(map[string]int{"locks": locks})
	present := locks > 0
	return result{stats: stats, repo: &protocol.RepoStats{LockPresent: &present}}
}
