package ui

// STUB: owned by the shell helper (UI-A), who replaces this file.

import "fyne.io/fyne/v2"

// hostView is one host: a header and the tabs.
type hostView struct {
	sc  *scope
	obj fyne.CanvasObject
}

func newHostView(u *UI, hostID string) *hostView {
	sc := u.newScope()
	return &hostView{sc: sc, obj: newOverviewTab(u, sc, hostID)}
}

func (v *hostView) object() fyne.CanvasObject { return v.obj }
func (v *hostView) close()                    { v.sc.close() }
