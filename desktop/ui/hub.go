package ui

import (
	"context"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/protocol/mesh"
)

// The window's seam to the server core. Hub is everything the views read
// and ask, through u.hub; *hub.Hub implements it (api.go there says what
// each method promises). It is the union of one role interface per area of
// the window, so a part that needs a single area takes that role alone:
// the bus a ChangeFeed, the restore wizard's tree a SnapshotBrowser, the
// dashboard's model Fleet and JobControl. Every method returns promptly
// from the local store except TreeList and DiffSizes, which wait on the
// agent, and SetRepository, SetCopyRepository, SetHookShell, SetBandwidth,
// ApproveHost and RestoreToHost (it reads the source host's credentials),
// which may wait on the OS keyring (bounded by keyringx.DefaultTimeout):
// those are never called on the UI goroutine (offUI).
type Hub interface {
	Fleet
	Configuration
	JobControl
	SnapshotBrowser
	History
	ChangeFeed
	Notifications
}

// Notifications is Settings → Notifications: the channels, their checks
// and "Send test". NotifyChannels reads the keyring and TestNotifyChannel
// waits on the network: never on the UI goroutine.
type Notifications interface {
	NotifyChannels() ([]hub.NotifyChannelView, error)
	CheckNotifyChannel(c hub.NotifyChannel) error
	PutNotifyChannel(c hub.NotifyChannel, password *string) (hub.NotifyChannel, error)
	DeleteNotifyChannel(id string) error
	TestNotifyChannel(ctx context.Context, id string) error
}

// Fleet is the hosts and how they join: the sidebar, the dashboard, a
// host's header, "Add host".
type Fleet interface {
	Hosts() ([]hub.HostView, error)
	Host(hostID string) (hub.HostDetail, error)
	ApproveHost(hostID string) error
	RejectHost(hostID string) error
	CreateEnrollToken(uses int, ttl time.Duration) (hub.IssuedEnrollToken, error)
	EnrollTokens() ([]hub.EnrollToken, error)
	RevokeEnrollToken(id string) error
	HostsEnrolledWith(token string) ([]string, error)
	RenameHost(hostID, name string) error
	RemoveHost(hostID string, keepHistory bool) error
	// Dashboard is the hosts needing attention, each once with why, and
	// the counters computed from that list (hub/attention.go).
	Dashboard(staleAfter time.Duration) (hub.Dashboard, error)
	HostNotices(hostID string) ([]hub.Notice, error)
	// Now is the hub's clock: every age the window shows is measured
	// from it (hub.Ago).
	Now() time.Time
}

// Configuration is what a host is told to do: source groups, schedules
// and their pause switches, the maintenance plan, the repository and its
// credentials, the second repository copies go to, hooks and bandwidth
// caps (the Source groups, Schedules and Settings tabs, the tray's
// pause-all).
type Configuration interface {
	SourceGroups(hostID string) ([]hub.SourceGroup, error)
	PutSourceGroup(hostID string, g hub.SourceGroup) error
	DeleteSourceGroup(hostID, name string) error
	Schedules(hostID string) ([]hub.ScheduleView, error)
	PutSchedule(hostID string, s hub.Schedule) (hub.Schedule, error)
	DeleteSchedule(hostID, scheduleID string) error
	ScheduleStatus(hostID string) (hub.ScheduleStatus, error)
	Maintenance(hostID string) (hub.Maintenance, error)
	SetMaintenance(hostID string, m hub.Maintenance) error
	SetHostSchedulesPaused(hostID string, paused bool) error
	PauseAllSchedules(paused bool) error
	AllSchedulesPaused() (bool, error)
	Repository(hostID string) (hub.RepositorySettings, error)
	SetRepository(hostID string, u hub.RepositoryUpdate) error
	SetBandwidth(hostID string, upKbps, downKbps int) error
	SetHookShell(hostID, shell string) error
	CopyRepository(hostID string) (hub.CopyRepositorySettings, error)
	SetCopyRepository(hostID string, u hub.CopyRepositoryUpdate) error
	SaveCopyRepository(hostID string, u hub.CopyRepositoryUpdate) (hub.SaveResult, error)
	// The Save* twins say where a change went; SaveStatus reads again
	// whether the agent applied it (hub/save.go).
	SaveSourceGroup(hostID string, g hub.SourceGroup) (hub.SaveResult, error)
	SaveDeleteSourceGroup(hostID, name string) (hub.SaveResult, error)
	SaveSchedule(hostID string, s hub.Schedule) (hub.Schedule, hub.SaveResult, error)
	SaveDeleteSchedule(hostID, scheduleID string) (hub.SaveResult, error)
	SaveMaintenance(hostID string, m hub.Maintenance) (hub.SaveResult, error)
	SaveRepository(hostID string, u hub.RepositoryUpdate) (hub.SaveResult, error)
	SaveHookShell(hostID, shell string) (hub.SaveResult, error)
	SaveBandwidth(hostID string, upKbps, downKbps int) (hub.SaveResult, error)
	SaveStatus(r hub.SaveResult) hub.SaveResult
	// TestRepository starts a probe of the saved repository settings;
	// RepositoryTest reads its answers (hub/probe.go).
	TestRepository(hostID string) (string, error)
	RepositoryTest(jobID string) (hub.RepoTest, error)
}

