package scheduler

import (
	"time"

	"restic-manager/protocol"
)

// Store is the scheduler's durable state. In production it is the agent's
// journal (agent/journal), adapted in the agent's main.
type Store interface {
	// LoadSchedule returns what SaveSchedule and RecordFire stored, with a
	// nil Set before the first schedule.set.
	LoadSchedule() (Saved, error)
	// SaveSchedule durably replaces the applied set; appliedAt is when it
	// took effect. It returns once the set is on disk: the link acks the
	// set right after.
	SaveSchedule(set *protocol.ScheduleSet, appliedAt time.Time) error
	// RecordFire appends fire to the outbound journal (schedule.fire is a
	// journaled event) and sets the last fire time of fire.ScheduleID to
	// fire.ScheduledAt, in one transaction, skipped fires included. It
	// returns once both are durable.
	RecordFire(fire *protocol.ScheduleFire) error
}

// Saved is the persisted scheduler state.
type Saved struct {
	Set       *protocol.ScheduleSet // the applied set; nil if none yet
	AppliedAt time.Time             // when Set took effect
	// LastFires maps a schedule id (maintenance ids included) to the
	// scheduled_at of its latest recorded fire. Ids no longer in Set are
	// harmless.
	LastFires map[string]time.Time
}

// Jobs queues the jobs a fire starts. In production it is the agent's
// runner (agent/runner), adapted in the agent's main.
type Jobs interface {
	// Submit persists and queues job; it returns once the job is durable
	// (it survives a restart like an operator job) and will run in turn.
	// An error means the job will not run.
	Submit(job Job) error
	// Active reports whether any job submitted with this schedule id is
	// still queued or running, jobs restored from the journal after a
	// restart included.
	Active(scheduleID string) bool
}

// Job is one job of a fire, in the shape of an operator's command.run plus
// what only schedules carry.
type Job struct {
	// Command is the job as the manager would have sent it: JobID (minted
	// here, listed in the fire's schedule.fire), Kind, and per kind Tag,
	// Includes, Excludes, PreHook, PostHook (backup), ForgetGroups (forget),
	// Args (check's read-data subset), RequiresAdminCreds (prune).
	Command protocol.CommandRun
	// ScheduleID goes into the job's job.started.
	ScheduleID string
	// RetryMax retries after the first attempt, lock failures only,
	// RetryBackoff apart (the source group's retry_max and
	// retry_backoff_seconds).
	RetryMax     int
	RetryBackoff time.Duration
	// RunIfAnySucceeded, when not empty, lists jobs of the same fire
	// submitted before this one: this job runs only if at least one of them
	// succeeded; otherwise it ends cancelled with error
	// protocol.SkipNoBackupSucceeded and no job.started. An id the runner
	// does not know counts as not succeeded.
	RunIfAnySucceeded []string
}
