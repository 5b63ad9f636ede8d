package protocol

import (
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// registry maps an envelope type to a constructor for its payload.
var registry = map[string]func() Payload{
	TypeHello:                func() Payload { return new(Hello) },
	TypeHelloAck:             func() Payload { return new(HelloAck) },
	TypeHeartbeat:            func() Payload { return new(Heartbeat) },
	TypeAck:                  func() Payload { return new(Ack) },
	TypeConfigUpdate:         func() Payload { return new(ConfigUpdate) },
	TypeScheduleSet:          func() Payload { return new(ScheduleSet) },
	TypeScheduleAck:          func() Payload { return new(ScheduleAck) },
	TypeScheduleFire:         func() Payload { return new(ScheduleFire) },
	TypeCommandRun:           func() Payload { return new(CommandRun) },
	TypeCommandResult:        func() Payload { return new(CommandResult) },
	TypeCommandCancel:        func() Payload { return new(CommandCancel) },
	TypeJobStarted:           func() Payload { return new(JobStarted) },
	TypeJobProgress:          func() Payload { return new(JobProgress) },
	TypeJobFinished:          func() Payload { return new(JobFinished) },
	TypeLogStream:            func() Payload { return new(LogStream) },
	TypeSnapshotsReport:      func() Payload { return new(SnapshotsReport) },
	TypeRepoStats:            func() Payload { return new(RepoStats) },
	TypeTreeList:             func() Payload { return new(TreeList) },
	TypeTreeListResult:       func() Payload { return new(TreeListResult) },
	TypeAgentUpdateAvailable: func() Payload { return new(AgentUpdateAvailable) },
	TypeError:                func() Payload { return new(Error) },
}

// Hello opens every connection (agent → manager).
type Hello struct {
	ProtocolVersion int        `json:"protocol_version"`
	AgentVersion    string     `json:"agent_version"`
	ResticVersion   string     `json:"restic_version"`
	Hostname        string     `json:"hostname"`
	OS              string     `json:"os"`
	Arch            string     `json:"arch"`
	BootTime        *time.Time `json:"boot_time,omitempty"`
	Timezone        string     `json:"timezone"`
	AgentID         string     `json:"agent_id"`
	LastAckedSeq    uint64     `json:"last_acked_seq"`
	Token           string     `json:"token,omitempty"`
	EnrollToken     string     `json:"enroll_token,omitempty"`
}

func (*Hello) MessageType() string { return TypeHello }

func (p *Hello) Validate() error {
	var v validator
	if p.ProtocolVersion <= 0 {
		v.fail("protocol_version", "must be a positive integer")
	}
	v.str("agent_version", p.AgentVersion, MaxIDLen, false)
	v.str("restic_version", p.ResticVersion, MaxIDLen, false)
	v.str("hostname", p.Hostname, MaxIDLen, true)
	v.oneOf("os", p.OS, "linux", "windows")
	v.oneOf("arch", p.Arch, "amd64", "arm64")
	v.str("timezone", p.Timezone, MaxIDLen, false)
	v.str("agent_id", p.AgentID, MaxIDLen, true)
	v.str("token", p.Token, MaxIDLen, false)
	v.str("enroll_token", p.EnrollToken, MaxIDLen, false)
	v.safeUint("last_acked_seq", p.LastAckedSeq)
	return v.err
}

// LogValue keeps tokens out of structured logs.
func (p Hello) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("hostname", p.Hostname), slog.String("agent_id", p.AgentID),
		slog.Int("protocol_version", p.ProtocolVersion), slog.String("agent_version", p.AgentVersion),
		slog.Uint64("last_acked_seq", p.LastAckedSeq),
		slog.Bool("has_token", p.Token != ""), slog.Bool("has_enroll_token", p.EnrollToken != ""))
}

// HelloAck answers hello (manager → agent), and is sent again on the same
// connection when a pending host is approved.
type HelloAck struct {
	Accepted        bool   `json:"accepted"`
	HostID          string `json:"host_id"`
	Status          string `json:"status"`
	ProtocolVersion int    `json:"protocol_version"`
	AckedSeq        uint64 `json:"acked_seq"`
	AgentToken      string `json:"agent_token,omitempty"`
	Error           string `json:"error,omitempty"`
}

func (*HelloAck) MessageType() string { return TypeHelloAck }

