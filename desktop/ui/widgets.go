package ui

import (
	"fmt"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/dialog"
)

// Small shared helpers of the views. Keep view-specific widgets in the
// view's own file.

// enableIf enables w when on holds and disables it otherwise.
func enableIf(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// showErrorDialog shows "what: err" on w.
func showErrorDialog(w fyne.Window, what string, err error) {
	dialog.ShowError(fmt.Errorf("%s: %w", what, err), w)
}

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
// "3 d 4 h".
func humanDuration(d time.Duration) string {
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

// humanPercent formats a fraction 0–1 as "65 %", rounded down as Fyne's
// progress bar rounds its own "65%": the text beside a bar never says more
// than the bar, nor "100 %" before the end.
func humanPercent(f float64) string {
	switch {
	case f < 0 || f != f:
		f = 0
	case f > 1:
		f = 1
	}
	return fmt.Sprintf("%d %%", int(f*100))
}

// humanAge is humanDuration(now-t) + " ago", or "never" for a nil or zero
// time.
func humanAge(now time.Time, t *time.Time) string {
	if t == nil || t.IsZero() {
		return "never"
	}
	return humanDuration(now.Sub(*t)) + " ago"
}
