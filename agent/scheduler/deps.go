package scheduler

import (
	"time"

	"restic-manager/protocol"
)

// Store keeps the applied schedule set. In production it is the agent's
// journal (agent/journal), adapted in the agent's main.
type Store interface {
	// LoadSchedule returns the applied set (nil before the first), when it
	// was applied, and each schedule's last fire time as recorded by
	// Jobs.SubmitFire.
	LoadSchedule() (Saved, error)
	// SaveSchedule durably replaces the applied set; appliedAt is when it
	// took effect. It returns once the set is on disk: the link acks the
	// set right after.
	SaveSchedule(set *protocol.ScheduleSet, appliedAt time.Time) error
}

// Saved is the persisted scheduler state.
type Saved struct {
	Set *protocol.ScheduleSet // the applied set; nil if none yet
	// AppliedAt is when Set took effect. Zero (unknown) only costs the
	// catch-up of schedules that never fired.
	AppliedAt time.Time
	// LastFires maps a schedule id (maintenance ids included) to the
	// scheduled_at of its latest fire, skipped ones included. Ids no longer
	// in Set are harmless.
	LastFires map[string]time.Time
}

// Jobs takes the fires. In production it is the journal and the runner
// (agent/runner), adapted in the agent's main.
type Jobs interface {
	// SubmitFire records one fire, all or nothing, in one transaction: it
	// journals fire (schedule.fire is a journaled event), sets the last fire
	// time of fire.ScheduleID to fire.ScheduledAt, and queues jobs in order;
	// their ids are fire.JobIDs, in the same order, and a skipped fire has
	// none. It returns once that is durable; the jobs then run in turn,
	// after a restart too. On error nothing was recorded: the store failed,
	// or a job was refused (the runner checks what only the agent knows,
	// such as an empty admin slot). The error text is sent to the manager
	// in a skipped fire, so it must never quote a secret.
	//
	// One transaction, so a crash never leaves a journaled fire whose jobs
	// were not queued, nor a queued job no fire accounts for.
	SubmitFire(fire *protocol.ScheduleFire, jobs []Job) error
	// Active reports whether any job submitted with this schedule id is
	// still queued or running, jobs restored from the journal after a
	// restart included.
	Active(scheduleID string) bool
}

// Job is one job of a fire, in the shape of an operator's command.run plus
// what only schedules carry. Its fields match agent/journal's Job, name for
// name and in order, so the wiring converts one to the other with a plain
// type conversion.
type Job struct {
	// Run is the job as the manager would have sent it: JobID (minted
	// here, listed in the fire's schedule.fire), Kind, and per kind Tag,
	// Includes, Excludes, PreHook, PostHook (backup), ForgetGroups (forget),
	// Args (check's read-data subset), RequiresAdminCreds (prune).
	Run protocol.CommandRun
	// ScheduleID goes into the job's job.started.
	ScheduleID string
	// RetryMax retries after the first attempt, lock failures only,
	// RetryBackoff apart (the source group's retry_max and
	// retry_backoff_seconds).
	RetryMax     int
	RetryBackoff time.Duration
	// RunIfAnySucceeded, when not empty, lists jobs of the same fire queued
	// before this one: this job runs only if at least one of them
	// succeeded; otherwise it ends cancelled with error
	// protocol.SkipNoBackupSucceeded and no job.started.
	RunIfAnySucceeded []string
}
