package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// formsLimits is the host-wide bandwidth caps card. It appears in the
// Source groups tab ("Limits") and in Settings; both edit the same two
// numbers through Hub.SetBandwidth and follow each other through the
// hub's change notifications.
type formsLimits struct {
	u      *UI
	hostID string

	up, down *widget.Entry
	form     formsForm
	save     *widget.Button
	status   *formsStatus
	card     *widget.Card

	loadedUp, loadedDown int
}

func newFormsLimits(u *UI, hostID string) *formsLimits {
	l := &formsLimits{u: u, hostID: hostID, up: widget.NewEntry(), down: widget.NewEntry(), status: newFormsStatus()}
	l.up.SetPlaceHolder("no cap")
	l.down.SetPlaceHolder("no cap")
	upF := l.form.field("Upload (kbit/s)", l.up, "", formsCount)
	downF := l.form.field("Download (kbit/s)", l.down, "", formsCount)
	l.save = widget.NewButtonWithIcon("Save limits", theme.DocumentSaveIcon(), l.apply)
	l.save.Importance = widget.HighImportance
	l.form.onChange = func(bool) { l.status.clear(); l.updateButton() }
	l.card = widget.NewCard("Limits", "", container.NewVBox(
		formsNote("Bandwidth caps for every job of this host, in kilobits per second (8,000 = 1 MB/s): upload for backups, download for restores and checks. Empty or 0: no cap."),
		container.NewGridWithColumns(2, upF.cell(), downF.cell()), container.NewHBox(l.save), l.status.label))
	l.reload()
	return l
}

// dirty reports whether the entries differ from the stored caps.
func (l *formsLimits) dirty() bool {
	return formsParseCount(l.up.Text) != l.loadedUp || formsParseCount(l.down.Text) != l.loadedDown
}

func (l *formsLimits) updateButton() {
	enableIf(l.save, l.form.valid() && l.dirty())
}

// reload reads the stored caps; an edit in progress is kept.
func (l *formsLimits) reload() {
	rs, err := l.u.hub.Repository(l.hostID)
	if err != nil {
		l.status.fail("Could not read the limits: " + err.Error())
		return
	}
	editing := l.dirty()
	l.loadedUp, l.loadedDown = rs.BandwidthUpKbps, rs.BandwidthDownKbps
	if !editing {
		l.form.fill(func() {
			l.up.SetText(formsCountText(rs.BandwidthUpKbps))
			l.down.SetText(formsCountText(rs.BandwidthDownKbps))
		})
	}
	l.updateButton()
}

func (l *formsLimits) apply() {
	if err := l.form.firstError(); err != nil {
		l.status.fail(err.Error())
		return
	}
	up, down := formsParseCount(l.up.Text), formsParseCount(l.down.Text)
	if err := l.u.hub.SetBandwidth(l.hostID, up, down); err != nil {
		l.status.fail("Not saved: " + err.Error())
		return
	}
	l.loadedUp, l.loadedDown = up, down
	l.form.fill(func() {
		l.up.SetText(formsCountText(up))
		l.down.SetText(formsCountText(down))
	})
	l.updateButton()
	l.status.ok(fmt.Sprintf("Saved: upload %s, download %s. %s", formsRate(up), formsRate(down), formsOfflineNote(l.u, l.hostID)))
}

// formsRate is a cap for people: "no cap", "4000 kbit/s (about 488.3 KiB/s)".
// The wire carries kilobits per second; the agent gives restic the KiB/s
// equivalent.
func formsRate(kbps int) string {
	if kbps <= 0 {
		return "no cap"
	}
	return fmt.Sprintf("%d kbit/s (about %s/s)", kbps, humanBytes(float64(kbps)*1000/8))
}

func (l *formsLimits) object() fyne.CanvasObject { return l.card }

// about reports whether c may have changed the caps.
func (l *formsLimits) about(c change) bool {
	return about(c, l.hostID) && (c.Kind == hub.ChangeHost || c.Kind == hub.ChangeAll)
}
