package hub

// Each per-connection limit of the manager, flooded over a real WebSocket
// against the real hub, while a second, well-behaved host on the same hub
// keeps getting its events acked and neither connection is dropped.

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// healthyRounds is how many events the well-behaved host gets acked, one
// at a time, while a flood runs.
const healthyRounds = 20

// floodWait bounds waits on a flood's progress: a flood under -race on a
// loaded machine reads slowly.
const floodWait = 60 * time.Second

// startedAgent enrolls an agent and starts one job on it.
func startedAgent(t *testing.T, th *testHub, name, job string) (*testAgent, string) {
	t.Helper()
	a, hostID, _ := enrollAgent(t, th, name, th.enrollToken(t, 1))
	a.waitAck(a.emit(&protocol.JobStarted{JobID: job, Kind: protocol.KindBackup, StartedAt: time.Now()}))
	return a, hostID
}

// journaledFrame encodes p as journaled event seq.
func journaledFrame(t testing.TB, seq uint64, p protocol.Payload) []byte {
	env, err := protocol.NewEnvelope(p)
	if err != nil {
		t.Fatal(err)
	}
	env.Seq = seq
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func stateFrame(t testing.TB, p protocol.Payload) []byte {
	env, err := protocol.NewEnvelope(p)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// flood sends frame(i) for i = 0, 1, … from a goroutine until at least
// min frames are out and stop is closed, or a send fails. It returns how
// many frames went out (read it after wait).
type flood struct {
	sent atomic.Int64
	stop chan struct{}
	done chan struct{}
	err  error
}

func startFlood(a *testAgent, min int, frame func(i int) []byte) *flood {
	f := &flood{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for i := 0; ; i++ {
			if i >= min {
				select {
				case <-f.stop:
					return
				default:
				}
			}
			if err := a.sendRaw(frame(i)); err != nil {
				f.err = err
				return
			}
			f.sent.Add(1)
		}
	}()
	return f
}

// end stops the flood and waits for its sender.
func (f *flood) end(t *testing.T) int {
	t.Helper()
	close(f.stop)
	<-f.done
	if f.err != nil {
		t.Fatalf("the flood's send failed: %v", f.err)
	}
	return int(f.sent.Load())
}

// keepsBeingAcked has the healthy host emit healthyRounds log lines, each
// acked before the next, while f floods: f runs on until they are all
// acked, so every one of them was acked during the flood.
func keepsBeingAcked(t *testing.T, healthy *testAgent, job string, f *flood) {
	t.Helper()
	waitFor(t, testWait, "the flood to get going", func() bool { return f.sent.Load() > 0 })
	for range healthyRounds {
		healthy.line++
		healthy.waitAck(healthy.emit(logLine(job, healthy.line)))
	}
	if f.isDone() {
		t.Fatal("the flood ended before the healthy host's rounds did; the test proves nothing")
	}
	if healthy.isClosed() {
		t.Fatal("the well-behaved host was disconnected during the flood")
	}
}

func (f *flood) isDone() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// commitGate stands for a slow disk: while stalled, every commit waits
// until the gate opens, or until step lets that one commit through.
type commitGate struct {
	stalled atomic.Bool
	gate    chan struct{}
	pass    chan struct{}
	once    sync.Once
}

// gatedHub runs a test hub whose commits go through a commitGate (open to
// begin with). The gate opens for good when the test ends, before the
// hub's cleanup, so Close never waits on it.
func gatedHub(t *testing.T, tweak func(*Options)) (*testHub, *commitGate) {
	g := &commitGate{gate: make(chan struct{}), pass: make(chan struct{})}
	th, _ := newTestHub(t, func(o *Options) {
		o.beforeCommit = g.hook
		if tweak != nil {
			tweak(o)
		}
	}, nil)
	t.Cleanup(g.open)
	return th, g
}

// hook is Options.beforeCommit.
func (g *commitGate) hook() {
	if g.stalled.Load() {
		select {
		case <-g.gate:
		case <-g.pass:
		}
	}
}

// step lets the next commit through, waiting until one is at the gate.
func (g *commitGate) step() { g.pass <- struct{}{} }

func (g *commitGate) stall() { g.stalled.Store(true) }
func (g *commitGate) open()  { g.once.Do(func() { g.stalled.Store(false); close(g.gate) }) }

// A replay of a long offline spell, faster than the disk commits it: the
// hub holds at most MaxInflight events of that connection awaiting
// commit, then stops reading it (backpressure, no disconnection), while
// another host keeps being acked; every event ends up stored once.
func TestEventsAwaitingCommitAreBoundedByCountPerConnection(t *testing.T) {
	th, disk := gatedHub(t, nil)
	healthy, _ := startedAgent(t, th, "healthy", "healthy-job")
	flooder, floodID := startedAgent(t, th, "flooder", "flood-job")
	c := th.liveConn(floodID)

	disk.stall()
	max := th.opts.MaxInflight
	if max != 4096 || th.opts.MaxInflightBytes != 64<<20 {
		t.Fatalf("defaults are %d events and %d bytes awaiting commit; the design says 4096 and 64 MiB", max, th.opts.MaxInflightBytes)
	}
	f := startFlood(flooder, max+1000, func(i int) []byte {
		return journaledFrame(t, uint64(i+2), logLine("flood-job", uint64(i+1)))
	})
	waitFor(t, floodWait, fmt.Sprintf("%d flood events awaiting commit", max), func() bool { return c.inflight.pending() == max })
	// The reader is parked in take: however long the commit stalls, the
	// next frame stays in the socket.
	if n := c.inflight.pending(); n != max {
		t.Fatalf("%d events of one connection await commit; the cap is %d", n, max)
	}
	disk.open()
	keepsBeingAcked(t, healthy, "healthy-job", f)
	sent := f.end(t)
	flooder.waitAck(uint64(sent + 1))
	if flooder.isClosed() {
		t.Fatal("the flooding host was disconnected; it must only be read more slowly")
	}
	if tally, _ := th.store.JobLogTally("flood-job"); tally.Lines+tally.Dropped != uint64(sent) {
		t.Errorf("the flood's job counted %+v; want all %d of its lines, stored or (past the cap) counted", tally, sent)
	}
}

// A host replaying at full speed shares each commit with the others: a
// commit takes at most batchShare events of one connection, so another
// host's event behind thousands of the flood's is in the next commit, not
// behind all of them.
func TestAFloodSharesEachCommitWithOtherHosts(t *testing.T) {
	th, disk := gatedHub(t, nil)
	healthy, healthyID := startedAgent(t, th, "healthy", "healthy-job")
	flooder, floodID := startedAgent(t, th, "flooder", "flood-job")
	disk.stall()
	max := th.opts.MaxInflight
	f := startFlood(flooder, max, func(i int) []byte {
		return journaledFrame(t, uint64(i+2), logLine("flood-job", uint64(i+1)))
	})
	waitFor(t, floodWait, "the flood to fill its connection's budget", func() bool { return th.liveConn(floodID).inflight.pending() == max })
	seq := healthy.emit(logLine("healthy-job", 1))
	waitFor(t, testWait, "the healthy host's event on its way to commit", func() bool { return th.liveConn(healthyID).inflight.pending() == 1 })

	disk.step() // the commit that was gathering when the disk slowed down
	disk.step() // the next: the rest of the flood's share, and the healthy event
	healthy.waitAck(seq)
	// The mark is stored in the commit that acked the healthy host.
	if got, _ := th.store.Mark(floodID); got > 1+uint64(max/2) {
		t.Errorf("the flooder had %d of its %d waiting events committed with the healthy host's one; want its share of two commits (%d each)",
			got-1, max, batchShare)
	}
	disk.open()
	sent := f.end(t)
	flooder.waitAck(uint64(sent + 1))
}

// The same bound in bytes: big state frames stop being read once
// MaxInflightBytes of them await commit (1 MiB here, so the test decodes
// a few frames rather than 64 MiB of them; the default is 64 MiB).
func TestEventsAwaitingCommitAreBoundedByBytesPerConnection(t *testing.T) {
	th, disk := gatedHub(t, func(o *Options) { o.MaxInflightBytes = 1 << 20 })
	healthy, _ := startedAgent(t, th, "healthy", "healthy-job")
	flooder, floodID, _ := enrollAgent(t, th, "flooder", th.enrollToken(t, 1))
	c := th.liveConn(floodID)

	report := bigReport(t, 300) // one unsplit report frame of about 64 KiB
	frame := stateFrame(t, report)
	size := int64(len(mustEnvelope(t, frame).Payload))
	fits := int(th.opts.MaxInflightBytes / size)
	disk.stall()
	f := startFlood(flooder, fits+10, func(int) []byte { return frame })
	waitFor(t, floodWait, fmt.Sprintf("%d report frames (%d bytes) awaiting commit", fits, th.opts.MaxInflightBytes),
		func() bool { return c.inflight.pending() == fits })
	c.inflight.mu.Lock()
	held := c.inflight.bytes
	c.inflight.mu.Unlock()
	if held > th.opts.MaxInflightBytes {
		t.Fatalf("%d bytes of one connection await commit; the cap is %d", held, th.opts.MaxInflightBytes)
	}
	disk.open()
	keepsBeingAcked(t, healthy, "healthy-job", f)
	f.end(t)
	if flooder.isClosed() {
		t.Fatal("the flooding host was disconnected; it must only be read more slowly")
	}
}

func mustEnvelope(t *testing.T, frame []byte) protocol.Envelope {
	env, err := protocol.DecodeEnvelope(frame)
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// bigReport is a snapshot list of n entries.
func bigReport(t *testing.T, n int) *protocol.SnapshotsReport {
	t.Helper()
	r := &protocol.SnapshotsReport{Snapshots: make([]protocol.Snapshot, n)}
	for i := range r.Snapshots {
		id := fmt.Sprintf("%064x", i+1)
		r.Snapshots[i] = protocol.Snapshot{ID: id, ShortID: id[:8], Time: time.Date(2026, 1, 1, 0, 0, i, 0, time.UTC),
			Hostname: "flooder", Paths: []string{"/home/user/documents/and/a/long/path/to/pad/the/entry/out"}}
	}
	return r
}

// reportPart is part n of parts of report id, with the given snapshots.
func reportPart(t *testing.T, id string, n, parts int, snaps []protocol.Snapshot) []byte {
	return stateFrame(t, &protocol.SnapshotsReport{ReportID: id, Part: n, Parts: parts, Snapshots: snaps})
}

// Split snapshots.reports left unfinished: at most 16 are held (a 17th
// drops the oldest), at most 4096 parts in all (the oldest report goes),
// and a report whose parts pass MaxInflightBytes is refused (4 MiB here,
// so the test sends a few MiB rather than 64) — while another host keeps
// being acked and the flooder keeps its connection.
func TestUnfinishedSplitReportsAreBoundedPerConnection(t *testing.T) {
	th, _ := newTestHub(t, func(o *Options) { o.MaxInflightBytes = 4 << 20 }, nil)
	healthy, _ := startedAgent(t, th, "healthy", "healthy-job")
	flooder, floodID, _ := enrollAgent(t, th, "flooder", th.enrollToken(t, 1))
	one := []protocol.Snapshot{{ID: strings.Repeat("f", 64), ShortID: "ffffffff", Time: time.Now().UTC(), Hostname: "flooder", Paths: []string{"/"}}}
	snapshotsStored := func() int { s, _ := th.Snapshots(floodID); return len(s) }
	// settle sends a frame the hub answers (an event it acks), so the
	// frames before it have been read.
	settle := func() { flooder.waitAck(flooder.emit(logLine("no-such-job", 1))) }

	t.Run("reports in flight", func(t *testing.T) {
		f := startFlood(flooder, 1000, func(i int) []byte {
			return reportPart(t, fmt.Sprintf("never-finished-%d", i), 1, 2, one)
		})
		keepsBeingAcked(t, healthy, "healthy-job", f)
		f.end(t)
		for i := range maxReportsInFlight + 1 {
			_ = flooder.sendRaw(reportPart(t, fmt.Sprintf("r%d", i), 1, 2, bigReport(t, i+1).Snapshots))
		}
		_ = flooder.sendRaw(reportPart(t, "r0", 2, 2, one)) // r0 was the oldest: dropped
		settle()
		if n := snapshotsStored(); n != 0 {
			t.Fatalf("the 17th report did not drop the oldest: %d snapshots stored from it", n)
		}
		_ = flooder.sendRaw(reportPart(t, "r16", 2, 2, one))
		waitFor(t, testWait, "the newest report stored", func() bool { return snapshotsStored() == 17+1 })
	})

	t.Run("parts in all", func(t *testing.T) {
		// Every part of "huge" but its last, then parts of "other" that
		// never finish it: together past 4096, so the oldest report goes.
		const big = maxReportParts - 1
		none := []protocol.Snapshot{}
		f := startFlood(flooder, big+200, func(i int) []byte {
			if i < big {
				return reportPart(t, "huge", i+1, maxReportParts, none)
			}
			return reportPart(t, "other", 1+i%99, 100, none)
		})
		keepsBeingAcked(t, healthy, "healthy-job", f)
		f.end(t)
		_ = flooder.sendRaw(reportPart(t, "huge", maxReportParts, maxReportParts, one)) // had it been kept, this would complete it
		settle()
		if n := snapshotsStored(); n != 18 {
			t.Errorf("%d snapshots stored; the report past 4096 held parts must have been dropped (want the 18 from before)", n)
		}
	})

	t.Run("bytes", func(t *testing.T) {
		part := bigReport(t, 1400) // about 450 KiB: under the 512 KiB an agent splits at
		frames := int(th.opts.MaxInflightBytes)/len(reportPart(t, "fat", 1, 1000, part.Snapshots)) + 2
		refused := 0
		f := startFlood(flooder, frames, func(i int) []byte { return reportPart(t, "fat", 1+i%999, 1000, part.Snapshots) })
		keepsBeingAcked(t, healthy, "healthy-job", f)
		f.end(t)
		settle()
		for _, env := range flooder.takeAll(protocol.TypeError) {
			if e, _ := protocol.Decode[protocol.Error](env); e != nil && strings.Contains(e.Message, fmt.Sprintf("pass the %d bytes", th.opts.MaxInflightBytes)) {
				refused++
			}
		}
		if refused == 0 {
			t.Error("no part was refused for passing the bytes a connection may hold; want the report dropped with a bad_request naming the limit")
		}
	})
	if flooder.isClosed() {
		t.Fatal("the flooding host was disconnected; floods are refused frame by frame")
	}
}

// job.progress for jobs the host has not running is refused with
// unknown_job and not kept: ids it made up, another host's running job,
// a queued job. Its own running job's progress is kept, even when the
// progress overtakes the commit of its job.started.
func TestProgressIsKeptOnlyForTheHostsRunningJobs(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	healthy, healthyID := startedAgent(t, th, "healthy", "healthy-job")
	flooder, floodID := startedAgent(t, th, "flooder", "own-job")
	const queued = "queued-job" // an operator's job the agent has not started
	if err := th.store.CreateJob(storage.Job{ID: queued, HostID: floodID, Kind: protocol.KindUnlock, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	progress := func(job string) []byte {
		return stateFrame(t, &protocol.JobProgress{JobID: job, PercentDone: 0.5, FilesDone: 1, TotalFiles: 2})
	}
	f := startFlood(flooder, 3000, func(i int) []byte {
		switch i % 3 {
		case 0:
			return progress(fmt.Sprintf("made-up-%d", i))
		case 1:
			return progress("healthy-job")
		}
		return progress(queued)
	})
	keepsBeingAcked(t, healthy, "healthy-job", f)
	f.end(t)
	flooder.waitAck(flooder.emit(logLine("own-job", 1))) // the flood is read

	th.mu.Lock()
	kept := len(th.progress)
	th.mu.Unlock()
	if kept != 0 {
		t.Errorf("%d progress entries kept after a flood for jobs the host has not running; want none", kept)
	}
	if p, ok := th.Progress("healthy-job"); ok && p.hostID != healthyID {
		t.Error("another host's progress was stored on the healthy host's job")
	}
	errs := flooder.takeAll(protocol.TypeError)
	if len(errs) == 0 {
		t.Fatal("no error replies to the progress flood")
	}
	for _, env := range errs[:min(len(errs), 50)] {
		if e, _ := protocol.Decode[protocol.Error](env); e == nil || e.Code != protocol.CodeUnknownJob || env.ReplyTo == "" {
			t.Fatalf("error reply %+v (reply_to %q); want unknown_job answering the progress frame", e, env.ReplyTo)
		}
	}

	// The host's own running job, and one whose job.started is still on
	// its way to the store.
	_ = flooder.sendRaw(progress("own-job"))
	flooder.emit(&protocol.JobStarted{JobID: "just-started", Kind: protocol.KindCheck, StartedAt: time.Now()})
	_ = flooder.sendRaw(progress("just-started"))
	waitFor(t, testWait, "progress of the host's running jobs", func() bool {
		_, own := th.Progress("own-job")
		_, just := th.Progress("just-started")
		return own && just
	})
	if flooder.isClosed() {
		t.Fatal("the flooding host was disconnected")
	}
}

// Log lines for a job that never sent job.started are acked and refused:
// no job is made up, nothing is stored, one note on the host.
func TestLogLinesWithoutJobStartedAreRefusedUnderAFlood(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	healthy, _ := startedAgent(t, th, "healthy", "healthy-job")
	flooder, floodID, _ := enrollAgent(t, th, "flooder", th.enrollToken(t, 1))
	f := startFlood(flooder, 3000, func(i int) []byte {
		return journaledFrame(t, uint64(i+1), logLine("never-started", uint64(i+1)))
	})
	keepsBeingAcked(t, healthy, "healthy-job", f)
	sent := f.end(t)
	flooder.waitAck(uint64(sent))
	if _, err := th.Job("never-started"); err == nil {
		t.Error("a log line made up a job")
	}
	if n, _ := th.store.JobLogCount("never-started"); n != 0 {
		t.Errorf("%d lines stored for a job that never started", n)
	}
	page, _ := th.HostEvents(floodID, "", 1000)
	notes := 0
	for _, e := range page.Events {
		if strings.Contains(e.Message, "has not started") {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("%d host events for %d refused lines; want exactly one", notes, sent)
	}
	if flooder.isClosed() {
		t.Fatal("the flooding host was disconnected")
	}
}

// A job's log past 20,000 lines: the manager counts the rest, stores
// none of it, and ends the log with "[N more lines not kept]".
func TestAJobsLogPastItsCapIsCountedNotStored(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	healthy, _ := startedAgent(t, th, "healthy", "healthy-job")
	flooder, _ := startedAgent(t, th, "flooder", "chatty-job")
	f := startFlood(flooder, storage.MaxStoredLogLines+500, func(i int) []byte {
		return journaledFrame(t, uint64(i+2), logLine("chatty-job", uint64(i+1)))
	})
	keepsBeingAcked(t, healthy, "healthy-job", f)
	sent := f.end(t)
	flooder.waitAck(uint64(sent + 1))
	tally, err := th.store.JobLogTally("chatty-job")
	if err != nil {
		t.Fatal(err)
	}
	if tally.Lines != storage.MaxStoredLogLines || tally.Dropped != uint64(sent-storage.MaxStoredLogLines) {
		t.Errorf("tally = %+v; want %d lines kept and the other %d counted", tally, storage.MaxStoredLogLines, sent-storage.MaxStoredLogLines)
	}
	last, _ := th.JobLog("chatty-job", storage.MaxStoredLogLines+1, 10)
	want := fmt.Sprintf("[%d more lines not kept]", sent-storage.MaxStoredLogLines)
	if len(last) != 1 || last[0].Payload != want {
		t.Errorf("the log's end = %+v; want one line %q", last, want)
	}
	if flooder.isClosed() {
		t.Fatal("the flooding host was disconnected")
	}
}