func (p *HelloAck) Validate() error {
	var v validator
	v.str("host_id", p.HostID, MaxIDLen, p.Accepted)
	if p.Accepted || p.Status != "" {
		v.oneOf("status", p.Status, HostApproved, HostPending)
	}
	v.str("agent_token", p.AgentToken, MaxIDLen, false)
	v.str("error", p.Error, MaxTextLen, false)
	v.safeUint("acked_seq", p.AckedSeq)
	return v.err
}

// LogValue keeps the issued token out of structured logs.
func (p HelloAck) LogValue() slog.Value {
	return slog.GroupValue(slog.Bool("accepted", p.Accepted), slog.String("host_id", p.HostID),
		slog.String("status", p.Status), slog.Uint64("acked_seq", p.AckedSeq),
		slog.Bool("has_agent_token", p.AgentToken != ""), slog.String("error", p.Error))
}

// Heartbeat is sent every 30 s by the agent; its arrival is the signal.
type Heartbeat struct {
	SentAt time.Time `json:"sent_at"`
}

func (*Heartbeat) MessageType() string { return TypeHeartbeat }
func (p *Heartbeat) Validate() error   { return nil }

// Ack tells the agent every journaled event ≤ Seq is durably stored.
type Ack struct {
	Seq uint64 `json:"seq"`
}

func (*Ack) MessageType() string { return TypeAck }

func (p *Ack) Validate() error {
	var v validator
	v.safeUint("seq", p.Seq)
	return v.err
}

// ConfigUpdate pushes repository settings and credentials. Strings: absent
// or empty = unchanged. Bandwidth pointers: nil = unchanged, 0 = clear.
type ConfigUpdate struct {
	RepoURL           string `json:"repo_url,omitempty"`
	RepoPassword      string `json:"repo_password,omitempty"`
	RepoUsername      string `json:"repo_username,omitempty"`
	RepoCredential    string `json:"repo_credential,omitempty"`
	HookShell         string `json:"hook_shell,omitempty"`
	Slot              string `json:"slot,omitempty"`
	BandwidthUpKbps   *int   `json:"bandwidth_up_kbps,omitempty"`
	BandwidthDownKbps *int   `json:"bandwidth_down_kbps,omitempty"`
}

func (*ConfigUpdate) MessageType() string { return TypeConfigUpdate }

func (p *ConfigUpdate) Validate() error {
	var v validator
	v.str("repo_url", p.RepoURL, MaxPathLen, false)
	v.str("repo_password", p.RepoPassword, MaxPathLen, false)
	v.str("repo_username", p.RepoUsername, MaxPathLen, false)
	v.str("repo_credential", p.RepoCredential, MaxPathLen, false)
	v.str("hook_shell", p.HookShell, MaxPathLen, false)
	if p.Slot != "" {
		v.oneOf("slot", p.Slot, SlotRepo, SlotAdmin, SlotCopy, SlotSource)
	}
	if p.Slot == SlotCopy || p.Slot == SlotSource {
		// These slots name a repository of their own: the host-wide
		// settings of the repo slot never travel with them.
		switch {
		case p.HookShell != "":
			v.fail("hook_shell", "is only set with slot repo")
		case p.BandwidthUpKbps != nil:
			v.fail("bandwidth_up_kbps", "is only set with slot repo")
		case p.BandwidthDownKbps != nil:
			v.fail("bandwidth_down_kbps", "is only set with slot repo")
		}
	}
	if p.Slot == SlotSource {
		// The source slot is replaced whole for one restore: a repository
		// without its URL or password could never be opened.
		v.required("repo_url", p.RepoURL)
		v.required("repo_password", p.RepoPassword)
	}
	if p.BandwidthUpKbps != nil {
		v.nonNegative("bandwidth_up_kbps", *p.BandwidthUpKbps)
	}
	if p.BandwidthDownKbps != nil {
		v.nonNegative("bandwidth_down_kbps", *p.BandwidthDownKbps)
	}
	return v.err
}

// EffectiveSlot is Slot, defaulting to "repo".
func (p *ConfigUpdate) EffectiveSlot() string {
	if p.Slot == "" {
		return SlotRepo
	}
	return p.Slot
}

// LogValue keeps credentials out of structured logs: only their presence.
func (p ConfigUpdate) LogValue() slog.Value {
	return slog.GroupValue(slog.String("repo_url", RedactURL(p.RepoURL)), slog.String("slot", p.EffectiveSlot()),
		slog.Bool("has_password", p.RepoPassword != ""), slog.Bool("has_username", p.RepoUsername != ""),
		slog.Bool("has_credential", p.RepoCredential != ""), slog.String("hook_shell", p.HookShell))
}

