package runner

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/internal/benchtree"
	"restic-manager/internal/restictest"
	"restic-manager/protocol"
)

// findBenchSnapshots is how many snapshots of the 200,000-file tree the
// find benchmark searches.
const findBenchSnapshots = 20

// findBenchRepo returns a repository holding findBenchSnapshots snapshots
// of internal/benchtree's tree, taken as the runner's test host, each with
// one more file (snap-NN.txt) than the one before, so no two trees are the
// same. It is kept under the system temp dir (marker file "done") so a
// rerun skips the minutes the backups take.
func findBenchRepo(b *testing.B) string {
	b.Helper()
	bin := restictest.Binary(b)
	dir := filepath.Join(os.TempDir(), "restic-manager-bench", fmt.Sprintf("find-%dx%d", benchtree.Total, findBenchSnapshots))
	repo, marker := filepath.Join(dir, "repo"), filepath.Join(dir, "done")
	if _, err := os.Stat(marker); err == nil {
		return repo
	}
	os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	if err := benchtree.Write(src); err != nil {
		b.Fatal(err)
	}
	run := func(args ...string) {
		cmd := exec.Command(bin, append(args, "--cache-dir", filepath.Join(dir, "cache"))...)
		cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+testPassword)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("restic %s: %v\n%s", args[0], err, out)
		}
	}
	run("init")
	for i := range findBenchSnapshots {
		if err := os.WriteFile(filepath.Join(src, "dept00", "proj00", "v00", fmt.Sprintf("snap-%02d.txt", i)), []byte("x"), 0o644); err != nil {
			b.Fatal(err)
		}
		run("backup", "--quiet", "--host", "agent-under-test", src)
	}
	os.RemoveAll(src)
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		b.Fatal(err)
	}
	return repo
}

// BenchmarkFind runs a find job over 20 snapshots of the 200,000-file tree
// through the runner (Submit → job.finished journaled: the streamed JSON
// read, a normalised event line journaled per match, the snapshot count)
// and bare `restic find --json --host … -- pattern` with its output thrown
// away, in the same run, alternating which goes first:
//
//	go test -run '^$' -bench BenchmarkFind -benchtime 1x ./agent/runner/
//
// Two patterns: "snap-19.txt" matches one file in one snapshot (the find
// is all restic's tree walk), "file-007.txt" 4,000 files in each snapshot,
// 80,000 matches, four times what a job log keeps (the agent journals
// 20,000 lines and counts the rest). Reported per pattern: the median
// wall time of each side and their ratio (target ≤ 1.05).
func BenchmarkFind(b *testing.B) {
	repo := findBenchRepo(b)
	h := newHarness(b, harnessOptions{repoURL: repo})
	h.runTimeout = 30 * time.Minute
	rounds := 3
	if os.Getenv("RM_BENCH_SMALL") != "" {
		rounds = 1
	}
	for _, tc := range []struct {
		name, pattern string
		matches       int
	}{
		{"few-matches", "snap-19.txt", 1},
		{"80k-matches", "file-007.txt", 4000 * findBenchSnapshots},
	} {
		b.Run(tc.name, func(b *testing.B) {
			bare := func() time.Duration {
				args, err := restic.FindArgs("agent-under-test", tc.pattern, false)
				if err != nil {
					b.Fatal(err)
				}
				cmd := exec.Command(h.restic.Path(), append([]string{args[0], "--cache-dir", h.cacheDir}, args[1:]...)...)
				cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+testPassword)
				var stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = io.Discard, &stderr
				start := time.Now()
				if err := cmd.Run(); err != nil {
					b.Fatalf("bare restic find: %v: %s", err, stderr.Bytes())
				}
				return time.Since(start)
			}
			agent := func() time.Duration {
				start := time.Now()
				fin := h.run(findJob(tc.pattern, false))
				d := time.Since(start)
				if fin.Status != protocol.StatusSucceeded || !strings.Contains(string(fin.Stats), fmt.Sprintf(`"matches":%d`, tc.matches)) ||
					!strings.Contains(string(fin.Stats), fmt.Sprintf(`"snapshots_searched":%d`, findBenchSnapshots)) {
					b.Fatalf("find job ended %s: %s (stats %s)", fin.Status, fin.Error, fin.Stats)
				}
				return d
			}
			bare() // warm the OS cache and restic's for both sides, and the runner's snapshot list
			agent()
			var bs, as []time.Duration
			for range b.N {
				for i := range rounds {
					if i%2 == 0 {
						bs = append(bs, bare())
						as = append(as, agent())
					} else {
						as = append(as, agent())
						bs = append(bs, bare())
					}
				}
			}
			mb, ma := median(bs), median(as)
			b.ReportMetric(ma.Seconds()/mb.Seconds(), "agent/bare")
			b.ReportMetric(mb.Seconds(), "bare-s")
			b.ReportMetric(ma.Seconds(), "agent-s")
		})
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
