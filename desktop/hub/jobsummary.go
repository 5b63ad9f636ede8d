package hub

// What the Jobs tab needs to read a job at a glance: its status and kind
// names, the figures of its stats object and a compact form of the restic
// JSON lines in its log (check's subset rule is ValidateReadDataSubset in
// form_checks.go). Plain functions over stored values; no I/O.

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"restic-manager/protocol"
)

// Job statuses and kinds, re-exported for the UI.
const (
	JobQueued    = protocol.StatusQueued
	JobRunning   = protocol.StatusRunning
	JobSucceeded = protocol.StatusSucceeded
	JobFailed    = protocol.StatusFailed
	JobCancelled = protocol.StatusCancelled

	JobKindBackup  = protocol.KindBackup
	JobKindInit    = protocol.KindInit
	JobKindForget  = protocol.KindForget
	JobKindPrune   = protocol.KindPrune
	JobKindCheck   = protocol.KindCheck
	JobKindUnlock  = protocol.KindUnlock
	JobKindRestore = protocol.KindRestore
	JobKindDiff    = protocol.KindDiff
	JobKindProbe   = protocol.KindProbe
	JobKindFind    = protocol.KindFind
	JobKindCopy    = protocol.KindCopy

	// LogStderr and LogEvent are the log streams the UI marks: restic's
	// standard error, and restic JSON lines kept as they came.
	LogStdout = protocol.StreamStdout
	LogStderr = protocol.StreamStderr
	LogEvent  = protocol.StreamEvent
)

// BackupSummary is the part of restic's backup summary a person reads.
type BackupSummary struct {
	SnapshotID          string  `json:"snapshot_id"`
	FilesNew            uint64  `json:"files_new"`
	FilesChanged        uint64  `json:"files_changed"`
	FilesUnmodified     uint64  `json:"files_unmodified"`
	DirsNew             uint64  `json:"dirs_new"`
	DirsChanged         uint64  `json:"dirs_changed"`
	DataAdded           uint64  `json:"data_added"`
	TotalFilesProcessed uint64  `json:"total_files_processed"`
	TotalBytesProcessed uint64  `json:"total_bytes_processed"`
	TotalDuration       float64 `json:"total_duration"`
}

// RestoreSummary is a restore's figures: restic's own summary (0.16+) or
// the counts the agent measured (MeasuredBy set), with the same names.
type RestoreSummary struct {
	TotalFiles     uint64 `json:"total_files"`
	FilesRestored  uint64 `json:"files_restored"`
	FilesSkipped   uint64 `json:"files_skipped"`
	TotalBytes     uint64 `json:"total_bytes"`
	BytesRestored  uint64 `json:"bytes_restored"`
	BytesSkipped   uint64 `json:"bytes_skipped"`
	SecondsElapsed uint64 `json:"seconds_elapsed"`
	MeasuredBy     string `json:"measured_by"`
}

// ForgetSummary is what a forget job kept and removed, per group.
type ForgetSummary struct {
	Groups []ForgetGroupSummary `json:"groups"`
}

// ForgetGroupSummary is one group's line of a ForgetSummary: the full ids
// kept and removed (RetentionPreview shows them with their times), and
// their counts. Agents before the ids existed sent the counts alone.
type ForgetGroupSummary struct {
	Tag     string   `json:"tag"`
	Keep    []string `json:"keep"`
	Remove  []string `json:"remove"`
	Kept    int      `json:"kept"`
	Removed int      `json:"removed"`
}

// JobFigures is a job's stats object read for its kind. Only the field of
// the job's kind is set, and only when the stats parse.
type JobFigures struct {
	Backup  *BackupSummary
	Restore *RestoreSummary
	Forget  *ForgetSummary
}

// FiguresOf reads a job's stats for its kind. Missing or malformed stats
// give an empty JobFigures: the figures are a courtesy, never an error.
func FiguresOf(j Job) JobFigures {
	var f JobFigures
	if len(j.Stats) == 0 || string(j.Stats) == "null" {
		return f
	}
	switch j.Kind {
	case protocol.KindBackup:
		var s BackupSummary
		if json.Unmarshal(j.Stats, &s) == nil {
			f.Backup = &s
		}
	case protocol.KindRestore:
		var s RestoreSummary
		if json.Unmarshal(j.Stats, &s) == nil {
			f.Restore = &s
		}
	case protocol.KindForget:
		var s ForgetSummary
		if json.Unmarshal(j.Stats, &s) == nil {
			for i := range s.Groups {
				g := &s.Groups[i]
				if g.Keep != nil || g.Remove != nil {
					g.Kept, g.Removed = len(g.Keep), len(g.Remove)
				}
			}
			f.Forget = &s
		}
	}
	return f
}

// FirstLine is s up to its first line break, trimmed: a job error as one
// row of a table.
func FirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// CompactEvent renders one restic JSON line (a log line of stream
// "event") on one short line: a diff change as "+ /path", an error as
// "error: message (item)", anything else as its message type followed by
// key=value pairs in key order. A line that is not a JSON object comes
// back as it is.
func CompactEvent(payload string) string {
	var m map[string]any
	if err := json.Unmarshal([]byte(payload), &m); err != nil || m == nil {
		return payload
	}
	typ, _ := m["message_type"].(string)
	delete(m, "message_type")
	switch typ {
	case "change":
		mod, _ := m["modifier"].(string)
		path, _ := m["path"].(string)
		if path != "" {
			return strings.TrimSpace(mod + " " + path)
		}
	case "error", "exit_error":
		msg := ""
		switch e := m["error"].(type) {
		case map[string]any:
			msg, _ = e["message"].(string)
		case string:
			msg = e
		}
		if msg == "" {
			msg, _ = m["message"].(string)
		}
		if msg != "" {
			out := "error: " + msg
			if item, _ := m["item"].(string); item != "" {
				out += " (" + item + ")"
			}
			return out
		}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys)+1)
	if typ != "" {
		parts = append(parts, typ)
	}
	for _, k := range keys {
		parts = append(parts, k+"="+compactValue(m[k]))
	}
	return strings.Join(parts, " ")
}

func compactValue(v any) string {
	switch v := v.(type) {
	case string:
		if v == "" || strings.ContainsAny(v, " \t\"=") {
			return fmt.Sprintf("%q", v)
		}
		return v
	case float64:
		if v == float64(int64(v)) {
			return fmt.Sprintf("%d", int64(v))
		}
		return fmt.Sprintf("%g", v)
	case nil:
		return "null"
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	}
}
