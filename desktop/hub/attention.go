package hub

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The dashboard's model: every host that needs attention, each once, with
// every reason it does, and counters computed from that same list — so a
// counter can never say "1 failing" beside an empty list, nor a heading
// say "every host backed up" above a host that never did.

// DefaultStaleAfter is how long a host may go without a successful backup
// before it is stale.
const DefaultStaleAfter = 24 * time.Hour

// AttentionKind is why a host needs attention.
type AttentionKind string

const (
	// AttentionFailing: the latest backup of at least one source group
	// failed.
	AttentionFailing AttentionKind = "failing"
	// AttentionStale: no successful backup within the threshold — or
	// never.
	AttentionStale AttentionKind = "stale"
	// AttentionOffline: the agent is not connected.
	AttentionOffline AttentionKind = "offline"
	// AttentionPending: an unknown tailnet node waits for approval.
	AttentionPending AttentionKind = "pending"
)

// AttentionKinds lists the kinds, most urgent first.
var AttentionKinds = []AttentionKind{AttentionPending, AttentionFailing, AttentionStale, AttentionOffline}

// Reason is one reason a host needs attention.
type Reason struct {
	Kind AttentionKind
	// Text says it in a line: "docs: cannot reach the repository:
	// connection refused", "never backed up (added 2 h ago)", "offline
	// since 14:03 (2 h ago)".
	Text string
	// Since is when it began: the failed backup's end, the last
	// successful backup (nil: never), the last contact, the first
	// contact of a pending host.
	Since *time.Time
	// Groups and Cause: the failing source groups and the first one's
	// cause (AttentionFailing only).
	Groups []string
	Cause  Cause
}

// HostAttention is one host that needs attention.
type HostAttention struct {
	Host    HostView
	Reasons []Reason
}

// Has reports whether the host needs attention for k.
func (a HostAttention) Has(k AttentionKind) bool {
	for _, r := range a.Reasons {
		if r.Kind == k {
			return true
		}
	}
	return false
}

// Dashboard is everything the dashboard of all hosts shows.
type Dashboard struct {
	// Now is when it was computed (the hub's clock); StaleAfter the
	// threshold it used.
	Now        time.Time
	StaleAfter time.Duration
	// Hosts counts the approved hosts, Online those connected.
	Hosts, Online int
	// Attention lists each host that needs attention once, by name.
	Attention []HostAttention
	// Running are the jobs running now, Queued how many wait.
	Running []Job
	Queued  int
}

// Count is how many hosts need attention for k: computed from Attention,
// so it always agrees with the list.
func (d Dashboard) Count(k AttentionKind) int { return len(d.With(k)) }

// With lists the hosts that need attention for k.
func (d Dashboard) With(k AttentionKind) []HostAttention {
	var out []HostAttention
	for _, a := range d.Attention {
		if a.Has(k) {
			out = append(out, a)
		}
	}
	return out
}

// AllWell reports that no host needs attention.
func (d Dashboard) AllWell() bool { return len(d.Attention) == 0 }

// Stale reports whether a host is stale at now: approved, and its latest
// successful backup is older than after, or there was none.
func Stale(v HostView, now time.Time, after time.Duration) bool {
	if v.Host.Status != StatusApproved {
		return false
	}
	return v.LastBackupAt == nil || now.Sub(*v.LastBackupAt) > after
}

// Dashboard computes the dashboard from the store and the live
// connections (local reads only). staleAfter 0 means DefaultStaleAfter.
func (h *Hub) Dashboard(staleAfter time.Duration) (Dashboard, error) {
	if staleAfter <= 0 {
		staleAfter = DefaultStaleAfter
	}
	now := h.now()
	d := Dashboard{Now: now, StaleAfter: staleAfter}
	sums, err := h.store.HostSummaries()
	if err != nil {
		return d, err
	}
	for _, sum := range sums {
		v := h.view(sum)
		switch v.Host.Status {
		case StatusRejected:
			continue
		case StatusPending:
			first := v.Host.FirstSeen
			d.Attention = append(d.Attention, HostAttention{Host: v, Reasons: []Reason{{Kind: AttentionPending,
				Text: "waits for approval (asked " + Ago(now, &first) + ")", Since: &first}}})
			continue
		}
		d.Hosts++
		if v.Online {
			d.Online++
		}
		d.Queued += v.QueuedJobs
		var reasons []Reason
		if v.Failing {
			reasons = append(reasons, failingReason(sum.Groups, v.FailingGroups))
		}
		if Stale(v, now, staleAfter) {
			r := Reason{Kind: AttentionStale, Since: v.LastBackupAt}
			if v.LastBackupAt == nil {
				first := v.Host.FirstSeen
				r.Text = "never backed up (added " + Ago(now, &first) + ")"
			} else {
				r.Text = "no successful backup for " + Span(now.Sub(*v.LastBackupAt)) + " (last " + Ago(now, v.LastBackupAt) + ")"
			}
			reasons = append(reasons, r)
		}
		if !v.Online {
			seen := v.Host.LastSeen
			r := Reason{Kind: AttentionOffline, Since: &seen, Text: "offline, never connected"}
			if !seen.IsZero() {
				r.Text = "offline since " + seen.In(time.Local).Format("2006-01-02 15:04") + " (" + Ago(now, &seen) + ")"
			}
			reasons = append(reasons, r)
		}
		if len(reasons) > 0 {
			d.Attention = append(d.Attention, HostAttention{Host: v, Reasons: reasons})
		}
		if v.RunningJobs > 0 {
			jobs, err := h.store.ActiveJobs(v.Host.ID)
			if err != nil {
				return d, fmt.Errorf("running jobs of %s: %w", v.Host.DisplayName(), err)
			}
			for _, j := range jobs {
				if j.Status == JobRunning {
					d.Running = append(d.Running, j)
				}
			}
		}
	}
	sort.SliceStable(d.Attention, func(i, j int) bool {
		return strings.ToLower(d.Attention[i].Host.Host.DisplayName()) < strings.ToLower(d.Attention[j].Host.Host.DisplayName())
	})
	return d, nil
}

// failingReason says which groups' latest backups failed and why (the
// first group's cause; the others are in the host's detail).
func failingReason(groups map[string]GroupHealth, failing []string) Reason {
	r := Reason{Kind: AttentionFailing, Groups: failing}
	var latest *time.Time
	for i, name := range failing {
		g := groups[name]
		if i == 0 {
			r.Cause = GroupCause(g)
		}
		if latest == nil || g.FinishedAt.After(*latest) {
			t := g.FinishedAt
			latest = &t
		}
	}
	r.Since = latest
	r.Text = strings.Join(failing, ", ") + ": backup failed"
	if r.Cause.Words != "" {
		r.Text = strings.Join(failing, ", ") + ": " + r.Cause.Words
	}
	return r
}
