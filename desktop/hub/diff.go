package hub

// The Diff dialog's logic: reading a diff job's result back from its log
// and stats, and filling in the sizes restic's change lines leave out.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"

	"restic-manager/protocol"
)

// DiffKind classifies one diff entry.
type DiffKind string

const (
	DiffAdded    DiffKind = "added"    // only in the newer snapshot (b)
	DiffRemoved  DiffKind = "removed"  // only in the older snapshot (a)
	DiffModified DiffKind = "modified" // in both, changed (content, type or metadata)
)

// DiffEntry is one of restic's `diff --json` change lines.
type DiffEntry struct {
	// Path is the entry's path inside the snapshots (restic syntax, "/"
	// separated), without the trailing "/" restic gives directories.
	Path string
	// Dir: restic printed the path with a trailing "/".
	Dir bool
	// Modifier is restic's: "+", "-", or a combination of "T" (type
	// changed), "M" (content changed), "?" (content changed but no
	// metadata: bitrot?) and "U" (metadata only).
	Modifier string
	Kind     DiffKind
}

// DiffCounts is one side of restic's diff statistics. Bytes is the size of
// the blobs (data and tree) only that side has — what the repository
// gained, or could drop — not the sum of the files' sizes.
type DiffCounts struct {
	Files     int64  `json:"files"`
	Dirs      int64  `json:"dirs"`
	Others    int64  `json:"others"`
	DataBlobs int64  `json:"data_blobs"`
	TreeBlobs int64  `json:"tree_blobs"`
	Bytes     uint64 `json:"bytes"`
}

// DiffStats is restic's diff statistics object (job.finished.stats).
type DiffStats struct {
	SourceSnapshot string     `json:"source_snapshot"`
	TargetSnapshot string     `json:"target_snapshot"`
	ChangedFiles   int64      `json:"changed_files"`
	Added          DiffCounts `json:"added"`
	Removed        DiffCounts `json:"removed"`
}

// DiffResult is what a diff job has produced so far.
type DiffResult struct {
	Job Job
	// Done: the job has ended (Job.Status says how; Job.Error why).
	Done bool
	// Entries are the change lines in restic's order (depth first, by
	// name).
	Entries []DiffEntry
	// Stats is restic's statistics; nil until the job has succeeded.
	Stats *DiffStats
	// NotKept is how many log lines the agent did not keep (its per-job
	// cap): the list is incomplete by about that many entries, while
	// Stats still counts everything.
	NotKept int
}

// Count returns how many entries are of kind k.
func (r DiffResult) Count(k DiffKind) int {
	n := 0
	for _, e := range r.Entries {
		if e.Kind == k {
			n++
		}
	}
	return n
}

// DiffResult reads a diff job's entries from its log (stream "event") and
// its statistics from its stats. It reads the local store only; call it
// again after ChangeJobLog or ChangeJob for the job.
func (h *Hub) DiffResult(jobID string) (DiffResult, error) {
	j, err := h.store.Job(jobID)
	if err != nil {
		return DiffResult{}, err
	}
	if j.Kind != protocol.KindDiff {
		return DiffResult{}, fmt.Errorf("diff result of job %s: %w: it is a %s job", jobID, ErrInvalid, j.Kind)
	}
	r := DiffResult{Job: j, Done: j.Terminal()}
	const page = 10_000
	for from := uint64(1); ; {
		lines, err := h.store.JobLog(jobID, from, page)
		if err != nil {
			return DiffResult{}, fmt.Errorf("diff result of job %s: %w", jobID, err)
		}
		for _, l := range lines {
			switch l.Stream {
			case protocol.StreamEvent:
				if e, ok := ParseDiffChange(l.Payload); ok {
					r.Entries = append(r.Entries, e)
				}
			case protocol.StreamStderr:
				if n, ok := notKeptLines(l.Payload); ok {
					r.NotKept += n
				}
			}
		}
		if len(lines) < page {
			break
		}
		from = lines[len(lines)-1].Seq + 1
	}
	if len(j.Stats) > 0 {
		if s, err := ParseDiffStats(j.Stats); err == nil {
			r.Stats = &s
		}
	}
	return r, nil
}

// ParseDiffChange parses one restic `diff --json` line; ok is false for
// any other line (statistics, errors, text).
func ParseDiffChange(line string) (DiffEntry, bool) {
	var c struct {
		MessageType string `json:"message_type"`
		Path        string `json:"path"`
		Modifier    string `json:"modifier"`
	}
	if err := json.Unmarshal([]byte(line), &c); err != nil || c.MessageType != "change" || c.Path == "" || c.Modifier == "" {
		return DiffEntry{}, false
	}
	e := DiffEntry{Path: c.Path, Modifier: c.Modifier}
	if len(e.Path) > 1 && strings.HasSuffix(e.Path, "/") {
		e.Dir = true
		e.Path = strings.TrimSuffix(e.Path, "/")
	}
	switch {
	case strings.Contains(c.Modifier, "+"):
		e.Kind = DiffAdded
	case strings.Contains(c.Modifier, "-"):
		e.Kind = DiffRemoved
	default:
		e.Kind = DiffModified
	}
	return e, true
}

