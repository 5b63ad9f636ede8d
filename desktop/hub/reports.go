package hub

import (
	"fmt"
	"slices"

	"restic-manager/protocol"
)

// What one connection may hold of split snapshots.reports while their
// parts arrive. An agent sends one report at a time, so these are far
// above need; they bound what a peer that never finishes its reports can
// make the manager keep. The parts' bytes are bounded by the connection's
// MaxInflightBytes: a finished report goes to the committer as one event
// of that size, so a larger one could never be committed anyway.
const (
	maxReportsInFlight = 16
	maxReportParts     = 4096 // parts held, all reports together (and the most one report may declare)
)

// partialReport is a split report some of whose parts have arrived.
type partialReport struct {
	id    string
	parts int
	got   map[int]heldPart
	bytes int64
}

type heldPart struct {
	snaps []protocol.Snapshot
	size  int64
}

// reportAssembler collects one connection's split snapshots.reports
// (reader goroutine only). Reports are state, latest wins: a report that
// completes, or an unsplit one, supersedes every report begun before it.
type reportAssembler struct {
	maxBytes int64            // payload bytes of the parts held
	open     []*partialReport // oldest first
	parts    int
	bytes    int64
}

// assembled is a report with all its parts, and the payload bytes it came in.
type assembled struct {
	report *protocol.SnapshotsReport
	size   int64
}

// add files one report frame of size payload bytes. It returns the whole
// report once every part of its report_id is in (nil until then), and how
// many unfinished reports it dropped to stay within the limits. An error
// refuses the frame; nothing of it is kept.
func (r *reportAssembler) add(p *protocol.SnapshotsReport, size int64) (*assembled, int, error) {
	if p.Parts <= 1 {
		dropped := len(r.open)
		r.dropFirst(dropped)
		return &assembled{report: &protocol.SnapshotsReport{Snapshots: p.Snapshots}, size: size}, dropped, nil
	}
	if p.Parts > maxReportParts {
		return nil, 0, fmt.Errorf("parts: %d is more than the %d parts a report may have", p.Parts, maxReportParts)
	}
	dropped := 0
	i := slices.IndexFunc(r.open, func(o *partialReport) bool { return o.id == p.ReportID })
	if i >= 0 && r.open[i].parts != p.Parts { // the same id restarted with another shape
		r.drop(i)
		dropped++
		i = -1
	}
	if i < 0 {
		if len(r.open) == maxReportsInFlight {
			r.dropFirst(1)
			dropped++
		}
		r.open = append(r.open, &partialReport{id: p.ReportID, parts: p.Parts, got: map[int]heldPart{}})
		i = len(r.open) - 1
	}
	cur := r.open[i]
	if old, ok := cur.got[p.Part]; ok { // a part sent again replaces the first
		r.forget(cur, old)
		delete(cur.got, p.Part)
	}
	part := heldPart{snaps: p.Snapshots, size: size}
	cur.got[p.Part] = part
	cur.bytes += size
	r.parts++
	r.bytes += size
	for r.parts > maxReportParts || r.bytes > r.maxBytes {
		if r.open[0] == cur {
			r.drop(0)
			return nil, dropped, fmt.Errorf("snapshots.report %s: its parts pass the %d bytes a connection may hold; the report is dropped",
				p.ReportID, r.maxBytes)
		}
		r.dropFirst(1)
		dropped++
	}
	if len(cur.got) < cur.parts {
		return nil, dropped, nil
	}
	all := []protocol.Snapshot{}
	for n := 1; n <= cur.parts; n++ {
		all = append(all, cur.got[n].snaps...)
	}
	whole := &assembled{report: &protocol.SnapshotsReport{Snapshots: all}, size: cur.bytes}
	at := slices.Index(r.open, cur)
	r.dropFirst(at + 1) // it, and the older reports it supersedes
	return whole, dropped + at, nil
}

func (r *reportAssembler) forget(o *partialReport, p heldPart) {
	o.bytes -= p.size
	r.parts--
	r.bytes -= p.size
}

func (r *reportAssembler) drop(i int) {
	o := r.open[i]
	r.parts -= len(o.got)
	r.bytes -= o.bytes
	r.open = slices.Delete(r.open, i, i+1)
}

func (r *reportAssembler) dropFirst(n int) {
	for range n {
		r.drop(0)
	}
}
