package protocol

// Message types (envelope "type").
const (
	TypeHello                = "hello"
	TypeHelloAck             = "hello.ack"
	TypeHeartbeat            = "heartbeat"
	TypeAck                  = "ack"
	TypeConfigUpdate         = "config.update"
	TypeScheduleSet          = "schedule.set"
	TypeScheduleAck          = "schedule.ack"
	TypeScheduleFire         = "schedule.fire"
	TypeCommandRun           = "command.run"
	TypeCommandResult        = "command.result"
	TypeCommandCancel        = "command.cancel"
	TypeJobStarted           = "job.started"
	TypeJobProgress          = "job.progress"
	TypeJobFinished          = "job.finished"
	TypeLogStream            = "log.stream"
	TypeSnapshotsReport      = "snapshots.report"
	TypeRepoStats            = "repo.stats"
	TypeTreeList             = "tree.list"
	TypeTreeListResult       = "tree.list.result"
	TypeAgentUpdateAvailable = "agent.update_available"
	TypeError                = "error"
)

// Job kinds.
const (
	KindBackup  = "backup"
	KindInit    = "init"
	KindForget  = "forget"
	KindPrune   = "prune"
	KindCheck   = "check"
	KindUnlock  = "unlock"
	KindRestore = "restore"
	KindDiff    = "diff"
	KindFind    = "find"
	KindCopy    = "copy"
	// KindProbe is the harmless repository test: restic cat config
	// without a lock; it may run beside other jobs.
	KindProbe = "probe"
)

// JobKinds lists every kind, in the design's order.
var JobKinds = []string{KindBackup, KindInit, KindForget, KindPrune, KindCheck, KindUnlock, KindRestore, KindDiff, KindFind, KindCopy, KindProbe}

// IsJobKind reports whether k is a known job kind.
func IsJobKind(k string) bool {
	for _, j := range JobKinds {
		if j == k {
			return true
		}
	}
	return false
}

// Causes of a failed job (job.finished.error_kind): what is wrong with the
// repository, so the manager can say it and offer the fix.
const (
	ErrorKindUnreachable   = "unreachable"    // connection refused, DNS, timeout, TLS
	ErrorKindNoRepository  = "no_repository"  // nothing initialised at the URL: init
	ErrorKindWrongPassword = "wrong_password" // the repository's password is not this one
	ErrorKindLocked        = "locked"         // another restic holds a lock: wait, or unlock
	ErrorKindPermission    = "permission"     // the server or file system refused access
	ErrorKindOther         = "other"          // anything else; error says what
)

// ErrorKinds lists every error_kind, in the design's order.
var ErrorKinds = []string{ErrorKindUnreachable, ErrorKindNoRepository, ErrorKindWrongPassword, ErrorKindLocked,
	ErrorKindPermission, ErrorKindOther}

// KnownErrorKind returns k when it is one of ErrorKinds, else "other": a
// newer agent may name a cause this side does not know, which must not
// cost the job its end.
func KnownErrorKind(k string) string {
	for _, e := range ErrorKinds {
		if e == k {
			return k
		}
	}
	return ErrorKindOther
}

// Job statuses. queued → running → succeeded | failed | cancelled; a terminal
// status is final.
const (
	StatusQueued    = "queued"
	StatusRunning   = "running"
	StatusSucceeded = "succeeded"
	StatusFailed    = "failed"
	StatusCancelled = "cancelled"
)

// IsTerminal reports whether s ends a job.
func IsTerminal(s string) bool {
	return s == StatusSucceeded || s == StatusFailed || s == StatusCancelled
}

// Host approval states in hello.ack.
const (
	HostApproved = "approved"
	HostPending  = "pending"
)

// Credential slots in config.update. repo and admin share the host's
// repository URL; copy and source each name their own repository, so a
// config.update for them carries that repository's repo_url.
const (
	SlotRepo  = "repo"
	SlotAdmin = "admin"
	// SlotCopy is the second repository `copy` jobs copy snapshots into.
	SlotCopy = "copy"
	// SlotSource is another host's repository, for the next restore with
	// from_source; the agent keeps it in memory only.
	SlotSource = "source"
)

// log.stream streams.
const (
	StreamStdout = "stdout"
	StreamStderr = "stderr"
	StreamEvent  = "event"
)

// tree.list entry types.
const (
	EntryDir     = "dir"
	EntryFile    = "file"
	EntrySymlink = "symlink"
)

// Error codes.
const (
	CodeBadRequest   = "bad_request"
	CodeUnknownJob   = "unknown_job"
	CodeNotFound     = "not_found"
	CodeUnauthorized = "unauthorized"
	CodeInternal     = "internal"
)

// Maintenance schedule ids used in schedule.fire and job.started.
const (
	MaintenancePruneID = "maintenance:prune"
	MaintenanceCheckID = "maintenance:check"
	MaintenanceCopyID  = "maintenance:copy"
)

// Fixed messages both ends and the tests rely on.
const (
	ErrAgentRestarted     = "agent restarted during job"
	SkipNoBackupSucceeded = "skipped: no backup of this fire succeeded"
	SkipPreviousRunning   = "previous fire still running"
	// RefusedUnknownToken is hello.ack.error when no host has the hello's
	// token: the manager's store was lost, or the host was removed. The
	// agent compares hello.ack.error with it (the wire carries the reason
	// only as text) to enroll again with its enrollment token, so the text
	// never changes.
	RefusedUnknownToken = "the token is not valid: this manager knows no host with it (was the host removed, or the manager's data lost?)"
)
