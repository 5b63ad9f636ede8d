package protocol_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"restic-manager/protocol"
)

// A find match's event payload carries exactly the keys DESIGN.md names
// ("Reach: find"), and its stats the two counts: the Find dialog and any
// other reader of the job log depend on them.
func TestFindShapesMatchTheDesign(t *testing.T) {
	cases := []struct {
		v    any
		want []string
	}{
		{protocol.FindMatch{SnapshotID: fullSnap, Path: "/a", Type: "file", Size: 1,
			Mtime: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}, []string{"mtime", "path", "size", "snapshot_id", "type"}},
		{protocol.FindMatch{}, []string{"mtime", "path", "size", "snapshot_id", "type"}},
		{protocol.FindStats{}, []string{"matches", "snapshots_searched"}},
	}
	for _, c := range cases {
		raw, err := json.Marshal(c.v)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, c.want) {
			t.Errorf("%T encodes keys %v, want %v", c.v, keys, c.want)
		}
	}
}
