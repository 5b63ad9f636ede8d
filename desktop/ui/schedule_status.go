package ui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"restic-manager/icons"
)

// scheduleStatusCard is the top of the Schedules tab: whether the agent
// runs the latest schedule set, and the host's pause switch.
type scheduleStatusCard struct {
	tab *schedulesTab

	syncIcon   *widget.Icon
	syncLabel  *widget.Label
	pause      *widget.Check
	pausedNote *widget.Label

	obj fyne.CanvasObject
}

func newScheduleStatusCard(tab *schedulesTab) *scheduleStatusCard {
	c := &scheduleStatusCard{tab: tab}
	c.syncIcon = widget.NewIcon(icons.Pending)
	c.syncLabel = widget.NewLabel("")
	c.syncLabel.Wrapping = fyne.TextWrapWord
	c.pause = widget.NewCheck("Pause this host's schedules", c.setPaused)
	c.pausedNote = noteLabel("")
	c.obj = widget.NewCard("", "", container.NewVBox(
		container.NewBorder(nil, nil, c.syncIcon, c.pause, c.syncLabel), c.pausedNote))
	return c
}

func (c *scheduleStatusCard) object() fyne.CanvasObject { return c.obj }

func (c *scheduleStatusCard) reload() {
	u, hostID := c.tab.u, c.tab.hostID
	st, err := u.hub.ScheduleStatus(hostID)
	if err != nil {
		c.syncLabel.SetText("Could not read the schedule state: " + err.Error())
		return
	}
	d, _ := u.hub.Host(hostID)
	switch {
	case st.InSync():
		c.syncIcon.SetResource(icons.Online)
		text := fmt.Sprintf("The agent runs version %d of this host's schedules.", st.Version)
		if !st.AckedAt.IsZero() {
			at := st.AckedAt
			text = fmt.Sprintf("The agent runs version %d of this host's schedules (acknowledged %s).", st.Version, ago(u.opts.Now(), &at))
		}
		c.syncLabel.SetText(text)
	default:
		c.syncIcon.SetResource(icons.Pending)
		text := fmt.Sprintf("Waiting for the agent to acknowledge version %d", st.Version)
		if st.AckedVersion > 0 {
			text += fmt.Sprintf(" (it runs version %d)", st.AckedVersion)
		}
		if !d.Online {
			text += ": the host is offline and gets it when it next connects."
		} else {
			text += "."
		}
		c.syncLabel.SetText(text)
	}
	c.pause.OnChanged = nil
	c.pause.SetChecked(st.Paused)
	c.pause.OnChanged = c.setPaused
	switch {
	case st.PausedGlobally:
		c.pausedNote.SetText("All schedules are paused from the tray menu: nothing runs on a schedule until that is switched off.")
	case st.Paused:
		c.pausedNote.SetText("This host's schedules are paused: the agent keeps them but runs none (maintenance too) until you resume.")
	default:
		c.pausedNote.SetText("")
	}
	c.pausedNote.Hidden = c.pausedNote.Text == ""
	c.pausedNote.Refresh()
}

func (c *scheduleStatusCard) setPaused(on bool) {
	u := c.tab.u
	if err := u.hub.SetHostSchedulesPaused(c.tab.hostID, on); err != nil {
		u.showError("Pause schedules", err)
	}
	c.reload()
	c.tab.list.reload()
}
