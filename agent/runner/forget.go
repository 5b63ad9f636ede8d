package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"restic-manager/agent/restic"
)

// forgetGroupStats is one group's entry in a forget job's stats: the full
// ids of the snapshots the policy keeps and removes (or, in a dry run,
// would), so the window can list them by time and group.
type forgetGroupStats struct {
	Tag    string   `json:"tag"`
	Keep   []string `json:"keep"`
	Remove []string `json:"remove"`
}

// forget runs one `restic forget --host <own> --tag <tag> --keep-…` per
// group, in order, and stops at the first failure. It never prunes. With
// dry_run it runs `forget --dry-run --no-lock`, which changes nothing and
// takes no lock. The stats hold what each group kept and removed.
func (ex *execution) forget(ctx context.Context) result {
	dry := ex.job.Run.DryRun
	groups := []forgetGroupStats{}
	stats := func() json.RawMessage {
		raw, _ := json.Marshal(map[string]any{"groups": groups})
		return raw
	}
	build := restic.ForgetArgs
	if dry {
		build = restic.ForgetDryRunArgs
	}
	for _, g := range ex.job.Run.ForgetGroups {
		args, err := build(ex.r.hostname, g.Tag, g.Policy)
		if err != nil {
			return result{err: err, stats: stats()}
		}
		var out bytes.Buffer
		err = ex.restic(ctx, args, func(line []byte) {
			if len(line) > 0 && (line[0] == '[' || out.Len() > 0) {
				out.Write(line) // forget prints one JSON document
				return
			}
			ex.stdoutLine(line)
		})
		if err != nil {
			// The cause first, the group after: the error's first line is
			// what the window shows.
			return result{err: fmt.Errorf("%w (forget of group %q)", err, g.Tag), stats: stats()}
		}
		res, err := restic.ParseForget(out.Bytes())
		if err != nil {
			return result{err: err, stats: stats()}
		}
		groups = append(groups, forgetGroupStats{Tag: g.Tag, Keep: nonNil(res.Kept), Remove: nonNil(res.Removed)})
		ex.logForget(g.Tag, dry, res)
	}
	return result{stats: stats()}
}

// logForget says what one group's forget did (or would do), one line per
// removed snapshot, so the log alone answers "what went".
func (ex *execution) logForget(tag string, dry bool, res restic.ForgetResult) {
	verb, kept, removed := "forget", "kept", "removed"
	if dry {
		verb, kept, removed = "forget (dry run, nothing changed)", "would keep", "would remove"
	}
	ex.stdoutText(fmt.Sprintf("%s %s: %s %d, %s %d snapshot(s)", verb, tag, kept, len(res.Kept), removed, len(res.Removed)))
	for _, s := range res.RemovedSnapshots {
		ex.stdoutText(fmt.Sprintf("  %s %s %s", removed, s.ShortID, s.Time.UTC().Format("2006-01-02 15:04:05 UTC")))
	}
}

func nonNil(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}
