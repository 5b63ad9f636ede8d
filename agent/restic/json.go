package restic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"restic-manager/protocol"
)

// JSON line message types restic prints.
const (
	MsgStatus        = "status"
	MsgSummary       = "summary"
	MsgVerboseStatus = "verbose_status"
	MsgError         = "error"
	MsgExitError     = "exit_error"
	MsgChange        = "change"
	MsgStatistics    = "statistics"
	MsgSnapshot      = "snapshot"
	MsgNode          = "node"
)

var (
	messageTypeKey = []byte(`"message_type":"`)
	structTypeKey  = []byte(`"struct_type":"`)
)

// MessageType returns a JSON line's message_type (or, for ls, struct_type)
// without decoding the line; "" when the line is not a restic JSON message.
// restic writes the field first, so this is cheap for the ~60 status lines a
// second a backup prints.
func MessageType(line []byte) string {
	if len(line) == 0 || line[0] != '{' {
		return ""
	}
	for _, key := range [][]byte{messageTypeKey, structTypeKey} {
		i := bytes.Index(line, key)
		if i < 0 {
			continue
		}
		rest := line[i+len(key):]
		if j := bytes.IndexByte(rest, '"'); j >= 0 {
			return string(rest[:j])
		}
	}
	return ""
}

// BackupStatus is a backup --json status line.
type BackupStatus struct {
	SecondsElapsed   uint64   `json:"seconds_elapsed"`
	SecondsRemaining uint64   `json:"seconds_remaining"`
	PercentDone      float64  `json:"percent_done"`
	TotalFiles       uint64   `json:"total_files"`
	FilesDone        uint64   `json:"files_done"`
	TotalBytes       uint64   `json:"total_bytes"`
	BytesDone        uint64   `json:"bytes_done"`
	ErrorCount       uint64   `json:"error_count"`
	CurrentFiles     []string `json:"current_files"`
}

// Progress converts the status to the wire's job.progress.
func (s BackupStatus) Progress(jobID string) protocol.JobProgress {
	p := protocol.JobProgress{
		JobID: jobID, PercentDone: fraction(s.PercentDone),
		FilesDone: s.FilesDone, TotalFiles: s.TotalFiles,
		BytesDone: s.BytesDone, TotalBytes: s.TotalBytes,
		EtaSeconds: clampInt64(s.SecondsRemaining),
	}
	if s.SecondsElapsed > 0 {
		p.ThroughputBps = clampInt64(s.BytesDone / s.SecondsElapsed)
	}
	return p
}

// RestoreStatus is a restore --json status line (0.16+).
type RestoreStatus struct {
	SecondsElapsed uint64  `json:"seconds_elapsed"`
	PercentDone    float64 `json:"percent_done"`
	TotalFiles     uint64  `json:"total_files"`
	FilesRestored  uint64  `json:"files_restored"`
	FilesSkipped   uint64  `json:"files_skipped"`
	TotalBytes     uint64  `json:"total_bytes"`
	BytesRestored  uint64  `json:"bytes_restored"`
	BytesSkipped   uint64  `json:"bytes_skipped"`
}

// Progress converts the status to job.progress, with an ETA from the
// throughput so far.
func (s RestoreStatus) Progress(jobID string) protocol.JobProgress {
	done := s.BytesRestored + s.BytesSkipped
	return ProgressFromCounts(jobID, s.FilesRestored+s.FilesSkipped, s.TotalFiles, done, s.TotalBytes,
		time.Duration(s.SecondsElapsed)*time.Second)
}

// FinalProgress is the job.progress of a restore whose summary this is
// (the summary line has the status line's fields): restic is done, so 100%,
// whatever its counts say (0.16 to 0.19 count more files restored than in
// total).
func (s RestoreStatus) FinalProgress(jobID string) protocol.JobProgress {
	p := s.Progress(jobID)
	p.PercentDone, p.EtaSeconds = 1, 0
	return p
}

// ProgressFromCounts builds job.progress from counts measured over elapsed:
// percent from bytes (files when there are no bytes), throughput as bytes
// per second so far, and the ETA that throughput gives.
func ProgressFromCounts(jobID string, filesDone, totalFiles, bytesDone, totalBytes uint64, elapsed time.Duration) protocol.JobProgress {
	p := protocol.JobProgress{JobID: jobID, FilesDone: filesDone, TotalFiles: totalFiles, BytesDone: bytesDone, TotalBytes: totalBytes}
	switch {
	case totalBytes > 0:
		p.PercentDone = fraction(float64(bytesDone) / float64(totalBytes))
	case totalFiles > 0:
		p.PercentDone = fraction(float64(filesDone) / float64(totalFiles))
	}
	if secs := elapsed.Seconds(); secs >= 0.5 {
		bps := float64(bytesDone) / secs
		p.ThroughputBps = int64(bps)
		if bps > 0 && totalBytes > bytesDone {
			p.EtaSeconds = int64(math.Ceil(float64(totalBytes-bytesDone) / bps))
		}
	}
	return p
}

func fraction(f float64) float64 {
	switch {
	case f != f || f < 0:
		return 0
	case f > 1:
		return 1
	}
	return f
}

