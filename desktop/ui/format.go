package ui

import (
	"fmt"
	"math"
	"strings"
	"time"

	"restic-manager/desktop/hub"
)

// How the views write figures, spans and times for people. Keep a view's
// own wording in its file; what two views say alike lives here.

// humanBytes formats a byte count with binary units: "512 B", "1.5 KiB",
// "3.2 GiB".
func humanBytes[T ~int | ~int64 | ~uint64 | ~float64](n T) string {
	f := float64(n)
	if f < 0 {
		return "-" + humanBytes(-f)
	}
	const unit = 1024
	if f < unit {
		return fmt.Sprintf("%.0f B", f)
	}
	exp := int(math.Log(f) / math.Log(unit))
	exp = min(exp, 6)
	return fmt.Sprintf("%.1f %ciB", f/math.Pow(unit, float64(exp)), "KMGTPE"[exp-1])
}

// humanDuration formats a span for people: "45 s", "3 min", "2 h 5 min",
// "3 d 4 h" — the hub's words (hub.Span), so the window and the hub's
// own texts ("offline since … (2 h ago)") say a span alike.
func humanDuration(d time.Duration) string { return hub.Span(d) }

// fraction clamps a share to 0–1 (NaN is 0), as a progress bar takes it.
func fraction(f float64) float64 {
	switch {
	case f < 0 || f != f:
		return 0
	case f > 1:
		return 1
	}
	return f
}

// humanPercent formats a fraction 0–1 as "65 %", rounded down as Fyne's
// progress bar rounds its own "65%": the text beside a bar never says more
// than the bar, nor "100 %" before the end.
func humanPercent(f float64) string {
	return fmt.Sprintf("%d %%", int(fraction(f)*100))
}

// ago says how long ago t was by the one rule the hub uses (hub.Ago):
// "never", "just now" under a minute (and for a time a little ahead: an
// agent's clock may run fast), else "3 min ago". now is the hub's clock
// (u.opts.Now defaults to it), so the header, the sidebar and the
// dashboard never disagree about one time.
func ago(now time.Time, t *time.Time) string { return hub.Ago(now, t) }

// spanText says a StaleAfter for people: "24 hours", "1 hour", "90
// minutes".
func spanText(d time.Duration) string {
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return plural(int(d/time.Minute), "minute")
	}
	return humanDuration(d)
}

// plural counts things for people: "1 snapshot", "3 snapshots", "2
// entries", "0 new files" (the noun's last word takes the plural). Every
// count a view writes goes through it, so none says "1 files".
func plural[T ~int | ~int64 | ~uint64](n T, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %s", n, pluralNoun(noun))
}

// pluralNoun is the plural of an English noun the views count (regular
// ones: "entry" → "entries", "day" → "days", "pass" → "passes").
func pluralNoun(noun string) string {
	switch {
	case strings.HasSuffix(noun, "y") && len(noun) > 1 && !strings.ContainsAny(noun[len(noun)-2:len(noun)-1], "aeiou"):
		return strings.TrimSuffix(noun, "y") + "ies"
	case strings.HasSuffix(noun, "s"), strings.HasSuffix(noun, "x"), strings.HasSuffix(noun, "ch"), strings.HasSuffix(noun, "sh"):
		return noun + "es"
	}
	return noun + "s"
}

// humanCount groups a count's digits: "1 234 567".
func humanCount[T ~int | ~int64 | ~uint64](n T) string {
	s := fmt.Sprint(n)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r != '-' && s[i-1] != '-' && (len(s)-i)%3 == 0 {
			b.WriteRune(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// capitalize upper-cases the first letter (messages and kinds are ASCII
// at their start).
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// shortID is the end of a long id ("…d32b35ab"), to tell two hosts of one
// name apart.
func shortID(id string) string {
	if len(id) > 8 {
		return "…" + id[len(id)-8:]
	}
	return id
}
