package browse

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/internal/restictest"
	"restic-manager/protocol"
)

const testPassword = "browse-test-password"

// fixture is a real restic repository holding two snapshots of a generated
// tree, made once for the package's tests.
type fixture struct {
	repo    string
	src     string // the backed-up directory, as restic paths show it
	full    string // first snapshot's full id
	short   string
	second  string // second snapshot's full id
	bigDir  string // restic path of the directory with 2,500 entries
	restic  *restic.Restic
	argvLog *argvLog
}

type argvLog struct {
	mu   sync.Mutex
	argv [][]string
}

func (l *argvLog) add(a []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.argv = append(l.argv, slices.Clone(a))
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
	fixDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixDir != "" {
		os.RemoveAll(fixDir)
	}
	os.Exit(code)
}

func getFixture(t testing.TB) *fixture {
	t.Helper()
	bin := restictest.Binary(t)
	fixOnce.Do(func() { fix, fixErr = makeFixture(bin) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func makeFixture(bin string) (*fixture, error) {
	dir, err := os.MkdirTemp("", "browse-test-")
	if err != nil {
		return nil, err
	}
	fixDir = dir
	src := filepath.Join(dir, "src")
	files := map[string]string{
		"docs/a.txt":               "alpha",
		"docs/B.txt":               "upper case sorts first in byte order",
		"docs/sub/deep/report.pdf": "pdf",
		"docs/R&D \"q\" <x>.txt":   "names restic's JSON escapes",
		"docs/back\\slash":         "a backslash",
		"docs/ünï.txt":             "utf-8",
		"Zeta/z.txt":               "z",
		"top.txt":                  "top",
	}
	for i := range 2500 {
		files[fmt.Sprintf("big/f%04d.dat", i)] = strings.Repeat("x", i%7)
	}
	for name, content := range files {
		p := filepath.Join(src, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return nil, err
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(filepath.Join(src, "empty"), 0o755); err != nil {
		return nil, err
	}
	if err := os.Symlink("docs/a.txt", filepath.Join(src, "link")); err != nil {
		return nil, err
	}
	f := &fixture{repo: filepath.Join(dir, "repo"), src: src, bigDir: src + "/big", argvLog: &argvLog{}}
	if _, err := runRestic(bin, f.repo, "init"); err != nil {
		return nil, err
	}
	if _, err := runRestic(bin, f.repo, "backup", "--json", src); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(src, "docs/new.txt"), []byte("second"), 0o644); err != nil {
		return nil, err
	}
	if _, err := runRestic(bin, f.repo, "backup", "--json", src); err != nil {
		return nil, err
	}
	out, err := runRestic(bin, f.repo, "snapshots", "--json")
	if err != nil {
		return nil, err
	}
	var snaps []struct {
		ID      string    `json:"id"`
		ShortID string    `json:"short_id"`
		Time    time.Time `json:"time"`
	}
	if err := json.Unmarshal(out, &snaps); err != nil || len(snaps) != 2 {
		return nil, fmt.Errorf("snapshots: %v (%d)", err, len(snaps))
	}
	slices.SortFunc(snaps, func(a, b struct {
		ID      string    `json:"id"`
		ShortID string    `json:"short_id"`
		Time    time.Time `json:"time"`
	}) int {
		return a.Time.Compare(b.Time)
	})
	f.full, f.short, f.second = snaps[0].ID, snaps[0].ShortID, snaps[1].ID
	f.restic, err = restic.New(context.Background(), restic.Options{Path: bin, Trace: f.argvLog.add})
	return f, err
}

// runRestic runs restic directly (not through the code under test) to set
// up a repository.
func runRestic(bin, repo string, args ...string) ([]byte, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+testPassword)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("restic %v: %w: %s", args, err, stderr.String())
	}
	return out, nil
}

// countingLister runs the real restic and counts its runs.
type countingLister struct {
	inner Lister
	runs  atomic.Int32
	gate  chan struct{} // if set, each run waits for it to close
}

func (c *countingLister) Ls(ctx context.Context, id string, fn func(Node) error) error {
	c.runs.Add(1)
	if c.gate != nil {
		select {
		case <-c.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return c.inner.Ls(ctx, id, fn)
}

func newIndex(t testing.TB, o Options) (*Index, *countingLister, *fixture) {
	t.Helper()
	f := getFixture(t)
	l := &countingLister{inner: ResticLister{Restic: f.restic, Repo: func() (restic.Repo, error) {
		return restic.Repo{URL: f.repo, Password: testPassword}, nil
	}}}
	o.Logger = quietLogger()
	x := New(l, o)
	t.Cleanup(x.Close)
	return x, l, f
}

func ask(t testing.TB, x *Index, id, path string, offset, limit int) protocol.TreeListResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res := x.List(ctx, protocol.TreeList{SnapshotID: id, Path: path, Offset: offset, Limit: limit})
	if err := res.Validate(); err != nil {
		t.Fatalf("tree.list.result for %s is not valid on the wire: %v", path, err)
	}
	return res
}

func names(es []protocol.TreeEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Name
	}
	return out
}

func TestPagingThroughADirectoryOf2500Entries(t *testing.T) {
	x, l, f := newIndex(t, Options{})
	var all []string
	wantNext := []int{1000, 2000, -1}
	offset := 0
	for page := 0; page < 3; page++ {
		res := ask(t, x, f.full, f.bigDir, offset, 1000)
		if res.Error != "" {
			t.Fatalf("page %d: %s", page, res.Error)
		}
		wantLen := 1000
		if page == 2 {
			wantLen = 500
		}
		if len(res.Entries) != wantLen {
			t.Fatalf("page %d has %d entries, want %d", page, len(res.Entries), wantLen)
		}
		switch {
		case wantNext[page] < 0 && res.NextOffset != nil:
			t.Fatalf("last page has next_offset %d, want none", *res.NextOffset)
		case wantNext[page] >= 0 && (res.NextOffset == nil || *res.NextOffset != wantNext[page]):
			t.Fatalf("page %d next_offset = %v, want %d", page, res.NextOffset, wantNext[page])
		}
		all = append(all, names(res.Entries)...)
		if res.NextOffset != nil {
			offset = *res.NextOffset
		}
	}
	if len(all) != 2500 {
		t.Fatalf("got %d names over 3 pages, want 2500", len(all))
	}
	if !slices.IsSorted(all) {
		t.Error("entries across pages are not sorted by name")
	}
	if len(slices.Compact(slices.Clone(all))) != 2500 {
		t.Error("an entry appears twice across pages")
	}
	if all[0] != "f0000.dat" || all[2499] != "f2499.dat" {
		t.Errorf("first/last = %s/%s", all[0], all[2499])
	}
	// Stable: asking for a page again gives the same entries.
	again := ask(t, x, f.full, f.bigDir, 1000, 1000)
	if !slices.Equal(names(again.Entries), all[1000:2000]) {
		t.Error("the second page differs when asked again")
	}
	// Default limit is 1000; past the end is empty and complete.
	if res := ask(t, x, f.full, f.bigDir, 0, 0); len(res.Entries) != protocol.TreeListDefaultLimit {
		t.Errorf("default limit gave %d entries, want %d", len(res.Entries), protocol.TreeListDefaultLimit)
	}
	if res := ask(t, x, f.full, f.bigDir, 0, protocol.TreeListMaxLimit); len(res.Entries) != 2500 || res.NextOffset != nil {
		t.Errorf("limit 5000 gave %d entries, next %v; want all 2500 and no next_offset", len(res.Entries), res.NextOffset)
	}
	if res := ask(t, x, f.full, f.bigDir, 9999, 10); res.Error != "" || res.Entries == nil || len(res.Entries) != 0 || res.NextOffset != nil {
		t.Errorf("offset past the end = %+v, want an empty complete page", res)
	}
	if n := l.runs.Load(); n != 1 {
		t.Errorf("restic ls ran %d times for one snapshot, want 1", n)
	}
}

func TestRootNestedAndEmptyDirectories(t *testing.T) {
	x, _, f := newIndex(t, Options{})
	root := ask(t, x, f.full, "/", 0, 0)
	first := strings.Split(strings.TrimPrefix(f.src, "/"), "/")[0]
	if root.Error != "" || len(root.Entries) != 1 || root.Entries[0].Name != first || root.Entries[0].Type != protocol.EntryDir {
		t.Fatalf("root = %+v, want one directory %q", root, first)
	}
	src := ask(t, x, f.full, f.src, 0, 0)
	want := []string{"Zeta", "big", "docs", "empty", "link", "top.txt"} // byte order: upper case first
	if src.Error != "" || !slices.Equal(names(src.Entries), want) {
		t.Fatalf("%s = %v %q, want %v", f.src, names(src.Entries), src.Error, want)
	}
	types := map[string]string{}
	for _, e := range src.Entries {
		types[e.Name] = e.Type
		if e.Mtime == nil {
			t.Errorf("%s has no mtime", e.Name)
		}
	}
	if types["docs"] != protocol.EntryDir || types["link"] != protocol.EntrySymlink || types["top.txt"] != protocol.EntryFile {
		t.Errorf("types = %v", types)
	}
	docs := ask(t, x, f.full, f.src+"/docs/", 0, 0) // a trailing slash names the same directory
	if got := names(docs.Entries); !slices.Equal(got, []string{"B.txt", `R&D "q" <x>.txt`, "a.txt", `back\slash`, "sub", "ünï.txt"}) {
		t.Errorf("docs = %v %q", got, docs.Error)
	}
	for _, e := range docs.Entries {
		if e.Name == "a.txt" && e.Size != 5 {
			t.Errorf("a.txt size = %d, want 5", e.Size)
		}
	}
	empty := ask(t, x, f.full, f.src+"/empty", 0, 0)
	if empty.Error != "" || empty.Entries == nil || len(empty.Entries) != 0 || empty.NextOffset != nil {
		t.Errorf("empty directory = %+v, want [] and no next_offset", empty)
	}
	b, _ := json.Marshal(empty)
	if !strings.Contains(string(b), `"entries":[]`) {
		t.Errorf("empty directory encodes as %s, want entries:[]", b)
	}
}

func TestErrorsForFilesMissingPathsAndMissingSnapshots(t *testing.T) {
	x, l, f := newIndex(t, Options{})
	fullMissing := strings.Repeat("0123456789abcdef", 4)
	cases := []struct {
		name, id, path, mention string
	}{
		{"a file is not a directory", f.full, f.src + "/top.txt", "not a directory"},
		{"a path below a file", f.full, f.src + "/top.txt/x", "not a directory"},
		{"a missing path", f.full, f.src + "/nope", "no such path"},
		{"a missing snapshot", "deadbeef", "/", "snapshot deadbeef not found"},
		// restic 0.16 retries a missing full id for over a minute; 0.17+
		// calls it a failed load (restic.snapshotRef).
		{"a missing snapshot named by its full id", fullMissing, "/", "snapshot " + fullMissing + " not found"},
		{"a relative path", f.full, "tmp", "bad request"},
		{"a limit over 5000", f.full, "/", "bad request"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			limit := 0
			if strings.Contains(c.name, "limit") {
				limit = 5001
			}
			res := x.List(context.Background(), protocol.TreeList{SnapshotID: c.id, Path: c.path, Limit: limit})
			if !strings.Contains(res.Error, c.mention) || res.Entries != nil {
				t.Errorf("List(%s, %s) = %+v, want an error mentioning %q", c.id, c.path, res, c.mention)
			}
			if res.SnapshotID != c.id || res.Path != c.path {
				t.Errorf("the answer does not echo the request: %+v", res)
			}
		})
	}
	// A missing snapshot is not remembered: the next request asks restic again.
	before := l.runs.Load()
	ask(t, x, "deadbeef", "/", 0, 0)
	if l.runs.Load() != before+1 {
		t.Error("a failed listing was cached")
	}
}

func TestShortAndFullIDsListTheSameSnapshot(t *testing.T) {
	x, _, f := newIndex(t, Options{})
	short := ask(t, x, f.short, f.src+"/docs", 0, 0)
	full := ask(t, x, f.full, f.src+"/docs", 0, 0)
	second := ask(t, x, f.second, f.src+"/docs", 0, 0)
	if short.Error != "" || full.Error != "" || !slices.Equal(names(short.Entries), names(full.Entries)) {
		t.Errorf("short id %v (%s), full id %v (%s): want the same listing", names(short.Entries), short.Error, names(full.Entries), full.Error)
	}
	if !slices.Contains(names(second.Entries), "new.txt") || slices.Contains(names(full.Entries), "new.txt") {
		t.Errorf("first snapshot %v, second %v: only the second has new.txt", names(full.Entries), names(second.Entries))
	}
}

func TestLeastRecentlyUsedIndexIsEvicted(t *testing.T) {
	x, l, f := newIndex(t, Options{MaxSnapshots: 1})
	for _, id := range []string{f.full, f.second, f.full} {
		if res := ask(t, x, id, "/", 0, 0); res.Error != "" {
			t.Fatal(res.Error)
		}
	}
	if n := l.runs.Load(); n != 3 {
		t.Errorf("with room for one index, A B A ran restic ls %d times, want 3", n)
	}
	if st := x.Stats(); st.Snapshots != 1 || st.Bytes <= 0 {
		t.Errorf("stats = %+v, want one kept index", st)
	}

	y, l2, _ := newIndex(t, Options{MaxSnapshots: 2})
	for _, id := range []string{f.full, f.second, f.full, f.second} {
		ask(t, y, id, "/", 0, 0)
	}
	if n := l2.runs.Load(); n != 2 {
		t.Errorf("with room for two, A B A B ran restic ls %d times, want 2", n)
	}

	z, _, _ := newIndex(t, Options{MaxBytes: 1}) // the budget keeps only the index in use
	ask(t, z, f.full, "/", 0, 0)
	ask(t, z, f.second, "/", 0, 0)
	if st := z.Stats(); st.Snapshots != 1 {
		t.Errorf("over the memory budget %d indexes are kept, want 1", st.Snapshots)
	}
}

func TestConcurrentFirstRequestsShareOneResticRun(t *testing.T) {
	x, l, f := newIndex(t, Options{})
	l.gate = make(chan struct{})
	const n = 8
	results := make([]protocol.TreeListResult, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { results[i] = ask(t, x, f.full, f.bigDir, i*100, 100) })
	}
	waitFor(t, 30*time.Second, func() bool {
		x.mu.Lock()
		defer x.mu.Unlock()
		b := x.building[f.full]
		return b != nil && b.waiters == n
	})
	close(l.gate)
	wg.Wait()
	if runs := l.runs.Load(); runs != 1 {
		t.Errorf("%d concurrent first requests ran restic ls %d times, want 1", n, runs)
	}
	for i, r := range results {
		if r.Error != "" || len(r.Entries) != 100 || r.Entries[0].Name != fmt.Sprintf("f%04d.dat", i*100) {
			t.Errorf("request %d got %d entries from %v (%s)", i, len(r.Entries), names(r.Entries[:min(1, len(r.Entries))]), r.Error)
		}
	}
}

