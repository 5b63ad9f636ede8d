package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"restic-manager/agent/browse"
	"restic-manager/agent/journal"
	"restic-manager/agent/link"
	"restic-manager/agent/restic"
	"restic-manager/agent/runner"
	"restic-manager/agent/scheduler"
	"restic-manager/agent/secrets"
	"restic-manager/protocol"
)

// handler carries out the manager's frames for the link.
type handler struct {
	j      *journal.Journal
	sec    *secrets.Store
	run    *runner.Runner
	sched  *scheduler.Scheduler
	idx    *browse.Index
	restic *restic.Restic
	sink   *linkSink
	log    *slog.Logger

	approved sync.Mutex // one state publication at a time

	// base lives as long as the agent: size measurements outlive the
	// connection that asked for them.
	base      context.Context
	sizesOnce sync.Once
	sizes     *sizer
}

// measureSizes starts a size measurement (see sizer) in the background.
func (h *handler) measureSizes() {
	h.sizesOnce.Do(func() {
		h.sizes = &sizer{restic: h.restic, repo: h.run.Repo, publish: h.sink.RepoStats, log: h.log}
	})
	h.sizes.kick(h.base)
}

var _ link.Handler = (*handler)(nil)

// ApplyConfig stores the credentials (secrets store) and the rest
// (journal) before the link reads the next frame. A changed repository
// drops what the agent knew about the old one and publishes the new one's
// state. The source slot goes to the runner's memory only.
func (h *handler) ApplyConfig(ctx context.Context, u *protocol.ConfigUpdate) error {
	if u.Slot == protocol.SlotSource {
		h.run.SetSource(sourceRepo(u))
		*u = protocol.ConfigUpdate{} // no copy of the secrets outlives this call here
		h.log.Info("source repository received for the next restore")
		return nil
	}
	before, err := h.j.Config()
	if err != nil {
		return err
	}
	if err := h.sec.ApplyConfig(u); err != nil {
		return fmt.Errorf("store credentials: %w", err)
	}
	after, err := h.j.ApplyConfig(*u)
	if err != nil {
		return err
	}
	if after.CopyURL != before.CopyURL {
		h.log.Info("second repository changed", "repo", protocol.RedactURL(after.CopyURL))
	}
	credentials := u.RepoPassword != "" || u.RepoUsername != "" || u.RepoCredential != ""
	if after.RepoURL != before.RepoURL || (credentials && u.EffectiveSlot() == secrets.SlotRepo) {
		h.log.Info("repository settings changed", "repo", protocol.RedactURL(after.RepoURL))
		h.run.ConfigChanged()
		h.idx.Reset()
		go h.Approved(ctx)
	}
	return nil
}

// sourceRepo is the repository a source-slot config.update names, with
// basic-auth credentials written into a rest: URL moved out of it as for
// the other slots.
func sourceRepo(u *protocol.ConfigUpdate) restic.Repo {
	url, user, pass := restic.SplitURLCredentials(u.RepoURL)
	if u.RepoUsername != "" {
		user = u.RepoUsername
	}
	if u.RepoCredential != "" {
		pass = u.RepoCredential
	}
	return restic.Repo{URL: url, Password: u.RepoPassword, RESTUsername: user, RESTPassword: pass}
}

func (h *handler) ApplySchedule(_ context.Context, s *protocol.ScheduleSet) (uint64, error) {
	return h.sched.Apply(s)
}

func (h *handler) Submit(_ context.Context, c *protocol.CommandRun) error {
	return h.run.Submit(journal.Job{Run: *c})
}

func (h *handler) Cancel(_ context.Context, jobID string) error {
	err := h.run.Cancel(jobID)
	if errors.Is(err, runner.ErrUnknownJob) {
		return link.ErrUnknownJob
	}
	return err
}

func (h *handler) TreeList(ctx context.Context, q *protocol.TreeList) *protocol.TreeListResult {
	res := h.idx.List(ctx, *q)
	return &res
}

// Approved publishes the repository's state: the snapshot list (the last
// one read, refreshed when a job changed the repository since) and
// repo.stats (snapshot count, locks present, raw size). A repository that
// is not configured or not initialised yet has no state to publish; the
// next config.update or job tries again.
func (h *handler) Approved(ctx context.Context) {
	h.approved.Lock()
	defer h.approved.Unlock()
	repo, err := h.run.Repo()
	if err != nil {
		h.log.Debug("no repository state to publish yet", "reason", err)
		return
	}
	snaps, err := h.run.Snapshots(ctx)
	if err != nil {
		h.log.Info("snapshot list not published", "err", err)
		return
	}
	h.sink.Snapshots(snaps)
	n := len(snaps)
	stats := protocol.RepoStats{SnapshotCount: &n}
	if locks, err := h.restic.LockCount(ctx, repo); err == nil {
		present := locks > 0
		stats.LockPresent = &present
	} else {
		h.log.Info("lock count not read", "err", err)
	}
	h.sink.RepoStats(stats)
	h.measureSizes()
}

// linkSink forwards the runner's best-effort state to the link, which is
// made after the runner.
type linkSink struct {
	mu    sync.Mutex
	l     *link.Link
	after func() // after each new snapshot list (a job changed the repository)
}

func (s *linkSink) setAfterSnapshots(f func()) {
	s.mu.Lock()
	s.after = f
	s.mu.Unlock()
}

func (s *linkSink) set(l *link.Link) {
	s.mu.Lock()
	s.l = l
	s.mu.Unlock()
}

func (s *linkSink) get() *link.Link {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.l
}

func (s *linkSink) Progress(p protocol.JobProgress) {
	if l := s.get(); l != nil {
		l.Progress(p)
	}
}

func (s *linkSink) Snapshots(snaps []protocol.Snapshot) {
	if l := s.get(); l != nil {
		l.PublishSnapshots(snaps)
	}
	s.mu.Lock()
	after := s.after
	s.mu.Unlock()
	if after != nil {
		after()
	}
}

// Notice goes to the host's log on the manager, on the next connection.
func (s *linkSink) Notice(text string) {
	if l := s.get(); l != nil {
		l.Report(text, nil)
	}
}

func (s *linkSink) RepoStats(st protocol.RepoStats) {
	if l := s.get(); l != nil {
		l.PublishRepoStats(st)
	}
}
