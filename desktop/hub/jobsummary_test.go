package hub

import (
	"encoding/json"
	"testing"
)

func TestFiguresOfReadTheStatsOfTheJobsKind(t *testing.T) {
	backup := Job{Kind: JobKindBackup, Stats: json.RawMessage(`{"message_type":"summary","files_new":3,"files_changed":1,"files_unmodified":7,"data_added":4096,"snapshot_id":"abcd1234","total_duration":1.5}`)}
	f := FiguresOf(backup)
	if f.Backup == nil || f.Backup.FilesNew != 3 || f.Backup.FilesChanged != 1 || f.Backup.DataAdded != 4096 || f.Backup.SnapshotID != "abcd1234" {
		t.Errorf("backup figures = %+v", f.Backup)
	}
	if f.Restore != nil || f.Forget != nil {
		t.Errorf("a backup has only backup figures, got %+v", f)
	}

	restore := Job{Kind: JobKindRestore, Stats: json.RawMessage(`{"total_files":5,"files_restored":5,"total_bytes":100,"bytes_restored":100,"measured_by":"agent"}`)}
	if r := FiguresOf(restore).Restore; r == nil || r.FilesRestored != 5 || r.BytesRestored != 100 || r.MeasuredBy != "agent" {
		t.Errorf("restore figures = %+v", r)
	}

	// Agents before the snapshot ids sent counts alone.
	forget := Job{Kind: JobKindForget, Stats: json.RawMessage(`{"groups":[{"tag":"docs","kept":3,"removed":2}]}`)}
	if g := FiguresOf(forget).Forget; g == nil || len(g.Groups) != 1 || g.Groups[0].Removed != 2 {
		t.Errorf("forget figures = %+v", g)
	}
	byID := Job{Kind: JobKindForget, Stats: json.RawMessage(`{"groups":[{"tag":"docs","keep":["aa","bb","cc"],"remove":["dd","ee"]}]}`)}
	if g := FiguresOf(byID).Forget; g == nil || len(g.Groups) != 1 || g.Groups[0].Kept != 3 || g.Groups[0].Removed != 2 || g.Groups[0].Remove[1] != "ee" {
		t.Errorf("forget figures by id = %+v", g)
	}

	for _, j := range []Job{
		{Kind: JobKindBackup},
		{Kind: JobKindBackup, Stats: json.RawMessage(`null`)},
		{Kind: JobKindBackup, Stats: json.RawMessage(`"not an object"`)},
		{Kind: JobKindPrune, Stats: json.RawMessage(`{"files_new":1}`)},
	} {
		if f := FiguresOf(j); f.Backup != nil || f.Restore != nil || f.Forget != nil {
			t.Errorf("FiguresOf(%s %s) = %+v, want no figures", j.Kind, j.Stats, f)
		}
	}
}

func TestFirstLineCutsAtTheFirstBreak(t *testing.T) {
	for in, want := range map[string]string{
		"":                                     "",
		"restic exit 1: repository is locked":  "restic exit 1: repository is locked",
		"  Fatal: wrong password\nmore\nlines": "Fatal: wrong password",
		"first\r\nsecond":                      "first",
	} {
		if got := FirstLine(in); got != want {
			t.Errorf("FirstLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCompactEventPutsAResticJSONLineOnOneShortLine(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"message_type":"change","path":"/docs/a.txt","modifier":"+"}`, "+ /docs/a.txt"},
		{`{"message_type":"error","error":{"message":"permission denied"},"during":"archival","item":"/etc/shadow"}`, "error: permission denied (/etc/shadow)"},
		{`{"message_type":"verbose_status","action":"new","item":"/a b","size":12}`, `verbose_status action=new item="/a b" size=12`},
		{`{"z":1.5,"a":[1,2]}`, "a=[1,2] z=1.5"},
		{`not json at all`, "not json at all"},
		{`[1,2]`, "[1,2]"},
	} {
		if got := CompactEvent(tc.in); got != tc.want {
			t.Errorf("CompactEvent(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
