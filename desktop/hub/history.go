package hub

// Settings → History: how long job history is kept, and the background
// sweep that applies it (storage/retention.go does the removing). The
// sweep runs SweepDelay after start, then every SweepInterval, and at once
// when the settings change; before the first, the check a large store
// leaves for after start (storage/check_deferred.go) runs at once. The
// sweep's deletes ride on the group commits (storage/sweep_share.go), so
// agents keep getting their acks while years of history are removed.

import (
	"context"
	"errors"
	"time"

	"restic-manager/storage"
)

// Defaults of the sweep's Options.
const (
	DefaultSweepDelay     = time.Minute
	DefaultSweepInterval  = time.Hour
	DefaultSweepKeysPerTx = 256
)

// History types, re-exported for the UI.
type (
	HistorySettings  = storage.HistorySettings
	SweepReport      = storage.SweepReport
	StoreSpace       = storage.Space
	CompactionReport = storage.CompactionReport
)

// sweepState is the sweep as HistoryStatus reports it (under Hub.mu).
type sweepState struct {
	running  bool
	progress *SweepReport // the running sweep's report so far
	last     *SweepReport
	err      string
	// damage is what the deferred page check found; no sweep writes to a
	// damaged file.
	damage string
}

// Fixed parts of retention, re-exported.
const (
	KeepJobsPerHost = storage.KeepJobsPerHost
	MaxHostEvents   = storage.MaxHostEvents
	MaxHistoryDays  = storage.MaxHistoryDays
)

// ChangeHistory: the history settings changed, or a sweep started or
// ended. Re-read HistoryStatus (and the job lists on screen, which may
// have lost old entries).
const ChangeHistory ChangeKind = "history"

// HistoryStatus is what Settings → History shows.
type HistoryStatus struct {
	Settings HistorySettings
	// Sweeping: a sweep is running now; SweepProgress what it removed so
	// far (nil before its first transaction).
	Sweeping      bool
	SweepProgress *SweepReport
	// LastSweep is the latest sweep since the manager started (nil:
	// none yet); SweepError says why it stopped early ("" when it ran to
	// the end).
	LastSweep  *SweepReport
	SweepError string
	// Space is the store file's size and how much of it is free.
	Space StoreSpace
	// Compaction is what compaction did at start (nil: the file did not
	// need it).
	Compaction *CompactionReport
	// CompactsAtNextStart: the file is over storage.CompactMinSize and
	// more than half free, so the next start compacts it.
	CompactsAtNextStart bool
	// StoreDamage is set when the page check of a large store, which runs
	// after start, found damage: the next start moves the file aside.
	StoreDamage string
}

// ValidateHistorySettings checks the form as SetHistorySettings will:
// every field 1 to MaxHistoryDays days, and no log kept longer than its
// job record. A refusal is a *FieldError naming the setting.
func ValidateHistorySettings(s HistorySettings) error {
	if field, reason := s.Problem(); field != "" {
		return &FieldError{Field: field, Reason: reason}
	}
	return nil
}

// HistorySettings returns how long job history is kept.
func (h *Hub) HistorySettings() (HistorySettings, error) { return h.store.HistorySettings() }

// SetHistorySettings stores new retention settings (refused as
// ValidateHistorySettings says, nothing written) and sweeps with them
// now, in the background.
func (h *Hub) SetHistorySettings(s HistorySettings) error {
	if err := ValidateHistorySettings(s); err != nil {
		return err
	}
	if err := h.store.SetHistorySettings(s); err != nil {
		return err
	}
	h.log.Info("history settings changed", "job_days", s.JobDays, "succeeded_log_days", s.SucceededLogDays, "failed_log_days", s.FailedLogDays)
	h.broker.publish(Change{Kind: ChangeHistory})
	h.SweepHistory()
	return nil
}

// SweepHistory starts a sweep now unless one is running (then that one
// carries on). It returns at once; ChangeHistory says when it ends.
func (h *Hub) SweepHistory() {
	select {
	case h.sweepWake <- struct{}{}:
	default:
	}
}

// HistoryStatus returns the settings, the latest sweep and the store's
// size.
func (h *Hub) HistoryStatus() (HistoryStatus, error) {
	set, err := h.store.HistorySettings()
	if err != nil {
		return HistoryStatus{}, err
	}
	st := HistoryStatus{Settings: set}
	h.mu.Lock()
	st.Sweeping, st.SweepError, st.StoreDamage = h.sweep.running, h.sweep.err, h.sweep.damage
	if h.sweep.last != nil {
		last := *h.sweep.last
		st.LastSweep = &last
	}
	if h.sweep.progress != nil {
		p := *h.sweep.progress
		st.SweepProgress = &p
	}
	h.mu.Unlock()
	if st.Space, err = h.store.Space(); err != nil {
		return st, err
	}
	if c, ok := h.store.Compaction(); ok {
		st.Compaction = &c
	}
	st.CompactsAtNextStart = st.Space.Wasteful(storage.CompactMinSize)
	return st, nil
}

