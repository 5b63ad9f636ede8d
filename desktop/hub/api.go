package hub

// The UI's API. Every method is safe to call from any goroutine and returns
// promptly: reads come from the local store, and actions that reach an
// agent are queued on its connection (TreeList alone waits for the agent,
// bounded by Options.RPCTimeout and the caller's ctx). Nothing here is a
// Fyne type. Errors are wrapped with context; compare with errors.Is
// against ErrNotFound, ErrInvalid, ErrHostOffline, ErrHostPending,
// ErrInUse, ErrRPCTimeout and ErrConnectionLost.

import (
	"context"
	"errors"
	"time"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// Types the UI reads, re-exported so the UI imports hub alone.
type (
	Host            = storage.Host
	HostInfo        = storage.HostInfo
	HostSettings    = storage.HostSettings
	GroupHealth     = storage.GroupHealth
	EnrollToken     = storage.EnrollToken
	SourceGroup     = storage.SourceGroup
	RetentionPolicy = protocol.RetentionPolicy
	Schedule        = storage.Schedule
	Maintenance     = storage.Maintenance
	Job             = storage.Job
	JobPage         = storage.JobPage
	LogLine         = storage.LogLine
	Snapshot        = storage.Snapshot
	RepoStats       = storage.RepoStats
	SizePoint       = storage.SizePoint
	RepoSizePoint   = storage.RepoSizePoint
	HostEvent       = storage.HostEvent
	HostEventPage   = storage.HostEventPage
	Fire            = storage.Fire
	TreeEntry       = protocol.TreeEntry
)

// Host approval states and job origins, re-exported.
const (
	StatusPending  = storage.HostPending
	StatusApproved = storage.HostApproved
	StatusRejected = storage.HostRejected

	OriginOperator = storage.OriginOperator
	OriginSchedule = storage.OriginSchedule
	OriginAgent    = storage.OriginAgent
)

// Errors the UI can test for with errors.Is.
var (
	ErrNotFound       = storage.ErrNotFound
	ErrInvalid        = storage.ErrInvalid
	ErrInUse          = storage.ErrInUse
	ErrHostOffline    = errors.New("host is offline")
	ErrHostPending    = errors.New("host is waiting for approval")
	ErrRPCTimeout     = errors.New("the agent did not answer in time")
	ErrConnectionLost = errors.New("the connection to the agent closed before it answered")
	ErrClosed         = errors.New("hub is closed")
)

// HostView is one row of the host list.
type HostView struct {
	Host Host
	// Online: an authenticated connection is up and heartbeats arrive.
	Online bool
	// ConnectedSince is when the live connection said hello (zero when
	// offline).
	ConnectedSince time.Time
	// Pending: waiting for the admin (an unknown tailnet node).
	Pending bool
	// ThisComputer: the host is the machine the manager runs on, so a
	// path picked in this computer's file dialogs is a path on the host
	// (this_computer.go says how it is told).
	ThisComputer bool
	// LastBackupAt is when the latest successful backup finished; nil when
	// none did. LastBackupAge is the time since, or -1.
	LastBackupAt  *time.Time
	LastBackupAge time.Duration
	// Failing: the latest backup of at least one source group failed
	// (FailingGroups names them), or the latest copy into the second
	// repository did (CopyFailing).
	Failing       bool
	FailingGroups []string
	CopyFailing   bool
	// Copy is how the copies into the second repository went.
	Copy        CopyHealth
	RunningJobs int
	QueuedJobs  int
}

// HostDetail is everything the host page shows at the top.
type HostDetail struct {
	HostView
	// Groups is each source group's latest backup outcome.
	Groups     map[string]GroupHealth
	Repository RepositorySettings
	Schedules  ScheduleStatus
}

// RepositorySettings is a host's repository configuration as the UI may
// show it: the URL (never with a password in it) and whether each secret is
// set, never the secrets themselves.
type RepositorySettings struct {
	URL                string
	PasswordSet        bool
	UsernameSet        bool
	CredentialSet      bool
	AdminPasswordSet   bool
	AdminUsernameSet   bool
	AdminCredentialSet bool
	HookShell          string
	BandwidthUpKbps    int
	BandwidthDownKbps  int
}

// RepositoryUpdate changes repository settings. A nil field is unchanged;
// for secrets, a pointer to "" removes the secret. Secrets go to the OS
// keyring, never to the store. URL must not carry a password (use
// Credential for rest-server basic auth).
type RepositoryUpdate struct {
	URL             *string
	Password        *string
	Username        *string
	Credential      *string
	AdminPassword   *string
	AdminUsername   *string
	AdminCredential *string
}

// IssuedEnrollToken is a new enrollment token. Token is the plain token,
// shown to the admin once; only its hash is stored.
type IssuedEnrollToken struct {
	Token     string
	ID        string
	Uses      int
	ExpiresAt time.Time
}

// ScheduleView is a schedule with its next fire times, computed in the
// host's time zone (hello.timezone) unless the expression has CRON_TZ=.
type ScheduleView struct {
	Schedule
	NextFires []time.Time
	// Location is the zone NextFires are in.
	Location string
	// Error is set when the stored expression no longer parses.
	Error string
}

// ScheduleStatus is a host's schedule version and the one its agent
// acknowledged; they are equal once the agent runs the latest set.
type ScheduleStatus struct {
	Version        uint64
	AckedVersion   uint64
	AckedAt        time.Time
	Paused         bool // this host's schedules are paused
	PausedGlobally bool // "pause all schedules" is on
}

// InSync reports whether the agent acknowledged the current version.
func (s ScheduleStatus) InSync() bool { return s.AckedVersion >= s.Version }

// RunRequest starts a job now. Kind is one of backup, init, check, prune,
// unlock, forget, copy, probe (restore, diff and find have their own methods).
type RunRequest struct {
	Kind string
	// Group is the source group a backup backs up.
	Group string
	// Groups limits a forget to these groups; empty means every group with
	// a retention policy.
	Groups []string
	// ReadDataSubset is check's --read-data-subset ("5%", "1/10"); empty
	// for a metadata-only check.
	ReadDataSubset string
	// DryRun (forget only) previews what the groups' policies would keep
	// and remove, changing nothing (RetentionPreview reads the answer).
	DryRun bool
}

// RestoreRequest restores paths of a snapshot, in place or under
// TargetDir (absolute, not a root): restic recreates them as
// TargetDir/abs/path.
type RestoreRequest struct {
	SnapshotID string
	Paths      []string
	InPlace    bool
	TargetDir  string
}

// Progress is a running job's latest progress (not stored; latest wins).
type Progress struct {
	protocol.JobProgress
	UpdatedAt time.Time
	hostID    string
}

// SizeSeries feeds the size-over-time chart: each snapshot's size, and the
// repository's total size as reported over time.
type SizeSeries struct {
	Snapshots  []SizePoint
	Repository []RepoSizePoint
}

// TreePage is one page of a snapshot directory. NextOffset is 0 when the
// listing is complete.
type TreePage struct {
	SnapshotID string
	Path       string
	Entries    []TreeEntry
	NextOffset int
}

// ChangeKind says what to re-read after a Change.
type ChangeKind string

const (
	// ChangeHosts: the host list changed (a host was added, approved,
	// rejected). Re-read Hosts().
	ChangeHosts ChangeKind = "hosts"
	// ChangeHost: one host's row or detail changed (online state, health,
	// settings, credentials, counts). Re-read Host(HostID).
	ChangeHost ChangeKind = "host"
	// ChangeJob: a job's row changed (created, started, finished). Re-read
	// Job(JobID) or the host's job page.
	ChangeJob ChangeKind = "job"
	// ChangeJobLog: new log lines for JobID. Read JobLog from your last seq.
	ChangeJobLog ChangeKind = "job_log"
	// ChangeProgress: JobID's progress changed. Read Progress(JobID).
	ChangeProgress ChangeKind = "progress"
	// ChangeSnapshots: HostID's snapshot list was replaced.
	ChangeSnapshots ChangeKind = "snapshots"
	// ChangeRepoStats: HostID's repository stats changed.
	ChangeRepoStats ChangeKind = "repo_stats"
	// ChangeSchedules: HostID's source groups, schedules, maintenance plan
	// or acknowledged version changed.
	ChangeSchedules ChangeKind = "schedules"
	// ChangeHostEvents: HostID's event log grew.
	ChangeHostEvents ChangeKind = "host_events"
	// ChangeEnrollTokens: the enrollment token list changed.
	ChangeEnrollTokens ChangeKind = "enroll_tokens"
	// ChangeAll: the subscriber fell behind and changes were dropped;
	// re-read everything on screen.
	ChangeAll ChangeKind = "all"
)

// Change says what changed. HostID and JobID are set when the kind is
// about one host or job.
type Change struct {
	Kind   ChangeKind
	HostID string
	JobID  string
}

// --- Hosts ---

// Hosts lists every host with its live and backup state, by name.
func (h *Hub) Hosts() ([]HostView, error) { return h.hosts() }

// Host returns one host's detail.
func (h *Hub) Host(hostID string) (HostDetail, error) { return h.host(hostID) }

// ApproveHost approves a pending host. If it is connected, it gets
// hello.ack{status:"approved"} on the same connection, then config.update
// and schedule.set.
func (h *Hub) ApproveHost(hostID string) error { return h.approve(hostID) }

// RejectHost rejects a host: its connection is closed, its token dropped,
// and it is refused from now on.
func (h *Hub) RejectHost(hostID string) error { return h.reject(hostID) }

// CreateEnrollToken makes a token that enrolls up to uses hosts until ttl
// has passed (uses 0 means 1, ttl 0 means 24 h). The plain token is
// returned once.
func (h *Hub) CreateEnrollToken(uses int, ttl time.Duration) (IssuedEnrollToken, error) {
	return h.createEnrollToken(uses, ttl)
}

// EnrollTokens lists enrollment tokens (hashes, uses, expiry), newest
// first.
func (h *Hub) EnrollTokens() ([]EnrollToken, error) { return h.store.EnrollTokens() }

// RevokeEnrollToken deletes an enrollment token by ID.
func (h *Hub) RevokeEnrollToken(id string) error { return h.revokeEnrollToken(id) }

// --- Source groups, schedules, maintenance ---
//
// Each Put/Set/Delete below has a Save* twin (save.go) that also says
// where the change went and, with SaveStatus, when the agent applied it.

// SourceGroups lists a host's source groups.
func (h *Hub) SourceGroups(hostID string) ([]SourceGroup, error) { return h.store.SourceGroups(hostID) }

// PutSourceGroup creates or replaces a group (by name) and pushes the new
// schedule set.
func (h *Hub) PutSourceGroup(hostID string, g SourceGroup) error {
	_, err := h.putSourceGroup(hostID, g)
	return err
}

// DeleteSourceGroup removes a group no schedule uses (ErrInUse
// otherwise).
func (h *Hub) DeleteSourceGroup(hostID, name string) error {
	_, err := h.deleteSourceGroup(hostID, name)
	return err
}

// Schedules lists a host's schedules with their next five fire times.
func (h *Hub) Schedules(hostID string) ([]ScheduleView, error) { return h.schedules(hostID, 5) }

// PutSchedule creates (empty ID) or replaces a schedule, after checking
// its cron expression and that it names at least one existing group, and
// pushes the new schedule set. It returns the stored schedule.
func (h *Hub) PutSchedule(hostID string, s Schedule) (Schedule, error) {
	stored, _, err := h.putSchedule(hostID, s)
	return stored, err
}

// DeleteSchedule removes a schedule and pushes the new set.
func (h *Hub) DeleteSchedule(hostID, scheduleID string) error {
	_, err := h.deleteSchedule(hostID, scheduleID)
	return err
}

// ScheduleStatus returns the host's schedule version and the one its agent
// acknowledged.
func (h *Hub) ScheduleStatus(hostID string) (ScheduleStatus, error) { return h.scheduleStatus(hostID) }

// Maintenance returns a host's prune/check plan.
func (h *Hub) Maintenance(hostID string) (Maintenance, error) { return h.store.Maintenance(hostID) }

// SetMaintenance replaces the plan (cron expressions checked; an empty
// expression means never) and pushes the new set.
func (h *Hub) SetMaintenance(hostID string, m Maintenance) error {
	_, err := h.setMaintenance(hostID, m)
	return err
}

// SetHostSchedulesPaused pauses or resumes one host's schedules; their
// enabled flags are kept.
func (h *Hub) SetHostSchedulesPaused(hostID string, paused bool) error {
	_, err := h.setHostPaused(hostID, paused)
	return err
}

// PauseAllSchedules is the tray's "pause all schedules": every host gets a
// schedule.set with every entry disabled (and no maintenance); their
// enabled flags are kept for resume.
func (h *Hub) PauseAllSchedules(paused bool) error { return h.pauseAll(paused) }

// AllSchedulesPaused reports the "pause all" switch.
func (h *Hub) AllSchedulesPaused() (bool, error) { return h.store.GlobalSchedulesPaused() }

// --- Repository and host settings ---

// Repository returns a host's repository settings (secrets only as "set").
func (h *Hub) Repository(hostID string) (RepositorySettings, error) { return h.repository(hostID) }

// SetRepository changes the repository URL and credentials, and pushes
// config.update when the host is online.
func (h *Hub) SetRepository(hostID string, u RepositoryUpdate) error {
	_, err := h.setRepository(hostID, u)
	return err
}

// SetBandwidth sets upload and download caps in kilobits per second, the
// unit of the wire's bandwidth_up_kbps/bandwidth_down_kbps, which carry
// the values unchanged (0 = no cap). The agent gives restic
// ⌈kbps × 1000 / 8192⌉ KiB/s: a UI that asks for KiB/s multiplies by
// 8.192 (rounding down) before calling.
func (h *Hub) SetBandwidth(hostID string, upKbps, downKbps int) error {
	_, err := h.setBandwidth(hostID, upKbps, downKbps)
	return err
}

// SetHookShell sets the shell hooks run with (empty: the agent's default).
func (h *Hub) SetHookShell(hostID, shell string) error {
	_, err := h.setHookShell(hostID, shell)
	return err
}

// --- Jobs ---

// RunNow starts a job on a host and returns its id. The job is stored at
// once (queued) and its command.run is sent now, or when the host next
// connects; it is re-sent until the agent answers.
func (h *Hub) RunNow(hostID string, r RunRequest) (string, error) { return h.runNow(hostID, r) }

// Restore starts a restore job.
func (h *Hub) Restore(hostID string, r RestoreRequest) (string, error) { return h.restore(hostID, r) }

// Diff starts a diff of two snapshots; its change lines arrive in the
// job's log (stream "event") and its statistics in the job's Stats.
func (h *Hub) Diff(hostID, snapshotA, snapshotB string) (string, error) {
	return h.diff(hostID, snapshotA, snapshotB)
}

// CancelJob asks the agent to cancel a job (ErrHostOffline when its host
// is not connected). The job ends when the agent reports it cancelled.
func (h *Hub) CancelJob(jobID string) error { return h.cancelJob(jobID) }

// Jobs returns a page of a host's job history, newest first; pass the
// previous page's Next as cursor ("" for the first page).
func (h *Hub) Jobs(hostID, cursor string, limit int) (JobPage, error) {
	return h.store.JobsPage(hostID, cursor, limit)
}

// Job returns one job.
func (h *Hub) Job(jobID string) (Job, error) { return h.store.Job(jobID) }

// JobLog returns up to limit lines of a job from line fromSeq (1 = first).
func (h *Hub) JobLog(jobID string, fromSeq uint64, limit int) ([]LogLine, error) {
	return h.store.JobLog(jobID, fromSeq, limit)
}

// Progress returns a running job's latest progress, if any arrived since
// the manager started.
func (h *Hub) Progress(jobID string) (Progress, bool) { return h.progressOf(jobID) }

// --- Repository state ---

// Snapshots lists a host's snapshots, newest first.
func (h *Hub) Snapshots(hostID string) ([]Snapshot, error) { return h.store.Snapshots(hostID) }

// RepoStats returns a host's repository figures.
func (h *Hub) RepoStats(hostID string) (RepoStats, error) { return h.store.RepoStats(hostID) }

// SizeSeries returns the data of the size-over-time chart.
func (h *Hub) SizeSeries(hostID string) (SizeSeries, error) { return h.sizeSeries(hostID) }

// HostEvents returns a page of a host's event log (gaps, rejected events,
// connections, fires), newest first.
func (h *Hub) HostEvents(hostID, cursor string, limit int) (HostEventPage, error) {
	return h.store.HostEvents(hostID, cursor, limit)
}

// Fires returns a host's latest schedule fires, newest first.
func (h *Hub) Fires(hostID string, limit int) ([]Fire, error) { return h.store.Fires(hostID, limit) }

// TreeList lists one page of a directory inside a snapshot (path "/" is
// the root; limit 0 means 1000, at most 5000). It asks the agent and waits
// at most Options.RPCTimeout; an offline host fails at once with
// ErrHostOffline.
func (h *Hub) TreeList(ctx context.Context, hostID, snapshotID, path string, offset, limit int) (TreePage, error) {
	return h.treeList(ctx, hostID, snapshotID, path, offset, limit)
}

// --- Notifications ---

// Subscribe returns a channel of changes and a cancel func. Changes are
// coalesced (one pending Change per kind and subject); a subscriber that
// falls far behind gets ChangeAll instead of a backlog. The hub never
// blocks on a subscriber. Call cancel when done; the channel then closes.
func (h *Hub) Subscribe() (<-chan Change, func()) { return h.broker.subscribe() }
