package protocol_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"

	"restic-manager/protocol"
)

// wantField fails unless err is a *ValidationError naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var ve *protocol.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("want a *ValidationError on %q, got %v", field, err)
	}
	if ve.Field != field {
		t.Fatalf("want the error on field %q, got it on %q (%v)", field, ve.Field, ve)
	}
}

// overNetwork sends p the way a peer would and returns what the receiver's
// DecodePayload says about it.
func overNetwork(t *testing.T, p protocol.Payload) error {
	t.Helper()
	env, err := protocol.NewEnvelope(p)
	if err != nil {
		t.Fatal(err)
	}
	if protocol.IsJournaled(env.Type) {
		env.Seq = 1
	}
	wire, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	got, err := protocol.DecodeEnvelope(wire)
	if err != nil {
		t.Fatalf("the envelope itself was refused: %v", err)
	}
	_, err = got.DecodePayload()
	return err
}

func okRestore() *protocol.RestoreSpec {
	return &protocol.RestoreSpec{SnapshotID: shortSnap, Paths: []string{"/home/anna"}, TargetDir: "/tmp/r"}
}

func okGroup() protocol.SourceGroup {
	return protocol.SourceGroup{Name: "docs", Includes: []string{"/home"}, Excludes: []string{}}
}

func okSchedule() protocol.Schedule {
	return protocol.Schedule{ID: "nightly", CronExpr: "@daily", Enabled: true, SourceGroups: []protocol.SourceGroup{okGroup()}}
}

func okSnapshot() protocol.Snapshot {
	return protocol.Snapshot{ID: fullSnap, ShortID: shortSnap, Time: snapTS, Hostname: "pc", Paths: []string{"/home"}}
}

func run(kind string) *protocol.CommandRun { return &protocol.CommandRun{JobID: jobID, Kind: kind} }

func with(p *protocol.CommandRun, f func(*protocol.CommandRun)) *protocol.CommandRun { f(p); return p }

var (
	longID   = strings.Repeat("i", protocol.MaxIDLen+1)
	longHook = strings.Repeat("h", protocol.MaxHookLen+1)
	longPath = "/" + strings.Repeat("p", protocol.MaxPathLen)
)