// RetentionPolicy holds restic forget's keep-* counts; 0 = not set.
type RetentionPolicy struct {
	KeepLast    int `json:"keep_last,omitempty"`
	KeepHourly  int `json:"keep_hourly,omitempty"`
	KeepDaily   int `json:"keep_daily,omitempty"`
	KeepWeekly  int `json:"keep_weekly,omitempty"`
	KeepMonthly int `json:"keep_monthly,omitempty"`
	KeepYearly  int `json:"keep_yearly,omitempty"`
}

// IsEmpty reports whether no keep-* count is set. forget refuses such a
// policy: it would delete every snapshot of the group.
func (r RetentionPolicy) IsEmpty() bool { return r == RetentionPolicy{} }

func (r RetentionPolicy) validate(v *validator, field string) {
	v.nonNegative(field+".keep_last", r.KeepLast)
	v.nonNegative(field+".keep_hourly", r.KeepHourly)
	v.nonNegative(field+".keep_daily", r.KeepDaily)
	v.nonNegative(field+".keep_weekly", r.KeepWeekly)
	v.nonNegative(field+".keep_monthly", r.KeepMonthly)
	v.nonNegative(field+".keep_yearly", r.KeepYearly)
}

// SourceGroup is a named set of paths backed up together; its name is the
// snapshots' tag.
type SourceGroup struct {
	Name                string          `json:"name"`
	Includes            []string        `json:"includes"`
	Excludes            []string        `json:"excludes"`
	RetentionPolicy     RetentionPolicy `json:"retention_policy"`
	RetryMax            int             `json:"retry_max"`
	RetryBackoffSeconds int             `json:"retry_backoff_seconds"`
	PreHook             string          `json:"pre_hook,omitempty"`
	PostHook            string          `json:"post_hook,omitempty"`
}

// Schedule is one cron entry and the groups each fire backs up.
type Schedule struct {
	ID           string        `json:"id"`
	CronExpr     string        `json:"cron_expr"`
	Enabled      bool          `json:"enabled"`
	SourceGroups []SourceGroup `json:"source_groups"`
}

// Maintenance is the prune, check and copy plan, each on its own cron.
type Maintenance struct {
	PruneCron           string `json:"prune_cron,omitempty"`
	CheckCron           string `json:"check_cron,omitempty"`
	CheckReadDataSubset string `json:"check_read_data_subset,omitempty"`
	// CopyCron fires a copy job (schedule id maintenance:copy) into the
	// host's second repository (slot copy).
	CopyCron string `json:"copy_cron,omitempty"`
}

// ScheduleSet replaces the agent's whole schedule set. Versions only grow.
type ScheduleSet struct {
	Version     uint64       `json:"version"`
	Schedules   []Schedule   `json:"schedules"`
	Maintenance *Maintenance `json:"maintenance,omitempty"`
}

func (*ScheduleSet) MessageType() string { return TypeScheduleSet }

func (p *ScheduleSet) Validate() error {
	var v validator
	if p.Version == 0 {
		v.fail("version", "must be at least 1")
	}
	v.safeUint("version", p.Version)
	ids := map[string]bool{}
	for i, s := range p.Schedules {
		f := "schedules[" + strconv.Itoa(i) + "]"
		v.str(f+".id", s.ID, MaxIDLen, true)
		if ids[s.ID] {
			v.fail(f+".id", "repeats schedule id %q", shorten(s.ID))
		}
		ids[s.ID] = true
		v.str(f+".cron_expr", s.CronExpr, MaxNameLen, true)
		if len(s.SourceGroups) == 0 {
			v.fail(f+".source_groups", "is empty: a schedule backs up at least one source group")
		}
		names := map[string]bool{}
		for j, g := range s.SourceGroups {
			gf := f + ".source_groups[" + strconv.Itoa(j) + "]"
			validateGroup(&v, gf, g)
			if names[g.Name] {
				v.fail(gf+".name", "repeats group %q in this schedule", shorten(g.Name))
			}
			names[g.Name] = true
		}
	}
	if m := p.Maintenance; m != nil {
		v.str("maintenance.prune_cron", m.PruneCron, MaxNameLen, false)
		v.str("maintenance.check_cron", m.CheckCron, MaxNameLen, false)
		v.str("maintenance.copy_cron", m.CopyCron, MaxNameLen, false)
		if m.CheckReadDataSubset != "" {
			if err := ValidateReadDataSubset(m.CheckReadDataSubset); err != nil {
				v.fail("maintenance.check_read_data_subset", "%v", err)
			}
		}
	}
	return v.err
}

