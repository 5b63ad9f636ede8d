package ui

// The restore wizard's lazy tree over one snapshot. Each directory's
// children are fetched once, on a goroutine, through Hub.TreeList, and
// cached: widget.Tree asks ChildUIDs many times per layout and is only ever
// answered from the cache. A directory being fetched shows a "Loading…"
// child with a spinner; a big one ends in a "Load more" child that fetches
// the next page; a failure shows under the tree with a Retry.

import (
	"context"
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// snapTreePageSize is how many entries one TreeList page asks for.
const snapTreePageSize = 1000

// Placeholder node ids start with a NUL byte, which no restic path holds.
const (
	snapTreeLoadingPrefix = "\x00loading\x00"
	snapTreeMorePrefix    = "\x00more\x00"
	snapTreeErrorPrefix   = "\x00error\x00"
)

// snapTreeDir is one directory's cached listing.
type snapTreeDir struct {
	children []string // full paths, in the agent's order
	uids     []string // children plus the placeholder, what ChildUIDs returns
	loading  bool
	next     int   // next page's offset; 0 when the listing is complete
	err      error // the last fetch's failure
	errAt    int   // the offset that failed, fetched again by Retry
}

type snapshotTree struct {
	u              *UI
	hostID, snapID string
	ctx            context.Context
	cancel         context.CancelFunc
	onChange       func() // the selection changed (UI goroutine)

	mu      sync.Mutex
	dirs    map[string]*snapTreeDir
	entries map[string]hub.TreeEntry
	// autoOpen marks the folders on the chain from the root where each
	// holds a single folder (/home/ann/Documents): opened by themselves, so
	// the tree starts where the files are.
	autoOpen map[string]bool
	checked  map[string]bool
	loads    int // fetches in flight
	lastErr  error

	tree     *widget.Tree
	count    *widget.Label
	busy     *widget.Activity
	errLabel *widget.Label
	retry    *widget.Button
	errBox   *fyne.Container
	obj      fyne.CanvasObject
}

func newSnapshotTree(u *UI, hostID, snapID string, onChange func()) *snapshotTree {
	ctx, cancel := context.WithCancel(context.Background())
	t := &snapshotTree{u: u, hostID: hostID, snapID: snapID, ctx: ctx, cancel: cancel, onChange: onChange,
		dirs: map[string]*snapTreeDir{}, entries: map[string]hub.TreeEntry{}, checked: map[string]bool{},
		autoOpen: map[string]bool{"/": true}}
	// The tree's root is "" (Fyne does not draw it); it stands for "/".
	t.tree = widget.NewTree(t.childUIDs, t.isBranch, t.createNode, t.updateNode)
	t.tree.OnBranchOpened = func(uid string) { t.ensureLoaded(uid) }
	t.tree.OnSelected = t.selected
	t.count = widget.NewLabel("")
	t.busy = widget.NewActivity()
	t.busy.Hide()
	t.errLabel = widget.NewLabel("")
	t.errLabel.Wrapping = fyne.TextWrapWord
	t.errLabel.Importance = widget.DangerImportance
	t.retry = widget.NewButtonWithIcon("Retry", theme.ViewRefreshIcon(), t.retryFailed)
	t.errBox = container.NewBorder(nil, nil, widget.NewIcon(theme.ErrorIcon()), t.retry, t.errLabel)
	t.errBox.Hide()
	bottom := container.NewVBox(t.errBox, container.NewHBox(t.busy, t.count))
	t.obj = container.NewBorder(nil, bottom, nil, nil, t.tree)
	t.updateCount()
	t.ensureLoaded("/")
	return t
}

// close stops fetches in flight; their results are dropped.
func (t *snapshotTree) close() { t.cancel() }

func snapTreeJoin(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func snapTreePlaceholder(uid string) bool { return strings.HasPrefix(uid, "\x00") }

// childUIDs serves widget.Tree from the cache only; a directory not asked
// for yet is fetched (once) and shows "Loading…" meanwhile.
func (t *snapshotTree) childUIDs(uid string) []string {
	if uid == "" {
		uid = "/"
	}
	if snapTreePlaceholder(uid) {
		return nil
	}
	t.mu.Lock()
	d := t.dirs[uid]
	t.mu.Unlock()
	if d == nil {
		t.ensureLoaded(uid)
		t.mu.Lock()
		d = t.dirs[uid]
		t.mu.Unlock()
		if d == nil {
			return nil
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return d.uids
}

func (t *snapshotTree) isBranch(uid string) bool {
	if uid == "" || uid == "/" {
		return true
	}
	if snapTreePlaceholder(uid) {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.entries[uid].Type == "dir"
}

// ensureLoaded starts the first fetch of dir unless it has one.
func (t *snapshotTree) ensureLoaded(dir string) {
	t.mu.Lock()
	if _, ok := t.dirs[dir]; ok || (dir != "/" && t.entries[dir].Type != "dir") {
		t.mu.Unlock()
		return
	}
	t.dirs[dir] = &snapTreeDir{}
	t.mu.Unlock()
	t.fetch(dir, 0)
}

// fetch asks the agent for one page of dir on a goroutine.
func (t *snapshotTree) fetch(dir string, offset int) {
	t.mu.Lock()
	d := t.dirs[dir]
	if d == nil || d.loading || t.ctx.Err() != nil {
		t.mu.Unlock()
		return
	}
	d.loading, d.err = true, nil
	t.rebuild(dir, d)
	t.loads++
	t.mu.Unlock()
	t.showBusy()
	go func() {
		page, err := t.u.hub.TreeList(t.ctx, t.hostID, t.snapID, dir, offset, snapTreePageSize)
		fyne.Do(func() { t.fetched(dir, offset, page, err) })
	}()
}

// fetched applies a page (UI goroutine).
func (t *snapshotTree) fetched(dir string, offset int, page hub.TreePage, err error) {
	if t.ctx.Err() != nil {
		return // the wizard closed or moved to another snapshot
	}
	t.mu.Lock()
	t.loads--
	d := t.dirs[dir]
	d.loading = false
	if err != nil {
		d.err, d.errAt = err, offset
		t.lastErr = fmt.Errorf("%s: %w", dir, err)
	} else {
		for _, e := range page.Entries {
			p := snapTreeJoin(dir, e.Name)
			if _, dup := t.entries[p]; !dup {
				d.children = append(d.children, p)
			}
			t.entries[p] = e
		}
		d.next = page.NextOffset
	}
	t.rebuild(dir, d)
	open := ""
	if err == nil && offset == 0 && t.autoOpen[dir] && len(d.children) == 1 && d.next == 0 && t.entries[d.children[0]].Type == "dir" {
		open = d.children[0]
		t.autoOpen[open] = true
	}
	t.mu.Unlock()
	t.showBusy()
	t.showError()
	if open != "" {
		t.tree.OpenBranch(open) // fetches it (OnBranchOpened) and refreshes
		return
	}
	t.tree.Refresh()
}

// rebuild recomputes what ChildUIDs returns for d. Caller holds t.mu.
func (t *snapshotTree) rebuild(dir string, d *snapTreeDir) {
	uids := make([]string, 0, len(d.children)+1)
	uids = append(uids, d.children...)
	switch {
	case d.loading:
		uids = append(uids, snapTreeLoadingPrefix+dir)
	case d.err != nil:
		uids = append(uids, snapTreeErrorPrefix+dir)
	case d.next > 0:
		uids = append(uids, snapTreeMorePrefix+dir)
	}
	d.uids = uids
}

// loadMore fetches the next page of dir.
func (t *snapshotTree) loadMore(dir string) {
	t.mu.Lock()
	d := t.dirs[dir]
	next := 0
	if d != nil {
		next = d.next
	}
	t.mu.Unlock()
	if next > 0 {
		t.fetch(dir, next)
	}
}

// retryFailed fetches again every page that failed.
func (t *snapshotTree) retryFailed() {
	t.mu.Lock()
	type again struct {
		dir    string
		offset int
	}
	var list []again
	for dir, d := range t.dirs {
		if d.err != nil {
			list = append(list, again{dir, d.errAt})
		}
	}
	t.lastErr = nil
	t.mu.Unlock()
	t.showError()
	for _, a := range list {
		t.fetch(a.dir, a.offset)
	}
	t.tree.Refresh()
}

func (t *snapshotTree) selected(uid string) {
	t.tree.Unselect(uid)
	switch {
	case strings.HasPrefix(uid, snapTreeMorePrefix):
		t.loadMore(strings.TrimPrefix(uid, snapTreeMorePrefix))
	case strings.HasPrefix(uid, snapTreeErrorPrefix):
		t.retryFailed()
	case snapTreePlaceholder(uid):
	default:
		if t.isBranch(uid) {
			t.tree.ToggleBranch(uid)
		}
	}
}

func (t *snapshotTree) showBusy() {
	t.mu.Lock()
	busy := t.loads > 0
	t.mu.Unlock()
	if busy {
		t.busy.Show()
		t.busy.Start()
	} else {
		t.busy.Stop()
		t.busy.Hide()
	}
}

// errorText explains a TreeList failure to the admin.
func snapTreeErrorText(err error) string {
	switch {
	case errors.Is(err, hub.ErrHostOffline):
		return "The host is offline: its snapshots can be browsed while its agent is connected. (" + err.Error() + ")"
	case errors.Is(err, hub.ErrHostPending):
		return "The host is waiting for approval: approve it to browse its snapshots."
	case errors.Is(err, hub.ErrRPCTimeout):
		return "The agent did not answer in time; it may be busy indexing a large snapshot. (" + err.Error() + ")"
	case errors.Is(err, hub.ErrConnectionLost):
		return "The connection to the agent closed before it answered. (" + err.Error() + ")"
	}
	return "Could not list the snapshot: " + err.Error()
}

func (t *snapshotTree) showError() {
	t.mu.Lock()
	err := t.lastErr
	t.mu.Unlock()
	if err == nil {
		t.errBox.Hide()
		return
	}
	t.errLabel.SetText(snapTreeErrorText(err))
	t.errBox.Show()
}

// errorText is the line under the tree ("" when none is shown).
func (t *snapshotTree) errorText() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastErr == nil {
		return ""
	}
	return snapTreeErrorText(t.lastErr)
}

// --- selection ---

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
	switch n {
	case 0:
		t.count.SetText("Nothing selected: tick the files and folders to restore.")
	case 1:
		t.count.SetText("1 item selected")
	default:
		t.count.SetText(fmt.Sprintf("%d items selected", n))
	}
}

// --- state for tests ---

// loaded reports whether dir's first page is in the cache.
func (t *snapshotTree) loaded(dir string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.dirs[dir]
	return d != nil && !d.loading && d.err == nil && (len(d.children) > 0 || d.next == 0)
}

// childNames returns the cached children's base names of dir.
func (t *snapshotTree) childNames(dir string) []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	d := t.dirs[dir]
	if d == nil {
		return nil
	}
	out := make([]string, 0, len(d.children))
	for _, c := range d.children {
		out = append(out, path.Base(c))
	}
	return out
}

// idle reports whether no fetch is in flight.
func (t *snapshotTree) idle() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.loads == 0
}

// --- rows ---

// snapTreeRow is one tree line: tick, spinner, icon, name, size.
type snapTreeRow struct {
	widget.BaseWidget
	check *widget.Check
	busy  *widget.Activity
	icon  *widget.Icon
	name  *widget.Label
	size  *widget.Label
	obj   fyne.CanvasObject
}

func newSnapTreeRow() *snapTreeRow {
	r := &snapTreeRow{check: widget.NewCheck("", nil), busy: widget.NewActivity(), icon: widget.NewIcon(theme.FileIcon()),
		name: widget.NewLabel(""), size: widget.NewLabel("")}
	r.name.Truncation = fyne.TextTruncateEllipsis
	r.size.Importance = widget.LowImportance
	r.busy.Hide()
	r.obj = container.NewBorder(nil, nil, container.NewHBox(r.check, r.busy, r.icon), r.size, r.name)
	r.ExtendBaseWidget(r)
	return r
}

func (r *snapTreeRow) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(r.obj) }

func (t *snapshotTree) createNode(bool) fyne.CanvasObject { return newSnapTreeRow() }

func (t *snapshotTree) updateNode(uid string, _ bool, obj fyne.CanvasObject) {
	r := obj.(*snapTreeRow)
	r.check.OnChanged = nil
	r.size.SetText("")
	if snapTreePlaceholder(uid) {
		r.check.Hide()
		switch {
		case strings.HasPrefix(uid, snapTreeLoadingPrefix):
			r.icon.Hide()
			r.busy.Show()
			r.busy.Start()
			r.name.SetText("Loading…")
		case strings.HasPrefix(uid, snapTreeMorePrefix):
			r.busy.Stop()
			r.busy.Hide()
			r.icon.SetResource(theme.MoreHorizontalIcon())
			r.icon.Show()
			dir := strings.TrimPrefix(uid, snapTreeMorePrefix)
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
