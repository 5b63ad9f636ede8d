package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// forgetGroupStats is one group's line in a forget job's stats.
type forgetGroupStats struct {
	Tag     string `json:"tag"`
	Kept    int    `json:"kept"`
	Removed int    `json:"removed"`
}

// forget runs one `restic forget --host <own> --tag <tag> --keep-…` per
// group, in order, and stops at the first failure. It never prunes. The
// stats hold what each group kept and removed.
func (ex *execution) forget(ctx context.Context) result {
	var groups []forgetGroupStats
	stats := func() json.RawMessage {
		raw, _ := json.Marshal(map[string]any{"groups": groups})
		return raw
	}
	for _, g := range ex.job.Run.ForgetGroups {
		args, err := restic.ForgetArgs(ex.r.hostname, g.Tag, g.Policy)
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
			return result{err: fmt.Errorf("forget group %q: %w", g.Tag, err), stats: stats()}
		}
		res, err := restic.ParseForget(out.Bytes())
		if err != nil {
			return result{err: err, stats: stats()}
		}
		groups = append(groups, forgetGroupStats{Tag: g.Tag, Kept: len(res.Kept), Removed: len(res.Removed)})
		ex.log.add(protocol.StreamStdout, fmt.Sprintf("forget %s: kept %d, removed %d snapshot(s)", g.Tag, len(res.Kept), len(res.Removed)))
	}
	return result{stats: stats()}
}