func validateGroup(v *validator, f string, g SourceGroup) {
	v.groupName(f+".name", g.Name)
	if len(g.Includes) == 0 {
		v.fail(f+".includes", "is empty: a group backs up at least one path")
	}
	v.list(f+".includes", g.Includes, MaxPathLen)
	v.list(f+".excludes", g.Excludes, MaxPathLen)
	g.RetentionPolicy.validate(v, f+".retention_policy")
	v.nonNegative(f+".retry_max", g.RetryMax)
	v.nonNegative(f+".retry_backoff_seconds", g.RetryBackoffSeconds)
	v.str(f+".pre_hook", g.PreHook, MaxHookLen, false)
	v.str(f+".post_hook", g.PostHook, MaxHookLen, false)
}

// ScheduleAck confirms a schedule.set (its envelope's reply_to names it).
type ScheduleAck struct {
	Version   uint64    `json:"version"`
	AppliedAt time.Time `json:"applied_at"`
}

func (*ScheduleAck) MessageType() string { return TypeScheduleAck }

func (p *ScheduleAck) Validate() error {
	var v validator
	v.safeUint("version", p.Version)
	return v.err
}

// ScheduleFire records one cron tick on the agent (journaled).
type ScheduleFire struct {
	ScheduleID  string    `json:"schedule_id"`
	ScheduledAt time.Time `json:"scheduled_at"`
	JobIDs      []string  `json:"job_ids"`
	Skipped     string    `json:"skipped,omitempty"`
}

func (*ScheduleFire) MessageType() string { return TypeScheduleFire }

func (p *ScheduleFire) Validate() error {
	var v validator
	v.str("schedule_id", p.ScheduleID, MaxIDLen, true)
	if p.ScheduledAt.IsZero() {
		v.fail("scheduled_at", "is required")
	}
	if p.JobIDs == nil {
		v.fail("job_ids", "is required (an empty list when skipped)")
	}
	v.list("job_ids", p.JobIDs, MaxIDLen)
	v.str("skipped", p.Skipped, MaxTextLen, false)
	return v.err
}

// ForgetGroup is one `restic forget --tag <tag> --keep-…` run.
type ForgetGroup struct {
	Tag    string          `json:"tag"`
	Policy RetentionPolicy `json:"policy"`
}

// RestoreSpec says what a restore job restores and where.
type RestoreSpec struct {
	SnapshotID string   `json:"snapshot_id"`
	Paths      []string `json:"paths"`
	InPlace    bool     `json:"in_place"`
	TargetDir  string   `json:"target_dir,omitempty"`
	// FromSource restores from the repository in the source slot (another
	// host's) instead of this host's own; never in place.
	FromSource bool `json:"from_source,omitempty"`
}

// DiffSpec names the two snapshots a diff job compares.
type DiffSpec struct {
	SnapshotA string `json:"snapshot_a"`
	SnapshotB string `json:"snapshot_b"`
}

// CommandRun asks the agent to run one job (manager → agent).
type CommandRun struct {
	JobID              string        `json:"job_id"`
	Kind               string        `json:"kind"`
	Args               []string      `json:"args,omitempty"`
	Includes           []string      `json:"includes,omitempty"`
	Excludes           []string      `json:"excludes,omitempty"`
	Tag                string        `json:"tag,omitempty"`
	ForgetGroups       []ForgetGroup `json:"forget_groups,omitempty"`
	RequiresAdminCreds bool          `json:"requires_admin_creds,omitempty"`
	BandwidthUpKbps    *int          `json:"bandwidth_up_kbps,omitempty"`
	BandwidthDownKbps  *int          `json:"bandwidth_down_kbps,omitempty"`
	PreHook            string        `json:"pre_hook,omitempty"`
	PostHook           string        `json:"post_hook,omitempty"`
	Restore            *RestoreSpec  `json:"restore,omitempty"`
	Diff               *DiffSpec     `json:"diff,omitempty"`
	Find               *FindSpec     `json:"find,omitempty"`
	// DryRun (forget only) asks what the policy would keep and remove:
	// restic forget --dry-run, which changes nothing.
	DryRun bool `json:"dry_run,omitempty"`
}

