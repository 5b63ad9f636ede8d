package browse

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/internal/benchtree"
	"restic-manager/internal/restictest"
	"restic-manager/protocol"
)

// The 200,000-file benchmark repository (internal/benchtree), backed up
// once and kept under the system temp dir so a rerun skips the slow part
// (marker file "snapshot" holds the id).
const benchTotal = benchtree.Total

var (
	benchOnce sync.Once
	benchRepo string
	benchSnap string
	benchErr  error
)

func benchFixture(b *testing.B) (repo, snap string) {
	b.Helper()
	bin := restictest.Binary(b)
	benchOnce.Do(func() { benchRepo, benchSnap, benchErr = makeBenchRepo(bin) })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchRepo, benchSnap
}

func makeBenchRepo(bin string) (repo, snap string, err error) {
	dir := filepath.Join(os.TempDir(), "restic-manager-bench", fmt.Sprintf("browse-%d", benchTotal))
	repo = filepath.Join(dir, "repo")
	marker := filepath.Join(dir, "snapshot")
	if id, err := os.ReadFile(marker); err == nil && len(id) > 0 {
		return repo, strings.TrimSpace(string(id)), nil
	}
	os.RemoveAll(dir)
	src := filepath.Join(dir, "src")
	if err := benchtree.Write(src); err != nil {
		return "", "", err
	}
	if _, err := runRestic(bin, repo, "init"); err != nil {
		return "", "", err
	}
	if _, err := runRestic(bin, repo, "backup", "--quiet", src); err != nil {
		return "", "", err
	}
	out, err := runRestic(bin, repo, "snapshots", "--json", "--last")
	if err != nil {
		return "", "", err
	}
	i := bytes.Index(out, []byte(`"id":"`))
	if i < 0 {
		return "", "", fmt.Errorf("no snapshot id in %s", out)
	}
	snap = string(out[i+6 : i+6+64])
	os.RemoveAll(src) // only the repository is needed from now on
	return repo, snap, os.WriteFile(marker, []byte(snap), 0o644)
}

func benchIndex(b *testing.B, repo string) *Index {
	r, err := restic.New(context.Background(), restic.Options{Path: restictest.Binary(b)})
	if err != nil {
		b.Fatal(err)
	}
	return New(ResticLister{Restic: r, Repo: func() (restic.Repo, error) {
		return restic.Repo{URL: repo, Password: testPassword}, nil
	}}, Options{Logger: quietLogger()})
}

// bareLs is what an index build is compared with: the same restic ls
// --json, its output read and thrown away.
func bareLs(b *testing.B, repo, snap string, paths ...string) time.Duration {
	bin := restictest.Binary(b)
	cmd := exec.Command(bin, restic.LsArgs(snap, paths...)...)
	if len(paths) > 0 { // per-directory browsing, the way other tools do it
		cmd = exec.Command(bin, append([]string{"ls", "--json", "--no-lock", "--", snap}, paths...)...)
	}
	cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+testPassword)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		b.Fatalf("restic ls: %v: %s", err, stderr.Bytes())
	}
	return time.Since(start)
}

// BenchmarkBrowse measures tree.list on a 200,000-file snapshot:
//
//   - cold-vs-bare: the first tree.list (restic ls + index build) against a
//     bare restic ls --json of the same snapshot, three pairs, medians and
//     their ratio (target ≤ 1.1), plus the index's heap and estimated size;
//   - warm-expand: 1,000 random directory expansions from the index per
//     iteration, p50/p95/max (target p95 ≤ 20 ms);
//   - ls-per-dir: 20 runs of restic ls <id> <dir>, the way tools without an
//     index browse, p50/p95.
//
// Run once: go test -run '^$' -bench BenchmarkBrowse ./agent/browse/
func BenchmarkBrowse(b *testing.B) {
	repo, snap := benchFixture(b)
	bareLs(b, repo, snap) // warm the OS cache for both sides

	b.Run("cold-vs-bare", func(b *testing.B) {
		var bare, cold []time.Duration
		var heap, est int64
		for range b.N {
			for range 3 {
				bare = append(bare, bareLs(b, repo, snap))

				x := benchIndex(b, repo)
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				start := time.Now()
				res := x.List(context.Background(), protocol.TreeList{SnapshotID: snap, Path: "/"})
				cold = append(cold, time.Since(start))
				if res.Error != "" {
					b.Fatal(res.Error)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				heap = int64(after.HeapAlloc) - int64(before.HeapAlloc)
				est = x.Stats().Bytes
				runtime.KeepAlive(x)
				x.Close()
			}
		}
		mb, mc := median(bare), median(cold)
		b.ReportMetric(float64(mb.Milliseconds()), "bare-ls-ms")
		b.ReportMetric(float64(mc.Milliseconds()), "first-list-ms")
		b.ReportMetric(float64(mc)/float64(mb), "ratio")
		b.ReportMetric(float64(heap)/(1<<20), "index-heap-MB")
		b.ReportMetric(float64(est)/(1<<20), "index-est-MB")
		b.ReportMetric(float64(heap)/benchTotal, "heap-B/file")
	})

	b.Run("warm-expand", func(b *testing.B) {
		x := benchIndex(b, repo)
		defer x.Close()
		if res := x.List(context.Background(), protocol.TreeList{SnapshotID: snap, Path: "/"}); res.Error != "" {
			b.Fatal(res.Error)
		}
		dirs := allDirs(b, x, snap)
		rng := rand.New(rand.NewPCG(1, 2))
		var took []time.Duration
		b.ResetTimer()
		for range b.N {
			for range 1000 {
				d := dirs[rng.IntN(len(dirs))]
				start := time.Now()
				res := x.List(context.Background(), protocol.TreeList{SnapshotID: snap, Path: d})
				took = append(took, time.Since(start))
				if res.Error != "" || res.Entries == nil {
					b.Fatalf("%s: %s", d, res.Error)
				}
			}
		}
		b.StopTimer()
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(took[len(took)*95/100].Microseconds())/1000, "p95-ms")
		b.ReportMetric(float64(took[len(took)-1].Microseconds())/1000, "max-ms")
		b.ReportMetric(float64(len(dirs)), "dirs")
	})

	b.Run("ls-per-dir", func(b *testing.B) {
		x := benchIndex(b, repo)
		defer x.Close()
		dirs := allDirs(b, x, snap)
		rng := rand.New(rand.NewPCG(3, 4))
		var took []time.Duration
		for range b.N {
			for range 20 {
				took = append(took, bareLs(b, repo, snap, dirs[rng.IntN(len(dirs))]))
			}
		}
		slices.Sort(took)
		b.ReportMetric(float64(took[len(took)/2].Milliseconds()), "p50-ms")
		b.ReportMetric(float64(took[len(took)*95/100].Milliseconds()), "p95-ms")
	})
}

// allDirs walks the index breadth first and returns every directory path.
func allDirs(b *testing.B, x *Index, snap string) []string {
	dirs := []string{"/"}
	for i := 0; i < len(dirs); i++ {
		for offset := 0; ; {
			res := x.List(context.Background(), protocol.TreeList{SnapshotID: snap, Path: dirs[i], Offset: offset, Limit: protocol.TreeListMaxLimit})
			if res.Error != "" {
				b.Fatal(res.Error)
			}
			for _, e := range res.Entries {
				if e.Type == protocol.EntryDir {
					dirs = append(dirs, strings.TrimSuffix(dirs[i], "/")+"/"+e.Name)
				}
			}
			if res.NextOffset == nil {
				break
			}
			offset = *res.NextOffset
		}
	}
	return dirs
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
