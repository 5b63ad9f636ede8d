package link

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

func snapshots(n int, pathLen int) []protocol.Snapshot {
	out := make([]protocol.Snapshot, n)
	base := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	for i := range out {
		id := fmt.Sprintf("%064x", i)
		out[i] = protocol.Snapshot{ID: id, ShortID: id[:8], Time: base.Add(time.Duration(i) * time.Hour), Hostname: "office-pc",
			Paths: []string{"/home/" + strings.Repeat("p", pathLen)}, Tags: []string{"files"}}
	}
	return out
}

// frameSize is the size of the whole frame a report travels in.
func frameSize(t *testing.T, r *protocol.SnapshotsReport) int {
	t.Helper()
	env, err := protocol.NewEnvelope(r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return len(b)
}

// A snapshot list whose frame would pass 512 KiB is split into parts that
// each fit, share one report_id and number themselves from 1 of parts; a
// list that fits goes whole, without report_id.
func TestSplitSnapshots(t *testing.T) {
	const limit = protocol.SnapshotsReportSplit
	one := len(mustJSON(t, snapshots(1, 200)[0]))
	for _, tc := range []struct {
		name      string
		snaps     []protocol.Snapshot
		wantParts int // 0: more than one, exact count not pinned
	}{
		{"nil list", nil, 1},
		{"empty list", []protocol.Snapshot{}, 1},
		{"one snapshot", snapshots(1, 200), 1},
		{"just under the limit", snapshots((limit-envelopeOverhead)/(one+1), 200), 1},
		{"just over the limit", snapshots((limit-envelopeOverhead)/(one+1)+1, 200), 2},
		{"ten thousand snapshots", snapshots(10000, 200), 0},
		{"long paths", snapshots(300, 4000), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := SplitSnapshots(tc.snaps, limit)
			if tc.wantParts > 0 && len(parts) != tc.wantParts {
				t.Fatalf("%d parts; want %d", len(parts), tc.wantParts)
			}
			if tc.wantParts == 0 && len(parts) < 2 {
				t.Fatalf("%d parts; want several", len(parts))
			}
			var joined []protocol.Snapshot
			for i, p := range parts {
				if size := frameSize(t, p); size > limit {
					t.Errorf("part %d's frame is %d bytes; want ≤ %d", i+1, size, limit)
				}
				if p.Snapshots == nil {
					t.Errorf("part %d has a null list; want [] at least", i+1)
				}
				if err := p.Validate(); err != nil {
					t.Errorf("part %d does not validate: %v", i+1, err)
				}
				joined = append(joined, p.Snapshots...)
			}
			if len(parts) == 1 {
				if p := parts[0]; p.ReportID != "" || p.Part != 0 || p.Parts != 0 {
					t.Errorf("a list that fits carries report_id %q part %d/%d; want none", p.ReportID, p.Part, p.Parts)
				}
			} else {
				for i, p := range parts {
					if p.ReportID == "" || p.ReportID != parts[0].ReportID || p.Part != i+1 || p.Parts != len(parts) {
						t.Errorf("part %d: report_id %q part %d/%d; want %q %d/%d", i+1, p.ReportID, p.Part, p.Parts, parts[0].ReportID, i+1, len(parts))
					}
				}
			}
			if len(joined) != len(tc.snaps) {
				t.Fatalf("parts hold %d snapshots; want %d", len(joined), len(tc.snaps))
			}
			for i := range joined {
				if joined[i].ID != tc.snaps[i].ID {
					t.Fatalf("snapshot %d is %s; want %s (order kept)", i, joined[i].ShortID, tc.snaps[i].ShortID)
				}
			}
		})
	}
}

// Over the link: a published list over the limit reaches the manager as
// its parts, every frame within the limit.
func TestALargeSnapshotListIsSentInParts(t *testing.T) {
	m := newScriptedManager(t)
	a := startLink(t, m, openJournal(t), &memTokens{}, nil)
	list := snapshots(5000, 200)
	a.PublishSnapshots(list)
	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")

	var got []protocol.Snapshot
	var id string
	for parts := -1; parts != 0; parts-- {
		env := c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeRepoStats)
		r, err := protocol.Decode[protocol.SnapshotsReport](env)
		if err != nil {
			t.Fatalf("%s: %v", env.Type, err)
		}
		if b, _ := json.Marshal(env); len(b) > protocol.SnapshotsReportSplit {
			t.Errorf("part %d arrived in a %d-byte frame; want ≤ %d", r.Part, len(b), protocol.SnapshotsReportSplit)
		}
		if parts < 0 {
			parts, id = r.Parts, r.ReportID
			if parts < 2 {
				t.Fatalf("a %d-snapshot list arrived in %d part(s); want several", len(list), parts)
			}
		}
		if r.ReportID != id {
			t.Fatalf("part %d has report_id %q; want %q", r.Part, r.ReportID, id)
		}
		got = append(got, r.Snapshots...)
	}
	if len(got) != len(list) {
		t.Errorf("the parts hold %d snapshots; want %d", len(got), len(list))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