// sweepLoop runs the sweeps until the hub closes.
func (h *Hub) sweepLoop() {
	defer h.wg.Done()
	timer := time.NewTimer(h.opts.SweepDelay)
	if h.opts.SweepInterval < 0 {
		timer.Stop() // only SweepHistory starts one
	}
	defer timer.Stop()
	// The check a large store left for after start comes first, at once:
	// until it has run, an undecodable record is not in quarantine yet.
	sound := h.checkStore()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-timer.C:
		case <-h.sweepWake:
		}
		if !sound {
			continue // damaged: no sweep writes to it
		}
		h.sweepOnce()
		if h.opts.SweepInterval > 0 {
			timer.Stop()
			select { // a fire that raced the wake
			case <-timer.C:
			default:
			}
			timer.Reset(h.opts.SweepInterval)
		}
	}
}

func (h *Hub) sweepOnce() {
	h.mu.Lock()
	h.sweep.running = true
	h.mu.Unlock()
	h.broker.publish(Change{Kind: ChangeHistory})
	// The sweep reads old pages all over the file: release as it goes.
	done := make(chan struct{})
	go h.releaseUntil(done, 250*time.Millisecond)
	// While agents send, each batch of deletes rides on a group commit;
	// after a quiet second the sweep commits on its own.
	rep, err := h.store.Sweep(h.ctx, storage.SweepOptions{Now: h.now(), ShareWait: time.Second,
		MaxKeysPerTx: h.opts.SweepKeysPerTx,
		Progress: func(r SweepReport) {
			h.mu.Lock()
			h.sweep.progress = &r
			h.mu.Unlock()
		}})
	close(done)
	h.mu.Lock()
	h.sweep.running, h.sweep.last, h.sweep.err, h.sweep.progress = false, &rep, "", nil
	if err != nil {
		h.sweep.err = err.Error()
	}
	h.mu.Unlock()
	switch {
	case errors.Is(err, context.Canceled) && h.ctx.Err() != nil:
		h.log.Info("history sweep stopped: the manager is closing; the next start carries on", "removed", rep.Removed())
	case err != nil:
		h.log.Error("history sweep failed; what it removed before stays removed", "err", err, "removed", rep.Removed())
	case rep.Removed() > 0 || rep.HostsRemoved > 0:
		h.log.Info("history sweep", "jobs", rep.JobsRemoved, "logs", rep.LogsRemoved, "log_lines", rep.LogLinesRemoved,
			"events", rep.EventsRemoved, "other", rep.OtherRemoved, "hosts", rep.HostsRemoved,
			"transactions", rep.Transactions, "took", rep.Finished.Sub(rep.Started).Round(time.Millisecond))
	}
	h.broker.publish(Change{Kind: ChangeHistory})
}

// checkStore runs the check Open left for later (a large store's) and
// reports whether the store is sound. It reads the whole file once, in
// the background, while the manager serves.
func (h *Hub) checkStore() bool {
	if !h.store.CheckPending() {
		return true
	}
	start := time.Now()
	// The check reads the whole file through the map: release as it goes,
	// or the manager's memory would grow by the file's size.
	done := make(chan struct{})
	go h.releaseUntil(done, 250*time.Millisecond)
	bad, err := h.store.CheckDeferred(h.now())
	close(done)
	if err == nil {
		h.log.Info("store checked", "took", time.Since(start).Round(time.Millisecond), "quarantined", len(bad))
		h.reportQuarantined(bad)
		return true
	}
	h.log.Error("the store is damaged; the manager keeps running on it, and the next start moves it aside", "err", err)
	h.mu.Lock()
	h.sweep.damage = err.Error()
	h.mu.Unlock()
	h.broker.publish(Change{Kind: ChangeHistory})
	return false
}

// logCompaction says at start what the store's compaction did.
func (h *Hub) logCompaction() {
	c, ok := h.store.Compaction()
	if !ok {
		return
	}
	if c.Err != nil {
		h.log.Warn("store compaction failed; the file is as it was and the next start tries again", "err", c.Err,
			"file_mb", c.Before.FileBytes>>20, "free_mb", c.Before.FreeBytes>>20)
		return
	}
	h.log.Info("store compacted at start", "before_mb", c.Before.FileBytes>>20, "after_mb", c.After.FileBytes>>20, "took", c.Took.Round(time.Millisecond))
}
