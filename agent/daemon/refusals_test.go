package daemon

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"restic-manager/agent/restic"
	"restic-manager/internal/restictest"
	"restic-manager/protocol"
)

const repoPassword = "trust test password 51d0"

// resticSnapshots lists the repository's snapshots carrying tag, read by
// the real restic itself, not through the agent.
func resticSnapshots(t *testing.T, repo, tag string) []protocol.Snapshot {
	t.Helper()
	cmd := exec.Command(restictest.Binary(t), "snapshots", "--json", "--no-lock", "--tag", tag, "--cache-dir", t.TempDir())
	cmd.Env = append(restic.BaseEnviron(), "RESTIC_REPOSITORY="+repo, "RESTIC_PASSWORD="+repoPassword)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("restic snapshots --tag %s: %v", tag, err)
	}
	var snaps []protocol.Snapshot
	if err := json.Unmarshal(out, &snaps); err != nil {
		t.Fatalf("restic snapshots: %v\n%s", err, out)
	}
	return snaps
}

// agentWithRepository starts the real agent against a fake manager, with
// a repository (initialised by the agent's own init job) and a folder to
// back up.
func agentWithRepository(t *testing.T) (m *fakeManager, dir, repo, files string) {
	t.Helper()
	dir = t.TempDir()
	repo, files = filepath.Join(dir, "repo"), filepath.Join(dir, "files")
	m = newFakeManager(t, repo, repoPassword)
	startAgent(t, m, filepath.Join(dir, "state"))
	if fin := m.runToEnd(&protocol.CommandRun{Kind: protocol.KindInit}); fin.Status != protocol.StatusSucceeded {
		t.Fatalf("init: %s %s", fin.Status, fin.Error)
	}
	return m, dir, repo, files
}

func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func emptyDir(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 0 {
		t.Errorf("%s holds %d entries after a refused restore; want nothing written", dir, len(ents))
	}
}