// ParseDiffStats parses restic's diff statistics, either the object the
// agent stores as the job's stats or restic's whole statistics line.
func ParseDiffStats(raw []byte) (DiffStats, error) {
	var s struct {
		MessageType string `json:"message_type"`
		DiffStats
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return DiffStats{}, fmt.Errorf("diff statistics: %w", err)
	}
	if s.MessageType != "" && s.MessageType != "statistics" {
		return DiffStats{}, fmt.Errorf("diff statistics: %w: message_type %q", ErrInvalid, s.MessageType)
	}
	return s.DiffStats, nil
}

var notKeptRe = regexp.MustCompile(`^\[(\d+) more lines not kept\]$`)

// notKeptLines reads the agent's "[N more lines not kept]" marker.
func notKeptLines(s string) (int, bool) {
	m := notKeptRe.FindStringSubmatch(s)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// DefaultDiffSizeDirs bounds the directory listings DiffSizes makes.
const DefaultDiffSizeDirs = 300

// DiffSize is the size of one diff entry, when DiffSizes found it.
type DiffSize struct {
	// Index is the entry's position in the slice given to DiffSizes.
	Index int
	// Type is the entry's type in the snapshot that has it (b for added
	// and modified entries, a for removed ones): protocol.EntryFile,
	// EntrySymlink...
	Type string
	// Size is the file's size there (0 for anything but a file).
	Size uint64
}

// DiffSizesReport says how the size lookup went.
type DiffSizesReport struct {
	// Listed is how many directory pages were listed.
	Listed int
	// Unknown counts the entries (other than directories) whose size
	// stayed unknown: the listing budget ran out, the agent failed, or
	// the entry was missing from its directory.
	Unknown int
	// Err is the first error that stopped the lookup (host offline,
	// timeout); nil when only the budget ran out or nothing failed.
	Err error
}

// DiffSizes finds the sizes restic's change lines leave out by listing,
// through TreeList, the parent directories of entries: in snapshotB for
// added and modified entries, in snapshotA for removed ones. Directories
// have no size and are skipped. It lists at most maxDirs directory pages
// (0 means DefaultDiffSizeDirs), parents in the order their entries
// appear, and calls found (from this goroutine) with each batch of sizes
// as a directory is read. It waits on the agent: never call it on a UI
// goroutine. An offline host or a timeout stops it; the report says how
// many sizes stayed unknown.
func (h *Hub) DiffSizes(ctx context.Context, hostID, snapshotA, snapshotB string, entries []DiffEntry, maxDirs int, found func([]DiffSize)) DiffSizesReport {
	if maxDirs <= 0 {
		maxDirs = DefaultDiffSizeDirs
	}
	type dirKey struct{ snap, dir string }
	var (
		order   []dirKey
		waiting = map[dirKey]map[string][]int{} // dir → base name → entry indexes
		rep     DiffSizesReport
	)
	for i, e := range entries {
		if e.Dir || e.Path == "/" {
			continue
		}
		snap := snapshotB
		if e.Kind == DiffRemoved {
			snap = snapshotA
		}
		k := dirKey{snap, path.Dir(e.Path)}
		if waiting[k] == nil {
			waiting[k] = map[string][]int{}
			order = append(order, k)
		}
		name := path.Base(e.Path)
		waiting[k][name] = append(waiting[k][name], i)
		rep.Unknown++
	}
	for _, k := range order {
		names := waiting[k]
		for offset := 0; ; {
			if rep.Listed >= maxDirs || rep.Err != nil {
				return rep
			}
			page, err := h.TreeList(ctx, hostID, k.snap, k.dir, offset, 0)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					break // the directory is gone: its entries stay unknown
				}
				rep.Err = err
				return rep
			}
			rep.Listed++
			var batch []DiffSize
			for _, te := range page.Entries {
				idx, ok := names[te.Name]
				if !ok {
					continue
				}
				size := te.Size
				if te.Type != protocol.EntryFile {
					size = 0
				}
				for _, i := range idx {
					batch = append(batch, DiffSize{Index: i, Type: te.Type, Size: size})
				}
				delete(names, te.Name)
			}
			if len(batch) > 0 {
				rep.Unknown -= len(batch)
				if found != nil {
					found(batch)
				}
			}
			if page.NextOffset == 0 || len(names) == 0 {
				break
			}
			offset = page.NextOffset
		}
	}
	return rep
}
