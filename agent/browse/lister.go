package browse

import (
	"context"
	"errors"
	"time"
)

// Node is one file, directory or link of a snapshot, as `restic ls --json`
// reports it.
type Node struct {
	Path  string // absolute restic path: "/home/ann/a.txt", "/C/Users/ann"
	Type  string // dir, file, symlink (others are shown as files)
	Size  uint64
	Mtime time.Time
}

// Lister streams every node of a snapshot (restic ls --json <id>) to fn, in
// any order. A snapshot that does not exist is an error wrapping
// ErrSnapshotNotFound. fn returning an error stops the listing with it.
type Lister interface {
	Ls(ctx context.Context, snapshotID string, fn func(Node) error) error
}

// ErrSnapshotNotFound: no snapshot matches the id.
var ErrSnapshotNotFound = errors.New("snapshot not found")

// ListerFunc adapts a function to Lister.
type ListerFunc func(ctx context.Context, snapshotID string, fn func(Node) error) error

func (f ListerFunc) Ls(ctx context.Context, snapshotID string, fn func(Node) error) error {
	return f(ctx, snapshotID, fn)
}
