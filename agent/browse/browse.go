package browse

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"restic-manager/protocol"
)

// Options bound the cache. Zero values mean the defaults.
type Options struct {
	// MaxSnapshots is how many snapshot indexes are kept (default 4).
	MaxSnapshots int
	// MaxBytes is the approximate memory budget for all kept indexes
	// (default 256 MiB; a 200,000-file snapshot takes about 8 MB). The
	// index in use is kept even when it alone is larger.
	MaxBytes int64
	// BuildTimeout bounds one restic ls run (default 15 minutes).
	BuildTimeout time.Duration
	// IndexWait bounds how long one request waits for its snapshot's
	// index to be built (default 60 s); then it is answered "busy: index
	// still building" and the build goes on for the next request. A
	// caller's earlier deadline counts the same way.
	IndexWait time.Duration
	// Logger gets one line per index built. Nil means slog.Default().
	Logger *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxSnapshots <= 0 {
		o.MaxSnapshots = 4
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 256 << 20
	}
	if o.BuildTimeout <= 0 {
		o.BuildTimeout = 15 * time.Minute
	}
	if o.IndexWait <= 0 {
		o.IndexWait = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Index answers tree.list from per-snapshot indexes, building each with one
// restic ls run. Safe for concurrent use.
type Index struct {
	lister Lister
	opts   Options
	base   context.Context
	stop   context.CancelFunc

	mu       sync.Mutex
	lru      *list.List               // of *cached; front is the most recently used
	byID     map[string]*list.Element // snapshot id as asked → lru element
	building map[string]*build
	bytes    int64
}

type cached struct {
	id   string
	tree *tree
	size int64
}

// build is one restic ls run that every concurrent first request for the
// snapshot waits on.
type build struct {
	done    chan struct{}
	waiters int // requests waiting on it (tests read it under Index.mu)
	tree    *tree
	err     error
}

// New returns an empty index that lists snapshots with l.
func New(l Lister, o Options) *Index {
	base, stop := context.WithCancel(context.Background())
	return &Index{
		lister: l, opts: o.withDefaults(), base: base, stop: stop,
		lru: list.New(), byID: map[string]*list.Element{}, building: map[string]*build{},
	}
}

// Close stops running restic ls builds and drops every index.
func (x *Index) Close() {
	x.stop()
	x.Reset()
}

// Reset drops every kept index (e.g. after the repository changed).
// Running builds finish and are kept.
func (x *Index) Reset() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.lru.Init()
	clear(x.byID)
	x.bytes = 0
}

// Stats describes what the cache holds.
type Stats struct {
	Snapshots int
	Bytes     int64
}

// Stats returns the number of kept indexes and their approximate size.
func (x *Index) Stats() Stats {
	x.mu.Lock()
	defer x.mu.Unlock()
	return Stats{Snapshots: x.lru.Len(), Bytes: x.bytes}
}

// List answers one tree.list request. Every failure, a bad request
// included, is an answer with Error set; Entries is never nil otherwise.
func (x *Index) List(ctx context.Context, req protocol.TreeList) protocol.TreeListResult {
	res := protocol.TreeListResult{SnapshotID: req.SnapshotID, Path: req.Path}
	if err := req.Validate(); err != nil {
		res.Error = "bad request: " + err.Error()
		return res
	}
	t, err := x.tree(ctx, req.SnapshotID)
	if err != nil {
		res.Error = describe(err, req)
		return res
	}
	dir, err := t.lookup(req.Path)
	if err != nil {
		res.Error = describe(err, req)
		return res
	}
	res.Entries, res.NextOffset = t.page(dir, req.Offset, min(req.EffectiveLimit(), protocol.TreeListMaxLimit), maxPageBytes)
	return res
}

// ErrBusy: the snapshot's index was still being built when the request's
// wait ran out. Asking again later finds it built (or closer to it).
var ErrBusy = errors.New("busy: index still building")

func describe(err error, req protocol.TreeList) string {
	switch {
	case errors.Is(err, ErrBusy):
		return ErrBusy.Error()
	case errors.Is(err, ErrSnapshotNotFound):
		return fmt.Sprintf("snapshot %s not found", req.SnapshotID)
	case errors.Is(err, errNotFound):
		return fmt.Sprintf("%s: no such path in snapshot %s", req.Path, req.SnapshotID)
	case errors.Is(err, errNotDir):
		return fmt.Sprintf("%s: not a directory (or a path below a file) in snapshot %s", req.Path, req.SnapshotID)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "listing snapshot " + req.SnapshotID + " did not finish in time: " + err.Error()
	default:
		return "listing snapshot " + req.SnapshotID + ": " + err.Error()
	}
}

// tree returns the snapshot's index, building it (once, however many ask)
// when it is not kept. A requester waits at most IndexWait, or until its
// deadline, and then gets ErrBusy; one that gives up or is cancelled does
// not stop the build: its result is kept for the retry.
func (x *Index) tree(ctx context.Context, id string) (*tree, error) {
	x.mu.Lock()
	if el, ok := x.byID[id]; ok {
		x.lru.MoveToFront(el)
		x.mu.Unlock()
		return el.Value.(*cached).tree, nil
	}
	b, ok := x.building[id]
	if !ok {
		b = &build{done: make(chan struct{})}
		x.building[id] = b
		go x.build(id, b)
	}
	b.waiters++
	x.mu.Unlock()
	wait := time.NewTimer(x.opts.IndexWait)
	defer wait.Stop()
	select {
	case <-b.done:
		return b.tree, b.err
	case <-wait.C:
		return nil, ErrBusy
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, ErrBusy
		}
		return nil, ctx.Err()
	}
}

func (x *Index) build(id string, b *build) {
	defer close(b.done)
	start := time.Now()
	ctx, cancel := context.WithTimeout(x.base, x.opts.BuildTimeout)
	defer cancel()
	bld := newBuilder()
	n := 0
	err := x.lister.Ls(ctx, id, func(node Node) error {
		n++
		return bld.add(node.Path, node.Type, node.Size, node.Mtime)
	})
	if err == nil && n == 0 {
		// restic 0.14 exits 0 with no output for an unknown id; a real
		// snapshot always has at least its top directory.
		err = fmt.Errorf("%w: restic ls printed nothing for %s", ErrSnapshotNotFound, id)
	}
	var t *tree
	if err == nil {
		t = bld.finish()
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	delete(x.building, id)
	if err != nil {
		b.err = err // failures are not kept: the next request tries again
		return
	}
	b.tree = t
	c := &cached{id: id, tree: t, size: t.bytes()}
	x.byID[id] = x.lru.PushFront(c)
	x.bytes += c.size
	for x.lru.Len() > 1 && (x.lru.Len() > x.opts.MaxSnapshots || x.bytes > x.opts.MaxBytes) {
		old := x.lru.Remove(x.lru.Back()).(*cached)
		delete(x.byID, old.id)
		x.bytes -= old.size
	}
	x.opts.Logger.Info("indexed snapshot for browsing", "snapshot", id, "entries", len(t.entries),
		"dirs", len(t.dirs), "bytes", c.size, "took", time.Since(start).Round(time.Millisecond))
}
