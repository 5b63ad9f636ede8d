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
	"strings"
	"sync"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// treePageSize is how many entries one TreeList page asks for.
const treePageSize = 1000

// Placeholder node ids start with a NUL byte, which no restic path holds.
const (
	treeLoadingPrefix = "\x00loading\x00"
	treeMorePrefix    = "\x00more\x00"
	treeErrorPrefix   = "\x00error\x00"
)

// treeDir is one directory's cached listing.
type treeDir struct {
	children []string // full paths, in the agent's order
	uids     []string // children plus the placeholder, what ChildUIDs returns
	loading  bool
	next     int   // next page's offset; 0 when the listing is complete
	err      error // the last fetch's failure
	errAt    int   // the offset that failed, fetched again by Retry
}

// snapshotTree is the restore wizard's tree of one snapshot, with a tick
// box on every file and folder (snapshot_tree_node.go).
type snapshotTree struct {
	browser            SnapshotBrowser
	hostID, snapshotID string
	ctx                context.Context
	cancel             context.CancelFunc
	onChange           func() // the selection changed (UI goroutine)

	mu      sync.Mutex
	dirs    map[string]*treeDir
	entries map[string]hub.TreeEntry
	// autoOpen marks the folders on the chain from the root where each
	// holds a single folder (/home/ann/Documents): opened by themselves, so
	// the tree starts where the files are.
	autoOpen map[string]bool
	checked  map[string]bool
	// revealing is the path the tree opens its way to (reveal), "" once
	// it is listed.
	revealing string
	loads     int // fetches in flight
	lastErr   error

	tree     *widget.Tree
	count    *widget.Label
	busy     *widget.Activity
	errLabel *widget.Label
	retry    *widget.Button
	errBox   *fyne.Container
	obj      fyne.CanvasObject
}

func newSnapshotTree(browser SnapshotBrowser, hostID, snapshotID string, onChange func()) *snapshotTree {
	ctx, cancel := context.WithCancel(context.Background())
	t := &snapshotTree{browser: browser, hostID: hostID, snapshotID: snapshotID, ctx: ctx, cancel: cancel, onChange: onChange,
		dirs: map[string]*treeDir{}, entries: map[string]hub.TreeEntry{}, checked: map[string]bool{},
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

func treeJoin(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func treePlaceholder(uid string) bool { return strings.HasPrefix(uid, "\x00") }

// childUIDs serves widget.Tree from the cache only; a directory not asked
// for yet is fetched (once) and shows "Loading…" meanwhile.
func (t *snapshotTree) childUIDs(uid string) []string {
	if uid == "" {
		uid = "/"
	}
	if treePlaceholder(uid) {
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
	if treePlaceholder(uid) {
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
	t.dirs[dir] = &treeDir{}
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
		page, err := t.browser.TreeList(t.ctx, t.hostID, t.snapshotID, dir, offset, treePageSize)
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
			p := treeJoin(dir, e.Name)
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
	} else {
		t.tree.Refresh()
	}
	t.revealNext()
}

// rebuild recomputes what ChildUIDs returns for d. Caller holds t.mu.
func (t *snapshotTree) rebuild(dir string, d *treeDir) {
	uids := make([]string, 0, len(d.children)+1)
	uids = append(uids, d.children...)
	switch {
	case d.loading:
		uids = append(uids, treeLoadingPrefix+dir)
	case d.err != nil:
		uids = append(uids, treeErrorPrefix+dir)
	case d.next > 0:
		uids = append(uids, treeMorePrefix+dir)
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
	case strings.HasPrefix(uid, treeMorePrefix):
		t.loadMore(strings.TrimPrefix(uid, treeMorePrefix))
	case strings.HasPrefix(uid, treeErrorPrefix):
		t.retryFailed()
	case treePlaceholder(uid):
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
func treeErrorText(err error) string {
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
	t.errLabel.SetText(treeErrorText(err))
	t.errBox.Show()
}

// errorText is the line under the tree ("" when none is shown).
func (t *snapshotTree) errorText() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.lastErr == nil {
		return ""
	}
	return treeErrorText(t.lastErr)
}

// The cache as the tests and the screenshot tour read it.

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

func (t *snapshotTree) object() fyne.CanvasObject { return t.obj }

// open opens folder dir (fetching it first if needed).
func (t *snapshotTree) open(dir string) { t.tree.OpenBranch(dir) }
