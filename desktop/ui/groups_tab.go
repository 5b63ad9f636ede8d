package ui

import (
	"fmt"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// groupsTab is a host's source groups: the list on the left, the editor of
// the selected (or a new) group on the right (group_editor.go), and the
// host-wide bandwidth caps ("Limits", limits_card.go) under the list.
type groupsTab struct {
	u      *UI
	sc     *scope
	hostID string

	groups []hub.SourceGroup
	list   *widget.List
	empty  *widget.Label
	newBtn *widget.Button

	editor *groupEditor
	limits *limitsCard
	obj    fyne.CanvasObject
}

func newGroupsTab(u *UI, sc *scope, hostID string) *groupsTab {
	g := &groupsTab{u: u, sc: sc, hostID: hostID}
	g.editor = newGroupEditor(g)
	g.list = widget.NewList(
		func() int { return len(g.groups) },
		func() fyne.CanvasObject {
			name := widget.NewLabel("group name")
			name.TextStyle.Bold = true
			name.Truncation = fyne.TextTruncateEllipsis
			paths := widget.NewLabel("paths")
			paths.Truncation = fyne.TextTruncateEllipsis
			paths.Importance = widget.LowImportance
			return container.NewVBox(name, paths)
		},
		func(id widget.ListItemID, o fyne.CanvasObject) {
			if id >= len(g.groups) {
				return
			}
			gr := g.groups[id]
			box := o.(*fyne.Container)
			box.Objects[0].(*widget.Label).SetText(gr.Name)
			box.Objects[1].(*widget.Label).SetText(groupSummary(gr))
		})
	g.list.OnSelected = func(id widget.ListItemID) {
		if id >= len(g.groups) || g.groups[id].Name == g.editor.editing {
			return
		}
		target := g.groups[id]
		g.editor.discardThen(func() { g.editor.open(target) }, g.selectEditing)
	}
	g.empty = noteLabel("No source groups yet. A source group is a set of paths backed up together; its name becomes the snapshots' tag. Fill in the form to add the first one.")
	g.newBtn = widget.NewButtonWithIcon("New group", theme.ContentAddIcon(), func() {
		g.editor.discardThen(func() { g.list.UnselectAll(); g.editor.openNew() }, nil)
	})
	g.limits = newLimitsCard(u, sc, hostID)

	left := container.NewBorder(container.NewVBox(g.newBtn, g.empty), g.limits.object(), nil, nil, g.list)
	split := container.NewHSplit(left, g.editor.object())
	split.Offset = 0.32
	g.obj = split

	g.reload()
	g.openFirst()
	sc.on(func(batch []change) {
		var groups, limits bool
		for _, c := range batch {
			if !about(c, hostID) {
				continue
			}
			switch c.Kind {
			case hub.ChangeSchedules:
				groups = true
			case hub.ChangeHost:
				limits = true
			case hub.ChangeAll:
				groups, limits = true, true
			}
		}
		if groups {
			g.reload()
		}
		if limits {
			g.limits.reload()
		}
	})
	return g
}

func (g *groupsTab) object() fyne.CanvasObject { return g.obj }

// groupSummary is a list row's second line.
func groupSummary(g hub.SourceGroup) string {
	s := strings.Join(g.Includes, ", ")
	if n := len(g.Excludes); n > 0 {
		s += fmt.Sprintf("  (−%d excluded)", n)
	}
	return s
}

// reload reads the groups; the editor keeps an edit in progress.
func (g *groupsTab) reload() {
	list, err := g.u.hub.SourceGroups(g.hostID)
	if err != nil {
		g.editor.status.fail("Could not read the source groups: " + err.Error())
		return
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	g.groups = list
	showIf(g.empty, len(list) == 0)
	g.list.Refresh()
	e := g.editor
	if e.editing != "" && !e.dirty() {
		if stored, ok := g.find(e.editing); ok {
			if !sameGroup(stored, e.loaded) {
				e.open(stored) // changed elsewhere: show what is stored
			}
		} else {
			e.openNew() // deleted elsewhere
		}
	}
	g.selectEditing()
}

// openFirst opens the first group, or a new one when there is none.
func (g *groupsTab) openFirst() {
	if len(g.groups) == 0 {
		g.editor.openNew()
		return
	}
	g.editor.open(g.groups[0])
	g.list.Select(0)
}

func (g *groupsTab) find(name string) (hub.SourceGroup, bool) {
	for _, gr := range g.groups {
		if gr.Name == name {
			return gr, true
		}
	}
	return hub.SourceGroup{}, false
}

// selectEditing selects the edited group in the list (none for a new one).
func (g *groupsTab) selectEditing() {
	editing := g.editor.editing
	for i, gr := range g.groups {
		if gr.Name == editing && editing != "" {
			g.list.Select(i)
			return
		}
	}
	g.list.UnselectAll()
}
