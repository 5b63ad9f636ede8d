package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"restic-manager/desktop/hub"
)

// findResults is the Find window's matches: a tree with a row per path
// found and, under it, a row per version (host, snapshot time and id,
// size, modification time) with "Restore this version…". Paths open as
// they arrive; one the admin closes stays closed.
type findResults struct {
	restore func(hub.FindPath, hub.FindVersion)

	paths    []string // in order
	byPath   map[string]hub.FindPath
	versions map[string]hub.FindVersion // leaf uid → version
	leaves   map[string][]string        // path → its versions' uids
	seen     map[string]bool            // paths opened once already

	tree *widget.Tree
	obj  fyne.CanvasObject
}

// A version's uid is its path, then NUL (no restic path holds one), then
// host and snapshot: the same while the results grow and reorder.
const findLeafSep = "\x00"

func newFindResults(restore func(hub.FindPath, hub.FindVersion)) *findResults {
	r := &findResults{restore: restore}
	r.clear()
	r.tree = widget.NewTree(r.childUIDs, r.isBranch, r.createNode, r.updateNode)
	r.tree.OnSelected = func(uid string) {
		r.tree.Unselect(uid)
		if r.isBranch(uid) {
			r.tree.ToggleBranch(uid)
		}
	}
	r.obj = r.tree
	return r
}

func (r *findResults) object() fyne.CanvasObject { return r.obj }

// clear forgets the results (a new search).
func (r *findResults) clear() {
	r.paths, r.byPath, r.versions, r.leaves, r.seen = nil, map[string]hub.FindPath{}, map[string]hub.FindVersion{},
		map[string][]string{}, map[string]bool{}
	if r.tree != nil {
		r.tree.Refresh()
	}
}

// set shows paths (sorted by path, each version newest first).
func (r *findResults) set(paths []hub.FindPath) {
	r.paths = r.paths[:0]
	r.byPath = make(map[string]hub.FindPath, len(paths))
	r.versions = map[string]hub.FindVersion{}
	r.leaves = make(map[string][]string, len(paths))
	var fresh []string
	for _, p := range paths {
		r.paths = append(r.paths, p.Path)
		r.byPath[p.Path] = p
		uids := make([]string, 0, len(p.Versions))
		for _, v := range p.Versions {
			uid := p.Path + findLeafSep + v.HostID + findLeafSep + v.SnapshotID
			r.versions[uid] = v
			uids = append(uids, uid)
		}
		r.leaves[p.Path] = uids
		if !r.seen[p.Path] {
			r.seen[p.Path] = true
			fresh = append(fresh, p.Path)
		}
	}
	for _, p := range fresh {
		r.tree.OpenBranch(p)
	}
	r.tree.Refresh()
}

func (r *findResults) childUIDs(uid string) []string {
	if uid == "" {
		return r.paths
	}
	return r.leaves[uid]
}

func (r *findResults) isBranch(uid string) bool {
	if uid == "" {
		return true
	}
	_, ok := r.byPath[uid]
	return ok
}

// findPathRow is a path's line: its icon, the path, how many versions.
type findPathRow struct {
	icon  *widget.Icon
	path  *widget.Label
	count *widget.Label
}

// findVersionRow is a version's line.
type findVersionRow struct {
	host, when, size, mtime *widget.Label
	restore                 *widget.Button
}

func (r *findResults) createNode(branch bool) fyne.CanvasObject {
	if branch {
		row := &findPathRow{icon: widget.NewIcon(theme.FileIcon()), path: widget.NewLabel(""), count: widget.NewLabel("")}
		row.path.TextStyle.Bold = true
		row.path.Truncation = fyne.TextTruncateEllipsis
		row.count.Importance = widget.LowImportance
		return newFindNode(&findNode{pathRow: row, obj: container.NewBorder(nil, nil, row.icon, row.count, row.path)})
	}
	row := &findVersionRow{host: widget.NewLabel(""), when: widget.NewLabel(""), size: widget.NewLabel(""), mtime: widget.NewLabel("")}
	row.mtime.Importance = widget.LowImportance
	for _, l := range []*widget.Label{row.host, row.when, row.size, row.mtime} {
		l.Truncation = fyne.TextTruncateEllipsis
	}
	row.restore = widget.NewButtonWithIcon("Restore this version…", theme.DownloadIcon(), nil)
	row.restore.Importance = widget.LowImportance
	cols := container.New(findVersionColumns{}, row.host, row.when, row.size, row.mtime)
	return newFindNode(&findNode{versionRow: row, obj: container.NewBorder(nil, nil, nil, row.restore, cols)})
}

func (r *findResults) updateNode(uid string, branch bool, o fyne.CanvasObject) {
	n := o.(*findNode)
	if branch {
		p := r.byPath[uid]
		n.pathRow.path.SetText(p.Path)
		if p.Type == "dir" {
			n.pathRow.icon.SetResource(theme.FolderIcon())
		} else {
			n.pathRow.icon.SetResource(theme.FileIcon())
		}
		n.pathRow.count.SetText(plural(len(p.Versions), "version"))
		return
	}
	v, ok := r.versions[uid]
	if !ok {
		return
	}
	p := r.byPath[uid[:strings.Index(uid, findLeafSep)]]
	row := n.versionRow
	row.host.SetText(v.HostName)
	if v.SnapshotTime.IsZero() {
		row.when.SetText("snapshot " + v.ShortID)
	} else {
		row.when.SetText(snapshotTime(v.SnapshotTime) + " · " + v.ShortID)
	}
	switch {
	case p.Type == "dir":
		row.size.SetText("folder")
	case p.Type == "file" || p.Type == "":
		row.size.SetText(humanBytes(v.Size))
	default:
		row.size.SetText(p.Type)
	}
	if v.Mtime.IsZero() {
		row.mtime.SetText("")
	} else {
		row.mtime.SetText("modified " + snapshotTime(v.Mtime))
	}
	row.restore.OnTapped = func() { r.restore(p, v) }
}

// findNode is a tree line: a path's or a version's.
type findNode struct {
	widget.BaseWidget
	pathRow    *findPathRow
	versionRow *findVersionRow
	obj        fyne.CanvasObject
}

func newFindNode(n *findNode) *findNode {
	n.ExtendBaseWidget(n)
	return n
}

func (n *findNode) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(n.obj) }

// findVersionWeights share a version line's width among host, snapshot
// (time and id), size and modification time: an equal grid gave the
// snapshot column too little, and its id ran under the size.
var findVersionWeights = []float32{2, 3.4, 1.3, 3.3}

// findVersionColumns lays a version line's cells out by findVersionWeights.
type findVersionColumns struct{}

func (findVersionColumns) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	pad := theme.Padding()
	var total float32
	for i := range objs {
		total += findVersionWeights[i]
	}
	room := size.Width - pad*float32(len(objs)-1)
	x := float32(0)
	for i, o := range objs {
		w := max(room*findVersionWeights[i]/total, 0)
		o.Resize(fyne.NewSize(w, size.Height))
		o.Move(fyne.NewPos(x, 0))
		x += w + pad
	}
}

func (findVersionColumns) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var h float32
	for _, o := range objs {
		h = max(h, o.MinSize().Height)
	}
	return fyne.NewSize(float32(len(objs))*60, h)
}
