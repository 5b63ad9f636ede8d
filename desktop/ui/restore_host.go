package ui

import (
	"fmt"
	"sort"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// restoreHostStep is the restore wizard's step 3, "Restore to": the
// snapshot's own host (the default) or another approved host ("Anna's
// laptop died; put her files on the new one"). For another host the hub
// hands that host the snapshot's repository for this one restore
// (hub.RestoreToHost), and says when that repository is somewhere the
// other host probably cannot reach.
type restoreHostStep struct {
	w *restoreWizard

	choice  *widget.Select
	ids     map[string]string // option → host id
	labels  map[string]string // host id → option
	about   *widget.Label
	warning *widget.Label
	warnBox fyne.CanvasObject

	obj fyne.CanvasObject
}

func newRestoreHostStep(w *restoreWizard) *restoreHostStep {
	s := &restoreHostStep{w: w}
	s.choice = widget.NewSelect(nil, func(opt string) {
		if id, ok := s.ids[opt]; ok && id != s.w.targetID {
			s.choose(id)
		}
	})
	s.about = widget.NewLabel("")
	s.about.Wrapping = fyne.TextWrapWord
	s.warning = widget.NewLabel("")
	s.warning.Wrapping = fyne.TextWrapWord
	s.warning.Importance = widget.WarningImportance
	s.warnBox = banner(theme.WarningIcon(), s.warning)
	s.warnBox.Hide()
	s.obj = container.NewVScroll(container.NewVBox(
		widget.NewLabelWithStyle("Restore to:", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.choice, s.about, s.warnBox))
	s.reload()
	return s
}

func (s *restoreHostStep) object() fyne.CanvasObject { return s.obj }

// reload lists the hosts to restore to: the snapshot's own first, then
// every other approved host by name, each marked when offline (its
// restore waits for it).
func (s *restoreHostStep) reload() {
	hosts, err := s.w.u.hub.Hosts()
	if err != nil {
		s.about.SetText("Could not list the hosts: " + err.Error())
		return
	}
	var others []hub.HostView
	var own *hub.HostView
	for i, v := range hosts {
		switch {
		case v.Host.ID == s.w.hostID:
			own = &hosts[i]
		case v.Host.Status == hub.StatusApproved:
			others = append(others, v)
		}
	}
	sort.SliceStable(others, func(i, j int) bool { return others[i].Host.DisplayName() < others[j].Host.DisplayName() })
	s.ids, s.labels = map[string]string{}, map[string]string{}
	var opts []string
	add := func(v hub.HostView, suffix string) {
		opt := v.Host.DisplayName() + suffix
		if !v.Online {
			opt += " — offline"
		}
		if _, dup := s.ids[opt]; dup {
			opt += " (" + shortID(v.Host.ID) + ")"
		}
		s.ids[opt], s.labels[v.Host.ID] = v.Host.ID, opt
		opts = append(opts, opt)
	}
	if own != nil {
		add(*own, " (this snapshot's host)")
	}
	for _, v := range others {
		add(v, "")
	}
	s.choice.Options = opts
	if _, ok := s.labels[s.w.targetID]; !ok {
		s.w.targetID = s.w.hostID // the chosen host was removed
	}
	s.choice.Selected = s.labels[s.w.targetID]
	s.choice.Refresh()
	s.explain()
}

// choose makes id the host the files go onto.
func (s *restoreHostStep) choose(id string) {
	s.w.targetID = id
	if d, err := s.w.u.hub.Host(id); err == nil {
		s.w.target = d
	}
	s.w.dest.updateHost()
	s.explain()
	s.w.updateButtons()
}

// explain says what restoring to the chosen host means, and shows the
// hub's warning about the repository's reach.
func (s *restoreHostStep) explain() {
	w := s.w
	if !w.elsewhere() {
		s.about.SetText(fmt.Sprintf("The files go back onto %s, from its own repository. Choose another host to put them on a new machine instead.", w.hostName()))
		s.warnBox.Hide()
		return
	}
	text := fmt.Sprintf("%s restores the files from %s's repository into a new folder of its own. The manager sends %s that repository's address and password for this one restore; the agent keeps them in memory only and forgets them when the restore ends.",
		w.targetName(), w.hostName(), w.targetName())
	if !w.target.Online {
		text += fmt.Sprintf(" %s is offline: the restore waits until it connects.", w.targetName())
	}
	s.about.SetText(text)
	msg, err := w.u.hub.SourceRepositoryWarning(w.hostID, w.targetID)
	if err != nil {
		msg = "Could not check the repository's address: " + err.Error()
	}
	s.warning.SetText(msg)
	showIf(s.warnBox, msg != "")
}

// warningText is the warning shown ("" for none), for the review.
func (s *restoreHostStep) warningText() string {
	if !s.warnBox.Visible() {
		return ""
	}
	return s.warning.Text
}
