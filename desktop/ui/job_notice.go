package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// jobNotice is the strip under the Jobs tab's toolbar about the job the
// admin just started or cancelled there: sent to the agent, queued
// because the host is offline (orange), running, cancel requested. It says what is
// true now, not what was true when the button was tapped: the tab hands
// it every batch that may concern its job or host, and it re-reads both.
// So the offline warning goes when the host connects or the job leaves
// the queue, and the strip goes when the job ends (its outcome is in the
// history and the detail below).
type jobNotice struct {
	tab *jobsTab

	jobID     string // the job it is about; "" while hidden
	what      string // "Backup of docs"
	cancelled bool   // the admin asked to cancel it

	label *widget.Label
	obj   fyne.CanvasObject
}

func newJobNotice(tab *jobsTab) *jobNotice {
	n := &jobNotice{tab: tab, label: widget.NewLabel("")}
	n.label.Wrapping = fyne.TextWrapWord
	n.label.Hide()
	n.obj = n.label
	return n
}

func (n *jobNotice) object() fyne.CanvasObject { return n.obj }

// follow makes the strip about job jobID, just started, called what.
func (n *jobNotice) follow(jobID, what string) {
	n.jobID, n.what, n.cancelled = jobID, what, false
	n.refresh()
}

// cancelRequested notes that the admin asked to cancel job jobID.
func (n *jobNotice) cancelRequested(jobID string) {
	if n.jobID != jobID {
		n.jobID, n.what = jobID, ""
	}
	n.cancelled = true
	n.refresh()
}

// concerns reports whether c may change what the strip says.
func (n *jobNotice) concerns(c change) bool {
	if n.jobID == "" {
		return false
	}
	switch c.Kind {
	case hub.ChangeAll:
		return true
	case hub.ChangeHost:
		return c.HostID == n.tab.hostID
	case hub.ChangeJob:
		// A job change without an id (a fire) may be any job of the host.
		return c.JobID == n.jobID || (c.JobID == "" && c.HostID == n.tab.hostID)
	}
	return false
}

// refresh says what is true of the job now, or hides the strip.
func (n *jobNotice) refresh() {
	if n.jobID == "" {
		n.hide()
		return
	}
	j, err := n.tab.u.hub.Job(n.jobID)
	if err != nil || j.Terminal() {
		n.jobID = ""
		n.hide()
		return
	}
	t := n.tab
	if n.what == "" {
		n.what = jobTitle(j)
	}
	switch {
	case n.cancelled:
		n.show("Cancel requested for the "+jobName(j)+". The job ends when the agent reports it cancelled.", widget.MediumImportance)
	case j.Status == hub.JobQueued && !t.online:
		n.show(n.what+" queued: "+t.hostName+" is offline. It is sent when the host connects.", widget.WarningImportance)
	case j.Status == hub.JobQueued:
		n.show(n.what+" sent to the agent.", widget.SuccessImportance)
	default:
		n.show(n.what+" is running on "+t.hostName+".", widget.SuccessImportance)
	}
}

func (n *jobNotice) show(text string, imp widget.Importance) {
	if n.label.Visible() && n.label.Text == text && n.label.Importance == imp {
		return
	}
	n.label.Importance = imp
	n.label.SetText(text)
	n.label.Show()
}

func (n *jobNotice) hide() {
	if n.label.Visible() {
		n.label.Hide()
		n.label.SetText("")
	}
}

// text is what the strip says ("" while hidden).
func (n *jobNotice) text() string {
	if !n.label.Visible() {
		return ""
	}
	return n.label.Text
}
