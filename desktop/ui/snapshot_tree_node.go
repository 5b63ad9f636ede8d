package ui

// A line of the restore wizard's snapshot tree, and what is ticked.

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// covered reports whether p or one of its ancestors is checked, and
// whether it is an ancestor (p itself cannot be unticked then). Caller
// holds t.mu.
func (t *snapshotTree) covered(p string) (on, byAncestor bool) {
	if t.checked[p] {
		return true, false
	}
	for q := path.Dir(p); q != "/" && q != "."; q = path.Dir(q) {
		if t.checked[q] {
			return true, true
		}
	}
	return false, false
}

// setChecked ticks or unticks p. Ticking a folder selects it whole: the
// ticks of anything inside it are folded into it.
func (t *snapshotTree) setChecked(p string, on bool) {
	t.mu.Lock()
	if on {
		prefix := p + "/"
		for q := range t.checked {
			if strings.HasPrefix(q, prefix) {
				delete(t.checked, q)
			}
		}
		t.checked[p] = true
	} else {
		delete(t.checked, p)
	}
	t.mu.Unlock()
	t.updateCount()
	t.tree.Refresh()
	if t.onChange != nil {
		t.onChange()
	}
}

// selection returns the ticked paths, sorted.
func (t *snapshotTree) selection() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]string, 0, len(t.checked))
	for p := range t.checked {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func (t *snapshotTree) updateCount() {
	n := len(t.selection())
	if n == 0 {
		t.count.SetText("Nothing selected: tick the files and folders to restore.")
	} else {
		t.count.SetText(plural(n, "item") + " selected")
	}
}

// treeRow is one tree line: tick, spinner, icon, name, size.
type treeRow struct {
	widget.BaseWidget
	check *widget.Check
	busy  *widget.Activity
	icon  *widget.Icon
	name  *widget.Label
	size  *widget.Label
	obj   fyne.CanvasObject
}

func newTreeRow() *treeRow {
	r := &treeRow{check: widget.NewCheck("", nil), busy: widget.NewActivity(), icon: widget.NewIcon(theme.FileIcon()),
		name: widget.NewLabel(""), size: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.size.Importance = widget.LowImportance
	r.busy.Hide()
	r.obj = container.NewBorder(nil, nil, container.NewHBox(r.check, r.busy, r.icon), r.size, r.name)
	r.ExtendBaseWidget(r)
	return r
}

func (r *treeRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.obj) }

func (t *snapshotTree) createNode(bool) fyne.CanvasObject { return newTreeRow() }

func (t *snapshotTree) updateNode(uid string, _ bool, obj fyne.CanvasObject) {
	r := obj.(*treeRow)
	r.check.OnChanged = nil
	r.size.SetText("")
	if treePlaceholder(uid) {
		r.check.Hide()
		switch {
		case strings.HasPrefix(uid, treeLoadingPrefix):
			r.icon.Hide()
			r.busy.Show()
			r.busy.Start()
			r.name.SetText("Loading…")
		case strings.HasPrefix(uid, treeMorePrefix):
			r.busy.Stop()
			r.busy.Hide()
			r.icon.SetResource(theme.MoreHorizontalIcon())
			r.icon.Show()
			dir := strings.TrimPrefix(uid, treeMorePrefix)
			t.mu.Lock()
			n := len(t.dirs[dir].children)
			t.mu.Unlock()
			r.name.SetText(fmt.Sprintf("Load more (%d shown)", n))
		default:
			r.busy.Stop()
			r.busy.Hide()
			r.icon.SetResource(theme.ErrorIcon())
			r.icon.Show()
			r.name.SetText("Could not list this folder — Retry")
		}
		return
	}
	r.busy.Stop()
	r.busy.Hide()
	t.mu.Lock()
	e := t.entries[uid]
	on, byAncestor := t.covered(uid)
	t.mu.Unlock()
	switch e.Type {
	case "dir":
		r.icon.SetResource(theme.FolderIcon())
	case "symlink":
		r.icon.SetResource(theme.FileApplicationIcon())
		r.size.SetText("link")
	default:
		r.icon.SetResource(theme.FileIcon())
		r.size.SetText(humanBytes(e.Size))
	}
	r.icon.Show()
	r.name.SetText(e.Name)
	r.check.Show()
	r.check.SetChecked(on)
	if byAncestor {
		r.check.Disable() // the whole folder above is selected
	} else {
		r.check.Enable()
	}
	r.check.OnChanged = func(v bool) { t.setChecked(uid, v) }
}

// reveal ticks p and opens the folders above it, each as soon as it is
// listed, so the tree opens at p (Find's "Restore this version…").
func (t *snapshotTree) reveal(p string) {
	t.mu.Lock()
	t.revealing = p
	t.mu.Unlock()
	t.setChecked(p, true)
	t.revealNext()
}

// revealNext opens the next listed folder on the way to the path being
// revealed; it runs again after every listing, and stops once the path
// itself is listed (a folder the admin closes after that stays closed).
func (t *snapshotTree) revealNext() {
	t.mu.Lock()
	p := t.revealing
	t.mu.Unlock()
	if p == "" {
		return
	}
	var chain []string // the folders above p, outermost first
	for q := path.Dir(p); q != "/" && q != "."; q = path.Dir(q) {
		chain = append([]string{q}, chain...)
	}
	for _, dir := range chain {
		t.mu.Lock()
		e, listed := t.entries[dir]
		t.mu.Unlock()
		if !listed || e.Type != "dir" {
			return // its parent is not listed yet (or p is not in this snapshot)
		}
		if !t.tree.IsBranchOpen(dir) {
			t.tree.OpenBranch(dir) // fetches it (OnBranchOpened)
		}
	}
	t.mu.Lock()
	_, listed := t.entries[p]
	if listed {
		t.revealing = ""
	}
	t.mu.Unlock()
	if listed {
		t.tree.ScrollTo(p)
	}
}
