package notify

import (
	"strings"
	"time"
)

// The events, as the webhook's "event" field names them. Each condition
// event has a ".resolved" counterpart sent when the condition ends.
const (
	BackupFailed = "backup.failed"
	CheckFailed  = "check.failed"
	HostStale    = "host.stale"
	HostOffline  = "host.offline"
	RepoLocked   = "repo.locked"
	// Test is what "Send test" sends.
	Test = "test"
	// BackupFinished is a backup's outcome for ping channels only.
	BackupFinished = "backup.finished"
)

// Resolved names the end of a condition event.
func Resolved(event string) string { return event + ".resolved" }

// IsResolved reports whether event ends a condition.
func IsResolved(event string) bool { return strings.HasSuffix(event, ".resolved") }

// Message is one notification; its JSON is the webhook's body (DESIGN.md,
// "History and notifications": the field names are a contract).
type Message struct {
	Event  string    `json:"event"`
	Host   string    `json:"host"`
	HostID string    `json:"host_id"`
	JobID  string    `json:"job_id,omitempty"`
	Kind   string    `json:"kind,omitempty"`
	Status string    `json:"status,omitempty"`
	Error  string    `json:"error,omitempty"`
	At     time.Time `json:"at"`

	// Group and Detail only shape the words of the other channels.
	Group  string `json:"-"`
	Detail string `json:"-"`
}

// Title is the one-line summary: "office-pc: backup failed".
func (m Message) Title() string {
	host := m.Host
	if host == "" {
		host = "Restic Manager"
	}
	var what string
	switch m.Event {
	case BackupFailed:
		what = "backup failed"
	case Resolved(BackupFailed):
		what = "backup works again"
	case CheckFailed:
		what = "repository check failed"
	case Resolved(CheckFailed):
		what = "repository check passes again"
	case HostStale:
		what = "no recent backup"
	case Resolved(HostStale):
		what = "backed up again"
	case HostOffline:
		what = "offline"
	case Resolved(HostOffline):
		what = "back online"
	case RepoLocked:
		what = "repository locked"
	case Resolved(RepoLocked):
		what = "repository unlocked"
	case Test:
		what = "test notification"
	default:
		what = m.Event
	}
	return host + ": " + what
}

// Body is the text under the title: the group, the error's first line,
// and any detail.
func (m Message) Body() string {
	var parts []string
	if m.Group != "" {
		parts = append(parts, "Group "+m.Group+".")
	}
	if e, _, _ := strings.Cut(strings.TrimSpace(m.Error), "\n"); e != "" {
		parts = append(parts, e)
	}
	if m.Detail != "" {
		parts = append(parts, m.Detail)
	}
	if len(parts) == 0 {
		return m.Title() + " at " + m.At.Local().Format("2006-01-02 15:04") + "."
	}
	return strings.Join(parts, " ")
}

// urgent: a problem rather than its end or a test.
func (m Message) urgent() bool { return m.Event != Test && !IsResolved(m.Event) }
