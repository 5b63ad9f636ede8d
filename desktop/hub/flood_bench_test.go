package hub

// BenchmarkAckLatencyUnderFlood: one well-behaved host sends a log line,
// waits for its ack, and sends the next, first alone (the baseline) and
// then while a second host on the same hub floods it with one of the
// inputs the per-connection limits bound. The figure is the well-behaved
// host's ack latency p99 during the flood over its p99 alone, measured in
// the same run on a real bbolt file. Both hosts are in this process (the
// flooder builds its frames by hand, cheaply), so they share the machine's
// cores with the hub, as two agents on one small box would.
//
//	go test -run '^$' -bench BenchmarkAckLatencyUnderFlood -benchtime 1x ./desktop/hub/
//	go test -run '^$' -bench BenchmarkAckLatencyUnderFlood -benchtime 1x ./desktop/hub/ -flood.duration 20s

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

var floodDuration = flag.Duration("flood.duration", 10*time.Second, "BenchmarkAckLatencyUnderFlood: how long each phase measures")

// floodKind makes the i-th frame of one flood; seq is the flooder's next
// journaled seq, for the kinds that send journaled events.
type floodKind struct {
	name string
	// setup runs once on the flooder before the flood (e.g. job.started).
	setup func(a *simAgent)
	frame func(a *simAgent, i int) []byte
}

var floodKinds = []floodKind{
	{
		// A replay of a long offline spell: journaled lines as fast as the
		// socket takes them, a new job every 10,000 lines (within the cap).
		name: "replay",
		frame: func(a *simAgent, i int) []byte {
			job := "flood-" + strconv.Itoa(i/10_000)
			if i%10_000 == 0 {
				return a.jobStarted(job)
			}
			return a.logLine(job, uint64(i%10_000), "new       /home/user/documents/report.odt, saved in 0.012s (41.2 KiB added)")
		},
	},
	{
		// Lines past one job's cap: counted, not stored.
		name:  "past-the-log-cap",
		setup: func(a *simAgent) { a.sendJournaled(a.jobStarted("capped")) },
		frame: func(a *simAgent, i int) []byte {
			return a.logLine("capped", uint64(i+1), "a line of a job that never stops talking")
		},
	},
	{
		// Lines of a job that never started: refused, acked.
		name:  "lines-without-job-started",
		frame: func(a *simAgent, i int) []byte { return a.logLine("never-started", uint64(i+1), "who am I") },
	},
	{
		// Progress for job ids made up: refused with unknown_job.
		name: "progress-for-unknown-jobs",
		frame: func(a *simAgent, i int) []byte {
			b := a.head(protocol.TypeJobProgress, false, time.Now())
			b = append(b, `{"job_id":"made-up-`...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, `","percent_done":0.5,"files_done":1,"total_files":2,"bytes_done":1,"total_bytes":2,"eta_seconds":1,"throughput_bps":1}}`...)
			a.buf = b
			return b
		},
	},
	{
		// Split snapshot reports never finished, 64 KiB parts.
		name: "unfinished-split-reports",
		frame: func(a *simAgent, i int) []byte {
			b := a.head(protocol.TypeSnapshotsReport, false, time.Now())
			b = append(b, `{"report_id":"r`...)
			b = strconv.AppendInt(b, int64(i), 10)
			b = append(b, `","part":1,"parts":2,"snapshots":[`...)
			for k := range 220 {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"id":"`...)
				b = fmt.Appendf(b, "%064x", i*1000+k)
				b = append(b, `","short_id":"abcdef12","time":"2026-01-01T00:00:00Z","hostname":"flooder","paths":["/home/user/documents/and/a/long/path/to/pad/it"]}`...)
			}
			b = append(b, `]}}`...)
			a.buf = b
			return b
		},
	},
}

