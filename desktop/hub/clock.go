package hub

import (
	"fmt"
	"time"
)

// One clock and one rule for every age the window shows. The header said
// "Last successful backup just now" while the sidebar said "1 min ago":
// two clocks read at different moments, and two rules. Every view asks
// the hub's clock (Now) and says an age with Ago.

// Now is the hub's clock (Options.Now). Ages, staleness and "offline
// since" are measured from it.
func (h *Hub) Now() time.Time { return h.now() }

// Ago says how long ago t was: "never" for nil or zero, "just now" under
// a minute (and for a time a little ahead: an agent's clock may run
// fast), else "3 min ago", "2 h 5 min ago", "3 d 4 h ago". Ages are
// recomputed now and then, so a count of seconds would be wrong most of
// the time.
func Ago(now time.Time, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	d := now.Sub(*t)
	if d < time.Minute {
		return "just now"
	}
	return Span(d) + " ago"
}

// Span says a duration for people: "45 s", "3 min", "2 h 5 min", "3 d 4 h";
// "—" for a negative one.
func Span(d time.Duration) string {
	switch {
	case d < 0:
		return "—"
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	case d < 24*time.Hour:
		h := int(d.Hours())
		if m := int(d.Minutes()) % 60; m != 0 {
			return fmt.Sprintf("%d h %d min", h, m)
		}
		return fmt.Sprintf("%d h", h)
	default:
		days := int(d.Hours()) / 24
		if h := int(d.Hours()) % 24; h != 0 {
			return fmt.Sprintf("%d d %d h", days, h)
		}
		return fmt.Sprintf("%d d", days)
	}
}