func (*CommandRun) MessageType() string { return TypeCommandRun }

func (p *CommandRun) Validate() error {
	var v validator
	v.str("job_id", p.JobID, MaxIDLen, true)
	if !IsJobKind(p.Kind) {
		v.fail("kind", "is %q, not a job kind (want one of %s)", shorten(p.Kind), strings.Join(JobKinds, ", "))
		return v.err
	}
	switch {
	case len(p.Args) > 0 && p.Kind != KindCheck:
		v.fail("args", "is only used by check (its read-data subset)")
	case len(p.Args) > 1:
		v.fail("args", "takes one value, check's read-data subset")
	case len(p.Args) == 1:
		if err := ValidateReadDataSubset(p.Args[0]); err != nil {
			v.fail("args[0]", "%v", err)
		}
	}
	v.list("includes", p.Includes, MaxPathLen)
	v.list("excludes", p.Excludes, MaxPathLen)
	if p.Tag != "" {
		v.groupName("tag", p.Tag)
	}
	v.str("pre_hook", p.PreHook, MaxHookLen, false)
	v.str("post_hook", p.PostHook, MaxHookLen, false)
	if p.BandwidthUpKbps != nil {
		v.nonNegative("bandwidth_up_kbps", *p.BandwidthUpKbps)
	}
	if p.BandwidthDownKbps != nil {
		v.nonNegative("bandwidth_down_kbps", *p.BandwidthDownKbps)
	}
	if p.Kind == KindBackup && len(p.Includes) == 0 {
		v.fail("includes", "is empty: a backup needs at least one path")
	}
	if p.Kind != KindForget && len(p.ForgetGroups) > 0 {
		v.fail("forget_groups", "is only used by forget")
	}
	if p.Kind == KindForget {
		if len(p.ForgetGroups) == 0 {
			v.fail("forget_groups", "is empty: forget needs at least one group and its policy")
		}
		for i, g := range p.ForgetGroups {
			f := "forget_groups[" + strconv.Itoa(i) + "]"
			v.groupName(f+".tag", g.Tag)
			g.Policy.validate(&v, f+".policy")
			if g.Policy.IsEmpty() {
				v.fail(f+".policy", "is empty: a policy with no keep-* value would remove every snapshot of group %q", shorten(g.Tag))
			}
		}
	}
	if p.DryRun && p.Kind != KindForget {
		v.fail("dry_run", "is only used by forget")
	}
	if p.Kind == KindProbe || p.DryRun {
		// A repository test and a retention preview must stay harmless:
		// they run no command of the admin's, and they run beside other
		// jobs without a lock.
		what := "probe"
		if p.DryRun {
			what = "a dry run"
		}
		if p.PreHook != "" {
			v.fail("pre_hook", "is not used by %s", what)
		}
		if p.PostHook != "" {
			v.fail("post_hook", "is not used by %s", what)
		}
	}
	if p.Kind != KindRestore && p.Restore != nil {
		v.fail("restore", "is only used by restore")
	}
	if p.Kind == KindRestore {
		validateRestore(&v, p.Restore)
	}
	if p.Kind != KindDiff && p.Diff != nil {
		v.fail("diff", "is only used by diff")
	}
	if p.Kind == KindDiff {
		if p.Diff == nil {
			v.fail("diff", "is required for a diff job")
		} else {
			v.snapshotID("diff.snapshot_a", p.Diff.SnapshotA)
			v.snapshotID("diff.snapshot_b", p.Diff.SnapshotB)
		}
	}
	if p.Kind != KindFind && p.Find != nil {
		v.fail("find", "is only used by find")
	}
	if p.Kind == KindFind {
		validateFind(&v, p.Find)
	}
	return v.err
}

func validateRestore(v *validator, r *RestoreSpec) {
	if r == nil {
		v.fail("restore", "is required for a restore job")
		return
	}
	v.snapshotID("restore.snapshot_id", r.SnapshotID)
	if len(r.Paths) == 0 {
		v.fail("restore.paths", "is empty: choose at least one path to restore")
	}
	v.list("restore.paths", r.Paths, MaxPathLen)
	for i, p := range r.Paths {
		if p != "" && p[0] != '/' {
			v.fail("restore.paths["+strconv.Itoa(i)+"]", "must be an absolute path inside the snapshot (starting with /)")
		}
	}
	switch {
	case r.InPlace && r.FromSource:
		v.fail("restore.in_place", "is not allowed with from_source: another host's files are restored into a new directory, never over this host's own")
	case r.InPlace && r.TargetDir != "":
		v.fail("restore.target_dir", "must be empty for an in-place restore")
	case !r.InPlace:
		validateTargetDir(v, "", r.TargetDir)
	}
}

