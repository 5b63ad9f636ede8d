package runner

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// prune runs `restic prune` (text in every version). It needs delete rights,
// so on an append-only rest-server the job comes with requires_admin_creds
// and runs with the admin slot. The "total prune" line gives the bytes freed
// for repo.stats.
func (ex *execution) prune(ctx context.Context) result {
	var (
		mu    sync.Mutex
		freed *uint64
	)
	err := ex.restic(ctx, restic.PruneArgs(), func(line []byte) {
		if b, ok := parsePruneTotal(string(line)); ok {
			mu.Lock()
			freed = &b
			mu.Unlock()
		}
		ex.stdoutLine(line)
	})
	if err != nil {
		return result{err: err}
	}
	now := time.Now().UTC()
	mu.Lock()
	defer mu.Unlock()
	return result{repo: &protocol.RepoStats{LastPruneAt: &now, LastPruneFreedBytes: freed}}
}

var pruneTotalRe = regexp.MustCompile(`^total prune:\s+\d+ blobs / ([0-9.]+) (B|KiB|MiB|GiB|TiB)\b`)

// parsePruneTotal reads "total prune:           7 blobs / 1.460 KiB".
func parsePruneTotal(line string) (uint64, bool) {
	m := pruneTotalRe.FindStringSubmatch(line)
	if m == nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return 0, false
	}
	unit := map[string]float64{"B": 1, "KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}[m[2]]
	return uint64(f * unit), true
}
