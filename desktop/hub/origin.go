package hub

import (
	"strings"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// OriginSetup is the origin of jobs the manager starts by itself while
// setting a host up (RunForSetup): nobody pressed a button for them.
const OriginSetup = storage.OriginSetup

// OriginLabel says who started a job, for people: "operator", "manager:
// setup", "agent", and for a schedule what it is rather than its id —
// "schedule: every day at 02:30", "maintenance: prune", or "a schedule
// since deleted". It reads the host's schedules from the store.
func (h *Hub) OriginLabel(j Job) string {
	switch j.Origin {
	case OriginOperator:
		return "operator"
	case OriginSetup:
		return "manager: setup"
	case OriginAgent:
		return "agent"
	case OriginSchedule:
		return h.scheduleLabel(j.HostID, j.ScheduleID)
	}
	return j.Origin
}

func (h *Hub) scheduleLabel(hostID, scheduleID string) string {
	switch scheduleID {
	case protocol.MaintenancePruneID:
		return "maintenance: prune"
	case protocol.MaintenanceCheckID:
		return "maintenance: check"
	case "":
		return "schedule"
	}
	if strings.HasPrefix(scheduleID, "maintenance:") {
		return "maintenance: " + strings.TrimPrefix(scheduleID, "maintenance:")
	}
	scheds, err := h.store.Schedules(hostID)
	if err == nil {
		for _, s := range scheds {
			if s.ID != scheduleID {
				continue
			}
			if d := DescribeCron(s.CronExpr); d != "" {
				return "schedule: " + d
			}
			return "schedule: " + s.CronExpr
		}
	}
	return "a schedule since deleted"
}