// LogValue keeps hooks (which may hold secrets) out of structured logs.
func (p CommandRun) LogValue() slog.Value {
	return slog.GroupValue(slog.String("job_id", p.JobID), slog.String("kind", p.Kind), slog.String("tag", p.Tag),
		slog.Bool("dry_run", p.DryRun))
}

// CommandResult says whether the agent accepted (persisted) a command.run.
type CommandResult struct {
	JobID    string `json:"job_id"`
	Accepted bool   `json:"accepted"`
	Error    string `json:"error,omitempty"`
}

func (*CommandResult) MessageType() string { return TypeCommandResult }

func (p *CommandResult) Validate() error {
	var v validator
	v.str("job_id", p.JobID, MaxIDLen, true)
	v.str("error", p.Error, MaxTextLen, false)
	return v.err
}

// CommandCancel asks the agent to cancel a queued or running job.
type CommandCancel struct {
	JobID string `json:"job_id"`
}

func (*CommandCancel) MessageType() string { return TypeCommandCancel }

func (p *CommandCancel) Validate() error {
	var v validator
	v.str("job_id", p.JobID, MaxIDLen, true)
	return v.err
}

// JobStarted marks a job running (journaled).
type JobStarted struct {
	JobID      string    `json:"job_id"`
	Kind       string    `json:"kind"`
	StartedAt  time.Time `json:"started_at"`
	ScheduleID string    `json:"schedule_id,omitempty"`
}

func (*JobStarted) MessageType() string { return TypeJobStarted }

func (p *JobStarted) Validate() error {
	var v validator
	v.str("job_id", p.JobID, MaxIDLen, true)
	if !IsJobKind(p.Kind) {
		v.fail("kind", "is %q, not a job kind", shorten(p.Kind))
	}
	if p.StartedAt.IsZero() {
		v.fail("started_at", "is required")
	}
	v.str("schedule_id", p.ScheduleID, MaxIDLen, false)
	return v.err
}

// JobProgress is the latest progress of a running job (not journaled).
// PercentDone is a fraction 0–1, EtaSeconds seconds, ThroughputBps bytes/s.
type JobProgress struct {
	JobID         string  `json:"job_id"`
	PercentDone   float64 `json:"percent_done"`
	FilesDone     uint64  `json:"files_done"`
	TotalFiles    uint64  `json:"total_files"`
	BytesDone     uint64  `json:"bytes_done"`
	TotalBytes    uint64  `json:"total_bytes"`
	EtaSeconds    int64   `json:"eta_seconds"`
	ThroughputBps int64   `json:"throughput_bps"`
}

func (*JobProgress) MessageType() string { return TypeJobProgress }

func (p *JobProgress) Validate() error {
	var v validator
	v.str("job_id", p.JobID, MaxIDLen, true)
	if p.PercentDone < 0 || p.PercentDone > 1 || p.PercentDone != p.PercentDone {
		v.fail("percent_done", "must be a fraction between 0 and 1")
	}
	if p.EtaSeconds < 0 {
		v.fail("eta_seconds", "must not be negative")
	}
	if p.ThroughputBps < 0 {
		v.fail("throughput_bps", "must not be negative")
	}
	return v.err
}

// JobFinished ends a job (journaled). Stats is a JSON object when present.
type JobFinished struct {
	JobID      string          `json:"job_id"`
	Status     string          `json:"status"`
	ExitCode   int             `json:"exit_code"`
	FinishedAt time.Time       `json:"finished_at"`
	Stats      json.RawMessage `json:"stats,omitempty"`
	Error      string          `json:"error,omitempty"`
	// ErrorKind names a failed job's cause (ErrorKinds); error then starts
	// with it in words. Empty for a job that did not fail.
	ErrorKind string `json:"error_kind,omitempty"`
}

func (*JobFinished) MessageType() string { return TypeJobFinished }

