package daemon

import (
	"context"
	"log/slog"
	"sync"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// sizer measures the repository's size (restore size, raw size and unique
// files: what the manager's size-over-time chart draws) after each change
// of the snapshot list and on connect. restic stats walks every snapshot,
// so it runs on its own goroutine, never beside itself: kicks that arrive
// while it measures make one more run afterwards.
type sizer struct {
	restic  *restic.Restic
	repo    func() (restic.Repo, error)
	publish func(protocol.RepoStats)
	log     *slog.Logger

	mu      sync.Mutex
	running bool
	again   bool
}

func (s *sizer) kick(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		s.again = true
		return
	}
	s.running = true
	go s.loop(ctx)
}

func (s *sizer) loop(ctx context.Context) {
	for {
		s.measure(ctx)
		s.mu.Lock()
		if !s.again || ctx.Err() != nil {
			s.running, s.again = false, false
			s.mu.Unlock()
			return
		}
		s.again = false
		s.mu.Unlock()
	}
}

func (s *sizer) measure(ctx context.Context) {
	repo, err := s.repo()
	if err != nil {
		return
	}
	var st protocol.RepoStats
	for _, mode := range []string{restic.StatsRestoreSize, restic.StatsRawData, restic.StatsFilesByContents} {
		res, err := s.restic.Stats(ctx, repo, mode)
		if err != nil {
			s.log.Info("repository size not measured", "mode", mode, "err", err)
			return
		}
		res.ApplyTo(mode, &st)
	}
	s.publish(st)
}