// Every input the trust rules refuse, fed to the real agent over a real
// WebSocket as a broken or hostile manager would send it, with the real
// restic behind: each is refused with the reason (command.result
// accepted:false, or error bad_request naming the field), restic never
// runs for it, and nothing is written — the live file keeps its content,
// no file appears behind a symlink or in a world-writable directory, the
// number of docs snapshots stays the same, and the schedule set in force
// keeps firing.
func TestTheRealAgentRefusesWhatCouldHarmData(t *testing.T) {
	m, dir, repo, files := agentWithRepository(t)
	live := filepath.Join(files, "live.txt")
	writeFile(t, live, "as backed up")
	for range 2 {
		if fin := m.runToEnd(&protocol.CommandRun{Kind: protocol.KindBackup, Tag: "docs", Includes: []string{files}}); fin.Status != protocol.StatusSucceeded {
			t.Fatalf("backup: %s %s", fin.Status, fin.Error)
		}
	}
	docs := resticSnapshots(t, repo, "docs")
	if len(docs) != 2 {
		t.Fatalf("%d docs snapshots after two backups", len(docs))
	}
	snap := docs[0].ID
	writeFile(t, live, "edited after the backup")

	var refusedJobs []string
	refuse := func(what string, cmd *protocol.CommandRun, want string) {
		t.Helper()
		cmd.JobID = protocol.NewID()
		refusedJobs = append(refusedJobs, cmd.JobID)
		res := m.run(cmd)
		if res.Accepted || !strings.Contains(res.Error, want) {
			t.Errorf("%s: command.result %+v; want accepted:false saying %q", what, res, want)
		}
	}
	restoreTo := func(target string) *protocol.CommandRun {
		return &protocol.CommandRun{Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{SnapshotID: snap, Paths: []string{live}, TargetDir: target}}
	}

	// The root in disguise: restic would write the snapshot's live.txt
	// back over the live one.
	for _, target := range []string{"/.", "/tmp/..", "/./tmp/../", "//"} {
		refuse("restore into "+target, restoreTo(target), "restore.target_dir: \""+target+"\" is the filesystem root")
	}
	refuse("restore into /etc", restoreTo("/etc"), "inside the system directory /etc")
	refuse("restore into a relative path", restoreTo("restore/here"), "must be an absolute path")

	// Through a symlink, into a world-writable directory, into the state
	// directory.
	base := t.TempDir()
	dest := filepath.Join(base, "dest")
	if err := os.Mkdir(dest, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dest, filepath.Join(base, "link")); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(base, "shared")
	if err := os.Mkdir(shared, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	refuse("restore through a symlink", restoreTo(filepath.Join(base, "link", "out")), "is a symbolic link")
	refuse("restore into a world-writable directory", restoreTo(shared), "writable by other users (mode 0777)")
	refuse("restore into a new directory in a world-writable one", restoreTo(filepath.Join(shared, "new")), "writable by other users")
	refuse("restore into the state directory", restoreTo(filepath.Join(dir, "state", "x")), "inside the agent's state directory")

	// Tags restic would split at the comma: a docs snapshot more, and a
	// forget that thins out docs.
	refuse("backup tagged docs,evil", &protocol.CommandRun{Kind: protocol.KindBackup, Tag: "docs,evil", Includes: []string{files}}, "tag: \"docs,evil\" is not a valid group name")
	refuse("forget of docs,x", &protocol.CommandRun{Kind: protocol.KindForget, ForgetGroups: []protocol.ForgetGroup{
		{Tag: "docs,x", Policy: protocol.RetentionPolicy{KeepLast: 1}}}}, "forget_groups[0].tag")

	// A job after the refusals runs: every refused one would have run
	// before it (one queue, in order), so by its end restic has had every
	// chance to run them.
	after := t.TempDir()
	if fin := m.runToEnd(restoreTo(filepath.Join(after, "restored"))); fin.Status != protocol.StatusSucceeded {
		t.Fatalf("a restore into a safe new directory: %s %s", fin.Status, fin.Error)
	}
	if got := readFile(t, filepath.Join(after, "restored", live)); got != "as backed up" {
		t.Errorf("the safe restore wrote %q", got)
	}
	for _, p := range all[protocol.JobStarted](m, protocol.TypeJobStarted) {
		for _, id := range refusedJobs {
			if p.JobID == id {
				t.Errorf("refused job %s (%s) started", id, p.Kind)
			}
		}
	}
	if got := readFile(t, live); got != "edited after the backup" {
		t.Errorf("the live file holds %q after the refused restores; want it untouched", got)
	}
	emptyDir(t, dest)
	emptyDir(t, shared)
	if n := len(resticSnapshots(t, repo, "docs")); n != 2 {
		t.Errorf("%d docs snapshots after the refused comma-tag backup and forget; want 2", n)
	}

	// Numbers the wire cannot carry: refused, and nothing wraps.
	for _, p := range []protocol.Payload{
		&protocol.Ack{Seq: math.MaxUint64},
		&protocol.TreeList{SnapshotID: snap[:8], Path: "/", Offset: math.MaxInt64},
	} {
		env := m.send(p)
		e, err := protocol.Decode[protocol.Error](m.reply(env))
		if err != nil || e.Code != protocol.CodeBadRequest {
			t.Errorf("%s with a number past 2^53−1: answered %+v (%v); want error bad_request", p.MessageType(), e, err)
		}
	}
	before := m.mark()
	if fin := m.runToEnd(&protocol.CommandRun{Kind: protocol.KindCheck}); fin.Status != protocol.StatusSucceeded {
		t.Errorf("check after the huge ack: %s %s", fin.Status, fin.Error)
	}
	var last uint64
	for _, f := range m.framesFrom(before) {
		if protocol.IsJournaled(f.Type) {
			if f.Seq <= last {
				t.Errorf("journaled %s has seq %d after %d; want seqs that keep growing after a huge ack", f.Type, f.Seq, last)
			}
			last = f.Seq
		}
	}
}

// A schedule.set naming a group restic would split, or with a version the
// wire cannot carry, is refused with error bad_request naming the field,
// and the set in force keeps firing.
func TestTheRealAgentKeepsItsScheduleWhenASetIsRefused(t *testing.T) {
	m, _, repo, files := agentWithRepository(t)
	writeFile(t, filepath.Join(files, "a.txt"), "alpha")

	set := func(version uint64, group string) *protocol.ScheduleSet {
		return &protocol.ScheduleSet{Version: version, Schedules: []protocol.Schedule{{ID: "tick", CronExpr: "@every 1s", Enabled: true,
			SourceGroups: []protocol.SourceGroup{{Name: group, Includes: []string{files}, Excludes: []string{}}}}}}
	}
	ack, err := protocol.Decode[protocol.ScheduleAck](m.reply(m.send(set(1, "docs"))))
	if err != nil || ack.Version != 1 {
		t.Fatalf("schedule.set 1: ack %+v, %v", ack, err)
	}

	for _, bad := range []struct {
		set   *protocol.ScheduleSet
		field string
	}{
		{set(2, "a,b"), "schedules[0].source_groups[0].name"},
		{set(math.MaxUint64, "docs"), "version"},
	} {
		env := m.send(bad.set)
		answer := m.reply(env)
		e, err := protocol.Decode[protocol.Error](answer)
		if err != nil || e.Code != protocol.CodeBadRequest || !strings.Contains(e.Message, bad.field) {
			t.Errorf("schedule.set version %d: answered %s %+v (%v); want error bad_request naming %s", bad.set.Version, answer.Type, e, err, bad.field)
		}
		// The set in force fires again after the refusal.
		from := m.mark()
		m.waitFor("a schedule.fire of tick after the refusal", from, func(f protocol.Envelope) bool {
			p, err := protocol.Decode[protocol.ScheduleFire](f)
			return err == nil && f.Type == protocol.TypeScheduleFire && p.ScheduleID == "tick"
		})
	}

	// Versions still grow from 1: a huge one was not taken.
	ack, err = protocol.Decode[protocol.ScheduleAck](m.reply(m.send(&protocol.ScheduleSet{Version: 2, Schedules: []protocol.Schedule{}})))
	if err != nil || ack.Version != 2 {
		t.Errorf("schedule.set 2 after the refusals: ack %+v, %v; want version 2 applied", ack, err)
	}
	for _, fire := range all[protocol.ScheduleFire](m, protocol.TypeScheduleFire) {
		for _, id := range fire.JobIDs {
			for _, s := range all[protocol.JobStarted](m, protocol.TypeJobStarted) {
				if s.JobID == id && s.Kind != protocol.KindBackup {
					t.Errorf("fired job %s is a %s", id, s.Kind)
				}
			}
		}
	}
	if n := len(resticSnapshots(t, repo, "a")); n != 0 {
		t.Errorf("%d snapshots tagged a: the refused set ran", n)
	}
}
