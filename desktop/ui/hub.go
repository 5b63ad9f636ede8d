package ui

import (
	"context"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/protocol/mesh"
)

// Hub is what the window needs of the server core: *hub.Hub implements it
// (see hub.Hub's api.go for what each method promises). Every method
// returns promptly from the local store except TreeList, which asks the
// agent and must never be called on the UI goroutine.
type Hub interface {
	Hosts() ([]hub.HostView, error)
	Host(hostID string) (hub.HostDetail, error)
	ApproveHost(hostID string) error
	RejectHost(hostID string) error
	CreateEnrollToken(uses int, ttl time.Duration) (hub.IssuedEnrollToken, error)
	EnrollTokens() ([]hub.EnrollToken, error)
	RevokeEnrollToken(id string) error

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

	RunNow(hostID string, r hub.RunRequest) (string, error)
	Restore(hostID string, r hub.RestoreRequest) (string, error)
	Diff(hostID, snapshotA, snapshotB string) (string, error)
	CancelJob(jobID string) error
	Jobs(hostID, cursor string, limit int) (hub.JobPage, error)
	Job(jobID string) (hub.Job, error)
	JobLog(jobID string, fromSeq uint64, limit int) ([]hub.LogLine, error)
	Progress(jobID string) (hub.Progress, bool)

	Snapshots(hostID string) ([]hub.Snapshot, error)
	RepoStats(hostID string) (hub.RepoStats, error)
	SizeSeries(hostID string) (hub.SizeSeries, error)
	HostEvents(hostID, cursor string, limit int) (hub.HostEventPage, error)
	Fires(hostID string, limit int) ([]hub.Fire, error)
	TreeList(ctx context.Context, hostID, snapshotID, path string, offset, limit int) (hub.TreePage, error)

	Subscribe() (<-chan hub.Change, func())

	// shell (mainwindow.go): the dashboard's running jobs.
	ActiveJobs(hostID string) ([]hub.Job, error)

	// Snapshots area (diff dialog). DiffSizes waits on the agent: never on
	// the UI goroutine.
	DiffResult(jobID string) (hub.DiffResult, error)
	DiffSizes(ctx context.Context, hostID, snapshotA, snapshotB string, entries []hub.DiffEntry, maxDirs int, found func([]hub.DiffSize)) hub.DiffSizesReport
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
