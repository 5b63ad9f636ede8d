package hub

import (
	"time"
)

// What a save did. The window said "Saved. Next fire…" after a schedule
// save but only greyed the button after a group or settings save; every
// save now returns a SaveResult that says where the change went, and the
// schedule.ack that confirms it is read back with SaveStatus.

// Delivery is where a saved change went.
type Delivery string

const (
	// DeliverySent: sent to the connected agent just now.
	DeliverySent Delivery = "sent"
	// DeliveryOnConnect: the host is offline; its agent gets the change
	// when it next connects.
	DeliveryOnConnect Delivery = "on_connect"
	// DeliveryOnApproval: the host waits for approval; it gets the change
	// once approved.
	DeliveryOnApproval Delivery = "on_approval"
)

// SaveResult is what a save did.
type SaveResult struct {
	HostID   string
	HostName string
	SavedAt  time.Time
	Delivery Delivery
	// ScheduleVersion is the schedule set that carries the change; 0 for
	// a settings change (config.update, which the agent applies before
	// its next frame and does not acknowledge).
	ScheduleVersion uint64
	// AppliedAt is when the agent acknowledged ScheduleVersion (or a
	// later one); nil until then, and always for settings changes.
	AppliedAt *time.Time
}

// Applied reports whether the agent confirmed the change.
func (r SaveResult) Applied() bool { return r.AppliedAt != nil }

// Message says it for people: "Saved. office-pc applied it at 14:03:05."
// / "Saved. Sent to office-pc; waiting for it to confirm." / "Saved.
// office-pc is offline: it gets the change when it connects."
func (r SaveResult) Message() string { return "Saved. " + r.Note() }

// Note is Message without its "Saved.": where the change went, for a
// window that says what was saved in its own words first ("Saved “docs”.
// Sent to office-pc; waiting for it to confirm.").
func (r SaveResult) Note() string {
	name := r.HostName
	if name == "" {
		name = "the host"
	}
	switch {
	case r.Applied():
		return name + " applied it at " + r.AppliedAt.In(time.Local).Format("15:04:05") + "."
	case r.Delivery == DeliveryOnConnect:
		return name + " is offline: it gets the change when it connects."
	case r.Delivery == DeliveryOnApproval:
		return name + " waits for approval: it gets the change once approved."
	case r.ScheduleVersion > 0:
		return "Sent to " + name + "; waiting for it to confirm."
	}
	return "Sent to " + name + "."
}

// saved builds a save's result from where the change went.
func (h *Hub) saved(hostID string, d Delivery, version uint64) SaveResult {
	r := SaveResult{HostID: hostID, SavedAt: h.now(), Delivery: d, ScheduleVersion: version}
	return h.SaveStatus(r)
}

// SaveStatus reads a save's result again: whether the agent has confirmed
// it since, and, for a change that waited for the host, whether it has
// gone out (the host connected). Call it on ChangeSchedules or ChangeHost.
func (h *Hub) SaveStatus(r SaveResult) SaveResult {
	host, err := h.store.Host(r.HostID)
	if err != nil {
		return r
	}
	r.HostName = host.DisplayName()
	if r.Delivery != DeliverySent {
		if c, d := h.deliveryConn(r.HostID); c != nil && !c.since.Before(r.SavedAt) {
			r.Delivery = d // it connected since, and pushAll sent everything
		} else if c == nil {
			r.Delivery = d
		}
	}
	if r.ScheduleVersion > 0 && host.AckedScheduleVersion >= r.ScheduleVersion && !host.ScheduleAckedAt.IsZero() {
		at := host.ScheduleAckedAt
		r.AppliedAt = &at
	}
	return r
}

// SaveSourceGroup creates or replaces a group (by name) and pushes the new
// schedule set; the result says where it went.
func (h *Hub) SaveSourceGroup(hostID string, g SourceGroup) (SaveResult, error) {
	return h.putSourceGroup(hostID, g)
}

// SaveDeleteSourceGroup removes a group no schedule uses (ErrInUse
// otherwise).
func (h *Hub) SaveDeleteSourceGroup(hostID, name string) (SaveResult, error) {
	return h.deleteSourceGroup(hostID, name)
}

// SaveSchedule creates (empty ID) or replaces a schedule; it returns the
// stored schedule and where the new set went.
func (h *Hub) SaveSchedule(hostID string, s Schedule) (Schedule, SaveResult, error) {
	return h.putSchedule(hostID, s)
}

// SaveDeleteSchedule removes a schedule and pushes the new set.
func (h *Hub) SaveDeleteSchedule(hostID, scheduleID string) (SaveResult, error) {
	return h.deleteSchedule(hostID, scheduleID)
}

// SaveMaintenance replaces the prune/check plan.
func (h *Hub) SaveMaintenance(hostID string, m Maintenance) (SaveResult, error) {
	return h.setMaintenance(hostID, m)
}

// SaveHostSchedulesPaused pauses or resumes one host's schedules.
func (h *Hub) SaveHostSchedulesPaused(hostID string, paused bool) (SaveResult, error) {
	return h.setHostPaused(hostID, paused)
}

// SaveRepository changes the repository URL and credentials.
func (h *Hub) SaveRepository(hostID string, u RepositoryUpdate) (SaveResult, error) {
	return h.setRepository(hostID, u)
}

// SaveBandwidth sets upload and download caps (kbps, see SetBandwidth).
func (h *Hub) SaveBandwidth(hostID string, upKbps, downKbps int) (SaveResult, error) {
	return h.setBandwidth(hostID, upKbps, downKbps)
}

// SaveHookShell sets the shell hooks run with.
func (h *Hub) SaveHookShell(hostID, shell string) (SaveResult, error) {
	return h.setHookShell(hostID, shell)
}
