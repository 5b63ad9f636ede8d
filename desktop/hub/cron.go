package hub

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // hosts' zones resolve even where the OS has no zoneinfo

	"github.com/robfig/cron/v3"

	"restic-manager/internal/cronspec"
	"restic-manager/storage"
)

// ValidateCron checks a cron expression as the agents will: the same
// parser (internal/cronspec), the same words. The refusal is a
// *FieldError (its Reason cronspec's) and wraps ErrInvalid and
// cronspec.ErrInvalid.
func ValidateCron(expr string) error {
	_, err := parseCron(expr, time.Now())
	return err
}

func parseCron(expr string, now time.Time) (cron.Schedule, error) {
	s, err := cronspec.Parse(expr, now)
	if err != nil {
		return nil, &FieldError{Field: fmt.Sprintf("cron %q", strings.TrimSpace(expr)), Reason: err.Error(), Err: err}
	}
	return s, nil
}

// NextFires returns the next n fire times of expr after from, in zone
// (the host's IANA zone from hello.timezone; empty or unknown means UTC),
// unless expr carries its own CRON_TZ=.
func NextFires(expr, zone string, from time.Time, n int) ([]time.Time, error) {
	s, err := parseCron(expr, from)
	if err != nil {
		return nil, err
	}
	loc := hostLocation(zone)
	t := from.In(loc)
	out := make([]time.Time, 0, n)
	for i := 0; i < n; i++ {
		t = s.Next(t)
		if t.IsZero() {
			break
		}
		out = append(out, t)
	}
	return out, nil
}

func hostLocation(zone string) *time.Location {
	if zone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC
	}
	return loc
}

func (h *Hub) schedules(hostID string, n int) ([]ScheduleView, error) {
	host, err := h.store.Host(hostID)
	if err != nil {
		return nil, err
	}
	list, err := h.store.Schedules(hostID)
	if err != nil {
		return nil, err
	}
	loc := hostLocation(host.Timezone)
	now := h.now()
	out := make([]ScheduleView, 0, len(list))
	for _, s := range list {
		v := ScheduleView{Schedule: s, Location: loc.String()}
		if fires, err := NextFires(s.CronExpr, host.Timezone, now, n); err != nil {
			v.Error = err.Error()
		} else {
			v.NextFires = fires
		}
		out = append(out, v)
	}
	return out, nil
}

func (h *Hub) scheduleStatus(hostID string) (ScheduleStatus, error) {
	host, err := h.store.Host(hostID)
	if err != nil {
		return ScheduleStatus{}, err
	}
	global, err := h.store.GlobalSchedulesPaused()
	if err != nil {
		return ScheduleStatus{}, err
	}
	return ScheduleStatus{Version: host.ScheduleVersion, AckedVersion: host.AckedScheduleVersion, AckedAt: host.ScheduleAckedAt,
		Paused: host.Settings.SchedulesPaused, PausedGlobally: global}, nil
}

// scheduleChanged pushes a host's new set (version) and tells
// subscribers; the result says where the set went.
func (h *Hub) scheduleChanged(hostID string, version uint64) SaveResult {
	d := h.pushSchedule(hostID)
	h.broker.publish(Change{Kind: ChangeSchedules, HostID: hostID}, Change{Kind: ChangeHost, HostID: hostID})
	return h.saved(hostID, d, version)
}

func (h *Hub) putSourceGroup(hostID string, g SourceGroup) (SaveResult, error) {
	// The wire rules are the final word on what a group may hold.
	if err := validateGroupWire(g); err != nil {
		return SaveResult{}, err
	}
	v, err := h.store.PutSourceGroup(hostID, g)
	if err != nil {
		return SaveResult{}, err
	}
	return h.scheduleChanged(hostID, v), nil
}

func (h *Hub) deleteSourceGroup(hostID, name string) (SaveResult, error) {
	v, err := h.store.DeleteSourceGroup(hostID, name)
	if err != nil {
		return SaveResult{}, err
	}
	return h.scheduleChanged(hostID, v), nil
}

func (h *Hub) putSchedule(hostID string, s Schedule) (Schedule, SaveResult, error) {
	if err := ValidateCron(s.CronExpr); err != nil {
		return s, SaveResult{}, err
	}
	for _, g := range s.Groups {
		if err := ValidateGroupName(g); err != nil {
			return s, SaveResult{}, fmt.Errorf("schedule: %w", err)
		}
	}
	stored, v, err := h.store.PutSchedule(hostID, s)
	if err != nil {
		return s, SaveResult{}, err
	}
	return stored, h.scheduleChanged(hostID, v), nil
}

func (h *Hub) deleteSchedule(hostID, id string) (SaveResult, error) {
	v, err := h.store.DeleteSchedule(hostID, id)
	if err != nil {
		return SaveResult{}, err
	}
	return h.scheduleChanged(hostID, v), nil
}

func (h *Hub) setMaintenance(hostID string, m Maintenance) (SaveResult, error) {
	for _, c := range []struct{ name, expr string }{{"prune_cron", m.PruneCron}, {"check_cron", m.CheckCron}, {"copy_cron", m.CopyCron}} {
		if c.expr == "" {
			continue
		}
		if err := ValidateCron(c.expr); err != nil {
			return SaveResult{}, fmt.Errorf("maintenance %s: %w", c.name, err)
		}
	}
	v, err := h.store.SetMaintenance(hostID, m)
	if err != nil {
		return SaveResult{}, err
	}
	return h.scheduleChanged(hostID, v), nil
}

func (h *Hub) setHostPaused(hostID string, paused bool) (SaveResult, error) {
	v, err := h.store.SetHostSchedulesPaused(hostID, paused)
	if err != nil {
		return SaveResult{}, err
	}
	h.hostEvent(hostID, storage.EventAdmin, map[bool]string{true: "schedules paused", false: "schedules resumed"}[paused])
	return h.scheduleChanged(hostID, v), nil
}

func (h *Hub) pauseAll(paused bool) error {
	hosts, err := h.store.SetGlobalSchedulesPaused(paused)
	if err != nil {
		return err
	}
	h.log.Info("all schedules paused", "paused", paused, "hosts", len(hosts))
	for _, host := range hosts {
		h.scheduleChanged(host.ID, host.ScheduleVersion)
	}
	h.broker.publish(Change{Kind: ChangeHosts})
	return nil
}