func (p *JobFinished) Validate() error {
	var v validator
	v.str("job_id", p.JobID, MaxIDLen, true)
	v.oneOf("status", p.Status, StatusSucceeded, StatusFailed, StatusCancelled)
	if p.FinishedAt.IsZero() {
		v.fail("finished_at", "is required")
	}
	if len(p.Stats) > 0 && string(p.Stats) != "null" {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(p.Stats, &obj); err != nil {
			v.fail("stats", "must be a JSON object")
		}
	}
	v.str("error", p.Error, MaxTextLen, false)
	// Any short word is accepted (KnownErrorKind reads an unknown one as
	// "other"): a cause a newer agent names must not cost the job its end.
	v.str("error_kind", p.ErrorKind, MaxIDLen, false)
	return v.err
}

// LogStream is one line of a job's log (journaled). Seq is the line number
// within the job, from 1; it is not the envelope's seq.
type LogStream struct {
	JobID   string    `json:"job_id"`
	Seq     uint64    `json:"seq"`
	TS      time.Time `json:"ts"`
	Stream  string    `json:"stream"`
	Payload string    `json:"payload"`
}

func (*LogStream) MessageType() string { return TypeLogStream }

func (p *LogStream) Validate() error {
	var v validator
	v.str("job_id", p.JobID, MaxIDLen, true)
	if p.Seq == 0 {
		v.fail("seq", "is the line number within the job, from 1")
	}
	v.safeUint("seq", p.Seq)
	v.oneOf("stream", p.Stream, StreamStdout, StreamStderr, StreamEvent)
	// The marker may follow a line cut at the limit.
	v.maxLen("payload", p.Payload, MaxLogLineBytes+64)
	return v.err
}

// Snapshot is one entry of the snapshot projection.
type Snapshot struct {
	ID        string    `json:"id"`
	ShortID   string    `json:"short_id"`
	Time      time.Time `json:"time"`
	Hostname  string    `json:"hostname"`
	Paths     []string  `json:"paths"`
	Tags      []string  `json:"tags,omitempty"`
	SizeBytes *uint64   `json:"size_bytes,omitempty"`
	FileCount *uint64   `json:"file_count,omitempty"`
}

// SnapshotsReport is the agent's full snapshot list (not journaled, latest
// wins). A list too large for one frame comes in parts of one report_id.
type SnapshotsReport struct {
	Snapshots []Snapshot `json:"snapshots"`
	ReportID  string     `json:"report_id,omitempty"`
	Part      int        `json:"part,omitempty"`
	Parts     int        `json:"parts,omitempty"`
}

func (*SnapshotsReport) MessageType() string { return TypeSnapshotsReport }

func (p *SnapshotsReport) Validate() error {
	var v validator
	if p.Snapshots == nil {
		v.fail("snapshots", "is required (an empty list when the repository has none)")
	}
	for i, s := range p.Snapshots {
		f := "snapshots[" + strconv.Itoa(i) + "]"
		v.snapshotID(f+".id", s.ID)
		v.str(f+".short_id", s.ShortID, MaxIDLen, false)
		v.str(f+".hostname", s.Hostname, MaxIDLen, false)
		v.list(f+".paths", s.Paths, MaxPathLen)
		v.list(f+".tags", s.Tags, MaxNameLen)
	}
	v.str("report_id", p.ReportID, MaxIDLen, false)
	if p.ReportID != "" || p.Parts != 0 || p.Part != 0 {
		v.required("report_id", p.ReportID)
		if p.Parts < 1 {
			v.fail("parts", "must be at least 1 when a report is split")
		} else if p.Part < 1 || p.Part > p.Parts {
			v.fail("part", "is %d, want 1 to %d", p.Part, p.Parts)
		}
	}
	return v.err
}

// RepoStats is a partial update of a host's repository figures (not
// journaled); a nil field leaves the stored value unchanged.
type RepoStats struct {
	TotalSizeBytes      *uint64    `json:"total_size_bytes,omitempty"`
	RawSizeBytes        *uint64    `json:"raw_size_bytes,omitempty"`
	UniqueFiles         *uint64    `json:"unique_files,omitempty"`
	SnapshotCount       *int       `json:"snapshot_count,omitempty"`
	LastCheckAt         *time.Time `json:"last_check_at,omitempty"`
	LastCheckStatus     *string    `json:"last_check_status,omitempty"`
	LockPresent         *bool      `json:"lock_present,omitempty"`
	LastPruneAt         *time.Time `json:"last_prune_at,omitempty"`
	LastPruneFreedBytes *uint64    `json:"last_prune_freed_bytes,omitempty"`
}

