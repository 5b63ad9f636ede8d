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
// Two rounds, in alternating order (bare, agent; agent, bare), so a page
// cache or CPU-frequency drift favours neither side. Reported:
//
//	agent/bare        wall-time ratio (target ≤ 1.02)
//	bare-s, agent-s   mean seconds per backup
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

	round := 0
	bare := func() time.Duration {
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
		cmd := exec.Command(h.restic.Path(), args...)
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("bare backup: %v", err)
		}
		return time.Since(start)
	}
	var peak peakSampler
	agent := func() time.Duration {
		round++
		repo := filepath.Join(work, "agent-"+strconv.Itoa(round))
		defer os.RemoveAll(repo)
		if _, err := h.journal.ApplyConfig(protocol.ConfigUpdate{RepoURL: repo}); err != nil {
			b.Fatal(err)
		}
		mustSucceed(b, h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindInit}}), h)
		stop := peak.start()
		start := time.Now()
		fin := h.run(backupJob("bench", src))
		elapsed := time.Since(start)
		stop()
		mustSucceed(b, fin, h)
		return elapsed
	}

	resetPeakRSS()
	var bareT, agentT time.Duration
	runs := 0
	for b.Loop() {
		bareT += bare()
		agentT += agent()
		agentT += agent()
		bareT += bare()
		runs += 2
	}
	b.ReportMetric(float64(agentT)/float64(bareT), "agent/bare")
	b.ReportMetric(bareT.Seconds()/float64(runs), "bare-s")
	b.ReportMetric(agentT.Seconds()/float64(runs), "agent-s")
	if hwm, ok := procStatusKB("VmHWM"); ok {
		b.ReportMetric(float64(hwm)/1024, "peak-RSS-MB")
	}
	b.ReportMetric(float64(peak.maxHeap())/(1<<20), "peak-heap-MB")
}

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
