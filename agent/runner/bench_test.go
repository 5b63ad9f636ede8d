package runner

import (
	"bufio"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// BenchmarkBackupOverhead backs up a generated 1 GiB, 20,000-file tree of
// incompressible bytes through the runner and with bare restic, each into a
// fresh repository, in the same run, and reports the wall-time ratio and
// the agent's own memory (restic runs as a child and is not counted).
//
//	go test -run '^$' -bench BenchmarkBackupOverhead ./agent/runner/
//
// Both sides run the same argv (`backup --json --host … --tag … -- src`);
// the runner's time is Submit → job.finished journaled, which includes
// job.started and job.finished being fsynced and every status line parsed.
// After one untimed warm-up, benchRounds rounds in alternating order (bare,
// agent; agent, bare; …), each run after a `sync`, so neither side pays for
// the other's writeback or gains from drift. Reported:
//
//	agent/bare        wall-time ratio (target ≤ 1.02)
//	cpu-agent/bare    CPU-time ratio, restic's and the agent's own together:
//	                  steadier than wall time on a shared machine
//	bare-s, agent-s   mean seconds per backup
//	agent-cpu-s       CPU seconds per backup spent in the agent itself
//	peak-RSS-MB       VmHWM of this process over the agent runs (target ≤ 40)
//	peak-heap-MB      largest Go heap (live objects) sampled during them
func BenchmarkBackupOverhead(b *testing.B) {
	if templateRepo == "" {
		b.Skip("restic is not installed")
	}
	files, size := 20_000, int64(1<<30)
	if os.Getenv("RM_BENCH_SMALL") != "" { // a quick check of the benchmark itself
		files, size = 2_000, 64<<20
	}
	src := b.TempDir()
	generateTree(b, src, files, size, 42)
	work := b.TempDir()

	h := newHarness(b, harnessOptions{repoURL: filepath.Join(work, "agent-setup")})
	h.runTimeout = 30 * time.Minute
	args, err := restic.BackupArgs(restic.BackupOptions{Host: h.runner.Hostname(), Tag: "bench", Includes: []string{src}})
	if err != nil {
		b.Fatal(err)
	}

	// measure times one run: wall clock, this process's CPU (the agent's
	// own work) and the CPU of restic children reaped meanwhile.
	type cost struct{ wall, self, restic time.Duration }
	measure := func(run func()) cost {
		self0, kids0 := cpuTimes()
		start := time.Now()
		run()
		wall := time.Since(start)
		self1, kids1 := cpuTimes()
		return cost{wall: wall, self: self1 - self0, restic: kids1 - kids0}
	}

	round := 0
	bare := func() cost {
		round++
		repo := filepath.Join(work, "bare-"+strconv.Itoa(round))
		defer os.RemoveAll(repo)
		env := append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+testPassword,
			"RESTIC_CACHE_DIR="+filepath.Join(work, "bare-cache-"+strconv.Itoa(round)))
		initCmd := exec.Command(h.restic.Path(), "init")
		initCmd.Env = env
		if out, err := initCmd.CombinedOutput(); err != nil {
			b.Fatalf("bare init: %v\n%s", err, out)
		}
		return measure(func() {
			cmd := exec.Command(h.restic.Path(), args...)
			cmd.Env = env
			cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
			if err := cmd.Run(); err != nil {
				b.Fatalf("bare backup: %v", err)
			}
		})
	}
	var peak peakSampler
	agent := func() cost {
		round++
		repo := filepath.Join(work, "agent-"+strconv.Itoa(round))
		defer os.RemoveAll(repo)
		if _, err := h.journal.ApplyConfig(protocol.ConfigUpdate{RepoURL: repo}); err != nil {
			b.Fatal(err)
		}
		mustSucceed(b, h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindInit}}), h)
		reported := h.snapshotReports()
		stop := peak.start()
		var fin *protocol.JobFinished
		c := measure(func() { fin = h.run(backupJob("bench", src)) })
		stop()
		mustSucceed(b, fin, h)
		// The snapshot list refresh after the job is not part of the
		// backup; let it end before the next timed run.
		h.waitSink(5*time.Minute, "the snapshot list after the backup", func(s *recordingSink) bool { return len(s.snapshots) > reported })
		return c
	}

	// Settle the page cache's writeback before each timed run, so one side
	// does not pay for the bytes the other (or the generator) wrote.
	settle := func() { _ = exec.Command("sync").Run() }
	settle()
	_ = bare() // warm-up: restic and the tree in the page cache, untimed
	resetPeakRSS()
	var bareC, agentC cost
	add := func(sum *cost, c cost, who string) {
		sum.wall += c.wall
		sum.self += c.self
		sum.restic += c.restic
		b.Logf("%-5s wall %6.2fs  restic CPU %6.2fs  agent CPU %5.3fs", who, c.wall.Seconds(), c.restic.Seconds(), c.self.Seconds())
	}
	runs := 0
	for b.Loop() {
		for i := range benchRounds {
			settle()
			if i%2 == 0 {
				add(&bareC, bare(), "bare")
				settle()
				add(&agentC, agent(), "agent")
			} else {
				add(&agentC, agent(), "agent")
				settle()
				add(&bareC, bare(), "bare")
			}
			runs++
		}
	}
	b.ReportMetric(float64(agentC.wall)/float64(bareC.wall), "agent/bare")
	b.ReportMetric(float64(agentC.restic+agentC.self)/float64(bareC.restic+bareC.self), "cpu-agent/bare")
	b.ReportMetric(bareC.wall.Seconds()/float64(runs), "bare-s")
	b.ReportMetric(agentC.wall.Seconds()/float64(runs), "agent-s")
	b.ReportMetric(agentC.self.Seconds()/float64(runs), "agent-cpu-s")
	if hwm, ok := procStatusKB("VmHWM"); ok {
		b.ReportMetric(float64(hwm)/1024, "peak-RSS-MB")
	}
	b.ReportMetric(float64(peak.maxHeap())/(1<<20), "peak-heap-MB")
}

// benchRounds is how many bare/agent pairs one benchmark iteration times.
const benchRounds = 4

// peakSampler records the largest Go heap while a measured run goes on.
type peakSampler struct {
	mu   sync.Mutex
	heap uint64
}

func (p *peakSampler) start() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			p.mu.Lock()
			p.heap = max(p.heap, s[0].Value.Uint64())
			p.mu.Unlock()
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() { cancel(); <-done }
}

func (p *peakSampler) maxHeap() uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.heap
}

// resetPeakRSS starts VmHWM afresh (Linux: "5" to clear_refs), so the peak
// covers the measured runs rather than the data generation before them.
func resetPeakRSS() {
	if runtime.GOOS == "linux" {
		_ = os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	}
}

// procStatusKB reads a "kB" field of /proc/self/status.
func procStatusKB(field string) (uint64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		return n, err == nil
	}
	return 0, false
}
