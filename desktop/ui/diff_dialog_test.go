package ui

import (
	"errors"
	"strings"
	"testing"

	"restic-manager/desktop/hub"
)

func TestDiffDialogSizeColumnSaysWhatIsKnown(t *testing.T) {
	d := &diffTable{sizes: map[int]hub.DiffSize{0: {Index: 0, Type: "file", Size: 2048}, 2: {Index: 2, Type: "symlink"}}}
	entries := []hub.DiffEntry{
		{Path: "/a", Kind: hub.DiffAdded, Modifier: "+"},
		{Path: "/b", Kind: hub.DiffRemoved, Modifier: "-"},
		{Path: "/c", Kind: hub.DiffModified, Modifier: "T"},
		{Path: "/d", Dir: true, Kind: hub.DiffAdded, Modifier: "+"},
	}
	d.sizing = true
	want := []string{"2.0 KiB", "…", "symlink", "folder"}
	for i, e := range entries {
		if got := d.cellTextLocked(i, e, diffColSize); got != want[i] {
			t.Errorf("while sizing, %s: %q; want %q", e.Path, got, want[i])
		}
	}
	d.sizing = false
	if got := d.cellTextLocked(1, entries[1], diffColSize); got != "size unknown" {
		t.Errorf("after sizing, an entry not found: %q; want size unknown", got)
	}
	if got := d.cellTextLocked(2, entries[2], diffColKind); got != "T modified" {
		t.Errorf("kind of a type change: %q", got)
	}
	if got := d.cellTextLocked(3, entries[3], diffColPath); got != "/d/" {
		t.Errorf("a folder's path: %q; want the trailing slash restic gives it", got)
	}

	for rep, want := range map[*hub.DiffSizesReport]string{
		{Listed: 300, Unknown: 12}:                     "Sizes of 12 entries are unknown (looked in 300 folders",
		{Unknown: 1, Err: hub.ErrHostOffline}:          "Sizes of 1 entry are unknown: the host went offline.",
		{Unknown: 3, Err: errors.New("agent said no")}: "Sizes of 3 entries are unknown: agent said no",
		{Listed: 4}: "",
	} {
		if got := diffSizesText(*rep); !strings.HasPrefix(got, want) || (want == "" && got != "") {
			t.Errorf("%+v: %q; want %q…", *rep, got, want)
		}
	}
}

func TestDiffTotalsUseRestic014Statistics(t *testing.T) {
	// restic 0.14's statistics line (desktop/hub/testdata/restic-0.14-diff.json).
	s, err := hub.ParseDiffStats([]byte(`{"message_type":"statistics","source_snapshot":"4b7d0f71","target_snapshot":"8f7696c0","changed_files":1,"added":{"files":2,"dirs":0,"others":0,"data_blobs":2,"tree_blobs":5,"bytes":2730},"removed":{"files":1,"dirs":0,"others":0,"data_blobs":2,"tree_blobs":5,"bytes":2463}}`))
	if err != nil {
		t.Fatal(err)
	}
	got := diffTotalsText(hub.DiffResult{Stats: &s})
	want := "Modified: 1 file.\nAdded: 2 files, 0 folders, 0 others — 2.7 KiB in 7 blobs (2 data, 5 tree).\nRemoved: 1 file, 0 folders, 0 others — 2.4 KiB in 7 blobs (2 data, 5 tree)."
	if got != want {
		t.Errorf("totals:\n%s\nwant:\n%s", got, want)
	}
}