func (a *simAgent) jobStarted(job string) []byte {
	now := time.Now()
	b := a.head(protocol.TypeJobStarted, true, now)
	b = append(b, `{"job_id":"`+job+`","kind":"backup","started_at":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `"}}`...)
	a.buf = b
	return b
}

func (a *simAgent) logLine(job string, line uint64, text string) []byte {
	now := time.Now()
	b := a.head(protocol.TypeLogStream, true, now)
	b = append(b, `{"job_id":"`+job+`","seq":`...)
	b = strconv.AppendUint(b, line, 10)
	b = append(b, `,"ts":"`...)
	b = now.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","stream":"stdout","payload":"`+text+`"}}`...)
	a.buf = b
	return b
}

// roundTrips sends one log line of job at a time, each after the previous
// one's ack, for d; the agent's histogram gets every send → ack latency.
func (a *simAgent) roundTrips(job string, d time.Duration) int {
	end := time.Now().Add(d)
	n := 0
	for time.Now().Before(end) {
		a.line++
		a.sendJournaled(a.logLine(job, a.line, "a line of a well-behaved host"))
		if !a.waitAcked(a.seq, time.Minute) {
			return n
		}
		n++
	}
	return n
}

func (a *simAgent) waitAcked(seq uint64, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		a.mu.Lock()
		done := a.acked >= seq
		a.mu.Unlock()
		if done {
			return true
		}
		select {
		case <-a.ackSignal:
		case <-deadline:
			return false
		}
	}
}

func BenchmarkAckLatencyUnderFlood(b *testing.B) {
	for _, k := range floodKinds {
		b.Run(k.name, func(b *testing.B) {
			for range b.N {
				runFloodBench(b, k, *floodDuration)
			}
		})
	}
}

func runFloodBench(b *testing.B, k floodKind, dur time.Duration) {
	b.StopTimer()
	st, tokens := enrolledStore(b, b.TempDir(), 2)
	defer st.Close()
	h, url, stop := serveHub(b, Options{Store: st, Secrets: secrets.NewMemory(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	defer stop()

	healthy, err := connectSim(url, 0, tokens[0])
	if err != nil {
		b.Fatal(err)
	}
	defer healthy.c.CloseNow()
	healthy.sendJournaled(healthy.jobStarted("healthy-job"))
	healthy.waitAcked(healthy.seq, time.Minute)
	healthy.roundTrips("healthy-job", dur/5) // warm up: caches, page faults, the first fsyncs

	healthy.resetLatency()
	baseN := healthy.roundTrips("healthy-job", dur)
	base := healthy.lat

	flooder, err := connectSim(url, 1, tokens[1])
	if err != nil {
		b.Fatal(err)
	}
	defer flooder.c.CloseNow()
	if k.setup != nil {
		k.setup(flooder)
	}
	var sent atomic.Int64
	halt := make(chan struct{})
	floodDone := make(chan struct{})
	underWay := make(chan struct{})
	go func() {
		defer close(floodDone)
		for i := 0; ; i++ {
			select {
			case <-halt:
				return
			default:
			}
			if err := flooder.c.SendRaw(context.Background(), k.frame(flooder, i)); err != nil {
				return
			}
			if sent.Add(1) == 1000 {
				close(underWay)
			}
		}
	}()
	select { // the flood is under way before measuring
	case <-underWay:
	case <-floodDone:
		b.Fatal("the flood ended before it got going")
	}
	healthy.resetLatency()
	b.StartTimer()
	floodN := healthy.roundTrips("healthy-job", dur)
	b.StopTimer()
	flooded := healthy.lat
	close(halt)
	<-floodDone
	if floodN == 0 {
		b.Fatal("the well-behaved host got no ack during the flood")
	}
	ratio := flooded.quantileMs(0.99) / base.quantileMs(0.99)
	b.ReportMetric(base.quantileMs(0.99), "base_p99_ms")
	b.ReportMetric(flooded.quantileMs(0.99), "flood_p99_ms")
	b.ReportMetric(ratio, "p99_ratio")
	b.Logf("FLOOD %s: healthy host acks alone p50 %.1f / p99 %.1f ms (%d round trips); during the flood p50 %.1f / p99 %.1f ms (%d); "+
		"p99 ratio %.2f×; flood frames sent %d in %s; flooder still connected: %t",
		k.name, base.quantileMs(0.5), base.quantileMs(0.99), baseN, flooded.quantileMs(0.5), flooded.quantileMs(0.99), floodN,
		ratio, sent.Load(), dur, h.liveConn(hostOf(b, st, tokens[1])) != nil)
}

// resetLatency starts a new histogram (between phases: nothing is in
// flight then).
func (a *simAgent) resetLatency() {
	a.mu.Lock()
	a.lat = newLatHist()
	a.mu.Unlock()
}

func hostOf(b *testing.B, st *storage.Store, token string) string {
	hh, err := st.HostByToken(token)
	if err != nil {
		b.Fatal(err)
	}
	return hh.ID
}
