package protocol_test

import (
	"encoding/json"
	"testing"
	"time"

	"restic-manager/protocol"
)

// Fixed values so the golden files never change by themselves.
var (
	fixedTS   = time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	bootTS    = time.Date(2026, 11, 20, 7, 58, 12, 0, time.UTC)
	snapTS    = time.Date(2026, 11, 21, 22, 0, 3, 512000000, time.UTC)
	envID     = "0193a8f0-7c2e-7b4a-9f1e-2d3c4b5a6978"
	requestID = "0193a8ef-1d20-7a11-8c3f-5e6d7c8b9a01"
	jobID     = "0193a8f0-2a40-7c00-9e11-0a1b2c3d4e5f"
	job2ID    = "0193a8f0-2a40-7c01-a2b3-c4d5e6f70819"
	fullSnap  = "4f1c3e6a9b2d8e7f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f56789"
	shortSnap = "4f1c3e6a"
	otherSnap = "9a8b7c6d"
	// otherFullSnap is a second full id (a forget's removed snapshot).
	otherFullSnap = "9a8b7c6d5e4f30211a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7081"
)

func ptr[T any](v T) *T { return &v }

// sample is one message as it travels: a payload and the envelope fields
// that depend on its kind (seq for journaled events, reply_to for answers).
type sample struct {
	name    string // golden file name, without .json
	payload protocol.Payload
	seq     uint64
	replyTo string
}

// envelope wraps the payload with fixed id and time, exactly as
// protocol.NewEnvelope would apart from those two.
func (s sample) envelope(t testing.TB) protocol.Envelope {
	t.Helper()
	raw, err := json.Marshal(s.payload)
	if err != nil {
		t.Fatalf("%s: marshal payload: %v", s.name, err)
	}
	return protocol.Envelope{
		Type:    s.payload.MessageType(),
		ID:      envID,
		ReplyTo: s.replyTo,
		Seq:     s.seq,
		TS:      fixedTS,
		Payload: raw,
	}
}