func (*RepoStats) MessageType() string { return TypeRepoStats }

func (p *RepoStats) Validate() error {
	var v validator
	if p.SnapshotCount != nil {
		v.nonNegative("snapshot_count", *p.SnapshotCount)
	}
	if p.LastCheckStatus != nil {
		v.maxLen("last_check_status", *p.LastCheckStatus, MaxTextLen)
	}
	return v.err
}

// TreeList asks for one page of a directory inside a snapshot (RPC).
type TreeList struct {
	SnapshotID string `json:"snapshot_id"`
	Path       string `json:"path"`
	Offset     int    `json:"offset,omitempty"`
	Limit      int    `json:"limit,omitempty"`
}

func (*TreeList) MessageType() string { return TypeTreeList }

func (p *TreeList) Validate() error {
	var v validator
	v.snapshotID("snapshot_id", p.SnapshotID)
	v.str("path", p.Path, MaxPathLen, true)
	if p.Path != "" && p.Path[0] != '/' {
		v.fail("path", "must start with / (restic's snapshot path syntax)")
	}
	v.safeInt("offset", p.Offset)
	if p.Limit < 0 || p.Limit > TreeListMaxLimit {
		v.fail("limit", "is %d, want 0 (default %d) to %d", p.Limit, TreeListDefaultLimit, TreeListMaxLimit)
	}
	return v.err
}

// EffectiveLimit is Limit, or the default when unset.
func (p *TreeList) EffectiveLimit() int {
	if p.Limit == 0 {
		return TreeListDefaultLimit
	}
	return p.Limit
}

// TreeEntry is one child of a snapshot directory.
type TreeEntry struct {
	Name  string     `json:"name"`
	Type  string     `json:"type"`
	Size  uint64     `json:"size,omitempty"`
	Mtime *time.Time `json:"mtime,omitempty"`
}

// TreeListResult answers tree.list. NextOffset is nil when the listing is
// complete.
type TreeListResult struct {
	SnapshotID string      `json:"snapshot_id"`
	Path       string      `json:"path"`
	Entries    []TreeEntry `json:"entries"`
	NextOffset *int        `json:"next_offset,omitempty"`
	Error      string      `json:"error,omitempty"`
}

func (*TreeListResult) MessageType() string { return TypeTreeListResult }

func (p *TreeListResult) Validate() error {
	var v validator
	v.str("snapshot_id", p.SnapshotID, MaxIDLen, false)
	v.str("path", p.Path, MaxPathLen, false)
	if p.Entries == nil && p.Error == "" {
		v.fail("entries", "is required (an empty list for an empty directory)")
	}
	for i, e := range p.Entries {
		f := "entries[" + strconv.Itoa(i) + "]"
		v.str(f+".name", e.Name, MaxPathLen, true)
		v.oneOf(f+".type", e.Type, EntryDir, EntryFile, EntrySymlink)
	}
	if p.NextOffset != nil && *p.NextOffset <= 0 {
		v.fail("next_offset", "must be positive when present")
	} else if p.NextOffset != nil {
		v.safeInt("next_offset", *p.NextOffset)
	}
	v.str("error", p.Error, MaxTextLen, false)
	return v.err
}

// AgentUpdateAvailable is informational; agents never self-update.
type AgentUpdateAvailable struct {
	LatestVersion string `json:"latest_version"`
	PackageURL    string `json:"package_url"`
	Changelog     string `json:"changelog,omitempty"`
}

func (*AgentUpdateAvailable) MessageType() string { return TypeAgentUpdateAvailable }

func (p *AgentUpdateAvailable) Validate() error {
	var v validator
	v.str("latest_version", p.LatestVersion, MaxIDLen, true)
	v.str("package_url", p.PackageURL, MaxPathLen, true)
	v.str("changelog", p.Changelog, MaxTextLen, false)
	return v.err
}

// Error answers a frame that could not be handled; the envelope's reply_to
// names that frame.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

func (*Error) MessageType() string { return TypeError }

func (p *Error) Validate() error {
	var v validator
	v.oneOf("code", p.Code, CodeBadRequest, CodeUnknownJob, CodeNotFound, CodeUnauthorized, CodeInternal)
	v.str("message", p.Message, MaxTextLen, false)
	return v.err
}

func (p *Error) Error() string { return p.Code + ": " + p.Message }
