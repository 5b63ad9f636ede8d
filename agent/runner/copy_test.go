package runner

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

const copyPassword = "second repository password 7e3b-90c4"

// setCopySlot configures the second repository as the manager does:
// config.update{slot:"copy"}, credentials to the secrets store, URL to the
// journal.
func (h *harness) setCopySlot(url string) {
	h.t.Helper()
	cu := &protocol.ConfigUpdate{Slot: protocol.SlotCopy, RepoURL: url, RepoPassword: copyPassword}
	if err := h.secrets.ApplyConfig(cu); err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.journal.ApplyConfig(*cu); err != nil {
		h.t.Fatal(err)
	}
}

// chunkerPolynomial reads a repository's chunker parameter.
func chunkerPolynomial(t *testing.T, h *harness, repo restic.Repo) string {
	t.Helper()
	var out []byte
	_, err := h.restic.Run(context.Background(), restic.Cmd{Args: restic.CatConfigArgs(), Repo: repo, Stdout: func(l []byte) { out = append(out, l...) }})
	if err != nil {
		t.Fatalf("cat config of %s: %v", repo.URL, err)
	}
	var cfg struct {
		Poly string `json:"chunker_polynomial"`
	}
	if err := json.Unmarshal(out, &cfg); err != nil || cfg.Poly == "" {
		t.Fatalf("config of %s: %s (%v)", repo.URL, out, err)
	}
	return cfg.Poly
}

// 3-2-1: a copy into a second repository that does not exist yet creates
// it with the primary's chunker parameters and copies every snapshot;
// a second copy finds nothing new and adds nothing. The second
// repository's password reaches restic only through its environment.
func TestCopyCreatesTheSecondRepositoryAndCopiesEverySnapshot(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	src := t.TempDir()
	writeFiles(t, src, map[string]string{"a.txt": "one"})
	mustSucceed(t, h.run(backupJob("docs", src)), h)
	writeFiles(t, src, map[string]string{"b.txt": "two"})
	mustSucceed(t, h.run(backupJob("docs", src)), h)

	second := filepath.Join(t.TempDir(), "offsite")
	h.setCopySlot(second)
	fin := h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindCopy}})
	mustSucceed(t, fin, h)
	var st protocol.CopyStats
	if err := json.Unmarshal(fin.Stats, &st); err != nil || st != (protocol.CopyStats{SnapshotsCopied: 2, Initialized: true}) {
		t.Errorf("first copy stats %s (%v), want 2 copied into a new repository", fin.Stats, err)
	}
	dst := restic.Repo{URL: second, Password: copyPassword}
	if a, b := chunkerPolynomial(t, h, h.repo()), chunkerPolynomial(t, h, dst); a != b {
		t.Errorf("the second repository chunks with %s, the primary with %s", b, a)
	}
	copied, err := h.restic.Snapshots(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	key := func(s protocol.Snapshot) string {
		return s.Time.UTC().String() + " " + s.Hostname + " " + strings.Join(s.Paths, ",") + " " + strings.Join(s.Tags, ",")
	}
	var want, got []string
	for _, s := range h.snapshots() {
		want = append(want, key(s))
	}
	for _, s := range copied {
		got = append(got, key(s))
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("second repository holds\n%v\nwant\n%v", got, want)
	}

	again := h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindCopy}})
	mustSucceed(t, again, h)
	st = protocol.CopyStats{}
	if err := json.Unmarshal(again.Stats, &st); err != nil || st != (protocol.CopyStats{}) {
		t.Errorf("second copy stats %s (%v), want nothing copied", again.Stats, err)
	}
	if after, _ := h.restic.Snapshots(context.Background(), dst); len(after) != len(copied) {
		t.Errorf("a second copy added snapshots: %d, was %d", len(after), len(copied))
	}
	if n := h.resticCalls("init"); n != 1 {
		t.Errorf("%d inits, want 1 (the second copy found the repository)", n)
	}

	h.stopRunner()
	for _, a := range h.allArgv() {
		if strings.Contains(strings.Join(a, " "), copyPassword) {
			t.Errorf("argv %q holds the second repository's password", a)
		}
	}
	if strings.Contains(h.logs.String(), copyPassword) || strings.Contains(h.logText(fin.JobID), copyPassword) {
		t.Error("a log holds the second repository's password")
	}
	frames, _ := h.journal.Pending(0, 0)
	for _, f := range frames {
		if strings.Contains(string(f.Data), copyPassword) {
			t.Errorf("journaled frame %d holds the second repository's password", f.Seq)
		}
	}
}

// Without a second repository a copy is refused before anything is
// written; with a wrong password for it the job fails and creates nothing.
func TestCopyNeedsASecondRepository(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{})
	id := protocol.NewID()
	err := h.runner.Submit(Job{Run: protocol.CommandRun{JobID: id, Kind: protocol.KindCopy}})
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "second repository") {
		t.Fatalf("copy without a second repository: %v", err)
	}
	if _, known, _ := h.journal.Status(id); known {
		t.Error("the refused copy was written")
	}

	// A second repository that exists, opened with the wrong password.
	other := copyRepo(t)
	h.setCopySlot(other)
	fin := h.run(Job{Run: protocol.CommandRun{Kind: protocol.KindCopy}})
	if fin.Status != protocol.StatusFailed || !strings.Contains(fin.Error, "second repository") {
		t.Errorf("copy with a wrong password ended %s: %s", fin.Status, fin.Error)
	}
	if n := h.resticCalls("init"); n != 0 {
		t.Errorf("%d inits over an existing repository", n)
	}
	cmd := exec.Command(h.restic.Path(), "snapshots", "--json", "--no-lock", "--cache-dir", h.cacheDir)
	cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+other, "RESTIC_PASSWORD="+testPassword)
	if out, err := cmd.Output(); err != nil || strings.TrimSpace(string(out)) != "[]" {
		t.Errorf("the second repository changed: %s (%v)", out, err)
	}
}