// samples returns, for every message type of DESIGN.md's table, a fully
// populated value (every optional field set, spread over a few realistic
// variants where one value cannot carry them all, e.g. command.run's
// kinds) named <type> or <type>.<variant>, and a minimal one (every
// optional field absent, required numbers at their smallest legal value)
// named <type>.minimal. Every sample passes validation.
func samples() []sample {
	policy := protocol.RetentionPolicy{KeepLast: 3, KeepHourly: 24, KeepDaily: 7, KeepWeekly: 4, KeepMonthly: 12, KeepYearly: 5}
	return []sample{
		// hello
		{name: "hello", payload: &protocol.Hello{
			ProtocolVersion: 1, AgentVersion: "0.1.0", ResticVersion: "0.14.0", Hostname: "office-pc-1",
			OS: "linux", Arch: "amd64", BootTime: ptr(bootTS), Timezone: "Europe/Berlin",
			AgentID: "a1b2c3d4e5f60718", LastAckedSeq: 41, Token: "host-token-issued-at-enrollment",
		}},
		{name: "hello.enroll", payload: &protocol.Hello{
			ProtocolVersion: 1, AgentVersion: "0.1.0", ResticVersion: "0.17.3", Hostname: "FRONT-DESK",
			OS: "windows", Arch: "arm64", BootTime: ptr(bootTS), Timezone: "America/New_York",
			AgentID: "a1b2c3d4e5f60718", LastAckedSeq: 0, EnrollToken: "one-time-enrollment-token",
		}},
		{name: "hello.minimal", payload: &protocol.Hello{
			ProtocolVersion: 1, AgentVersion: "0.1.0", ResticVersion: "0.14.0", Hostname: "office-pc-1",
			OS: "linux", Arch: "amd64", Timezone: "UTC", AgentID: "a1b2c3d4e5f60718",
		}},

		// hello.ack
		{name: "hello.ack", replyTo: requestID, payload: &protocol.HelloAck{
			Accepted: true, HostID: "host-0193a8f0", Status: protocol.HostApproved, ProtocolVersion: 1,
			AckedSeq: 41, AgentToken: "host-token-issued-at-enrollment",
		}},
		{name: "hello.ack.rejected", replyTo: requestID, payload: &protocol.HelloAck{
			Accepted: false, ProtocolVersion: 1, Error: "protocol version 2 is not supported (this manager speaks 1 to 1)",
		}},
		{name: "hello.ack.minimal", payload: &protocol.HelloAck{
			Accepted: true, HostID: "host-0193a8f0", Status: protocol.HostPending, ProtocolVersion: 1,
		}},

		// heartbeat
		{name: "heartbeat", payload: &protocol.Heartbeat{SentAt: fixedTS}},
		{name: "heartbeat.minimal", payload: &protocol.Heartbeat{SentAt: fixedTS}},

		// ack
		{name: "ack", payload: &protocol.Ack{Seq: 41}},
		{name: "ack.minimal", payload: &protocol.Ack{Seq: 0}},

		// config.update
		{name: "config.update", payload: &protocol.ConfigUpdate{
			RepoURL: "rest:https://office-nas:8000/office-pc-1", RepoPassword: "repo-password",
			RepoUsername: "office-pc-1", RepoCredential: "rest-server-password", HookShell: "/bin/sh",
			Slot: protocol.SlotAdmin, BandwidthUpKbps: ptr(2048), BandwidthDownKbps: ptr(0),
		}},
		{name: "config.update.copy", payload: &protocol.ConfigUpdate{
			Slot: protocol.SlotCopy, RepoURL: "rest:https://offsite.example.org:8000/office-pc-1",
			RepoPassword: "copy-repo-password", RepoUsername: "office-pc-1", RepoCredential: "offsite-rest-password",
		}},
		{name: "config.update.source", payload: &protocol.ConfigUpdate{
			Slot: protocol.SlotSource, RepoURL: "rest:https://office-nas:8000/anna-laptop", RepoPassword: "anna-repo-password",
		}},
		{name: "config.update.minimal", payload: &protocol.ConfigUpdate{}},

		// schedule.set
		{name: "schedule.set", payload: &protocol.ScheduleSet{
			Version: 7,
			Schedules: []protocol.Schedule{
				{ID: "nightly", CronExpr: "CRON_TZ=Europe/Berlin 0 22 * * *", Enabled: true, SourceGroups: []protocol.SourceGroup{
					{Name: "documents", Includes: []string{"/home/anna/Documents", "/srv/shared"},
						Excludes: []string{"*.tmp", "/srv/shared/cache"}, RetentionPolicy: policy,
						RetryMax: 3, RetryBackoffSeconds: 60,
						PreHook: "pg_dump -f /var/backups/db.sql office", PostHook: "rm -f /var/backups/db.sql"},
					{Name: "mail", Includes: []string{"/var/mail"}, Excludes: []string{},
						RetentionPolicy: protocol.RetentionPolicy{KeepDaily: 14}, RetryMax: 0, RetryBackoffSeconds: 0},
				}},
				{ID: "hourly-photos", CronExpr: "@every 1h", Enabled: false, SourceGroups: []protocol.SourceGroup{
					{Name: "photos", Includes: []string{"/C/Users/anna/Pictures"}, Excludes: []string{}},
				}},
			},
			Maintenance: &protocol.Maintenance{PruneCron: "0 3 * * 0", CheckCron: "0 4 1 * *", CheckReadDataSubset: "5%",
				CopyCron: "30 23 * * *"},
		}},
		{name: "schedule.set.minimal", payload: &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{}}},

		// schedule.ack
		{name: "schedule.ack", replyTo: requestID, payload: &protocol.ScheduleAck{Version: 7, AppliedAt: fixedTS}},
		{name: "schedule.ack.minimal", replyTo: requestID, payload: &protocol.ScheduleAck{Version: 1, AppliedAt: fixedTS}},

		// schedule.fire
		{name: "schedule.fire", seq: 42, payload: &protocol.ScheduleFire{
			ScheduleID: "nightly", ScheduledAt: fixedTS, JobIDs: []string{}, Skipped: protocol.SkipPreviousRunning,
		}},
		{name: "schedule.fire.minimal", seq: 42, payload: &protocol.ScheduleFire{
			ScheduleID: "nightly", ScheduledAt: fixedTS, JobIDs: []string{jobID, job2ID},
		}},

		// command.run: one full value per kind family, since each field
		// belongs to one kind.
		{name: "command.run", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindBackup, Includes: []string{"/home/anna/Documents"},
			Excludes: []string{"*.tmp"}, Tag: "documents", BandwidthUpKbps: ptr(2048), BandwidthDownKbps: ptr(0),
			PreHook: "pg_dump -f /var/backups/db.sql office", PostHook: "rm -f /var/backups/db.sql",
		}},
		{name: "command.run.forget", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindForget, ForgetGroups: []protocol.ForgetGroup{
				{Tag: "documents", Policy: policy},
				{Tag: "mail", Policy: protocol.RetentionPolicy{KeepDaily: 14}},
			},
		}},
		{name: "command.run.forget-dry-run", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindForget, DryRun: true, ForgetGroups: []protocol.ForgetGroup{
				{Tag: "documents", Policy: protocol.RetentionPolicy{KeepLast: 3, KeepDaily: 7, KeepWeekly: 4}},
			},
		}},
		{name: "command.run.probe", payload: &protocol.CommandRun{JobID: jobID, Kind: protocol.KindProbe}},
		{name: "command.run.prune", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindPrune, RequiresAdminCreds: true, BandwidthDownKbps: ptr(10240),
		}},
		{name: "command.run.check", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindCheck, Args: []string{"1/10"},
		}},
		{name: "command.run.restore", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{
				SnapshotID: shortSnap, Paths: []string{"/home/anna/Documents/report.odt"}, InPlace: false,
				TargetDir: "/tmp/restore-0193a8f0",
			},
		}},
		{name: "command.run.restore-in-place", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{
				SnapshotID: fullSnap, Paths: []string{"/srv/shared"}, InPlace: true,
			},
		}},
		{name: "command.run.diff", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindDiff, Diff: &protocol.DiffSpec{SnapshotA: otherSnap, SnapshotB: shortSnap},
		}},
		{name: "command.run.restore-from-source", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindRestore, Restore: &protocol.RestoreSpec{
				SnapshotID: fullSnap, Paths: []string{"/home/anna/Documents"}, TargetDir: "/home/anna/from-old-laptop",
				FromSource: true,
			},
		}},
		{name: "command.run.find", payload: &protocol.CommandRun{
			JobID: jobID, Kind: protocol.KindFind, Find: &protocol.FindSpec{Pattern: "*report*.odt", IgnoreCase: true},
		}},
		{name: "command.run.copy", payload: &protocol.CommandRun{JobID: jobID, Kind: protocol.KindCopy}},
		{name: "command.run.minimal", payload: &protocol.CommandRun{JobID: jobID, Kind: protocol.KindUnlock}},

		// command.result
		{name: "command.result", replyTo: requestID, payload: &protocol.CommandResult{
			JobID: jobID, Accepted: false, Error: "restore.target_dir: must be an absolute path",
		}},
		{name: "command.result.minimal", payload: &protocol.CommandResult{JobID: jobID, Accepted: true}},

		// command.cancel
		{name: "command.cancel", payload: &protocol.CommandCancel{JobID: jobID}},
		{name: "command.cancel.minimal", payload: &protocol.CommandCancel{JobID: jobID}},

		// job.started
		{name: "job.started", seq: 43, payload: &protocol.JobStarted{
			JobID: jobID, Kind: protocol.KindBackup, StartedAt: fixedTS, ScheduleID: "nightly",
		}},
		{name: "job.started.minimal", seq: 43, payload: &protocol.JobStarted{
			JobID: jobID, Kind: protocol.KindRestore, StartedAt: fixedTS,
		}},

		// job.progress
		{name: "job.progress", payload: &protocol.JobProgress{
			JobID: jobID, PercentDone: 0.4375, FilesDone: 1200, TotalFiles: 3000, BytesDone: 734003200,
			TotalBytes: 1677721600, EtaSeconds: 95, ThroughputBps: 9961472,
		}},
		{name: "job.progress.minimal", payload: &protocol.JobProgress{JobID: jobID}},

		// job.finished
		{name: "job.finished", seq: 44, payload: &protocol.JobFinished{
			JobID: jobID, Status: protocol.StatusFailed, ExitCode: 3, FinishedAt: fixedTS,
			Stats: json.RawMessage(`{"message_type":"summary","files_new":12,"files_changed":3,"files_unmodified":2985,` +
				`"dirs_new":1,"dirs_changed":4,"dirs_unmodified":310,"data_blobs":20,"tree_blobs":6,"data_added":5242880,` +
				`"total_files_processed":3000,"total_bytes_processed":1677721600,"total_duration":12.5,"snapshot_id":"4f1c3e6a"}`),
			Error:     "restic exit 3: snapshot incomplete, 1 file could not be read",
			ErrorKind: protocol.ErrorKindOther,
		}},
		{name: "job.finished.unreachable", seq: 44, payload: &protocol.JobFinished{
			JobID: jobID, Status: protocol.StatusFailed, ExitCode: 1, FinishedAt: fixedTS,
			Error: "cannot reach the repository: connection refused\nrestic probe exit 1: unable to open config file: " +
				`client.Head: Head "http://192.0.2.10:8000/office/config": dial tcp 192.0.2.10:8000: connect: connection refused`,
			ErrorKind: protocol.ErrorKindUnreachable,
		}},
		{name: "job.finished.forget", seq: 44, payload: &protocol.JobFinished{
			JobID: jobID, Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: fixedTS,
			Stats: json.RawMessage(`{"groups":[{"tag":"documents","keep":["` + fullSnap + `"],"remove":["` + otherFullSnap + `"]}]}`),
		}},
		{name: "job.finished.find", seq: 44, payload: &protocol.JobFinished{
			JobID: jobID, Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: fixedTS,
			Stats: json.RawMessage(`{"snapshots_searched":20,"matches":3}`),
		}},
		{name: "job.finished.minimal", seq: 44, payload: &protocol.JobFinished{
			JobID: jobID, Status: protocol.StatusSucceeded, ExitCode: 0, FinishedAt: fixedTS,
		}},

		// log.stream
		{name: "log.stream", seq: 45, payload: &protocol.LogStream{
			JobID: jobID, Seq: 1, TS: fixedTS, Stream: protocol.StreamEvent,
			Payload: `{"message_type":"change","path":"/home/anna/Documents/report.odt","modifier":"M"}`,
		}},
		{name: "log.stream.find", seq: 45, payload: &protocol.LogStream{
			JobID: jobID, Seq: 1, TS: fixedTS, Stream: protocol.StreamEvent,
			Payload: `{"snapshot_id":"` + fullSnap + `","path":"/home/anna/Documents/report.odt","type":"file","size":18432,"mtime":"2026-11-21T16:40:12.25Z"}`,
		}},
		{name: "log.stream.minimal", seq: 45, payload: &protocol.LogStream{
			JobID: jobID, Seq: 1, TS: fixedTS, Stream: protocol.StreamStderr, Payload: "",
		}},

		// snapshots.report
		{name: "snapshots.report", payload: &protocol.SnapshotsReport{
			Snapshots: []protocol.Snapshot{{
				ID: fullSnap, ShortID: shortSnap, Time: snapTS, Hostname: "office-pc-1",
				Paths: []string{"/home/anna/Documents", "/srv/shared"}, Tags: []string{"documents"},
				SizeBytes: ptr(uint64(1677721600)), FileCount: ptr(uint64(3000)),
			}},
			ReportID: "0193a8f0-5b00-7d00-8e00-0f1e2d3c4b5a", Part: 1, Parts: 2,
		}},
		{name: "snapshots.report.minimal", payload: &protocol.SnapshotsReport{
			Snapshots: []protocol.Snapshot{{
				ID: fullSnap, ShortID: shortSnap, Time: snapTS, Hostname: "office-pc-1",
				Paths: []string{"/home/anna/Documents"},
			}},
		}},

		// repo.stats
		{name: "repo.stats", payload: &protocol.RepoStats{
			TotalSizeBytes: ptr(uint64(53687091200)), RawSizeBytes: ptr(uint64(21474836480)),
			UniqueFiles: ptr(uint64(183204)), SnapshotCount: ptr(96), LastCheckAt: ptr(fixedTS),
			LastCheckStatus: ptr("no errors were found"), LockPresent: ptr(false), LastPruneAt: ptr(bootTS),
			LastPruneFreedBytes: ptr(uint64(0)),
		}},
		{name: "repo.stats.minimal", payload: &protocol.RepoStats{}},

		// tree.list
		{name: "tree.list", payload: &protocol.TreeList{SnapshotID: shortSnap, Path: "/home/anna", Offset: 1000, Limit: 500}},
		{name: "tree.list.minimal", payload: &protocol.TreeList{SnapshotID: shortSnap, Path: "/"}},

		// tree.list.result
		{name: "tree.list.result", replyTo: requestID, payload: &protocol.TreeListResult{
			SnapshotID: shortSnap, Path: "/home/anna",
			Entries: []protocol.TreeEntry{
				{Name: "Documents", Type: protocol.EntryDir, Mtime: ptr(snapTS)},
				{Name: "notes.txt", Type: protocol.EntryFile, Size: 2048, Mtime: ptr(snapTS)},
				{Name: "shared", Type: protocol.EntrySymlink},
			},
			NextOffset: ptr(1500),
			Error:      "",
		}},
		{name: "tree.list.result.error", replyTo: requestID, payload: &protocol.TreeListResult{
			SnapshotID: shortSnap, Path: "/no/such/dir", Entries: []protocol.TreeEntry{},
			Error: `path "/no/such/dir" not found in snapshot 4f1c3e6a`,
		}},
		{name: "tree.list.result.minimal", payload: &protocol.TreeListResult{
			SnapshotID: shortSnap, Path: "/", Entries: []protocol.TreeEntry{},
		}},

		// agent.update_available
		{name: "agent.update_available", payload: &protocol.AgentUpdateAvailable{
			LatestVersion: "0.2.0", PackageURL: "https://example.org/restic-agent/0.2.0/",
			Changelog: "Faster snapshot browsing.\nRestore progress on restic 0.16+.",
		}},
		{name: "agent.update_available.minimal", payload: &protocol.AgentUpdateAvailable{
			LatestVersion: "0.2.0", PackageURL: "https://example.org/restic-agent/0.2.0/",
		}},

		// error
		{name: "error", replyTo: requestID, payload: &protocol.Error{
			Code: protocol.CodeUnknownJob, Message: "no job 0193a8f0-2a40-7c00-9e11-0a1b2c3d4e5f on this agent",
		}},
		{name: "error.minimal", payload: &protocol.Error{Code: protocol.CodeInternal, Message: ""}},
	}
}

