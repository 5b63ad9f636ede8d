package hub

import (
	"fmt"
	"strings"
	"time"
	_ "time/tzdata" // hosts' zones resolve even where the OS has no zoneinfo

	"github.com/robfig/cron/v3"

	"restic-manager/storage"
)

// cronParser accepts what the agents' scheduler accepts: five standard
// fields, descriptors (@daily, @every 6h), and an optional CRON_TZ= (or
// TZ=) prefix.
var cronParser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

var cronFields = [5]string{"minute", "hour", "day-of-month", "month", "day-of-week"}

// ValidateCron checks a cron expression and says which part is wrong. The
// error wraps ErrInvalid.
func ValidateCron(expr string) error {
	_, err := parseCron(expr)
	return err
}

func parseCron(expr string) (cron.Schedule, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, fmt.Errorf("cron expression: %w: it is empty (want five fields such as \"0 3 * * *\", or @daily, @every 6h)", ErrInvalid)
	}
	rest := expr
	if strings.HasPrefix(rest, "CRON_TZ=") || strings.HasPrefix(rest, "TZ=") {
		tzField, after, _ := strings.Cut(rest, " ")
		_, zone, _ := strings.Cut(tzField, "=")
		if _, err := time.LoadLocation(zone); err != nil || zone == "" {
			return nil, fmt.Errorf("cron %q: %w: time zone %q in %s is not an IANA zone name (such as Europe/Berlin)", expr, ErrInvalid, zone, tzField)
		}
		rest = strings.TrimSpace(after)
	}
	if strings.HasPrefix(rest, "@") {
		s, err := cronParser.Parse(expr)
		if err != nil {
			return nil, fmt.Errorf("cron %q: %w: descriptor %q: %v (want @yearly, @monthly, @weekly, @daily, @hourly or @every <duration> such as @every 6h)", expr, ErrInvalid, rest, err)
		}
		return s, nil
	}
	fields := strings.Fields(rest)
	if len(fields) != 5 {
		return nil, fmt.Errorf("cron %q: %w: has %d fields, want 5: minute hour day-of-month month day-of-week", expr, ErrInvalid, len(fields))
	}
	// Parse each field alone so the message names the one that is wrong.
	for i, f := range fields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = f
		if _, err := cronParser.Parse(strings.Join(probe, " ")); err != nil {
			return nil, fmt.Errorf("cron %q: %w: %s field %q: %v", expr, ErrInvalid, cronFields[i], f, err)
		}
	}
	s, err := cronParser.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("cron %q: %w: %v", expr, ErrInvalid, err)
	}
	return s, nil
}

// NextFires returns the next n fire times of expr after from, in zone
// (the host's IANA zone from hello.timezone; empty or unknown means UTC),
// unless expr carries its own CRON_TZ=.
func NextFires(expr, zone string, from time.Time, n int) ([]time.Time, error) {
	s, err := parseCron(expr)
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

// scheduleChanged pushes a host's new set and tells subscribers.
func (h *Hub) scheduleChanged(hostID string) {
	h.pushSchedule(hostID)
	h.broker.publish(Change{Kind: ChangeSchedules, HostID: hostID}, Change{Kind: ChangeHost, HostID: hostID})
}

func (h *Hub) putSourceGroup(hostID string, g SourceGroup) error {
	// The wire rules are the final word on what a group may hold.
	if err := validateGroupWire(g); err != nil {
		return err
	}
	if _, err := h.store.PutSourceGroup(hostID, g); err != nil {
		return err
	}
	h.scheduleChanged(hostID)
	return nil
}

func (h *Hub) deleteSourceGroup(hostID, name string) error {
	if _, err := h.store.DeleteSourceGroup(hostID, name); err != nil {
		return err
	}
	h.scheduleChanged(hostID)
	return nil
}

func (h *Hub) putSchedule(hostID string, s Schedule) (Schedule, error) {
	if err := ValidateCron(s.CronExpr); err != nil {
		return s, err
	}
	stored, _, err := h.store.PutSchedule(hostID, s)
	if err != nil {
		return s, err
	}
	h.scheduleChanged(hostID)
	return stored, nil
}

func (h *Hub) deleteSchedule(hostID, id string) error {
	if _, err := h.store.DeleteSchedule(hostID, id); err != nil {
		return err
	}
	h.scheduleChanged(hostID)
	return nil
}

func (h *Hub) setMaintenance(hostID string, m Maintenance) error {
	for _, c := range []struct{ name, expr string }{{"prune_cron", m.PruneCron}, {"check_cron", m.CheckCron}} {
		if c.expr == "" {
			continue
		}
		if err := ValidateCron(c.expr); err != nil {
			return fmt.Errorf("maintenance %s: %w", c.name, err)
		}
	}
	if _, err := h.store.SetMaintenance(hostID, m); err != nil {
		return err
	}
	h.scheduleChanged(hostID)
	return nil
}

func (h *Hub) setHostPaused(hostID string, paused bool) error {
	if _, err := h.store.SetHostSchedulesPaused(hostID, paused); err != nil {
		return err
	}
	h.hostEvent(hostID, storage.EventAdmin, map[bool]string{true: "schedules paused", false: "schedules resumed"}[paused])
	h.scheduleChanged(hostID)
	return nil
}

func (h *Hub) pauseAll(paused bool) error {
	hosts, err := h.store.SetGlobalSchedulesPaused(paused)
	if err != nil {
		return err
	}
	h.log.Info("all schedules paused", "paused", paused, "hosts", len(hosts))
	for _, host := range hosts {
		h.scheduleChanged(host.ID)
	}
	h.broker.publish(Change{Kind: ChangeHosts})
	return nil
}
