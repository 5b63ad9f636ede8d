// Package runner runs restic-agent's jobs end to end, one at a time, in
// submission order (the agent has one repository, and restic wants one job
// per repository at a time): pre-hook, restic (with lock retries), post-hook,
// and every event the manager sees about it. Jobs that take no lock and
// change nothing (the repository test, a retention preview) run beside that
// queue at once (beside.go), so a test never waits for a long backup.
//
// A failed job's job.finished carries error_kind, the repository cause
// agent/restic read (unreachable, no_repository, wrong_password, locked,
// permission, else other), and its error starts with that cause in words.
// Every log line is cleaned of terminal control before it is journaled
// (protocol.CleanLogLine), and a backup's summary is said as text lines.
//
// Its output goes through interfaces it owns (CONVENTIONS habit 3):
//
//   - Store, implemented by *journal.Journal, receives journaled events
//     (job.started, log.stream, job.finished) durably, with the per-agent
//     seq, and keeps the job queue;
//   - Sink receives best-effort state (job.progress, the snapshot list,
//     repo.stats) and must never block; the link sends it when connected.
//
// Configuration (repository URL, hook shell, bandwidth caps) comes from the
// journal's applied config; credentials from agent/secrets at the moment a
// job runs, so a config.update between jobs takes effect at the next one.
//
// Bandwidth caps are kilobits per second on the wire (bandwidth_up_kbps,
// bandwidth_down_kbps) and reach restic as --limit-upload/--limit-download in
// KiB/s, rounded up. A job's own cap overrides the host's; a job's 0 means
// "no cap" for that job.
//
// Callers: the agent's wiring (New, Run), the link (Submit on command.run,
// Cancel on command.cancel, Snapshots on connect), the scheduler
// (SubmitFire), the browse index (Ls). One file per job kind.
package runner