func clampInt64(u uint64) int64 {
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}

// BackupSummary is the fields of backup's summary line the agent reads; the
// line itself goes to job.finished.stats unchanged.
type BackupSummary struct {
	SnapshotID          string  `json:"snapshot_id"`
	FilesNew            uint64  `json:"files_new"`
	FilesChanged        uint64  `json:"files_changed"`
	FilesUnmodified     uint64  `json:"files_unmodified"`
	DirsNew             uint64  `json:"dirs_new"`
	DirsChanged         uint64  `json:"dirs_changed"`
	DirsUnmodified      uint64  `json:"dirs_unmodified"`
	DataAdded           uint64  `json:"data_added"`
	DataAddedPacked     uint64  `json:"data_added_packed"` // 0.17+: after compression
	TotalFilesProcessed uint64  `json:"total_files_processed"`
	TotalBytesProcessed uint64  `json:"total_bytes_processed"`
	TotalDuration       float64 `json:"total_duration"`
	DryRun              bool    `json:"dry_run"`
}

// FinalProgress is the job.progress of the backup this summary ends:
// everything processed, 100%.
func (s BackupSummary) FinalProgress(jobID string) protocol.JobProgress {
	p := ProgressFromCounts(jobID, s.TotalFilesProcessed, s.TotalFilesProcessed, s.TotalBytesProcessed, s.TotalBytesProcessed,
		time.Duration(s.TotalDuration*float64(time.Second)))
	p.PercentDone = 1
	return p
}

// Lines says the summary as restic's text mode does at the end of a
// backup, for the job log: backup --json prints no such text (0.14 none
// at all), and a log of status lines only reads as if nothing happened.
func (s BackupSummary) Lines() []string {
	added := "Added to the repository: " + FormatBytes(s.DataAdded)
	if s.DataAddedPacked > 0 {
		added += " (" + FormatBytes(s.DataAddedPacked) + " stored)"
	}
	out := []string{
		fmt.Sprintf("Files: %d new, %d changed, %d unmodified", s.FilesNew, s.FilesChanged, s.FilesUnmodified),
		fmt.Sprintf("Dirs: %d new, %d changed, %d unmodified", s.DirsNew, s.DirsChanged, s.DirsUnmodified),
		added,
		fmt.Sprintf("processed %d files, %s in %s", s.TotalFilesProcessed, FormatBytes(s.TotalBytesProcessed),
			formatElapsed(time.Duration(s.TotalDuration*float64(time.Second)))),
	}
	if s.SnapshotID != "" && !s.DryRun {
		id := s.SnapshotID
		if len(id) > 8 {
			id = id[:8]
		}
		out = append(out, "snapshot "+id+" saved")
	}
	return out
}

// FormatBytes writes a byte count as restic does: "512 B", "97.668 KiB",
// "1.207 GiB".
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, exp := float64(n), 0
	for f >= unit && exp < 6 {
		f /= unit
		exp++
	}
	return fmt.Sprintf("%.3f %ciB", f, "KMGTPE"[exp-1])
}

// formatElapsed is restic's "0:05" / "1:02:03".
func formatElapsed(d time.Duration) string {
	sec := int64(d.Round(time.Second) / time.Second)
	h, m, s := sec/3600, sec/60%60, sec%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, s)
	}
	return fmt.Sprintf("%d:%02d", m, s)
}

// StatsObject returns a JSON line as a stats object for job.finished: the
// line without its message_type field. It fails unless the line is an
// object.
func StatsObject(line []byte) (json.RawMessage, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(line, &obj); err != nil {
		return nil, fmt.Errorf("restic summary is not a JSON object: %w", err)
	}
	delete(obj, "message_type")
	return json.Marshal(obj)
}

// DiffStatistics is diff's statistics line.
type DiffStatistics struct {
	SourceSnapshot string   `json:"source_snapshot"`
	TargetSnapshot string   `json:"target_snapshot"`
	ChangedFiles   int64    `json:"changed_files"`
	Added          DiffStat `json:"added"`
	Removed        DiffStat `json:"removed"`
}

// DiffStat counts one side of a diff.
type DiffStat struct {
	Files     int64  `json:"files"`
	Dirs      int64  `json:"dirs"`
	Others    int64  `json:"others"`
	DataBlobs int64  `json:"data_blobs"`
	TreeBlobs int64  `json:"tree_blobs"`
	Bytes     uint64 `json:"bytes"`
}

// DiffChange is one diff change line. Modifier is a concatenation of "+"
// added, "-" removed, "T" type changed, "M" content changed, "U" metadata
// changed, "?" bitrot.
type DiffChange struct {
	Path     string `json:"path"`
	Modifier string `json:"modifier"`
}

// snapshotJSON is a snapshot as restic prints it (snapshots, forget, ls).
type snapshotJSON struct {
	ID       string    `json:"id"`
	ShortID  string    `json:"short_id"`
	Time     time.Time `json:"time"`
	Hostname string    `json:"hostname"`
	Paths    []string  `json:"paths"`
	Tags     []string  `json:"tags"`
	Summary  *struct {
		TotalFilesProcessed uint64 `json:"total_files_processed"`
		TotalBytesProcessed uint64 `json:"total_bytes_processed"`
	} `json:"summary"`
}

