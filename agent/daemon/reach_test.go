package daemon

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"restic-manager/agent/restic"
	"restic-manager/internal/leakcheck"
	"restic-manager/protocol"
)

// The whole agent routes the two new slots: a source slot reaches the
// runner's memory only and serves the one restore after it (a second is
// refused and writes nothing), and a copy slot is kept like the others
// and used by a copy job.
func TestTheRealAgentRoutesTheSourceAndCopySlots(t *testing.T) {
	m, dir, _, _ := agentWithRepository(t)
	const sourcePassword = "source slot password 0b9e of another host"

	// Another host's repository, made with restic itself.
	srcRepo, srcFiles := filepath.Join(dir, "anna-repo"), filepath.Join(dir, "anna")
	writeFile(t, filepath.Join(srcFiles, "letter.txt"), "from anna's laptop")
	for _, args := range [][]string{{"init"}, {"backup", "--host", "anna-laptop", srcFiles}} {
		cmd := exec.Command("restic", append(args, "--cache-dir", t.TempDir())...)
		cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+srcRepo, "RESTIC_PASSWORD="+sourcePassword)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("restic %s: %v\n%s", args[0], err, out)
		}
	}
	ls := exec.Command("restic", "snapshots", "--json", "--no-lock", "--cache-dir", t.TempDir())
	ls.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+srcRepo, "RESTIC_PASSWORD="+sourcePassword)
	out, err := ls.Output()
	if err != nil {
		t.Fatal(err)
	}
	var snaps []protocol.Snapshot
	if err := json.Unmarshal(out, &snaps); err != nil || len(snaps) != 1 {
		t.Fatalf("snapshots of the other host's repository: %s (%v)", out, err)
	}
	snap := snaps[0].ID

	restore := func(target string) *protocol.CommandRun {
		return &protocol.CommandRun{Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{
			SnapshotID: snap, Paths: []string{srcFiles}, TargetDir: target, FromSource: true}}
	}
	m.send(&protocol.ConfigUpdate{Slot: protocol.SlotSource, RepoURL: srcRepo, RepoPassword: sourcePassword})
	target := filepath.Join(dir, "restored-here")
	if fin := m.runToEnd(restore(target)); fin.Status != protocol.StatusSucceeded {
		t.Fatalf("restore from the source slot: %s %s", fin.Status, fin.Error)
	}
	if got := readFile(t, filepath.Join(target, srcFiles, "letter.txt")); got != "from anna's laptop" {
		t.Errorf("restored letter: %q", got)
	}

	second := filepath.Join(dir, "second-restore")
	if res := m.run(restore(second)); res.Accepted || !strings.Contains(res.Error, "source slot is empty") {
		t.Errorf("second from_source restore: %+v; want refused for the empty slot", res)
	}
	if _, err := os.Stat(second); !os.IsNotExist(err) {
		t.Errorf("the refused restore wrote %s (%v)", second, err)
	}

	// The copy slot: kept, and used.
	m.send(&protocol.ConfigUpdate{Slot: protocol.SlotCopy, RepoURL: filepath.Join(dir, "offsite"), RepoPassword: "copy slot password 77"})
	if fin := m.runToEnd(&protocol.CommandRun{Kind: protocol.KindCopy}); fin.Status != protocol.StatusSucceeded {
		t.Fatalf("copy: %s %s", fin.Status, fin.Error)
	}
	if _, err := os.Stat(filepath.Join(dir, "offsite", "config")); err != nil {
		t.Errorf("no second repository after the copy: %v", err)
	}

	files, err := leakcheck.FilesHolding(filepath.Join(dir, "state"), sourcePassword)
	if err != nil || len(files) > 0 {
		t.Errorf("the agent's state holds the source slot's password in %v (%v)", files, err)
	}
}
