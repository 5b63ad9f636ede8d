// Package scheduler runs the manager's schedule set on the agent, so
// backups happen on time whether or not the manager (a laptop) is awake.
//
// Apply takes a schedule.set: versions only grow, an invalid set leaves the
// previous one in force, and the set is persisted (Store.SaveSchedule)
// before Apply returns, that is before the link sends schedule.ack. New
// rebuilds the entries from the persisted set, so a restarted agent keeps
// its schedules with the manager offline, and a tick missed while the
// agent was down fires once at Start with scheduled_at = the latest missed
// tick.
//
// One fire mints job ids and hands schedule.fire and its jobs to
// Jobs.SubmitFire, which journals the event and queues the jobs in one
// transaction: a backup per source group in group order, then one forget
// for the groups with a retention policy, which the runner runs only if a
// backup of the same fire succeeded. A tick that comes while the
// previous fire of the same schedule still has a job queued or running is
// journaled as skipped and starts nothing; so is a fire whose jobs the
// runner refuses (no admin credentials for prune), with the reason.
//
// Catch-up: at start, ticks after the later of a schedule's last fire and
// the time its set was applied were missed while the agent was down; they
// fire once, for the latest. Ticks before the set was applied belong to an
// earlier set (one that paused the schedule, say) and never fire.
//
// Expressions are parsed by internal/cronspec, the parser the manager
// checks them with too (five fields or descriptors such as @daily and
// @every 90s, optional CRON_TZ=<zone> prefix, stricter than
// cron.ParseStandard).
//
// The package uses cron's parser and schedules but runs its own loop
// instead of cron.Cron, for three reasons: (1) Go timers run on the
// monotonic clock, which stops while the machine sleeps, so a cron.Cron
// timer set at 18:00 for 03:00 on a laptop that sleeps overnight fires
// hours late; this loop wakes at least once a minute and compares wall-clock
// times, so a tick missed in sleep fires once on wake, like one missed while
// the agent was down; (2) the clock is injected, so catch-up is testable;
// (3) @every entries keep their phase across rebuilds and restarts (ticks
// are anchored on the last fire), so a manager that edits one schedule
// often never postpones another @every entry forever.
//
// What it needs from the rest of the agent is declared here (Store, Jobs);
// agent/journal and agent/runner implement them through adapters in the
// agent's main. Imported by package main of restic-agent only; imports
// protocol, internal/cronspec and github.com/robfig/cron/v3.
package scheduler
