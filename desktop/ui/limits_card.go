package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// limitsCard is the host-wide bandwidth caps card. It appears in the
// Source groups tab ("Limits") and in Settings; both edit the same two
// numbers through Hub.SetBandwidth and follow each other through the
// hub's change notifications (their tab calls reload on ChangeHost).
type limitsCard struct {
	u      *UI
	sc     *scope
	hostID string

	up, down *widget.Entry
	form     checkedForm
	save     *widget.Button
	status   *statusLine
	obj      fyne.CanvasObject

	loadedUp, loadedDown int
	// saving: a save is waiting on the hub (which reads the keyring).
	saving bool
}

func newLimitsCard(u *UI, sc *scope, hostID string) *limitsCard {
	l := &limitsCard{u: u, sc: sc, hostID: hostID, up: widget.NewEntry(), down: widget.NewEntry(), status: newStatusLine()}
	l.up.SetPlaceHolder("no cap")
	l.down.SetPlaceHolder("no cap")
	upF := l.form.field("Upload (kbit/s)", l.up, "", checkCount)
	downF := l.form.field("Download (kbit/s)", l.down, "", checkCount)
	l.save = widget.NewButtonWithIcon("Save limits", theme.DocumentSaveIcon(), l.apply)
	l.save.Importance = widget.HighImportance
	l.form.onChange = func(bool) { l.status.clear(); l.updateButton() }
	l.obj = widget.NewCard("Limits", "", container.NewVBox(
		noteLabel("Bandwidth caps for every job of this host, in kilobits per second (8,000 = 1 MB/s): upload for backups, download for restores and checks. Empty or 0: no cap."),
		container.NewGridWithColumns(2, upF.cell(), downF.cell()), actionRow(l.status, l.save)))
	l.reload()
	return l
}

// dirty reports whether the entries differ from the stored caps.
func (l *limitsCard) dirty() bool {
	return parseCount(l.up.Text) != l.loadedUp || parseCount(l.down.Text) != l.loadedDown
}

func (l *limitsCard) updateButton() {
	enableIf(l.save, !l.saving && l.form.valid() && l.dirty())
}

// reload reads the stored caps; an edit in progress is kept.
func (l *limitsCard) reload() {
	rs, err := l.u.hub.Repository(l.hostID)
	if err != nil {
		l.status.fail("Could not read the limits: " + err.Error())
		return
	}
	editing := l.dirty()
	l.loadedUp, l.loadedDown = rs.BandwidthUpKbps, rs.BandwidthDownKbps
	if !editing {
		l.form.fill(func() {
			l.up.SetText(countText(rs.BandwidthUpKbps))
			l.down.SetText(countText(rs.BandwidthDownKbps))
		})
	}
	l.updateButton()
}

func (l *limitsCard) apply() {
	if err := l.form.firstError(); err != nil {
		l.status.fail(err.Error())
		return
	}
	up, down := parseCount(l.up.Text), parseCount(l.down.Text)
	// Saving pushes the host its configuration, which reads its
	// credentials from the OS keyring: off the UI goroutine.
	l.saving = true
	l.updateButton()
	l.status.set("Saving…", widget.MediumImportance)
	var r hub.SaveResult
	l.u.offUI(func() (err error) {
		r, err = l.u.hub.SaveBandwidth(l.hostID, up, down)
		return err
	}, func(err error) {
		l.saving = false
		if err != nil {
			l.updateButton()
			l.status.fail("Not saved: " + keyringHint(err))
			return
		}
		l.loadedUp, l.loadedDown = up, down
		l.form.fill(func() {
			l.up.SetText(countText(up))
			l.down.SetText(countText(down))
		})
		l.updateButton()
		l.status.saved(l.u, l.sc, r, "Saved the limits", fmt.Sprintf("Upload %s, download %s", rateText(up), rateText(down)))
	})
}

// rateText is a cap for people: "no cap", "4000 kbit/s (about 488.3 KiB/s)".
// The wire carries kilobits per second; the agent gives restic the KiB/s
// equivalent.
func rateText(kbps int) string {
	if kbps <= 0 {
		return "no cap"
	}
	return fmt.Sprintf("%d kbit/s (about %s/s)", kbps, humanBytes(float64(kbps)*1000/8))
}

func (l *limitsCard) object() fyne.CanvasObject { return l.obj }
