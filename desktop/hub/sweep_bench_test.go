//go:build linux

package hub

// BenchmarkIngestDuringSweep: does group commit keep acking while the
// history sweep removes a year of history? A synthetic store of 50 hosts
// with 2,500 jobs each, all of them past the 365 days (so the sweep
// removes ~124,000 jobs and ~1.24 million log lines: everything but each
// host's newest 20 jobs and each group's last success), takes a fleet of
// simulated agents streaming as in BenchmarkFleetIngest, twice on fresh
// copies: once quiet, once with the sweep started as the agents start.
// The figures are the swept run's receipt→commit and send→ack p99 over
// the quiet run's, and how far the sweep got.
//
//	go test -run '^$' -bench BenchmarkIngestDuringSweep -benchtime 1x ./desktop/hub/

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"restic-manager/storage"
)

var (
	sweepAgents   = flag.Int("sweep.agents", 200, "BenchmarkIngestDuringSweep: simulated agents streaming")
	sweepDuration = flag.Duration("sweep.duration", 30*time.Second, "BenchmarkIngestDuringSweep: how long they stream")
	sweepKeys     = flag.Int("sweep.keys", 0, "BenchmarkIngestDuringSweep: keys per sweep transaction (0: the hub's default)")
)

func BenchmarkIngestDuringSweep(b *testing.B) {
	raiseNoFile(b)
	cached, info := syntheticStore(b, "sweep", storage.SyntheticHistory{Hosts: 50, JobsPerHost: 2500, LinesPerJob: 10, Groups: 3,
		Now: time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)})
	b.Logf("store %s: %d hosts, %d jobs, %d log lines, all older than a year", cached, len(info.HostIDs), info.Jobs, info.LogLines)
	for i := 0; i < b.N; i++ {
		quiet, _ := sweepFleetRun(b, cached, false)
		swept, st := sweepFleetRun(b, cached, true)
		commitX := swept.commitLat.quantileMs(0.99) / quiet.commitLat.quantileMs(0.99)
		ackX := swept.res.AckP99Ms / quiet.res.AckP99Ms
		b.ReportMetric(commitX, "p99_commit_x_quiet")
		b.ReportMetric(ackX, "p99_ack_x_quiet")
		b.ReportMetric(float64(swept.lost+quiet.lost), "lines_lost")
		b.Logf("QUIET n=%d: %s", quiet.n, quiet)
		b.Logf("SWEPT n=%d: %s", swept.n, swept)
		rep, state := st.LastSweep, "finished in "
		if st.Sweeping || rep == nil {
			rep, state = st.SweepProgress, "still running after "
		}
		if rep == nil {
			rep = &SweepReport{Started: time.Now(), Finished: time.Now()}
		}
		if st.Sweeping {
			rep.Finished = time.Now()
		}
		b.ReportMetric(float64(rep.JobsRemoved)/rep.Finished.Sub(rep.Started).Seconds(), "swept_jobs/s")
		b.Logf("SWEEP during ingest: p99 receipt→commit %.1f ms vs %.1f ms quiet = %.2fx; p99 send→ack %.1f ms vs %.1f ms = %.2fx; lines lost %d + %d; "+
			"sweep %s%s: %d jobs, %d log lines in %d transactions, the longest %s",
			swept.commitLat.quantileMs(0.99), quiet.commitLat.quantileMs(0.99), commitX, swept.res.AckP99Ms, quiet.res.AckP99Ms, ackX,
			quiet.lost, swept.lost, state, rep.Finished.Sub(rep.Started).Round(time.Millisecond), rep.JobsRemoved, rep.LogLinesRemoved,
			rep.Transactions, rep.LongestTx.Round(100*time.Microsecond))
	}
}

// sweepFleetRun streams the fleet into a fresh copy of the cached store,
// with or without a sweep started as the agents start, and returns the
// history status as they stop.
func sweepFleetRun(b *testing.B, cached string, sweep bool) (*fleetStats, HistoryStatus) {
	b.StopTimer()
	path := filepath.Join(b.TempDir(), storage.FileName)
	copyFile(b, cached, path)
	// The page check is not what this measures (the hub would run it
	// before the sweep).
	st, err := storage.Open(path, &storage.Options{SkipCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tokens := enrollFleet(b, st, *sweepAgents)
	var status HistoryStatus
	f := streamFleet(b, st, tokens, *sweepDuration, fleetHooks{
		hub: func(o *Options) { o.SweepInterval, o.SweepKeysPerTx = -1, *sweepKeys },
		atGo: func(h *Hub) {
			if sweep {
				h.SweepHistory()
			}
		},
		atEnd: func(h *Hub) { status, _ = h.HistoryStatus() },
	})
	f.check(b)
	return f, status
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}
