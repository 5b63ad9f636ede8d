//go:build linux

package hub

// BenchmarkColdStart: what opening a store with a year of a big fleet's
// history costs before the window has its data. The store (200 hosts,
// 2,500 jobs each, 10 log lines a job and one job of 20,000 lines: 1.8 GB)
// is generated once with storage.WriteSyntheticHistory and kept under
// $TMPDIR/restic-manager-bench/, named by schema and generator version.
// Each round measures, with the file dropped from the page cache first
// (a cold start after a reboot) and then warm:
//
//   - dashboard: storage.Open, New, Hosts(), then for every host what the
//     dashboard reads (ActiveJobs; Host for the failing ones);
//   - baseline: bare bbolt open plus decoding the same host and summary
//     rows: the least any manager could do;
//   - a host's first Jobs page (50 of its 2,500), every later page, and a
//     20,000-line job log read as the Jobs tab reads it (pages of 5,000),
//     each against a bare bbolt cursor reading the same rows.
//
//	go test -run '^$' -bench BenchmarkColdStart -benchtime 1x ./desktop/hub/
//	go test -run '^$' -bench BenchmarkColdStart -benchtime 1x ./desktop/hub/ -coldstart.hosts 20

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/desktop/secrets"
	"restic-manager/storage"
)

var (
	coldHosts  = flag.Int("coldstart.hosts", 200, "BenchmarkColdStart: hosts in the generated store (2,500 jobs each)")
	coldRounds = flag.Int("coldstart.rounds", 5, "BenchmarkColdStart: rounds of each measurement (medians are reported)")
)

// coldGenVersion names the generator's layout in the cached file's name:
// bump it when WriteSyntheticHistory changes what it writes.
const coldGenVersion = 4

