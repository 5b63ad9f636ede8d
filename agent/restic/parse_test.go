package restic

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// The samples in testdata/ were captured from restic 0.14.0 (see
// testdata/README.txt): *.json/*.stdout are stdout, *.stderr is stderr, *.txt
// is both with "rc=N" appended.

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// sampleRun splits a combined *.txt sample into its lines and exit code.
func sampleRun(t *testing.T, name string) (lines []string, rc int) {
	t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(sample(t, name)))
	for sc.Scan() {
		line := sc.Text()
		if s, ok := strings.CutPrefix(line, "rc="); ok {
			rc, _ = strconv.Atoi(s)
			continue
		}
		lines = append(lines, line)
	}
	return lines, rc
}

func classifySample(t *testing.T, op, name string) error {
	t.Helper()
	lines, rc := sampleRun(t, name)
	var f stderrFacts
	for _, l := range lines {
		f.observe(l)
	}
	return classify(op, rc, &f)
}

func TestParseVersion(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want string
	}{
		{string(sample(t, "version_json.txt")), "0.14.0"},
		{"restic 0.16.4 compiled with go1.21.6 on linux/arm64\n", "0.16.4"},
		{"restic 0.17.3-dev (compiled manually) compiled with go1.23.1 on windows/amd64", "0.17.3"},
	} {
		v, err := ParseVersion(tc.out)
		if err != nil || v.String() != tc.want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %s", tc.out, v, err, tc.want)
		}
	}
	if _, err := ParseVersion("bash: restic: command not found"); err == nil {
		t.Error("ParseVersion accepted a line without a version")
	}
}

