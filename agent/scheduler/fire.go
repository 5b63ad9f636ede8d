package scheduler

import (
	"fmt"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/robfig/cron/v3"

	"restic-manager/internal/cronspec"
	"restic-manager/protocol"
)

// entry is one armed schedule: a backup schedule, or maintenance prune,
// check or copy. Everything but next is immutable once built.
type entry struct {
	id    string
	expr  string
	sched cron.Schedule
	next  time.Time // zero: never (no tick within five years)

	backup *protocol.Schedule // backup schedules
	kind   string             // protocol.KindBackup, KindPrune, KindCheck or KindCopy
	subset string             // check's read-data subset
}

// buildEntries parses every expression of set (disabled schedules too: an
// invalid set is refused whole) and returns entries for the enabled
// schedules and the maintenance plan, in set order, then prune, check and
// copy.
// Each error is a *protocol.ValidationError naming the schedule and field.
func buildEntries(set *protocol.ScheduleSet, now time.Time) ([]*entry, []error) {
	var entries []*entry
	var errs []error
	for i := range set.Schedules {
		sc := &set.Schedules[i]
		field := "schedules[" + strconv.Itoa(i) + "]"
		if sc.ID == protocol.MaintenancePruneID || sc.ID == protocol.MaintenanceCheckID || sc.ID == protocol.MaintenanceCopyID {
			errs = append(errs, &protocol.ValidationError{Field: field + ".id",
				Msg: fmt.Sprintf("schedule %q: the id is reserved for maintenance fires", sc.ID)})
			continue
		}
		sched, err := cronspec.Parse(sc.CronExpr, now)
		if err != nil {
			errs = append(errs, &protocol.ValidationError{Field: field + ".cron_expr",
				Msg: fmt.Sprintf("schedule %q: %q: %v", sc.ID, sc.CronExpr, err)})
			continue
		}
		if sc.Enabled {
			entries = append(entries, &entry{id: sc.ID, expr: sc.CronExpr, sched: sched, backup: sc, kind: protocol.KindBackup})
		}
	}
	if m := set.Maintenance; m != nil {
		for _, mt := range []struct{ field, id, expr, kind, subset string }{
			{"maintenance.prune_cron", protocol.MaintenancePruneID, m.PruneCron, protocol.KindPrune, ""},
			{"maintenance.check_cron", protocol.MaintenanceCheckID, m.CheckCron, protocol.KindCheck, m.CheckReadDataSubset},
			{"maintenance.copy_cron", protocol.MaintenanceCopyID, m.CopyCron, protocol.KindCopy, ""},
		} {
			if mt.expr == "" {
				continue
			}
			sched, err := cronspec.Parse(mt.expr, now)
			if err != nil {
				errs = append(errs, &protocol.ValidationError{Field: mt.field, Msg: fmt.Sprintf("%q: %v", mt.expr, err)})
				continue
			}
			entries = append(entries, &entry{id: mt.id, expr: mt.expr, sched: sched, kind: mt.kind, subset: mt.subset})
		}
	}
	return entries, errs
}

// maxSkipReason bounds the reason a refused fire is journaled with.
const maxSkipReason = 1000

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// plan mints the jobs of one fire of e, in the order they must run.
func (e *entry) plan() []Job {
	switch e.kind {
	case protocol.KindPrune:
		return []Job{{ScheduleID: e.id, Run: protocol.CommandRun{
			JobID: protocol.NewID(), Kind: protocol.KindPrune, RequiresAdminCreds: true}}}
	case protocol.KindCheck:
		cmd := protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindCheck}
		if e.subset != "" {
			cmd.Args = []string{e.subset}
		}
		return []Job{{ScheduleID: e.id, Run: cmd}}
	case protocol.KindCopy:
		return []Job{{ScheduleID: e.id, Run: protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindCopy}}}
	}
	var jobs []Job
	var backupIDs []string
	var forget []protocol.ForgetGroup
	var forgetRetries, forgetBackoff int
	for _, g := range e.backup.SourceGroups {
		id := protocol.NewID()
		backupIDs = append(backupIDs, id)
		jobs = append(jobs, Job{
			Run: protocol.CommandRun{
				JobID: id, Kind: protocol.KindBackup, Tag: g.Name,
				Includes: slices.Clone(g.Includes), Excludes: slices.Clone(g.Excludes),
				PreHook: g.PreHook, PostHook: g.PostHook,
			},
			ScheduleID:   e.id,
			RetryMax:     g.RetryMax,
			RetryBackoff: time.Duration(g.RetryBackoffSeconds) * time.Second,
		})
		if !g.RetentionPolicy.IsEmpty() {
			forget = append(forget, protocol.ForgetGroup{Tag: g.Name, Policy: g.RetentionPolicy})
			// One forget covers several groups: it gets the most patient
			// of their lock-retry policies.
			forgetRetries = max(forgetRetries, g.RetryMax)
			forgetBackoff = max(forgetBackoff, g.RetryBackoffSeconds)
		}
	}
	if len(forget) > 0 {
		jobs = append(jobs, Job{
			Run:               protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindForget, ForgetGroups: forget},
			ScheduleID:        e.id,
			RetryMax:          forgetRetries,
			RetryBackoff:      time.Duration(forgetBackoff) * time.Second,
			RunIfAnySucceeded: backupIDs,
		})
	}
	return jobs
}

// fire runs one tick of e: schedule.fire and the jobs it lists are
// recorded together, before anything runs. A tick that finds the previous
// fire's jobs still queued or running is journaled as skipped and starts
// nothing.
func (s *Scheduler) fire(e *entry, at time.Time) {
	fire := &protocol.ScheduleFire{ScheduleID: e.id, ScheduledAt: at.UTC(), JobIDs: []string{}}
	var jobs []Job
	if s.jobs.Active(e.id) {
		fire.Skipped = protocol.SkipPreviousRunning
	} else {
		jobs = e.plan()
		for _, j := range jobs {
			fire.JobIDs = append(fire.JobIDs, j.Run.JobID)
		}
	}
	log := s.log.With("schedule_id", e.id, "scheduled_at", fire.ScheduledAt)
	if err := fire.Validate(); err != nil {
		log.Error("schedule fire dropped: invalid schedule.fire", "err", err)
		return
	}
	if err := s.jobs.SubmitFire(fire, jobs); err != nil {
		if len(jobs) == 0 {
			log.Error("schedule fire dropped: cannot record it", "err", err)
			return
		}
		// Nothing was recorded. A refused job (no admin credentials for
		// prune, no repository yet) is for the manager to see, so the tick
		// is journaled as skipped with the reason. If even that fails, the
		// journal is down: the next tick tries again, and a restart before
		// it catches this one up.
		fire = &protocol.ScheduleFire{ScheduleID: e.id, ScheduledAt: fire.ScheduledAt, JobIDs: []string{},
			Skipped: truncate("not started: "+err.Error(), maxSkipReason)}
		if err2 := s.jobs.SubmitFire(fire, nil); err2 != nil {
			log.Error("schedule fire dropped: cannot record it", "jobs", len(jobs), "err", err, "record_skipped_err", err2)
			return
		}
	}
	s.mu.Lock()
	s.lastFire[e.id] = fire.ScheduledAt
	s.mu.Unlock()
	if fire.Skipped != "" {
		log.Warn("schedule fire skipped", "reason", fire.Skipped)
		return
	}
	log.Info("schedule fired", "jobs", len(jobs), "job_ids", fire.JobIDs)
}