func (s snapshotJSON) wire() protocol.Snapshot {
	w := protocol.Snapshot{ID: s.ID, ShortID: s.ShortID, Time: s.Time, Hostname: s.Hostname, Paths: s.Paths, Tags: s.Tags}
	if w.Paths == nil {
		w.Paths = []string{}
	}
	if s.Summary != nil {
		size, files := s.Summary.TotalBytesProcessed, s.Summary.TotalFilesProcessed
		w.SizeBytes, w.FileCount = &size, &files
	}
	return w
}

// ParseSnapshots reads `snapshots --json` output into wire snapshots, oldest
// first as restic lists them. size_bytes and file_count are set where the
// version records a snapshot summary (0.17+).
func ParseSnapshots(out []byte) ([]protocol.Snapshot, error) {
	var raw []snapshotJSON
	out = bytes.TrimSpace(out)
	if len(out) == 0 || bytes.Equal(out, []byte("null")) {
		return []protocol.Snapshot{}, nil
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("parse snapshots --json: %w", err)
	}
	snaps := make([]protocol.Snapshot, 0, len(raw))
	for _, s := range raw {
		snaps = append(snaps, s.wire())
	}
	return snaps, nil
}

// ForgetGroup is one group of forget --json output.
type ForgetGroup struct {
	Host   string         `json:"host"`
	Tags   []string       `json:"tags"`
	Paths  []string       `json:"paths"`
	Keep   []snapshotJSON `json:"keep"`
	Remove []snapshotJSON `json:"remove"`
}

// ForgetResult is what one forget run kept and removed (or, with
// --dry-run, would): full snapshot ids, and the snapshots themselves.
type ForgetResult struct {
	Kept    []string // snapshot ids
	Removed []string
	// KeptSnapshots and RemovedSnapshots are the same, with their times
	// and tags, for the log.
	KeptSnapshots    []protocol.Snapshot
	RemovedSnapshots []protocol.Snapshot
}

// ParseForget reads forget --json output. restic prints nothing when no
// snapshot matched, which is an empty result.
func ParseForget(out []byte) (ForgetResult, error) {
	var res ForgetResult
	out = bytes.TrimSpace(out)
	if len(out) == 0 || bytes.Equal(out, []byte("null")) {
		return res, nil
	}
	var groups []ForgetGroup
	if err := json.Unmarshal(out, &groups); err != nil {
		return res, fmt.Errorf("parse forget --json: %w", err)
	}
	for _, g := range groups {
		for _, s := range g.Keep {
			res.Kept = append(res.Kept, s.ID)
			res.KeptSnapshots = append(res.KeptSnapshots, s.wire())
		}
		for _, s := range g.Remove {
			res.Removed = append(res.Removed, s.ID)
			res.RemovedSnapshots = append(res.RemovedSnapshots, s.wire())
		}
	}
	return res, nil
}

// Stats is `stats --json` output.
type Stats struct {
	TotalSize             uint64  `json:"total_size"`
	TotalUncompressedSize uint64  `json:"total_uncompressed_size,omitempty"`
	TotalFileCount        uint64  `json:"total_file_count"`
	TotalBlobCount        uint64  `json:"total_blob_count,omitempty"`
	SnapshotsCount        int     `json:"snapshots_count"`
	CompressionRatio      float64 `json:"compression_ratio,omitempty"`
}

// ParseStats reads `stats --json` output.
func ParseStats(out []byte) (Stats, error) {
	var s Stats
	if err := json.Unmarshal(bytes.TrimSpace(out), &s); err != nil {
		return s, fmt.Errorf("parse stats --json: %w", err)
	}
	return s, nil
}

// ApplyTo sets the repo.stats fields the given stats mode measures:
// restore-size → total_size_bytes, raw-data → raw_size_bytes,
// files-by-contents → unique_files; every mode → snapshot_count.
func (s Stats) ApplyTo(mode string, rs *protocol.RepoStats) {
	size, files, count := s.TotalSize, s.TotalFileCount, s.SnapshotsCount
	switch mode {
	case StatsRestoreSize:
		rs.TotalSizeBytes = &size
	case StatsRawData:
		rs.RawSizeBytes = &size
	case StatsFilesByContents:
		rs.UniqueFiles = &files
	}
	rs.SnapshotCount = &count
}

// Node is one entry of `ls --json`, the fields the browse index keeps.
type Node struct {
	Path  string    `json:"path"`
	Name  string    `json:"name"`
	Type  string    `json:"type"` // dir, file, symlink, dev, chardev, fifo, socket
	Size  uint64    `json:"size"`
	Mtime time.Time `json:"mtime"`
}

// lsLine decodes one ls --json line: a snapshot header or a node. 0.14
// marks them with struct_type, 0.17+ with message_type too.
type lsLine struct {
	MessageType string `json:"message_type"`
	StructType  string `json:"struct_type"`
	Node
}

func (l lsLine) kind() string {
	if l.MessageType != "" {
		return l.MessageType
	}
	return l.StructType
}