func TestARequesterThatGivesUpDoesNotWasteTheBuild(t *testing.T) {
	x, l, f := newIndex(t, Options{})
	l.gate = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan protocol.TreeListResult)
	go func() { done <- x.List(ctx, protocol.TreeList{SnapshotID: f.full, Path: "/"}) }()
	waitFor(t, 10*time.Second, func() bool { return l.runs.Load() == 1 })
	cancel()
	if res := <-done; !strings.Contains(res.Error, "did not finish") {
		t.Errorf("cancelled request = %+v, want an error saying it did not finish", res)
	}
	close(l.gate)
	if res := ask(t, x, f.full, "/", 0, 0); res.Error != "" || l.runs.Load() != 1 {
		t.Errorf("retry = %+v after %d runs, want the kept result of the one run", res, l.runs.Load())
	}
}

func TestThePasswordNeverReachesArgv(t *testing.T) {
	x, _, f := newIndex(t, Options{})
	ask(t, x, f.full, "/", 0, 0)
	f.argvLog.mu.Lock()
	defer f.argvLog.mu.Unlock()
	if len(f.argvLog.argv) == 0 {
		t.Fatal("no restic run was traced")
	}
	for _, a := range f.argvLog.argv {
		if strings.Contains(strings.Join(a, " "), testPassword) {
			t.Errorf("argv carries the password: %v", a)
		}
	}
}

func waitFor(t *testing.T, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", timeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
