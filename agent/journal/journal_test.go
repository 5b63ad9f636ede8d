package journal

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

func open(t *testing.T, dir string) *Journal {
	t.Helper()
	j, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

func logLine(job string, n uint64) *protocol.LogStream {
	return &protocol.LogStream{JobID: job, Seq: n, TS: time.Now().UTC(), Stream: protocol.StreamStdout, Payload: fmt.Sprintf("line %d", n)}
}

func seqs(frames []Frame) []uint64 {
	out := make([]uint64, len(frames))
	for i, f := range frames {
		out[i] = f.Seq
	}
	return out
}

func TestSeqStartsAtOneAndStaysConsecutiveAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	for i := uint64(1); i <= 3; i++ {
		seq, err := j.Append(logLine("job-1", i))
		if err != nil || seq != i {
			t.Fatalf("append %d: seq %d, %v", i, seq, err)
		}
	}
	id := j.AgentID()
	j.Close()

	j = open(t, dir)
	if j.AgentID() != id || id == "" {
		t.Errorf("agent_id changed across restart: %q → %q", id, j.AgentID())
	}
	last, err := j.Append(logLine("job-1", 4), logLine("job-1", 5))
	if err != nil || last != 5 {
		t.Fatalf("append after restart: last seq %d, %v; want 5", last, err)
	}
	frames, err := j.Pending(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(seqs(frames)) != "[1 2 3 4 5]" {
		t.Errorf("pending seqs %v", seqs(frames))
	}
	for _, f := range frames {
		env, err := protocol.DecodeEnvelope(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		if env.Seq != f.Seq || env.Type != protocol.TypeLogStream {
			t.Errorf("frame %d holds envelope seq %d type %s", f.Seq, env.Seq, env.Type)
		}
		if _, err := env.DecodePayload(); err != nil {
			t.Errorf("frame %d payload: %v", f.Seq, err)
		}
	}
	if page, _ := j.Pending(2, 2); fmt.Sprint(seqs(page)) != "[3 4]" {
		t.Errorf("Pending(2, 2) = %v", seqs(page))
	}
}

func TestReplayIsByteForByteTheOriginal(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	if _, err := j.Append(&protocol.ScheduleFire{ScheduleID: "s1", ScheduledAt: time.Now().UTC(), JobIDs: []string{}, Skipped: protocol.SkipPreviousRunning}); err != nil {
		t.Fatal(err)
	}
	first, _ := j.Pending(0, 0)
	j.Close()
	j = open(t, dir)
	again, _ := j.Pending(0, 0)
	if len(first) != 1 || len(again) != 1 || !bytes.Equal(first[0].Data, again[0].Data) {
		t.Fatalf("replay differs:\n%s\n%s", first[0].Data, again[0].Data)
	}
}

// TestSurvivesAKillBetweenAppendAndSend kills a real process right after
// Append returned, before anything was sent, and finds the event pending.
func TestSurvivesAKillBetweenAppendAndSend(t *testing.T) {
	if dir := os.Getenv("RM_JOURNAL_KILL_CHILD"); dir != "" {
		j, err := Open(dir)
		if err != nil {
			fmt.Println("open:", err)
			os.Exit(2)
		}
		for i := uint64(1); i <= 3; i++ {
			if _, err := j.Append(logLine("job-k", i)); err != nil {
				fmt.Println("append:", err)
				os.Exit(2)
			}
		}
		p, _ := os.FindProcess(os.Getpid())
		_ = p.Kill() // no Close, no deferred anything
		select {}
	}
	t.Parallel()
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSurvivesAKillBetweenAppendAndSend$")
	cmd.Env = append(os.Environ(), "RM_JOURNAL_KILL_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != -1 {
		t.Fatalf("child was not killed: %v\n%s", err, out)
	}
	j := open(t, dir)
	frames, err := j.Pending(0, 0)
	if err != nil || fmt.Sprint(seqs(frames)) != "[1 2 3]" {
		t.Fatalf("after the kill: pending %v, %v", seqs(frames), err)
	}
	if seq, _ := j.Append(logLine("job-k", 4)); seq != 4 {
		t.Errorf("next seq after the kill %d, want 4", seq)
	}
}

func TestAckIsCumulative(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	for i := uint64(1); i <= 5; i++ {
		if _, err := j.Append(logLine("job-a", i)); err != nil {
			t.Fatal(err)
		}
	}
	if n := j.LastAckedSeq(); n != 0 {
		t.Errorf("last_acked_seq before any ack %d", n)
	}
	if err := j.Ack(3); err != nil {
		t.Fatal(err)
	}
	if err := j.Ack(2); err != nil { // a late, lower ack changes nothing
		t.Fatal(err)
	}
	frames, _ := j.Pending(0, 0)
	if fmt.Sprint(seqs(frames)) != "[4 5]" {
		t.Errorf("pending after ack 3: %v", seqs(frames))
	}
	if n := j.LastAckedSeq(); n != 3 {
		t.Errorf("last_acked_seq %d, want 3", n)
	}
	// The manager's mark is ahead (restored state dir): new events go past it.
	if err := j.Ack(100); err != nil {
		t.Fatal(err)
	}
	if seq, _ := j.Append(logLine("job-a", 6)); seq != 101 {
		t.Errorf("seq after an ack beyond the last one: %d, want 101", seq)
	}
	j.Close()
	j = open(t, dir)
	if n := j.LastAckedSeq(); n != 100 {
		t.Errorf("last_acked_seq after restart %d, want 100", n)
	}
}

// An ack the wire could never carry (a bug, or a hostile manager) is
// refused and changes nothing: the next seq never wraps to 0.
func TestAckBeyondTheWiresRangeNeverWraps(t *testing.T) {
	t.Parallel()
	j := open(t, t.TempDir())
	for i := uint64(1); i <= 2; i++ {
		if _, err := j.Append(logLine("job-a", i)); err != nil {
			t.Fatal(err)
		}
	}
	for _, seq := range []uint64{math.MaxUint64, math.MaxUint64 - 1, protocol.MaxSafeInteger + 1} {
		if err := j.Ack(seq); !errors.Is(err, ErrSeqRange) {
			t.Errorf("Ack(%d) = %v; want ErrSeqRange", seq, err)
		}
	}
	if n := j.LastAckedSeq(); n != 0 {
		t.Errorf("last_acked_seq %d after refused acks, want 0", n)
	}
	if frames, _ := j.Pending(0, 0); len(frames) != 2 {
		t.Errorf("%d frames pending after refused acks, want 2", len(frames))
	}
	seq, err := j.Append(logLine("job-a", 3))
	if err != nil || seq != 3 {
		t.Fatalf("append after refused acks: seq %d, %v; want 3", seq, err)
	}
	// The largest ack the wire carries is kept; past it the journal refuses
	// to append rather than send a seq the manager must refuse.
	if err := j.Ack(protocol.MaxSafeInteger); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(logLine("job-a", 4)); !errors.Is(err, ErrSeqRange) {
		t.Errorf("append past 2^53−1: %v; want ErrSeqRange", err)
	}
}

func TestAppendAcceptsOnlyValidJournaledEvents(t *testing.T) {
	t.Parallel()
	j := open(t, t.TempDir())
	if _, err := j.Append(&protocol.JobProgress{JobID: "x"}); err == nil {
		t.Error("job.progress was journaled; it is best-effort state")
	}
	if _, err := j.Append(&protocol.LogStream{JobID: "x", Stream: "stdout", TS: time.Now()}); err == nil {
		t.Error("a log line without its line number was journaled")
	}
	if _, err := j.Append(logLine("x", 1), &protocol.JobStarted{JobID: "x"}); err == nil {
		t.Error("a batch with an invalid event was journaled")
	}
	if frames, _ := j.Pending(0, 0); len(frames) != 0 {
		t.Errorf("a failed batch left %d frames", len(frames))
	}
}

func TestNotifyWakesTheSender(t *testing.T) {
	t.Parallel()
	j := open(t, t.TempDir())
	if _, err := j.Append(logLine("n", 1)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-j.Appended():
	case <-time.After(5 * time.Second):
		t.Fatal("no notification after Append")
	}
}

func job(id, kind string) Job {
	return Job{Run: protocol.CommandRun{JobID: id, Kind: kind, Includes: []string{"/data"}}}
}

func TestRunningJobIsFailedOnRestartAndQueuedJobsStay(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	if err := j.Enqueue([]Job{job("run-1", protocol.KindBackup), job("queued-2", protocol.KindBackup)}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Append(&protocol.JobStarted{JobID: "run-1", Kind: protocol.KindBackup, StartedAt: time.Now().UTC()}); err != nil {
		t.Fatal(err)
	}
	if s, _, _ := j.Status("run-1"); s != protocol.StatusRunning {
		t.Fatalf("after job.started: %s", s)
	}
	j.Close()

	j = open(t, dir)
	if got := j.RestartedJobs(); len(got) != 1 || got[0] != "run-1" {
		t.Errorf("restarted jobs %v", got)
	}
	frames, _ := j.Pending(0, 0)
	env, err := protocol.DecodeEnvelope(frames[len(frames)-1].Data)
	if err != nil {
		t.Fatal(err)
	}
	fin, err := protocol.Decode[protocol.JobFinished](env)
	if err != nil {
		t.Fatal(err)
	}
	if fin.JobID != "run-1" || fin.Status != protocol.StatusFailed || fin.Error != protocol.ErrAgentRestarted || fin.ExitCode != -1 {
		t.Errorf("job.finished %+v", fin)
	}
	if env.Seq != 2 {
		t.Errorf("job.finished seq %d, want 2 (after job.started)", env.Seq)
	}
	if need, _ := j.UnlockNeeded(); !need {
		t.Error("the repository was not marked for a stale-lock unlock")
	}
	next, ok, _ := j.NextQueued()
	if !ok || next.ID() != "queued-2" {
		t.Errorf("queued job after restart: %+v %v", next, ok)
	}
	if s, _, _ := j.Status("run-1"); s != protocol.StatusFailed {
		t.Errorf("status of the restarted job %s", s)
	}
	// A third life finds nothing more to fail.
	j.Close()
	j = open(t, dir)
	if len(j.RestartedJobs()) != 0 {
		t.Errorf("restart failed jobs again: %v", j.RestartedJobs())
	}
	if err := j.SetUnlockNeeded(false); err != nil {
		t.Fatal(err)
	}
	if need, _ := j.UnlockNeeded(); need {
		t.Error("unlock mark not cleared")
	}
}

func TestEnqueueIgnoresAJobItAlreadyHas(t *testing.T) {
	t.Parallel()
	j := open(t, t.TempDir())
	if err := j.Enqueue([]Job{job("dup", protocol.KindBackup)}); err != nil {
		t.Fatal(err)
	}
	if err := j.Enqueue([]Job{job("dup", protocol.KindBackup)}); !errors.Is(err, ErrJobExists) {
		t.Errorf("re-sent job in flight: %v", err)
	}
	if _, err := j.Append(&protocol.JobFinished{JobID: "dup", Status: protocol.StatusSucceeded, FinishedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := j.Enqueue([]Job{job("dup", protocol.KindBackup)}); !errors.Is(err, ErrJobExists) {
		t.Errorf("re-sent finished job: %v", err)
	}
	if jobs, _ := j.Jobs(); len(jobs) != 0 {
		t.Errorf("jobs in flight %v", jobs)
	}
	if s, ok, _ := j.Status("dup"); !ok || s != protocol.StatusSucceeded {
		t.Errorf("outcome %q %v", s, ok)
	}
	if _, ok, _ := j.Status("never"); ok {
		t.Error("unknown job has a status")
	}
}

func TestEnqueueWithAFireIsAllOrNothing(t *testing.T) {
	t.Parallel()
	j := open(t, t.TempDir())
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	fire := &protocol.ScheduleFire{ScheduleID: "nightly", ScheduledAt: at, JobIDs: []string{"b1", "f1"}}
	if err := j.Enqueue([]Job{job("b1", protocol.KindBackup), {Run: protocol.CommandRun{JobID: "f1", Kind: protocol.KindForget}, RunIfAnySucceeded: []string{"b1"}, ScheduleID: "nightly"}}, fire); err != nil {
		t.Fatal(err)
	}
	jobs, _ := j.Jobs()
	if len(jobs) != 2 || jobs[0].ID() != "b1" || jobs[1].RunIfAnySucceeded[0] != "b1" || jobs[1].QueueNo <= jobs[0].QueueNo {
		t.Errorf("jobs %+v", jobs)
	}
	fires, _ := j.LastFires()
	if !fires["nightly"].Equal(at) {
		t.Errorf("last fire %v", fires)
	}
	// An older fire never moves the time back.
	if err := j.SetLastFire("nightly", at.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if fires, _ := j.LastFires(); !fires["nightly"].Equal(at) {
		t.Errorf("last fire moved back to %v", fires["nightly"])
	}
	// A batch with a known job adds nothing, not even its fire.
	err := j.Enqueue([]Job{job("b2", protocol.KindBackup), job("b1", protocol.KindBackup)}, &protocol.ScheduleFire{ScheduleID: "nightly", ScheduledAt: at.Add(time.Hour), JobIDs: []string{"b2", "b1"}})
	if !errors.Is(err, ErrJobExists) {
		t.Fatalf("got %v", err)
	}
	if jobs, _ := j.Jobs(); len(jobs) != 2 {
		t.Errorf("half a batch was stored: %d jobs", len(jobs))
	}
	if frames, _ := j.Pending(0, 0); len(frames) != 1 {
		t.Errorf("%d frames, want only the first fire", len(frames))
	}
}

func TestApplyConfigPointerSemantics(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	up, down, zero := 800, 400, 0
	c, err := j.ApplyConfig(protocol.ConfigUpdate{RepoURL: "rest:https://u:secret-pass@backup.example/pc1/", RepoPassword: "repo-pw-secret", HookShell: "bash -c", BandwidthUpKbps: &up, BandwidthDownKbps: &down})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{RepoURL: "rest:https://backup.example/pc1/", HookShell: "bash -c", BandwidthUpKbps: 800, BandwidthDownKbps: 400}
	if c != want {
		t.Errorf("config %+v, want %+v", c, want)
	}
	c, _ = j.ApplyConfig(protocol.ConfigUpdate{BandwidthUpKbps: &zero})
	want.BandwidthUpKbps = 0
	if c != want {
		t.Errorf("after clearing the upload cap: %+v, want %+v", c, want)
	}
	j.Close()
	j = open(t, dir)
	if c, _ := j.Config(); c != want {
		t.Errorf("after restart: %+v", c)
	}
	j.Close()
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"secret-pass", "repo-pw-secret"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("journal file holds %q", secret)
		}
	}
}

// The copy slot's repo_url is the second repository's, kept beside the
// primary's; the source slot never reaches the journal at all.
func TestApplyConfigKeepsTheCopyURLApartAndRefusesTheSourceSlot(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	if _, err := j.ApplyConfig(protocol.ConfigUpdate{RepoURL: "/srv/restic/pc1", RepoPassword: "p"}); err != nil {
		t.Fatal(err)
	}
	c, err := j.ApplyConfig(protocol.ConfigUpdate{Slot: protocol.SlotCopy, RepoURL: "rest:https://u:copy-secret@offsite.example/pc1/", RepoPassword: "copy-pw"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (Config{RepoURL: "/srv/restic/pc1", CopyURL: "rest:https://offsite.example/pc1/"}); c != want {
		t.Errorf("config %+v, want %+v", c, want)
	}
	_, err = j.ApplyConfig(protocol.ConfigUpdate{Slot: protocol.SlotSource, RepoURL: "/srv/restic/anna-source-url", RepoPassword: "source-pw-secret"})
	if err == nil {
		t.Error("the source slot was journaled")
	}
	if c, _ := j.Config(); c.RepoURL != "/srv/restic/pc1" || c.CopyURL != "rest:https://offsite.example/pc1/" {
		t.Errorf("a refused source slot changed the config: %+v", c)
	}
	j.Close()
	raw, err := os.ReadFile(filepath.Join(dir, FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"copy-secret", "copy-pw", "source-pw-secret", "anna-source-url"} {
		if bytes.Contains(raw, []byte(secret)) {
			t.Errorf("journal file holds %q", secret)
		}
	}
}

func TestSchedulesAreKept(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	if s, _ := j.Schedules(); s.Version != 0 || s.Raw != nil || !s.AppliedAt.IsZero() {
		t.Errorf("fresh journal has schedules %+v", s)
	}
	want := AppliedSchedules{Version: 7, Raw: json.RawMessage(`{"version":7,"schedules":[]}`), AppliedAt: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	if err := j.SetSchedules(want); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = open(t, dir)
	got, err := j.Schedules()
	if err != nil || got.Version != 7 || !bytes.Equal(got.Raw, want.Raw) || !got.AppliedAt.Equal(want.AppliedAt) {
		t.Errorf("schedules %+v, %v", got, err)
	}
	if err := j.SetSchedules(AppliedSchedules{Version: 8, Raw: json.RawMessage("{broken")}); err == nil {
		t.Error("invalid JSON stored")
	}
}

func TestFileIsPrivateAndSingleUser(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	fi, err := os.Stat(j.Path())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "in use by another restic-agent") {
		t.Errorf("second open: %v", err)
	}
}

func TestRefusesAJournalFromANewerAgent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	open(t, dir).Close()
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error { return putU64(tx.Bucket(bucketMeta), keySchema, SchemaVersion()+1) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(dir)
	if err == nil || !strings.Contains(err.Error(), "newer restic-agent") {
		t.Fatalf("got %v, want a refusal naming a newer restic-agent", err)
	}
}

func TestEnrolledIsRememberedAcrossRestarts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	j := open(t, dir)
	if ok, err := j.Enrolled(); ok || err != nil {
		t.Fatalf("a new journal: Enrolled() = %v, %v; want false", ok, err)
	}
	if err := j.SetEnrolled(); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = open(t, dir)
	if ok, err := j.Enrolled(); !ok || err != nil {
		t.Errorf("after a restart: Enrolled() = %v, %v; want true", ok, err)
	}
}
