package link

import (
	"encoding/json"

	"restic-manager/protocol"
)

// envelopeOverhead is a generous allowance for the envelope and the report's
// own fields around the snapshot list.
const envelopeOverhead = 512

// SplitSnapshots packs a snapshot list into snapshots.report payloads whose
// frames stay under limit bytes. A list that fits is one payload without
// report_id; otherwise every part carries the same report_id, its part
// number from 1, and the number of parts.
func SplitSnapshots(snaps []protocol.Snapshot, limit int) []*protocol.SnapshotsReport {
	if snaps == nil {
		snaps = []protocol.Snapshot{}
	}
	budget := limit - envelopeOverhead
	var parts [][]protocol.Snapshot
	var cur []protocol.Snapshot
	size := 0
	for _, s := range snaps {
		b, _ := json.Marshal(s)
		n := len(b) + 1 // the comma
		if len(cur) > 0 && size+n > budget {
			parts = append(parts, cur)
			cur, size = nil, 0
		}
		cur = append(cur, s)
		size += n
	}
	parts = append(parts, cur)
	if len(parts) == 1 {
		return []*protocol.SnapshotsReport{{Snapshots: snaps}}
	}
	id := protocol.NewID()
	out := make([]*protocol.SnapshotsReport, len(parts))
	for i, p := range parts {
		out[i] = &protocol.SnapshotsReport{Snapshots: p, ReportID: id, Part: i + 1, Parts: len(parts)}
	}
	return out
}
