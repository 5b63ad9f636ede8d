package hub

import (
	"fmt"
	"time"

	"restic-manager/storage"
)

// Banners that clear when their cause clears. The orange "queued:
// office-pc2 is offline" banner stayed after the host came back and the
// job succeeded, because the window wrote it once and never asked again.
// A Notice is computed from the present state every time it is asked for:
// a view shows what JobNotice and HostNotices return now (on ChangeJob and
// ChangeHost) and nothing else, so a notice is gone once its cause is.

// NoticeKind says what a notice is about.
type NoticeKind string

const (
	// NoticeJobWaiting: a job has not started, and why (the host is
	// offline, waits for approval, has not accepted it yet).
	NoticeJobWaiting NoticeKind = "job_waiting"
	// NoticeHostOffline: the host's agent is not connected.
	NoticeHostOffline NoticeKind = "host_offline"
	// NoticeHostPending: the host waits for approval.
	NoticeHostPending NoticeKind = "host_pending"
	// NoticeScheduleNotApplied: the agent has not confirmed the latest
	// schedule set.
	NoticeScheduleNotApplied NoticeKind = "schedule_not_applied"
	// NoticeNoRepository: the host has no repository URL or password yet.
	NoticeNoRepository NoticeKind = "no_repository"
)

// Notice is one banner.
type Notice struct {
	Kind NoticeKind
	Text string
	// Warning: show it as a warning, not as information.
	Warning bool
	// Since is when the cause began, when known.
	Since *time.Time
}

// JobNotice says why a job has not started yet — while that is so. A job
// that runs or has ended has none.
func (h *Hub) JobNotice(jobID string) (Notice, bool, error) {
	j, err := h.store.Job(jobID)
	if err != nil {
		return Notice{}, false, err
	}
	if j.Status != JobQueued {
		return Notice{}, false, nil
	}
	host, err := h.store.Host(j.HostID)
	if err != nil {
		return Notice{}, false, err
	}
	n := Notice{Kind: NoticeJobWaiting, Text: "Queued: " + h.waitingText(j) + "."}
	c := h.liveConn(j.HostID)
	n.Warning = c == nil || host.Status != storage.HostApproved
	if c == nil {
		seen := host.LastSeen
		n.Since = &seen
	}
	return n, true, nil
}

// HostNotices lists the host's standing notices, each only while its cause
// holds: offline (since when), waiting for approval, a schedule set the
// agent has not confirmed, no repository set.
func (h *Hub) HostNotices(hostID string) ([]Notice, error) {
	host, err := h.store.Host(hostID)
	if err != nil {
		return nil, err
	}
	now := h.now()
	name := host.DisplayName()
	var out []Notice
	c := h.liveConn(hostID)
	switch {
	case host.Status == storage.HostPending:
		first := host.FirstSeen
		out = append(out, Notice{Kind: NoticeHostPending, Warning: true, Since: &first,
			Text: name + " waits for approval: approve it to send it its settings and schedules."})
		return out, nil
	case host.Status != storage.HostApproved:
		return out, nil
	case c == nil:
		seen := host.LastSeen
		text := name + " is offline, last seen " + Ago(now, &seen) + ": jobs and changes wait until it connects."
		if seen.IsZero() {
			text = name + " is offline: jobs and changes wait until it connects."
		}
		out = append(out, Notice{Kind: NoticeHostOffline, Warning: true, Since: &seen, Text: text})
	}
	if host.Settings.RepoURL == "" || !host.Settings.Credentials.RepoPassword {
		out = append(out, Notice{Kind: NoticeNoRepository, Warning: true,
			Text: name + " has no repository yet: set its URL and password in Settings, test it, and initialise it if it is new."})
	}
	if host.AckedScheduleVersion < host.ScheduleVersion {
		text := fmt.Sprintf("The latest schedules (version %d) are sent; waiting for %s to confirm.", host.ScheduleVersion, name)
		if c == nil {
			text = fmt.Sprintf("The latest schedules (version %d) go to %s when it connects.", host.ScheduleVersion, name)
		}
		out = append(out, Notice{Kind: NoticeScheduleNotApplied, Text: text})
	}
	return out, nil
}