// Every rule of the wire contract, one case each, with the field the error
// must name. Each case is checked on the value and again after a trip
// through the network decoder.
func TestValidationNamesTheField(t *testing.T) {
	cases := []struct {
		name  string
		p     protocol.Payload
		field string
	}{
		// command.run: kinds
		{"unknown job kind", run("reboot"), "kind"},
		{"empty job kind", run(""), "kind"},
		{"empty job id", &protocol.CommandRun{Kind: protocol.KindUnlock}, "job_id"},
		{"oversized job id", &protocol.CommandRun{JobID: longID, Kind: protocol.KindUnlock}, "job_id"},

		// command.run: forget
		{"forget without groups", run(protocol.KindForget), "forget_groups"},
		{"forget with an empty retention policy", with(run(protocol.KindForget), func(p *protocol.CommandRun) {
			p.ForgetGroups = []protocol.ForgetGroup{{Tag: "docs", Policy: protocol.RetentionPolicy{KeepLast: 1}}, {Tag: "mail"}}
		}), "forget_groups[1].policy"},
		{"forget group without tag", with(run(protocol.KindForget), func(p *protocol.CommandRun) {
			p.ForgetGroups = []protocol.ForgetGroup{{Policy: protocol.RetentionPolicy{KeepLast: 1}}}
		}), "forget_groups[0].tag"},
		{"negative keep count", with(run(protocol.KindForget), func(p *protocol.CommandRun) {
			p.ForgetGroups = []protocol.ForgetGroup{{Tag: "docs", Policy: protocol.RetentionPolicy{KeepLast: 1, KeepDaily: -1}}}
		}), "forget_groups[0].policy.keep_daily"},
		{"forget groups on a backup", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.ForgetGroups = []protocol.ForgetGroup{{Tag: "docs", Policy: protocol.RetentionPolicy{KeepLast: 1}}}
		}), "forget_groups"},

		{"dry run on a prune", with(run(protocol.KindPrune), func(p *protocol.CommandRun) { p.DryRun = true }), "dry_run"},

		// command.run: probe stays harmless
		{"probe with a pre hook", with(run(protocol.KindProbe), func(p *protocol.CommandRun) { p.PreHook = "rm -rf /srv" }), "pre_hook"},
		{"dry run with a pre hook", with(run(protocol.KindForget), func(p *protocol.CommandRun) {
			p.DryRun = true
			p.ForgetGroups = []protocol.ForgetGroup{{Tag: "docs", Policy: protocol.RetentionPolicy{KeepLast: 1}}}
			p.PreHook = "touch /x"
		}), "pre_hook"},
		{"probe with a post hook", with(run(protocol.KindProbe), func(p *protocol.CommandRun) { p.PostHook = "curl evil" }), "post_hook"},

		// job.finished: error_kind is a short word
		{"oversized error kind", &protocol.JobFinished{JobID: jobID, Status: protocol.StatusFailed, FinishedAt: fixedTS,
			ErrorKind: longID}, "error_kind"},

		// command.run: backup
		{"backup without includes", run(protocol.KindBackup), "includes"},
		{"oversized include path", with(run(protocol.KindBackup), func(p *protocol.CommandRun) { p.Includes = []string{longPath} }), "includes[0]"},
		{"empty include path", with(run(protocol.KindBackup), func(p *protocol.CommandRun) { p.Includes = []string{"/a", ""} }), "includes[1]"},
		{"too many includes", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = make([]string, protocol.MaxPathCount+1)
		}), "includes"},
		{"oversized exclude", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.Excludes = []string{longPath}
		}), "excludes[0]"},
		{"oversized pre hook", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.PreHook = longHook
		}), "pre_hook"},
		{"oversized post hook", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.PostHook = longHook
		}), "post_hook"},
		{"negative upload bandwidth", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.BandwidthUpKbps = ptr(-1)
		}), "bandwidth_up_kbps"},
		{"negative download bandwidth", with(run(protocol.KindPrune), func(p *protocol.CommandRun) { p.BandwidthDownKbps = ptr(-5) }), "bandwidth_down_kbps"},

		// command.run: args
		{"args on backup", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.Args = []string{"--read-data"}
		}), "args"},
		{"args on prune", with(run(protocol.KindPrune), func(p *protocol.CommandRun) { p.Args = []string{"5%"} }), "args"},
		{"args on unlock", with(run(protocol.KindUnlock), func(p *protocol.CommandRun) { p.Args = []string{"--remove-all"} }), "args"},
		{"two args on check", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"5%", "1/10"} }), "args"},
		{"subset 0%", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"0%"} }), "args[0]"},
		{"subset 101%", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"101%"} }), "args[0]"},
		{"subset 3/2", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"3/2"} }), "args[0]"},
		{"subset abc", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"abc"} }), "args[0]"},
		{"subset 0/5", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"0/5"} }), "args[0]"},
		{"subset flag injection", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"--read-data"} }), "args[0]"},

		// command.run: restore
		{"restore without spec", run(protocol.KindRestore), "restore"},
		{"restore without snapshot", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.SnapshotID = ""
		}), "restore.snapshot_id"},
		{"restore of a non-hex snapshot id", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.SnapshotID = "latest"
		}), "restore.snapshot_id"},
		{"restore without paths", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.Paths = nil
		}), "restore.paths"},
		{"restore of a relative path", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.Paths = []string{"/ok", "home/anna"}
		}), "restore.paths[1]"},
		{"relative target_dir", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = "restore-here"
		}), "restore.target_dir"},
		{"no target_dir and not in place", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = ""
		}), "restore.target_dir"},
		{"target_dir /", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = "/"
		}), "restore.target_dir"},
		{"target_dir //", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = "//"
		}), "restore.target_dir"},
		{`target_dir C:\`, with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = `C:\`
		}), "restore.target_dir"},
		{"in_place with target_dir", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.InPlace = true
		}), "restore.target_dir"},
		{"oversized target_dir", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = longPath
		}), "restore.target_dir"},
		{"restore spec on a backup", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.Restore = okRestore()
		}), "restore"},

		{"target_dir /. (root in disguise)", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = "/."
		}), "restore.target_dir"},
		{"target_dir /tmp/..", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = "/tmp/.."
		}), "restore.target_dir"},
		{"target_dir /etc", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = "/etc"
		}), "restore.target_dir"},

		{"from_source in place", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = ""
			p.Restore.InPlace = true
			p.Restore.FromSource = true
		}), "restore.in_place"},
		{"from_source in place with a target", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.InPlace = true
			p.Restore.FromSource = true
		}), "restore.in_place"},
		{"from_source into /", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = "/"
			p.Restore.FromSource = true
		}), "restore.target_dir"},

		// command.run: find
		{"find without spec", run(protocol.KindFind), "find"},
		{"find without pattern", with(run(protocol.KindFind), func(p *protocol.CommandRun) { p.Find = &protocol.FindSpec{} }), "find.pattern"},
		{"find pattern over the limit", with(run(protocol.KindFind), func(p *protocol.CommandRun) {
			p.Find = &protocol.FindSpec{Pattern: longPath}
		}), "find.pattern"},
		{"find pattern with NUL", with(run(protocol.KindFind), func(p *protocol.CommandRun) {
			p.Find = &protocol.FindSpec{Pattern: "report\x00.odt"}
		}), "find.pattern"},
		{"find spec on a backup", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.Find = &protocol.FindSpec{Pattern: "*.odt"}
		}), "find"},
		{"find spec on a copy", with(run(protocol.KindCopy), func(p *protocol.CommandRun) {
			p.Find = &protocol.FindSpec{Pattern: "*.odt"}
		}), "find"},

		// command.run: group names (restic tags)
		{"backup tag with a comma", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.Tag = "docs,evil"
		}), "tag"},
		{"forget tag with a comma", with(run(protocol.KindForget), func(p *protocol.CommandRun) {
			p.ForgetGroups = []protocol.ForgetGroup{{Tag: "docs", Policy: protocol.RetentionPolicy{KeepLast: 1}}, {Tag: "db,web", Policy: protocol.RetentionPolicy{KeepLast: 1}}}
		}), "forget_groups[1].tag"},

		// command.run: diff
		{"diff without spec", run(protocol.KindDiff), "diff"},
		{"diff without snapshot a", with(run(protocol.KindDiff), func(p *protocol.CommandRun) {
			p.Diff = &protocol.DiffSpec{SnapshotB: shortSnap}
		}), "diff.snapshot_a"},
		{"diff without snapshot b", with(run(protocol.KindDiff), func(p *protocol.CommandRun) {
			p.Diff = &protocol.DiffSpec{SnapshotA: shortSnap}
		}), "diff.snapshot_b"},
		{"diff spec on a restore", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Diff = &protocol.DiffSpec{SnapshotA: shortSnap, SnapshotB: otherSnap}
		}), "diff"},

		// schedule.set
		{"schedule set version 0", &protocol.ScheduleSet{Schedules: []protocol.Schedule{}}, "version"},
		{"empty cron expression", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{func() protocol.Schedule {
			s := okSchedule()
			s.CronExpr = ""
			return s
		}()}}, "schedules[0].cron_expr"},
		{"schedule without source groups", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{okSchedule(), func() protocol.Schedule {
			s := okSchedule()
			s.ID = "weekly"
			s.SourceGroups = nil
			return s
		}()}}, "schedules[1].source_groups"},
		{"repeated schedule id", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{okSchedule(), okSchedule()}}, "schedules[1].id"},
		{"oversized schedule id", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{func() protocol.Schedule {
			s := okSchedule()
			s.ID = longID
			return s
		}()}}, "schedules[0].id"},
		{"group without includes", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{func() protocol.Schedule {
			s := okSchedule()
			s.SourceGroups[0].Includes = nil
			return s
		}()}}, "schedules[0].source_groups[0].includes"},
		{"repeated group name", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{func() protocol.Schedule {
			s := okSchedule()
			s.SourceGroups = append(s.SourceGroups, okGroup())
			return s
		}()}}, "schedules[0].source_groups[1].name"},
		{"group name with a comma", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{func() protocol.Schedule {
			s := okSchedule()
			s.SourceGroups[0].Name = "a,b"
			return s
		}()}}, "schedules[0].source_groups[0].name"},
		{"schedule set version above 2^53-1", &protocol.ScheduleSet{Version: protocol.MaxSafeInteger + 1, Schedules: []protocol.Schedule{}}, "version"},
		{"schedule ack of version 2^64-1", &protocol.ScheduleAck{Version: math.MaxUint64, AppliedAt: fixedTS}, "version"},
		{"ack of seq 2^64-1", &protocol.Ack{Seq: math.MaxUint64}, "seq"},
		{"hello with last_acked_seq above 2^53-1", &protocol.Hello{ProtocolVersion: 1, Hostname: "pc", OS: "linux", Arch: "amd64", AgentID: "a",
			LastAckedSeq: protocol.MaxSafeInteger + 1}, "last_acked_seq"},
		{"hello.ack with acked_seq above 2^53-1", &protocol.HelloAck{Accepted: true, HostID: "h", Status: protocol.HostApproved,
			AckedSeq: math.MaxUint64}, "acked_seq"},
		{"log line number above 2^53-1", &protocol.LogStream{JobID: jobID, Seq: protocol.MaxSafeInteger + 1, TS: fixedTS, Stream: protocol.StreamStdout}, "seq"},
		{"tree.list offset above 2^53-1", &protocol.TreeList{SnapshotID: shortSnap, Path: "/", Offset: protocol.MaxSafeInteger + 1}, "offset"},
		{"tree result next_offset above 2^53-1", &protocol.TreeListResult{SnapshotID: shortSnap, Path: "/", Entries: []protocol.TreeEntry{},
			NextOffset: ptr(protocol.MaxSafeInteger + 1)}, "next_offset"},
		{"oversized group hook", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{func() protocol.Schedule {
			s := okSchedule()
			s.SourceGroups[0].PostHook = longHook
			return s
		}()}}, "schedules[0].source_groups[0].post_hook"},
		{"negative retry_max", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{func() protocol.Schedule {
			s := okSchedule()
			s.SourceGroups[0].RetryMax = -1
			return s
		}()}}, "schedules[0].source_groups[0].retry_max"},
		{"oversized copy cron", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{},
			Maintenance: &protocol.Maintenance{CopyCron: strings.Repeat("*", protocol.MaxNameLen+1)}}, "maintenance.copy_cron"},
		{"bad maintenance subset", &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{},
			Maintenance: &protocol.Maintenance{CheckCron: "@weekly", CheckReadDataSubset: "150%"}}, "maintenance.check_read_data_subset"},

		// config.update
		{"negative config bandwidth", &protocol.ConfigUpdate{BandwidthDownKbps: ptr(-1)}, "bandwidth_down_kbps"},
		{"unknown slot", &protocol.ConfigUpdate{Slot: "agent"}, "slot"},
		{"oversized repo url", &protocol.ConfigUpdate{RepoURL: longPath}, "repo_url"},
		{"source slot without url", &protocol.ConfigUpdate{Slot: protocol.SlotSource, RepoPassword: "pw"}, "repo_url"},
		{"source slot without password", &protocol.ConfigUpdate{Slot: protocol.SlotSource, RepoURL: "/srv/restic/anna"}, "repo_password"},
		{"hook shell with the copy slot", &protocol.ConfigUpdate{Slot: protocol.SlotCopy, RepoURL: "/mnt/offsite", HookShell: "/bin/sh"}, "hook_shell"},
		{"bandwidth with the source slot", &protocol.ConfigUpdate{Slot: protocol.SlotSource, RepoURL: "/srv/a", RepoPassword: "pw",
			BandwidthUpKbps: ptr(10)}, "bandwidth_up_kbps"},
		{"download bandwidth with the copy slot", &protocol.ConfigUpdate{Slot: protocol.SlotCopy, BandwidthDownKbps: ptr(0)}, "bandwidth_down_kbps"},

		// hello and hello.ack
		{"hello without protocol version", &protocol.Hello{Hostname: "pc", OS: "linux", Arch: "amd64", AgentID: "a"}, "protocol_version"},
		{"hello from darwin", &protocol.Hello{ProtocolVersion: 1, Hostname: "pc", OS: "darwin", Arch: "amd64", AgentID: "a"}, "os"},
		{"hello from 386", &protocol.Hello{ProtocolVersion: 1, Hostname: "pc", OS: "linux", Arch: "386", AgentID: "a"}, "arch"},
		{"hello without agent id", &protocol.Hello{ProtocolVersion: 1, Hostname: "pc", OS: "linux", Arch: "amd64"}, "agent_id"},
		{"oversized hostname", &protocol.Hello{ProtocolVersion: 1, Hostname: longID, OS: "linux", Arch: "amd64", AgentID: "a"}, "hostname"},
		{"oversized enroll token", &protocol.Hello{ProtocolVersion: 1, Hostname: "pc", OS: "linux", Arch: "amd64", AgentID: "a", EnrollToken: longID}, "enroll_token"},
		{"accepted without host id", &protocol.HelloAck{Accepted: true, Status: protocol.HostApproved}, "host_id"},
		{"accepted with an unknown status", &protocol.HelloAck{Accepted: true, HostID: "h", Status: "maybe"}, "status"},

		// job events
		{"job.started with an unknown kind", &protocol.JobStarted{JobID: jobID, Kind: "reboot", StartedAt: fixedTS}, "kind"},
		{"job.started without time", &protocol.JobStarted{JobID: jobID, Kind: protocol.KindBackup}, "started_at"},
		{"progress above 1", &protocol.JobProgress{JobID: jobID, PercentDone: 1.5}, "percent_done"},
		{"negative eta", &protocol.JobProgress{JobID: jobID, EtaSeconds: -1}, "eta_seconds"},
		{"unknown final status", &protocol.JobFinished{JobID: jobID, Status: "done", FinishedAt: fixedTS}, "status"},
		{"non-terminal final status", &protocol.JobFinished{JobID: jobID, Status: protocol.StatusRunning, FinishedAt: fixedTS}, "status"},
		{"job.finished without time", &protocol.JobFinished{JobID: jobID, Status: protocol.StatusFailed}, "finished_at"},
		{"string stats", &protocol.JobFinished{JobID: jobID, Status: protocol.StatusSucceeded, FinishedAt: fixedTS,
			Stats: json.RawMessage(`"files_new=3"`)}, "stats"},
		{"list stats", &protocol.JobFinished{JobID: jobID, Status: protocol.StatusSucceeded, FinishedAt: fixedTS,
			Stats: json.RawMessage(`[1,2]`)}, "stats"},
		{"number stats", &protocol.JobFinished{JobID: jobID, Status: protocol.StatusSucceeded, FinishedAt: fixedTS,
			Stats: json.RawMessage(`42`)}, "stats"},
		{"schedule.fire without job_ids", &protocol.ScheduleFire{ScheduleID: "nightly", ScheduledAt: fixedTS}, "job_ids"},
		{"schedule.fire without schedule", &protocol.ScheduleFire{ScheduledAt: fixedTS, JobIDs: []string{}}, "schedule_id"},

		// log.stream
		{"log payload over the limit", &protocol.LogStream{JobID: jobID, Seq: 1, TS: fixedTS, Stream: protocol.StreamStdout,
			Payload: strings.Repeat("x", protocol.MaxLogLineBytes+65)}, "payload"},
		{"log line number 0", &protocol.LogStream{JobID: jobID, TS: fixedTS, Stream: protocol.StreamStdout}, "seq"},
		{"unknown log stream", &protocol.LogStream{JobID: jobID, Seq: 1, TS: fixedTS, Stream: "stdin"}, "stream"},

		// snapshots.report
		{"report without a list", &protocol.SnapshotsReport{}, "snapshots"},
		{"part without report id", &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{}, Part: 1, Parts: 2}, "report_id"},
		{"report id without parts", &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{}, ReportID: "r", Part: 1}, "parts"},
		{"part above parts", &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{}, ReportID: "r", Part: 3, Parts: 2}, "part"},
		{"part 0 of 2", &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{}, ReportID: "r", Parts: 2}, "part"},
		{"snapshot with a bad id", &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{okSnapshot(), func() protocol.Snapshot {
			s := okSnapshot()
			s.ID = "../../etc"
			return s
		}()}}, "snapshots[1].id"},

		// repo.stats
		{"negative snapshot count", &protocol.RepoStats{SnapshotCount: ptr(-1)}, "snapshot_count"},

		// tree.list
		{"tree.list limit over 5000", &protocol.TreeList{SnapshotID: shortSnap, Path: "/", Limit: protocol.TreeListMaxLimit + 1}, "limit"},
		{"tree.list negative limit", &protocol.TreeList{SnapshotID: shortSnap, Path: "/", Limit: -1}, "limit"},
		{"tree.list relative path", &protocol.TreeList{SnapshotID: shortSnap, Path: "home/anna"}, "path"},
		{"tree.list empty path", &protocol.TreeList{SnapshotID: shortSnap}, "path"},
		{"tree.list negative offset", &protocol.TreeList{SnapshotID: shortSnap, Path: "/", Offset: -1}, "offset"},
		{"tree.list without snapshot", &protocol.TreeList{Path: "/"}, "snapshot_id"},
		{"tree entry of unknown type", &protocol.TreeListResult{SnapshotID: shortSnap, Path: "/",
			Entries: []protocol.TreeEntry{{Name: "sock", Type: "socket"}}}, "entries[0].type"},
		{"tree entry without name", &protocol.TreeListResult{SnapshotID: shortSnap, Path: "/",
			Entries: []protocol.TreeEntry{{Type: protocol.EntryFile}}}, "entries[0].name"},
		{"tree result without entries or error", &protocol.TreeListResult{SnapshotID: shortSnap, Path: "/"}, "entries"},
		{"tree result next_offset 0", &protocol.TreeListResult{SnapshotID: shortSnap, Path: "/", Entries: []protocol.TreeEntry{},
			NextOffset: ptr(0)}, "next_offset"},

		// the rest
		{"command.cancel without job", &protocol.CommandCancel{}, "job_id"},
		{"command.result without job", &protocol.CommandResult{Accepted: true}, "job_id"},
		{"update without package url", &protocol.AgentUpdateAvailable{LatestVersion: "0.2.0"}, "package_url"},
		{"unknown error code", &protocol.Error{Code: "oops", Message: "?"}, "code"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wantField(t, c.p.Validate(), c.field)
			wantField(t, overNetwork(t, c.p), c.field)
		})
	}
}

// The values just inside each limit are accepted.
func TestValidationAcceptsTheEdges(t *testing.T) {
	cases := []struct {
		name string
		p    protocol.Payload
	}{
		{"check with 5%", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"5%"} })},
		{"check with 1/10", with(run(protocol.KindCheck), func(p *protocol.CommandRun) { p.Args = []string{"1/10"} })},
		{"check without subset", run(protocol.KindCheck)},
		{"restore in place", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = ""
			p.Restore.InPlace = true
		})},
		{"restore to a Windows dir", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = `D:\restore`
		})},
		{"diff of full ids", with(run(protocol.KindDiff), func(p *protocol.CommandRun) {
			p.Diff = &protocol.DiffSpec{SnapshotA: fullSnap, SnapshotB: shortSnap}
		})},
		{"hook at the limit", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.PreHook = longHook[1:]
		})},
		{"restore from another host's repository", with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.FromSource = true
		})},
		{"find of a pattern with dashes and spaces", with(run(protocol.KindFind), func(p *protocol.CommandRun) {
			p.Find = &protocol.FindSpec{Pattern: "--help me.odt", IgnoreCase: true}
		})},
		{"find pattern at the limit", with(run(protocol.KindFind), func(p *protocol.CommandRun) {
			p.Find = &protocol.FindSpec{Pattern: longPath[1:]}
		})},
		{"copy", run(protocol.KindCopy)},
		{"copy slot with URL only", &protocol.ConfigUpdate{Slot: protocol.SlotCopy, RepoURL: "sftp:backup@offsite:/srv/restic"}},
		{"tree.list limit 5000", &protocol.TreeList{SnapshotID: shortSnap, Path: "/", Limit: protocol.TreeListMaxLimit}},
		{"Windows snapshot path", &protocol.TreeList{SnapshotID: shortSnap, Path: "/C/Users/anna"}},
		{"log line truncated by the agent", &protocol.LogStream{JobID: jobID, Seq: 1, TS: fixedTS, Stream: protocol.StreamStdout,
			Payload: protocol.TruncateLogLine(strings.Repeat("x", 10*protocol.MaxLogLineBytes))}},
		{"report in one frame", &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{}}},
		{"last part of a split report", &protocol.SnapshotsReport{Snapshots: []protocol.Snapshot{okSnapshot()}, ReportID: "r", Part: 2, Parts: 2}},
		{"null stats", &protocol.JobFinished{JobID: jobID, Status: protocol.StatusCancelled, ExitCode: -1, FinishedAt: fixedTS,
			Stats: json.RawMessage(`null`)}},
		{"tree result with only an error", &protocol.TreeListResult{SnapshotID: shortSnap, Path: "/x", Error: "not found"}},
		{"bandwidth 0 clears the cap", &protocol.ConfigUpdate{BandwidthUpKbps: ptr(0)}},
		{"rejected hello.ack without host", &protocol.HelloAck{Accepted: false, Error: "unsupported"}},
		{"ack of 2^53-1", &protocol.Ack{Seq: protocol.MaxSafeInteger}},
		{"schedule set version 2^53-1", &protocol.ScheduleSet{Version: protocol.MaxSafeInteger, Schedules: []protocol.Schedule{}}},
		{"tree.list offset 2^53-1", &protocol.TreeList{SnapshotID: shortSnap, Path: "/", Offset: protocol.MaxSafeInteger}},
		{"backup tag at the longest", with(run(protocol.KindBackup), func(p *protocol.CommandRun) {
			p.Includes = []string{"/home"}
			p.Tag = "A" + strings.Repeat("z._-9", 12) + "abc"
		})},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := c.p.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if err := overNetwork(t, c.p); err != nil {
				t.Fatalf("over the network: %v", err)
			}
		})
	}
}

func TestReadDataSubset(t *testing.T) {
	for _, good := range []string{"5%", "1/10", "100%", "0.5%", "2.5%", "10/10", "1/1"} {
		if err := protocol.ValidateReadDataSubset(good); err != nil {
			t.Errorf("ValidateReadDataSubset(%q) = %v, want nil", good, err)
		}
	}
	for _, bad := range []string{"0%", "101%", "100.1%", "3/2", "abc", "", "0/5", "1/0", "-5%", "5", "5 %", "1/10 ", "%", "1/10;rm -rf /"} {
		if err := protocol.ValidateReadDataSubset(bad); err == nil {
			t.Errorf("ValidateReadDataSubset(%q) = nil, want an error", bad)
		}
	}
}

// Frames whose envelope is wrong are refused before the payload is looked
// at, naming the envelope field.
func TestDecodeEnvelopeRefusesBadFrames(t *testing.T) {
	const ts = `"ts":"2026-11-22T10:00:00Z"`
	cases := []struct {
		name, frame, field string
	}{
		{"no type", `{"id":"x",` + ts + `,"payload":{}}`, "type"},
		{"no id", `{"type":"heartbeat",` + ts + `,"payload":{}}`, "id"},
		{"no ts", `{"type":"heartbeat","id":"x","payload":{}}`, "ts"},
		{"oversized id", `{"type":"heartbeat","id":"` + longID + `",` + ts + `}`, "id"},
		{"oversized reply_to", `{"type":"error","id":"x","reply_to":"` + longID + `",` + ts + `}`, "reply_to"},
		{"seq on a non-journaled type", `{"type":"job.progress","id":"x","seq":7,` + ts + `,"payload":{}}`, "seq"},
		{"seq on an unknown type", `{"type":"future.thing","id":"x","seq":7,` + ts + `}`, "seq"},
		{"journaled type without seq", `{"type":"job.started","id":"x",` + ts + `,"payload":{}}`, "seq"},
		{"seq above 2^53-1", `{"type":"job.started","id":"x","seq":9007199254740992,` + ts + `,"payload":{}}`, "seq"},
		{"seq 2^64-1", `{"type":"log.stream","id":"x","seq":18446744073709551615,` + ts + `,"payload":{}}`, "seq"},
		{"not JSON", `hello there`, "envelope"},
		{"empty frame", ``, "envelope"},
		{"a JSON list", `[1,2,3]`, "envelope"},
		{"trailing data", `{"type":"heartbeat","id":"x",` + ts + `} {}`, "envelope"},
		{"ts not RFC 3339", `{"type":"heartbeat","id":"x","ts":"yesterday"}`, "envelope"},
		{"type of the wrong JSON type", `{"type":5,"id":"x",` + ts + `}`, "envelope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := protocol.DecodeEnvelope([]byte(c.frame))
			wantField(t, err, c.field)
		})
	}
}

// Payloads that are not what their type promises are refused with a field
// name too, never a panic or a half-decoded value.
func TestDecodePayloadRefusesBadJSON(t *testing.T) {
	cases := []struct {
		name, typ, payload, field string
	}{
		{"absent payload", protocol.TypeCommandCancel, ``, "payload"},
		{"null payload", protocol.TypeCommandCancel, `null`, "payload"},
		{"list payload", protocol.TypeCommandCancel, `[]`, "payload"},
		{"field of the wrong JSON type", protocol.TypeCommandCancel, `{"job_id":5}`, "job_id"},
		{"time not RFC 3339", protocol.TypeHeartbeat, `{"sent_at":"10 o'clock"}`, "payload"},
		{"stats as a string", protocol.TypeJobFinished,
			`{"job_id":"j","status":"succeeded","exit_code":0,"finished_at":"2026-11-22T10:00:00Z","stats":"3 files"}`, "stats"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := protocol.Envelope{Type: c.typ, ID: "x", TS: fixedTS, Payload: json.RawMessage(c.payload)}
			_, err := env.DecodePayload()
			wantField(t, err, c.field)
		})
	}
}

// An unknown type is not a validation failure: receivers log it once and
// carry on, so it must be told apart.
func TestUnknownTypeIsErrUnknownType(t *testing.T) {
	frame := `{"type":"agent.telemetry","id":"x","ts":"2026-11-22T10:00:00Z","payload":{"cpu":0.5}}`
	env, err := protocol.DecodeEnvelope([]byte(frame))
	if err != nil {
		t.Fatalf("an unknown type's envelope is fine, got %v", err)
	}
	if protocol.IsKnownType(env.Type) {
		t.Fatalf("IsKnownType(%q) = true", env.Type)
	}
	_, err = env.DecodePayload()
	if !errors.Is(err, protocol.ErrUnknownType) {
		t.Fatalf("DecodePayload: want ErrUnknownType, got %v", err)
	}
	var ve *protocol.ValidationError
	if errors.As(err, &ve) {
		t.Errorf("an unknown type must not be a *ValidationError, got %v", ve)
	}
}

// Validation errors go back to the peer and into logs: they name the field,
// never echo a secret.
func TestValidationErrorNeverQuotesASecret(t *testing.T) {
	secret := "hunter2-" + strings.Repeat("s", protocol.MaxPathLen)
	for _, p := range []protocol.Payload{
		&protocol.ConfigUpdate{RepoPassword: secret},
		&protocol.ConfigUpdate{RepoCredential: secret},
		&protocol.Hello{ProtocolVersion: 1, Hostname: "pc", OS: "linux", Arch: "amd64", AgentID: "a", Token: secret},
	} {
		err := p.Validate()
		if err == nil {
			t.Fatalf("%T with an oversized secret: want an error", p)
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error text %q quotes the secret", err)
		}
	}
}

// An error_kind this side does not know (a newer agent's) is accepted on
// the wire and read as "other": the job's end must not be lost for it.
func TestUnknownErrorKindIsOther(t *testing.T) {
	fin := &protocol.JobFinished{JobID: jobID, Status: protocol.StatusFailed, FinishedAt: fixedTS, ErrorKind: "quota_exceeded"}
	if err := overNetwork(t, fin); err != nil {
		t.Fatalf("a job.finished with an unknown error_kind was refused: %v", err)
	}
	if got := protocol.KnownErrorKind(fin.ErrorKind); got != protocol.ErrorKindOther {
		t.Errorf("KnownErrorKind(%q) = %q, want other", fin.ErrorKind, got)
	}
	for _, k := range protocol.ErrorKinds {
		if got := protocol.KnownErrorKind(k); got != k {
			t.Errorf("KnownErrorKind(%q) = %q", k, got)
		}
	}
}