// designFields is DESIGN.md's message table, transcribed: every JSON key
// path a message of that type may carry ("[]" marks list elements;
// "keep_last…keep_yearly" expanded). The golden test checks that the
// samples of each type use exactly these keys — no missing name, no extra
// or misspelt one.
var designFields = map[string][]string{
	"hello": {"protocol_version", "agent_version", "restic_version", "hostname", "os", "arch", "boot_time",
		"timezone", "agent_id", "last_acked_seq", "token", "enroll_token"},
	"hello.ack": {"accepted", "host_id", "status", "protocol_version", "acked_seq", "agent_token", "error"},
	"heartbeat": {"sent_at"},
	"ack":       {"seq"},
	"config.update": {"repo_url", "repo_password", "repo_username", "repo_credential", "hook_shell", "slot",
		"bandwidth_up_kbps", "bandwidth_down_kbps"},
	"schedule.set": append([]string{"version", "schedules", "schedules[].id", "schedules[].cron_expr",
		"schedules[].enabled", "schedules[].source_groups", "schedules[].source_groups[].name",
		"schedules[].source_groups[].includes", "schedules[].source_groups[].excludes",
		"schedules[].source_groups[].retention_policy",
		"schedules[].source_groups[].retry_max", "schedules[].source_groups[].retry_backoff_seconds",
		"schedules[].source_groups[].pre_hook", "schedules[].source_groups[].post_hook",
		"maintenance", "maintenance.prune_cron", "maintenance.check_cron", "maintenance.check_read_data_subset",
		"maintenance.copy_cron"},
		keepKeys("schedules[].source_groups[].retention_policy")...),
	"schedule.ack":  {"version", "applied_at"},
	"schedule.fire": {"schedule_id", "scheduled_at", "job_ids", "skipped"},
	"command.run": append([]string{"job_id", "kind", "args", "includes", "excludes", "tag", "forget_groups",
		"forget_groups[].tag", "forget_groups[].policy", "requires_admin_creds", "bandwidth_up_kbps",
		"bandwidth_down_kbps", "pre_hook", "post_hook", "restore", "restore.snapshot_id", "restore.paths",
		"restore.in_place", "restore.target_dir", "restore.from_source", "diff", "diff.snapshot_a", "diff.snapshot_b",
		"find", "find.pattern", "find.ignore_case", "dry_run"},
		keepKeys("forget_groups[].policy")...),
	"command.result": {"job_id", "accepted", "error"},
	"command.cancel": {"job_id"},
	"job.started":    {"job_id", "kind", "started_at", "schedule_id"},
	"job.progress": {"job_id", "percent_done", "files_done", "total_files", "bytes_done", "total_bytes",
		"eta_seconds", "throughput_bps"},
	"job.finished": {"job_id", "status", "exit_code", "finished_at", "stats", "error", "error_kind"},
	"log.stream":   {"job_id", "seq", "ts", "stream", "payload"},
	"snapshots.report": {"snapshots", "snapshots[].id", "snapshots[].short_id", "snapshots[].time",
		"snapshots[].hostname", "snapshots[].paths", "snapshots[].tags", "snapshots[].size_bytes",
		"snapshots[].file_count", "report_id", "part", "parts"},
	"repo.stats": {"total_size_bytes", "raw_size_bytes", "unique_files", "snapshot_count", "last_check_at",
		"last_check_status", "lock_present", "last_prune_at", "last_prune_freed_bytes"},
	"tree.list": {"snapshot_id", "path", "offset", "limit"},
	"tree.list.result": {"snapshot_id", "path", "entries", "entries[].name", "entries[].type", "entries[].size",
		"entries[].mtime", "next_offset", "error"},
	"agent.update_available": {"latest_version", "package_url", "changelog"},
	"error":                  {"code", "message"},
}

// envelopeFields are the envelope's keys (DESIGN.md "Wire protocol").
var envelopeFields = []string{"type", "id", "reply_to", "seq", "ts", "payload"}

func keepKeys(prefix string) []string {
	var out []string
	for _, k := range []string{"keep_last", "keep_hourly", "keep_daily", "keep_weekly", "keep_monthly", "keep_yearly"} {
		out = append(out, prefix+"."+k)
	}
	return out
}

// rawObjectFields are payload keys whose value is opaque JSON (restic's own
// output), so the key walk stops there.
var rawObjectFields = map[string]bool{"stats": true}
