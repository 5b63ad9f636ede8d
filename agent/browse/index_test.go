package browse

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"
	"unsafe"

	"restic-manager/protocol"
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// staticLister replays fixed nodes: for the index's own rules (ordering,
// Windows paths, made-up ancestors) that no restic run here can produce.
func staticLister(nodes ...Node) Lister {
	return ListerFunc(func(ctx context.Context, id string, fn func(Node) error) error {
		if id != "a1a1a1a1" {
			return ErrSnapshotNotFound
		}
		for _, n := range nodes {
			if err := fn(n); err != nil {
				return err
			}
		}
		return nil
	})
}

func TestIndexRules(t *testing.T) {
	mt := time.Date(2026, 11, 22, 5, 2, 29, 389281733, time.UTC)
	x := New(staticLister(
		// Out of order, Windows-style, and without the /C and /C/Users
		// directories themselves: they are made up from the paths below.
		Node{Path: "/C/Users/ann/b.txt", Type: "file", Size: 2, Mtime: mt},
		Node{Path: "/C/Users/ann/A.txt", Type: "file", Size: 1, Mtime: mt},
		Node{Path: "/C/Users/ann", Type: "dir", Mtime: mt},
		Node{Path: "/C/Users/ann/pipe", Type: "fifo"},
		Node{Path: "/C/Users/ann/link", Type: "symlink", Mtime: mt},
		Node{Path: "/D", Type: "dir", Mtime: mt},
	), Options{Logger: quietLogger()})
	defer x.Close()
	ctx := context.Background()

	root := x.List(ctx, protocol.TreeList{SnapshotID: "a1a1a1a1", Path: "/"})
	if got := names(root.Entries); !slices.Equal(got, []string{"C", "D"}) {
		t.Fatalf("root = %v (%s), want [C D]", got, root.Error)
	}
	if root.Entries[0].Mtime != nil || root.Entries[1].Mtime == nil {
		t.Errorf("a made-up directory has no mtime, a listed one keeps its own: %+v", root.Entries)
	}
	ann := x.List(ctx, protocol.TreeList{SnapshotID: "a1a1a1a1", Path: "/C/Users/ann"})
	want := []protocol.TreeEntry{
		{Name: "A.txt", Type: "file", Size: 1, Mtime: &mt},
		{Name: "b.txt", Type: "file", Size: 2, Mtime: &mt},
		{Name: "link", Type: "symlink", Mtime: &mt},
		{Name: "pipe", Type: "file"},
	}
	if len(ann.Entries) != len(want) {
		t.Fatalf("ann = %+v, want %+v", ann.Entries, want)
	}
	for i, e := range ann.Entries {
		w := want[i]
		if e.Name != w.Name || e.Type != w.Type || e.Size != w.Size || (e.Mtime == nil) != (w.Mtime == nil) || e.Mtime != nil && !e.Mtime.Equal(*w.Mtime) {
			t.Errorf("entry %d = %+v, want %+v", i, e, w)
		}
	}
	if res := x.List(ctx, protocol.TreeList{SnapshotID: "a1a1a1a1", Path: "/C//Users/"}); len(res.Entries) != 1 || res.Entries[0].Name != "ann" {
		t.Errorf("doubled and trailing slashes: %+v", res)
	}
	if res := x.List(ctx, protocol.TreeList{SnapshotID: "b2b2b2b2", Path: "/"}); res.Error != "snapshot b2b2b2b2 not found" {
		t.Errorf("unknown snapshot error = %q", res.Error)
	}
	empty := New(staticLister(), Options{Logger: quietLogger()})
	defer empty.Close()
	if res := empty.List(ctx, protocol.TreeList{SnapshotID: "a1a1a1a1", Path: "/"}); res.Error != "snapshot a1a1a1a1 not found" {
		t.Errorf("a listing with no nodes (restic 0.14's answer to an unknown id) = %q, want not found", res.Error)
	}
}

func TestEntryStaysCompact(t *testing.T) {
	var e entry
	if s := int(unsafe.Sizeof(e)); s != 24 {
		t.Errorf("entry is %d bytes, want 24 (it is multiplied by every file of a snapshot)", s)
	}
}
