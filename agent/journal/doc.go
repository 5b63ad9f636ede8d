// Package journal is restic-agent's own bbolt file (journal.db, mode 0600,
// in the state directory). It holds what must survive a restart:
//
//   - the agent_id, random, made once;
//   - the applied configuration (config.update minus secrets, which live in
//     agent/secrets);
//   - the last applied schedule set (raw JSON and version) and each
//     schedule's last fire time;
//   - the jobs in flight (queued or running) with their full record, and the
//     outcome of recently finished jobs (for idempotent re-sends and "run
//     only if a backup of this fire succeeded");
//   - the outbound queue of journaled events (schedule.fire, job.started,
//     log.stream, job.finished) with the per-agent seq.
//
// Append assigns the next seq, builds the envelope and stores its exact
// bytes in the same transaction as the job-state change the event implies,
// so a crash never leaves a job running without its job.started, or
// finished without its job.finished. Pending replays the stored bytes
// unchanged; Ack drops everything up to a seq. A sender streams ahead of
// the acks (Pending(after the last frame sent)), so slow acks never stop it.
//
// The outbox holds what the manager has not acked yet: per job at most the
// runner's log cap (20,000 lines / 8 MiB) plus its job.* events, which are
// never dropped. It is not trimmed further: a manager that stays away for a
// long time gets every job's (capped) log when it comes back.
//
// Imported by agent/runner, the agent's scheduler and link, and the agent's
// wiring. It imports protocol and agent/restic (to keep URL credentials out
// of the stored configuration).
package journal
