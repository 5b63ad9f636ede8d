package browse

import (
	"context"
	"errors"
	"fmt"

	"restic-manager/agent/restic"
)

// ResticLister lists snapshots with the real restic through agent/restic:
// secrets reach restic only through its environment (restic.Repo).
type ResticLister struct {
	Restic *restic.Restic
	// Repo returns the repository's current settings and credentials (they
	// can change with config.update between requests).
	Repo func() (restic.Repo, error)
}

func (l ResticLister) Ls(ctx context.Context, snapshotID string, fn func(Node) error) error {
	repo, err := l.Repo()
	if err != nil {
		return fmt.Errorf("browse: repository settings: %w", err)
	}
	for n, err := range l.Restic.Ls(ctx, repo, snapshotID) {
		if err != nil {
			if errors.Is(err, restic.ErrSnapshotNotFound) {
				return fmt.Errorf("%w: %w", ErrSnapshotNotFound, err)
			}
			return err
		}
		if err := fn(Node{Path: n.Path, Type: n.Type, Size: n.Size, Mtime: n.Mtime}); err != nil {
			return err
		}
	}
	return nil
}