// JobControl is the work: starting and cancelling jobs, their history,
// live progress and logs, and what the schedules fired (the Jobs tab, the
// dashboard's running jobs, notifications).
type JobControl interface {
	RunNow(hostID string, r hub.RunRequest) (string, error)
	CancelJob(jobID string) error
	Jobs(hostID, cursor string, limit int) (hub.JobPage, error)
	ActiveJobs(hostID string) ([]hub.Job, error)
	Job(jobID string) (hub.Job, error)
	JobLog(jobID string, fromSeq uint64, limit int) ([]hub.LogLine, error)
	Progress(jobID string) (hub.Progress, bool)
	Fires(hostID string, limit int) ([]hub.Fire, error)
	// RunForSetup starts a job of the setup flow, with origin "manager:
	// setup" rather than "operator".
	RunForSetup(hostID string, r hub.RunRequest) (string, error)
	// OriginLabel says who started a job, for people.
	OriginLabel(j hub.Job) string
	// PreviewRetention asks what a policy would keep and remove (a forget
	// dry run); RetentionPreview reads a preview or a real forget.
	PreviewRetention(hostID, group string, policy hub.RetentionPolicy) (string, error)
	RetentionPreview(jobID string) (hub.RetentionResult, error)
}

// SnapshotBrowser is the repository's content: snapshots and the figures
// of the Overview (the last copy among them), browsing a snapshot,
// finding files across hosts' snapshots, restoring (onto the snapshot's
// host or another) and comparing two snapshots. TreeList and DiffSizes
// wait on the agent, and a FindSearch's Watch until its jobs end: never
// on the UI goroutine.
type SnapshotBrowser interface {
	Snapshots(hostID string) ([]hub.Snapshot, error)
	RepoStats(hostID string) (hub.RepoStats, error)
	SizeSeries(hostID string) (hub.SizeSeries, error)
	LastCopy(hostID string) (hub.CopyStatus, error)
	TreeList(ctx context.Context, hostID, snapshotID, path string, offset, limit int) (hub.TreePage, error)
	Find(hostIDs []string, pattern string, ignoreCase bool) (*hub.FindSearch, error)
	Restore(hostID string, r hub.RestoreRequest) (string, error)
	RestoreToHost(sourceHostID, targetHostID string, r hub.RestoreRequest) (string, error)
	SourceRepositoryWarning(sourceHostID, targetHostID string) (string, error)
	Diff(hostID, snapshotA, snapshotB string) (string, error)
	DiffResult(jobID string) (hub.DiffResult, error)
	DiffSizes(ctx context.Context, hostID, snapshotA, snapshotB string, entries []hub.DiffEntry, maxDirs int, found func([]hub.DiffSize)) hub.DiffSizesReport
}

// History is how long job history is kept and the clean-up that keeps
// it so (Settings → History).
type History interface {
	HistorySettings() (hub.HistorySettings, error)
	SetHistorySettings(s hub.HistorySettings) error
	HistoryStatus() (hub.HistoryStatus, error)
	SweepHistory()
}

// ChangeFeed tells the window what to re-read (bus.go); it never polls.
type ChangeFeed interface {
	Subscribe() (<-chan hub.Change, func())
}

// Tailnet is the manager's tailnet node as the window shows it (online,
// addresses, login needed); *mesh.Node implements it.
type Tailnet interface {
	Status() mesh.Status
	Subscribe() (<-chan mesh.Status, func())
}

var (
	_ Hub     = (*hub.Hub)(nil)
	_ Tailnet = (*mesh.Node)(nil)
)