func TestCapabilitiesFollowTheReleaseThatIntroducedThem(t *testing.T) {
	v := func(s string) Version {
		v, err := ParseVersion("restic " + s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if c := CapabilitiesOf(v("0.14.0")); c != (Capabilities{}) {
		t.Errorf("0.14.0 has no optional capability, got %+v", c)
	}
	c := CapabilitiesOf(v("0.16.0"))
	if !c.RestoreJSON || !c.RetryLock || !c.BackupFullSnapshotID || c.RESTEnvCredentials {
		t.Errorf("0.16.0: %+v", c)
	}
	if !CapabilitiesOf(v("0.16.1")).RESTEnvCredentials {
		t.Error("0.16.1 reads RESTIC_REST_USERNAME/PASSWORD")
	}
	c = CapabilitiesOf(v("0.17.0"))
	if !c.ExitCodeNoRepo || !c.ExitCodeLocked || c.ExitCodeWrongPassword || !c.LsMessageType {
		t.Errorf("0.17.0: %+v", c)
	}
	if c := CapabilitiesOf(v("0.18.0")); !c.ExitCodeWrongPassword {
		t.Errorf("0.18.0: %+v", c)
	}
	if !v("1.0.0").AtLeast(0, 18, 0) || v("0.9.9").AtLeast(0, 14, 0) {
		t.Error("AtLeast compares major first")
	}
}

func TestBackupStatusBecomesProgress(t *testing.T) {
	var statuses, summaries int
	for _, line := range bytes.Split(sample(t, "backup1.json"), []byte("\n")) {
		switch MessageType(line) {
		case MsgStatus:
			statuses++
			var s BackupStatus
			if err := json.Unmarshal(line, &s); err != nil {
				t.Fatal(err)
			}
			p := s.Progress("j1")
			if p.JobID != "j1" || p.TotalFiles != 1 || p.TotalBytes != 6 || p.PercentDone != 0 {
				t.Errorf("progress %+v", p)
			}
			if err := p.Validate(); err != nil {
				t.Errorf("progress does not validate: %v", err)
			}
		case MsgSummary:
			summaries++
			stats, err := StatsObject(line)
			if err != nil {
				t.Fatal(err)
			}
			var sum BackupSummary
			if err := json.Unmarshal(stats, &sum); err != nil || sum.SnapshotID != "4b7d0f71" || sum.FilesNew != 3 {
				t.Errorf("summary %+v, %v", sum, err)
			}
			if bytes.Contains(stats, []byte("message_type")) {
				t.Errorf("stats keep message_type: %s", stats)
			}
			if p := sum.FinalProgress("j1"); p.PercentDone != 1 || p.FilesDone != p.TotalFiles || p.BytesDone != p.TotalBytes || p.Validate() != nil {
				t.Errorf("final progress %+v (%v), want 100%% of what the summary counted", p, p.Validate())
			}
			fin := protocol.JobFinished{JobID: "j1", Status: protocol.StatusSucceeded, FinishedAt: time.Now(), Stats: stats}
			if err := fin.Validate(); err != nil {
				t.Errorf("job.finished with the summary does not validate: %v", err)
			}
		}
	}
	if statuses != 1 || summaries != 1 {
		t.Errorf("saw %d status and %d summary lines, want 1 and 1", statuses, summaries)
	}
}

// restic 0.16 to 0.19 count more files restored than in total (the
// directories they create); the summary still means restic is done.
func TestARestoreSummaryIsTheLastProgressAt100(t *testing.T) {
	var s RestoreStatus
	line := `{"message_type":"summary","total_files":14,"files_restored":16,"total_bytes":1000005,"bytes_restored":1000005}`
	if err := json.Unmarshal([]byte(line), &s); err != nil {
		t.Fatal(err)
	}
	p := s.FinalProgress("j1")
	if p.PercentDone != 1 || p.EtaSeconds != 0 || p.BytesDone != 1000005 || p.Validate() != nil {
		t.Errorf("final progress %+v (%v)", p, p.Validate())
	}
}

func TestMessageTypeIsReadWithoutDecoding(t *testing.T) {
	for line, want := range map[string]string{
		`{"message_type":"status","percent_done":0}`:              MsgStatus,
		`{"name":"tmp","type":"dir","struct_type":"node"}`:        MsgNode,
		`{"message_type":"node","struct_type":"node","name":"x"}`: MsgNode,
		`Fatal: wrong password or no key found`:                   "",
		``:                                                        "",
	} {
		if got := MessageType([]byte(line)); got != want {
			t.Errorf("MessageType(%s) = %q, want %q", line, got, want)
		}
	}
}

func TestProgressFromCountsGivesThroughputAndETA(t *testing.T) {
	p := ProgressFromCounts("j", 5, 10, 50<<20, 100<<20, 10*time.Second)
	if p.PercentDone != 0.5 || p.ThroughputBps != 5<<20 || p.EtaSeconds != 10 {
		t.Errorf("got %+v, want 50%%, 5 MiB/s, 10 s left", p)
	}
	if p := ProgressFromCounts("j", 0, 0, 0, 0, 0); p.PercentDone != 0 || p.EtaSeconds != 0 {
		t.Errorf("empty: %+v", p)
	}
}

func TestDiffLines(t *testing.T) {
	var changes []DiffChange
	var stats DiffStatistics
	for _, line := range bytes.Split(bytes.TrimSpace(sample(t, "diff.json")), []byte("\n")) {
		switch MessageType(line) {
		case MsgChange:
			var c DiffChange
			if err := json.Unmarshal(line, &c); err != nil {
				t.Fatal(err)
			}
			changes = append(changes, c)
		case MsgStatistics:
			if err := json.Unmarshal(line, &stats); err != nil {
				t.Fatal(err)
			}
		default:
			t.Errorf("unexpected line %s", line)
		}
	}
	if len(changes) != 4 || changes[0].Modifier != "M" || changes[2].Path != "/srv/rsrc/data/sub/b.txt" {
		t.Errorf("changes %+v", changes)
	}
	if stats.ChangedFiles != 1 || stats.Added.Files != 2 || stats.Removed.Files != 1 || stats.Added.Bytes != 2730 {
		t.Errorf("statistics %+v", stats)
	}
}

func TestParseSnapshots(t *testing.T) {
	snaps, err := ParseSnapshots(sample(t, "snapshots.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(snaps) != 2 || snaps[1].ShortID != "8f7696c0" || snaps[1].Hostname != "vm" || snaps[1].Paths[0] != "/srv/rsrc/data" {
		t.Fatalf("snapshots %+v", snaps)
	}
	if snaps[0].SizeBytes != nil {
		t.Error("0.14 snapshots carry no summary; size_bytes must stay absent")
	}
	rep := protocol.SnapshotsReport{Snapshots: snaps}
	if err := rep.Validate(); err != nil {
		t.Errorf("snapshots.report does not validate: %v", err)
	}
	empty, err := ParseSnapshots(sample(t, "snapshots_empty.json"))
	if err != nil || empty == nil || len(empty) != 0 {
		t.Errorf("empty list: %v, %v (want a non-nil empty list)", empty, err)
	}
	withSummary := `[{"time":"2024-01-01T00:00:00Z","paths":["/a"],"hostname":"h","id":"` + strings.Repeat("a", 64) +
		`","short_id":"aaaaaaaa","summary":{"total_files_processed":7,"total_bytes_processed":4096}}]`
	snaps, err = ParseSnapshots([]byte(withSummary))
	if err != nil || *snaps[0].SizeBytes != 4096 || *snaps[0].FileCount != 7 {
		t.Errorf("0.17 summary not read: %+v %v", snaps, err)
	}
}

func TestParseForget(t *testing.T) {
	res, err := ParseForget(sample(t, "forget.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Kept) != 1 || len(res.Removed) != 1 || !strings.HasPrefix(res.Removed[0], "4b7d0f71") {
		t.Errorf("forget result %+v", res)
	}
	if res, err := ParseForget(nil); err != nil || len(res.Kept)+len(res.Removed) != 0 {
		t.Errorf("no output (nothing matched) = %+v, %v", res, err)
	}
}

func TestParseStatsFillsRepoStats(t *testing.T) {
	var rs protocol.RepoStats
	for mode, file := range map[string]string{
		StatsRestoreSize:     "stats_restore-size.json",
		StatsRawData:         "stats_raw-data.json",
		StatsFilesByContents: "stats_files-by-contents.json",
	} {
		s, err := ParseStats(sample(t, file))
		if err != nil {
			t.Fatal(err)
		}
		s.ApplyTo(mode, &rs)
	}
	if *rs.TotalSizeBytes != 200030 || *rs.RawSizeBytes != 102930 || *rs.UniqueFiles != 6 || *rs.SnapshotCount != 2 {
		t.Errorf("repo stats %+v", rs)
	}
}

func TestLsLinesOf014(t *testing.T) {
	var nodes []Node
	snaps := 0
	for _, line := range bytes.Split(bytes.TrimSpace(sample(t, "ls.json")), []byte("\n")) {
		var l lsLine
		if err := json.Unmarshal(line, &l); err != nil {
			t.Fatal(err)
		}
		switch l.kind() {
		case MsgSnapshot:
			snaps++
		case MsgNode:
			nodes = append(nodes, l.Node)
		}
	}
	if snaps != 1 || len(nodes) != 8 {
		t.Fatalf("%d snapshot lines, %d nodes; want 1 and 8", snaps, len(nodes))
	}
	big := nodes[4]
	if big.Name != "big.bin" || big.Path != "/srv/rsrc/data/big.bin" || big.Type != "file" || big.Size != 100000 || big.Mtime.IsZero() {
		t.Errorf("node %+v", big)
	}
}

func TestErrorsFromRestic014Output(t *testing.T) {
	for _, tc := range []struct {
		op, sample string
		want       error
		text       string
	}{
		{"backup", "wrongpw.txt", ErrWrongPassword, "wrong password\nrestic backup exit 1: wrong password or no key found"},
		{"snapshots", "norepo.txt", ErrNoRepository, "no repository at this location\nrestic snapshots exit 1: unable to open config file: stat /srv/nonexist/config"},
		{"prune", "lockfail.txt", ErrLocked, "locked by PID 9970 on vm by root"},
		{"ls", "ls_missing.txt", ErrSnapshotNotFound, `ls: restic exit 0: snapshot not found: no snapshot matches "deadbeef"`},
		{"diff", "diff_latest.txt", ErrSnapshotNotFound, `no matching ID found for prefix "latest"`},
		{"restore", "restore_noownership.txt", ErrFailed, "unknown flag: --no-ownership"},
	} {
		err := classifySample(t, tc.op, tc.sample)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.sample, err, tc.want)
			continue
		}
		if !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: message %q does not contain %q", tc.sample, err, tc.text)
		}
	}
}

func TestLockHolderIsRead(t *testing.T) {
	err := classifySample(t, "prune", "lockfail.txt")
	l, ok := LockHolderOf(err)
	if !ok {
		t.Fatalf("no lock holder in %v", err)
	}
	if l.PID != 9970 || l.Host != "vm" || l.User != "root" || l.UID != 0 || l.StorageID != "2dd1c6a0" || l.Exclusive {
		t.Errorf("holder %+v", l)
	}
	if l.Age < 3*time.Second || l.Age > 4*time.Second || l.CreatedAt.Year() != 2026 {
		t.Errorf("age %v, created %v", l.Age, l.CreatedAt)
	}
	newer := "repo already locked, waiting up to 0s for the lock\nunable to create lock in backend: repository is already locked exclusively by PID 1234 on nas by backup (UID 1000, GID 1000)\nlock was created at 2024-05-01 10:00:00 (1h2m3.5s ago)\nstorage ID abcdef12"
	l, ok = ParseLockHolder(newer)
	if !ok || !l.Exclusive || l.PID != 1234 || l.Host != "nas" || l.User != "backup" || l.UID != 1000 || l.Age != time.Hour+2*time.Minute+3500*time.Millisecond {
		t.Errorf("newer message: %+v", l)
	}
}

func TestMissingBackupPathIsAnError(t *testing.T) {
	// 0.14: the path is skipped with a warning and restic exits 0 with a
	// snapshot of the rest (backup2_verbose_error, rc=0).
	var f stderrFacts
	for _, l := range strings.Split(strings.TrimSpace(string(sample(t, "backup2_verbose_error.stderr"))), "\n") {
		f.observe(l)
	}
	err := classify("backup", 0, &f)
	var re *Error
	if !errors.Is(err, ErrPathNotFound) || !errors.As(err, &re) || re.ExitCode != 0 || re.Missing[0] != "/srv/rsrc/nonexistent" {
		t.Fatalf("got %v", err)
	}
	if !strings.Contains(err.Error(), "/srv/rsrc/nonexistent") {
		t.Errorf("message %q does not name the path", err)
	}
}

func TestUnreadableFileIsIncomplete(t *testing.T) {
	var f stderrFacts
	for _, l := range strings.Split(strings.TrimSpace(string(sample(t, "backup_readerror.stderr"))), "\n") {
		f.observe(l)
	}
	if err := classify("backup", 3, &f); !errors.Is(err, ErrIncomplete) {
		t.Errorf("rc=3: got %v, want ErrIncomplete", err)
	}
}

func TestExitCodesOfNewerRestic(t *testing.T) {
	for code, want := range map[int]error{10: ErrNoRepository, 11: ErrLocked, 12: ErrWrongPassword, 130: ErrInterrupted, 2: ErrFailed, 77: ErrFailed} {
		var f stderrFacts
		f.observe(`{"message_type":"exit_error","code":` + strconv.Itoa(code) + `,"message":"something"}`)
		if err := classify("check", code, &f); !errors.Is(err, want) {
			t.Errorf("exit %d: got %v, want %v", code, err, want)
		}
	}
}

func TestArgvBuilders(t *testing.T) {
	args, err := BackupArgs(BackupOptions{Host: "pc1", Tag: "docs", Includes: []string{"/home", "-weird"}, Excludes: []string{"*.tmp"}, LimitUploadKiB: 100})
	if err != nil {
		t.Fatal(err)
	}
	want := "backup --json --host pc1 --tag docs --exclude *.tmp --limit-upload 100 -- /home -weird"
	if got := strings.Join(args, " "); got != want {
		t.Errorf("backup argv\n got %s\nwant %s", got, want)
	}
	if _, err := ForgetArgs("pc1", "docs", protocol.RetentionPolicy{}); err == nil {
		t.Error("forget accepted an empty policy")
	}
	args, _ = ForgetArgs("pc1", "docs", protocol.RetentionPolicy{KeepLast: 2, KeepDaily: 7})
	if got := strings.Join(args, " "); got != "forget --json --host pc1 --tag docs --group-by host,tags --keep-last 2 --keep-daily 7" {
		t.Errorf("forget argv %s", got)
	}
	if strings.Contains(strings.Join(args, " "), "prune") {
		t.Error("forget must never prune")
	}
	if got := strings.Join(UnlockArgs(), " "); got != "unlock" {
		t.Errorf("unlock argv %s (never --remove-all)", got)
	}
	old := &Restic{caps: Capabilities{}}
	args, _ = old.RestoreArgs(RestoreOptions{SnapshotID: "abcd1234", Paths: []string{"/etc"}, Target: "/"})
	if got := strings.Join(args, " "); got != "restore --target / --include /etc -- abcd1234" {
		t.Errorf("0.14 restore argv %s", got)
	}
	args, _ = (&Restic{caps: Capabilities{RestoreJSON: true}}).RestoreArgs(RestoreOptions{SnapshotID: "abcd1234", Target: "/r"})
	if args[1] != "--json" {
		t.Errorf("0.16 restore argv %v lacks --json", args)
	}
	for _, a := range args {
		if strings.Contains(a, "owner") {
			t.Errorf("restore argv %v has an ownership flag restic does not know", args)
		}
	}
	if _, err := CheckArgs("200%"); err == nil {
		t.Error("check accepted a bad read-data subset")
	}
	if args, _ := CheckArgs("1/10"); strings.Join(args, " ") != "check --read-data-subset 1/10" {
		t.Errorf("check argv %v", args)
	}
}

func TestAFullSnapshotIDGoesToResticAsAPrefix(t *testing.T) {
	full := strings.Repeat("0123456789abcdef", 4)
	r := &Restic{caps: CapabilitiesOf(Version{Minor: 19})}
	restore, _ := r.RestoreArgs(RestoreOptions{SnapshotID: full, Target: "/r"})
	for _, c := range []struct {
		name string
		argv []string
		want string // the ids, space separated, as the argv ends
	}{
		{"ls", LsArgs(full), full[:63]},
		{"ls, paths", LsArgs(full, "/a"), full[:63] + " /a"},
		{"restore", restore, full[:63]},
		{"diff", DiffArgs(full, "deadbeef"), full[:63] + " deadbeef"},
		{"stats", StatsArgs(StatsRawData, full, "latest"), full[:63] + " latest"},
		{"a short id", LsArgs("deadbeef"), "deadbeef"},
		{"not hex", LsArgs(strings.Repeat("g", 64)), strings.Repeat("g", 64)},
		{"upper case", LsArgs(strings.ToUpper(full)), strings.ToUpper(full)},
	} {
		if got := strings.Join(c.argv, " "); !strings.HasSuffix(got, "-- "+c.want) {
			t.Errorf("%s: argv %q, want it to end with -- %s", c.name, got, c.want)
		}
	}
}

func TestKbpsToKiB(t *testing.T) {
	for kbps, want := range map[int]int{0: 0, 1: 1, 8: 1, 8192: 1000, 10000: 1221} {
		if got := KbpsToKiB(kbps); got != want {
			t.Errorf("KbpsToKiB(%d) = %d, want %d", kbps, got, want)
		}
	}
}

func TestLineWriter(t *testing.T) {
	var got []string
	w := NewLineWriter(8, func(l []byte) { got = append(got, string(l)) })
	for _, chunk := range []string{"ab", "c\r\nlonger than eight\n", "", "tail"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	want := []string{"abc", "longer t", "tail"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
}

// backup --json prints no text; the summary is said the way restic's text
// mode says it (0.14 sample).
func TestBackupSummaryLines(t *testing.T) {
	var sum BackupSummary
	for _, l := range strings.Split(string(sample(t, "backup1.json")), "\n") {
		if MessageType([]byte(l)) == MsgSummary {
			if err := json.Unmarshal([]byte(l), &sum); err != nil {
				t.Fatal(err)
			}
		}
	}
	want := []string{
		"Files: 3 new, 0 changed, 0 unmodified",
		"Dirs: 4 new, 0 changed, 0 unmodified",
		"Added to the repository: 100.062 KiB",
		"processed 3 files, 97.668 KiB in 0:00",
		"snapshot 4b7d0f71 saved",
	}
	if got := sum.Lines(); !slices.Equal(got, want) {
		t.Errorf("lines\n%q\nwant\n%q", got, want)
	}
	sum.DataAddedPacked, sum.TotalDuration, sum.SnapshotID = 2048, 3725, strings.Repeat("ab", 32)
	got := sum.Lines()
	if got[2] != "Added to the repository: 100.062 KiB (2.000 KiB stored)" || got[3] != "processed 3 files, 97.668 KiB in 1:02:05" || got[4] != "snapshot abababab saved" {
		t.Errorf("0.17+ summary: %q", got)
	}
	for n, want := range map[uint64]string{0: "0 B", 1023: "1023 B", 1024: "1.000 KiB", 3 << 30: "3.000 GiB"} {
		if got := FormatBytes(n); got != want {
			t.Errorf("FormatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
