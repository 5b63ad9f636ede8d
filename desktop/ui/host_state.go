package ui

import (
	"time"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/hub"
	"restic-manager/icons"
)

// What a host's state is, as the sidebar, the dashboard, a host's header
// and the notifications all say it.

// hostState is a host's one status in the sidebar, by priority: waiting
// for approval, then a failed last backup, then a running job, then
// online, then offline.
type hostState string

const (
	statePending hostState = "pending"
	stateFailing hostState = "failing"
	stateRunning hostState = "running"
	stateOnline  hostState = "online"
	stateOffline hostState = "offline"
)

func hostStateOf(v hub.HostView) hostState {
	switch {
	case v.Pending:
		return statePending
	case v.Failing:
		return stateFailing
	case v.RunningJobs > 0:
		return stateRunning
	case v.Online:
		return stateOnline
	}
	return stateOffline
}

func (s hostState) icon() fyne.Resource {
	switch s {
	case statePending:
		return icons.Pending
	case stateFailing:
		return icons.Failed
	case stateRunning:
		return icons.Running
	case stateOnline:
		return icons.Online
	}
	return icons.Offline
}

// staleAt: an approved host is stale when its last successful backup
// is older than after; one that never backed up, once it has existed that
// long.
func staleAt(approved bool, last *time.Time, firstSeen, now time.Time, after time.Duration) bool {
	if !approved {
		return false
	}
	if last != nil && !last.IsZero() {
		return now.Sub(*last) > after
	}
	return now.Sub(firstSeen) > after
}