// coldStore returns the cold-start benchmark's store.
func coldStore(b *testing.B) (string, storage.SyntheticStore) {
	return syntheticStore(b, "coldstart", storage.SyntheticHistory{Hosts: *coldHosts, JobsPerHost: 2500, LinesPerJob: 10,
		LongLogLines: 20_000, Groups: 3, Now: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
}

// syntheticStore returns a cached synthetic store, generating it first
// when it is missing (minutes, once). Its name says the schema version,
// the generator's and the fleet's size, so a change of any makes a new
// one. Open it only in ways that do not change it (no sweep), or copy it.
func syntheticStore(b *testing.B, kind string, spec storage.SyntheticHistory) (string, storage.SyntheticStore) {
	dir := filepath.Join(os.TempDir(), "restic-manager-bench")
	name := fmt.Sprintf("%s-s%d-g%d-h%d-j%d.db", kind, storage.SchemaVersionCurrent(), coldGenVersion, spec.Hosts, spec.JobsPerHost)
	path := filepath.Join(dir, name)
	var info storage.SyntheticStore
	if raw, err := os.ReadFile(path + ".json"); err == nil && json.Unmarshal(raw, &info) == nil {
		if _, err := os.Stat(path); err == nil {
			return path, info
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		b.Fatal(err)
	}
	tmp := path + ".generating"
	_ = os.Remove(tmp)
	start := time.Now()
	info, err := storage.WriteSyntheticHistory(tmp, spec)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(info)
	if err := os.WriteFile(path+".json", raw, 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	b.Logf("generated %s: %d jobs, %d log lines in %s", path, info.Jobs, info.LogLines, time.Since(start).Round(time.Second))
	return path, info
}

// dropFromPageCache makes the next read of path come from the disk, as
// after a reboot (only this file's pages: posix_fadvise DONTNEED).
func dropFromPageCache(b *testing.B, path string) {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	const fadvDontNeed = 4
	if _, _, e := syscall.Syscall6(syscall.SYS_FADVISE64, f.Fd(), 0, 0, fadvDontNeed, 0, 0); e != 0 {
		b.Fatalf("fadvise: %v", e)
	}
}

// coldTimes is one round's measurements.
type coldTimes struct {
	open, dashboard, firstPage, laterPages, log time.Duration
	maxLaterPage                                time.Duration
}

func BenchmarkColdStart(b *testing.B) {
	path, info := coldStore(b)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("store %s: %d MB, %d hosts, %d jobs, %d log lines", path, fi.Size()>>20, len(info.HostIDs), info.Jobs, info.LogLines)
	for _, cold := range []bool{true, false} {
		name := "warm"
		if cold {
			name = "cold"
		}
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var hub, base []coldTimes
				for r := 0; r < *coldRounds; r++ {
					// Alternate which goes first, so neither always finds
					// the other's pages.
					if r%2 == 0 {
						base = append(base, bareColdStart(b, path, info, cold))
						hub = append(hub, hubColdStart(b, path, info, cold))
					} else {
						hub = append(hub, hubColdStart(b, path, info, cold))
						base = append(base, bareColdStart(b, path, info, cold))
					}
				}
				reportCold(b, name, hub, base)
			}
		})
	}
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func pick(ts []coldTimes, f func(coldTimes) time.Duration) time.Duration {
	ds := make([]time.Duration, len(ts))
	for i, t := range ts {
		ds[i] = f(t)
	}
	return median(ds)
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func reportCold(b *testing.B, name string, hub, base []coldTimes) {
	startHub := pick(hub, func(t coldTimes) time.Duration { return t.open + t.dashboard })
	startBase := pick(base, func(t coldTimes) time.Duration { return t.open + t.dashboard })
	page, pageBase := pick(hub, func(t coldTimes) time.Duration { return t.firstPage }), pick(base, func(t coldTimes) time.Duration { return t.firstPage })
	later, laterBase := pick(hub, func(t coldTimes) time.Duration { return t.laterPages }), pick(base, func(t coldTimes) time.Duration { return t.laterPages })
	maxLater := pick(hub, func(t coldTimes) time.Duration { return t.maxLaterPage })
	lg, lgBase := pick(hub, func(t coldTimes) time.Duration { return t.log }), pick(base, func(t coldTimes) time.Duration { return t.log })
	b.ReportMetric(ms(startHub), "start_ms")
	b.ReportMetric(float64(startHub)/float64(startBase), "start_x_bare")
	b.ReportMetric(ms(page), "jobs_page_ms")
	b.ReportMetric(ms(lg), "log20k_ms")
	b.Logf("COLDSTART %s (medians of %d): open+dashboard %.1f ms (open %.1f) vs bare bbolt %.1f ms (open %.1f) = %.2fx; "+
		"first jobs page %.2f ms vs bare %.2f ms = %.2fx; 49 later pages %.1f ms (max page %.2f ms) vs bare %.1f ms = %.2fx; "+
		"20,000-line log %.1f ms vs bare %.1f ms = %.2fx",
		name, len(hub), ms(startHub), ms(pick(hub, func(t coldTimes) time.Duration { return t.open })),
		ms(startBase), ms(pick(base, func(t coldTimes) time.Duration { return t.open })), float64(startHub)/float64(startBase),
		ms(page), ms(pageBase), float64(page)/float64(pageBase), ms(later), ms(maxLater), ms(laterBase), float64(later)/float64(laterBase),
		ms(lg), ms(lgBase), float64(lg)/float64(lgBase))
}

// hubColdStart opens the store and reads what the window reads at start,
// then a Jobs tab's pages and the long log, through the hub.
func hubColdStart(b *testing.B, path string, info storage.SyntheticStore, cold bool) coldTimes {
	if cold {
		dropFromPageCache(b, path)
	}
	var t coldTimes
	start := time.Now()
	// No page check: the hub would start it at once in the background,
	// reading the whole file beside the window's reads, and Close waits
	// for it (seconds warm, minutes cold). This measures what the window
	// itself reads. No sweep: the cached file stays as generated.
	st, err := storage.Open(path, &storage.Options{SkipCheck: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	h, err := New(Options{Store: st, Secrets: secrets.NewMemory(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), SweepInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	t.open = time.Since(start)
	hosts, err := h.Hosts()
	if err != nil || len(hosts) != len(info.HostIDs) {
		b.Fatalf("Hosts() = %d hosts, %v; want %d", len(hosts), err, len(info.HostIDs))
	}
	running, failing := 0, 0
	for _, v := range hosts {
		jobs, err := h.ActiveJobs(v.Host.ID)
		if err != nil {
			b.Fatal(err)
		}
		running += len(jobs)
		if v.Failing {
			failing++
			if _, err := h.Host(v.Host.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
	t.dashboard = time.Since(start) - t.open
	if running == 0 || failing == 0 {
		b.Fatalf("the dashboard found %d running jobs and %d failing hosts; the store should have some of each", running, failing)
	}

	host := info.HostIDs[len(info.HostIDs)/2]
	start = time.Now()
	page, err := h.Jobs(host, "", 50)
	t.firstPage = time.Since(start)
	if err != nil || len(page.Jobs) != 50 {
		b.Fatalf("first jobs page: %d jobs, %v", len(page.Jobs), err)
	}
	n := 50
	for page.Next != "" {
		s := time.Now()
		page, err = h.Jobs(host, page.Next, 50)
		d := time.Since(s)
		if err != nil {
			b.Fatal(err)
		}
		t.laterPages += d
		t.maxLaterPage = max(t.maxLaterPage, d)
		n += len(page.Jobs)
	}
	if n != 2500 {
		b.Fatalf("paged through %d jobs, want 2500", n)
	}

	start = time.Now()
	lines, from := 0, uint64(1)
	for {
		got, err := h.JobLog(info.LongJobID, from, 5000)
		if err != nil {
			b.Fatal(err)
		}
		lines += len(got)
		if len(got) < 5000 {
			break
		}
		from = got[len(got)-1].Seq + 1
	}
	t.log = time.Since(start)
	if lines != 20_000 {
		b.Fatalf("read %d lines of the long log, want 20,000", lines)
	}
	return t
}

// bareColdStart is the floor: bbolt opened read-only, the same host and
// summary rows decoded, the same job rows and log lines read with bare
// cursors.
func bareColdStart(b *testing.B, path string, info storage.SyntheticStore, cold bool) coldTimes {
	if cold {
		dropFromPageCache(b, path)
	}
	var t coldTimes
	start := time.Now()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	t.open = time.Since(start)
	err = db.View(func(tx *bolt.Tx) error {
		n := 0
		health := tx.Bucket([]byte("health"))
		err := tx.Bucket([]byte("hosts")).ForEach(func(k, v []byte) error {
			var h storage.Host
			var hl struct {
				Groups map[string]storage.GroupHealth `json:"groups"`
			}
			n++
			if err := json.Unmarshal(v, &h); err != nil {
				return err
			}
			return json.Unmarshal(health.Get(k), &hl)
		})
		if n != len(info.HostIDs) {
			return fmt.Errorf("%d hosts", n)
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	t.dashboard = time.Since(start) - t.open

	host := info.HostIDs[len(info.HostIDs)/2]
	p := append([]byte{byte(len(host))}, host...)
	// The same 2,500 job rows, 50 at a time, newest first.
	readPage := func(tx *bolt.Tx, c *bolt.Cursor, k []byte) []byte {
		jobs := tx.Bucket([]byte("jobs"))
		for i := 0; i < 50 && k != nil && len(k) > len(p) && string(k[:len(p)]) == string(p); i++ {
			var j storage.Job
			if err := json.Unmarshal(jobs.Get(k[len(p)+8:]), &j); err != nil {
				b.Fatal(err)
			}
			k, _ = c.Prev()
		}
		return k
	}
	_ = db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket([]byte("host_jobs")).Cursor()
		s := time.Now()
		end := append(slices.Clone(p), 0xff)
		k, _ := c.Seek(end)
		if k == nil {
			k, _ = c.Last()
		} else {
			k, _ = c.Prev()
		}
		k = readPage(tx, c, k)
		t.firstPage = time.Since(s)
		s = time.Now()
		for k != nil && string(k[:min(len(k), len(p))]) == string(p) {
			k = readPage(tx, c, k)
		}
		t.laterPages = time.Since(s)
		return nil
	})

	start = time.Now()
	_ = db.View(func(tx *bolt.Tx) error {
		jp := append([]byte{byte(len(info.LongJobID))}, info.LongJobID...)
		c := tx.Bucket([]byte("job_logs")).Cursor()
		var lines []string
		for k, v := c.Seek(jp); k != nil && string(k[:min(len(k), len(jp))]) == string(jp) && len(lines) < 20_000; k, v = c.Next() {
			lines = append(lines, string(v[9:]))
		}
		if len(lines) != 20_000 {
			b.Fatalf("bare read %d lines", len(lines))
		}
		return nil
	})
	t.log = time.Since(start)
	return t
}
