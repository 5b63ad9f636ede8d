package restic

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// findVersions are the restic versions whose find --json is captured in
// testdata/find (see testdata/README.txt).
var findVersions = []string{"0.14.0", "0.16.5", "0.17.3", "0.18.1", "0.19.1"}

// findLines flattens what ReadFind reports into sorted lines.
func findLines(t *testing.T, r io.Reader, keep int) (lines []string, hits int) {
	t.Helper()
	err := ReadFind(r, keep, func(s FindSnapshot) {
		hits += s.Hits
		for _, m := range s.Matches {
			lines = append(lines, fmt.Sprintf("%s %s %s %d %s", s.SnapshotID[:8], m.Path, m.Type, m.Size, m.Mtime.Format(time.RFC3339Nano)))
		}
	})
	if err != nil {
		t.Fatalf("ReadFind: %v", err)
	}
	slices.Sort(lines)
	return lines, hits
}

// Every supported version's output reads to the same matches: restic's
// order and extra fields differ, what the agent reports does not. Mtimes
// are in UTC whatever zone restic printed them in.
func TestReadFindSameOnEveryVersion(t *testing.T) {
	const dir = "/tmp/rm-find-fixture/office"
	want := []string{
		"1872df5e " + dir + "/Documents/Reports dir 0 2026-11-20T09:15:00.123456789Z",
		"1872df5e " + dir + "/Documents/Reports/report-archive dir 0 2026-11-20T09:15:00.123456789Z",
		"1872df5e " + dir + "/Documents/Reports/report-q3.odt file 11 2026-11-20T09:15:00.123456789Z",
		"1872df5e " + dir + "/Documents/report.odt file 6 2026-11-20T09:15:00.123456789Z",
		"1872df5e " + dir + "/Photos/REPORT.JPG file 5000 2026-11-20T09:15:00.123456789Z",
		"1872df5e " + dir + "/Photos/report-link symlink 0 2026-11-20T09:15:00Z",
		"c897f55a " + dir + "/Documents/Reports dir 0 2026-11-20T09:15:00.123456789Z",
		"c897f55a " + dir + "/Documents/Reports/report-archive dir 0 2026-11-20T09:15:00.123456789Z",
		"c897f55a " + dir + "/Documents/Reports/report-q3.odt file 11 2026-11-20T09:15:00.123456789Z",
		"c897f55a " + dir + "/Documents/report.odt file 11 2026-11-21T16:40:12.25Z",
		"c897f55a " + dir + "/Photos/REPORT.JPG file 5000 2026-11-20T09:15:00.123456789Z",
		"c897f55a " + dir + "/Photos/report-link symlink 0 2026-11-20T09:15:00Z",
	}
	for _, v := range findVersions {
		t.Run(v, func(t *testing.T) {
			got, hits := findLines(t, strings.NewReader(string(sample(t, "find/find-"+v+".json"))), 1000)
			if !slices.Equal(got, want) {
				t.Errorf("restic %s reads as\n%s\nwant\n%s", v, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			if hits != len(want) {
				t.Errorf("hits %d, want %d", hits, len(want))
			}
			none, hits := findLines(t, strings.NewReader(string(sample(t, "find/find-none-"+v+".json"))), 1000)
			if len(none) != 0 || hits != 0 {
				t.Errorf("a find without matches reads as %v (%d hits)", none, hits)
			}
		})
	}
}

// restic writes the array while it searches: the reader must cope with it
// arriving a byte at a time, and report each snapshot as soon as its
// object ends.
func TestReadFindStreams(t *testing.T) {
	data := string(sample(t, "find/find-0.19.1.json"))
	got, _ := findLines(t, iotest.OneByteReader(strings.NewReader(data)), 1000)
	if len(got) != 12 {
		t.Fatalf("one byte at a time: %d matches, want 12", len(got))
	}

	pr, pw := io.Pipe()
	seen := make(chan string, 4)
	done := make(chan error, 1)
	go func() {
		done <- ReadFind(pr, 1000, func(s FindSnapshot) { seen <- s.SnapshotID })
	}()
	// The first snapshot's object is complete once "}," is written; the
	// reader must not wait for the end of the array.
	first := strings.Index(data, `"},{`) + 2
	if _, err := pw.Write([]byte(data[:first])); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-seen:
		if !strings.HasPrefix(id, "c897f55a") {
			t.Errorf("first snapshot %s, want c897f55a…", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first snapshot's matches were not reported before the output ended")
	}
	if _, err := pw.Write([]byte(data[first:])); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// keep bounds the matches held over the whole run; the rest are counted.
func TestReadFindKeepsAtMostKeep(t *testing.T) {
	got, hits := findLines(t, strings.NewReader(string(sample(t, "find/find-0.14.0.json"))), 7)
	if len(got) != 7 || hits != 12 {
		t.Errorf("keep 7: %d kept, %d hits; want 7 and 12", len(got), hits)
	}
	got, hits = findLines(t, strings.NewReader(string(sample(t, "find/find-0.14.0.json"))), 0)
	if len(got) != 0 || hits != 12 {
		t.Errorf("keep 0: %d kept, %d hits; want 0 and 12", len(got), hits)
	}
}

// Output that is not find's shape is an error, and the reader still
// drains it so restic can never block on a full pipe.
func TestReadFindRefusesOtherOutput(t *testing.T) {
	for _, bad := range []string{
		`{"message_type":"summary"`,
		`[{"matches":[{"path":"/a"}],"hits":1}]`, // no snapshot id
		`"text"`,
		`[{"matches":[1,2`,
		`Fatal: unable to open config file`,
	} {
		r := &countingReader{r: strings.NewReader(bad + strings.Repeat(" trailing", 10_000))}
		err := ReadFind(r, 10, func(FindSnapshot) {})
		if err == nil {
			t.Errorf("%q: no error", bad)
		}
		if r.eof != true {
			t.Errorf("%q: the rest of the output was not drained", bad)
		}
	}
	if err := ReadFind(strings.NewReader(""), 10, func(FindSnapshot) { t.Error("called for empty output") }); err != nil {
		t.Errorf("empty output: %v", err)
	}
}

type countingReader struct {
	r   io.Reader
	eof bool
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err == io.EOF {
		c.eof = true
	}
	return n, err
}

func TestFindArgs(t *testing.T) {
	got, err := FindArgs("office-pc-1", "-rf *", true)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"find", "--json", "--ignore-case", "--host", "office-pc-1", "--", "-rf *"}
	if !slices.Equal(got, want) {
		t.Errorf("FindArgs = %q, want %q", got, want)
	}
	if _, err := FindArgs("", "x", false); err == nil {
		t.Error("no host accepted")
	}
}
