//go:build tour

package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/ui"
)

// The screenshot tour (--screenshot-tour DIR, run by make screenshots):
// over make demo's setup, it waits for the demo host's first snapshot,
// changes the demo files, runs a second backup slowed by a bandwidth cap
// (so that it is seen running), and has the window (ui.Tour) capture the
// dashboard, the running job, the restore wizard and the diff of the two
// snapshots and Find files with the reports' versions. Then the app
// quits; a failed step makes it exit 1.
//
// Built only with -tags tour (scripts/screenshots sets it): the shipped
// app has neither the flag nor the code.

const (
	// tourTimeout bounds the whole tour (enrollment, init, two backups,
	// listings and a diff take well under a minute here).
	tourTimeout = 4 * time.Minute
	// The second backup adds tourClips files of tourClipBytes of random
	// data, its upload capped at tourCapKbps (3 MB/s): about 25 s. restic
	// reads ahead of the upload by some 50 MiB (packs waiting for it), so
	// the data must be well above that for the bar to wait partway
	// (at ~70 %) rather than show 100 % while the packs trickle out.
	tourCapKbps   = 24000
	tourClips     = 5
	tourClipBytes = 16 << 20
)

// tourConfig is --screenshot-tour.
type tourConfig struct {
	// Dir is where the pictures go; "" for no tour.
	Dir string
}

func addTourFlags(fs *flag.FlagSet, c *tourConfig) {
	fs.StringVar(&c.Dir, "screenshot-tour", "", "make screenshots: with the demo flags, run a second backup, capture the window's main views as PNGs into this folder, then quit")
}

// checkTour refuses a tour without the demo's facts or without a window.
func checkTour(c config) error {
	if c.Tour.Dir != "" && (c.Demo.Repo == "" || c.Headless) {
		return errors.New("--screenshot-tour needs the demo (--demo-repo, --demo-files) and a window (no --headless)")
	}
	return nil
}

// startTour starts the tour on its own goroutine once the window is built;
// its result arrives on the channel, after which the app quits. Without
// --screenshot-tour the channel is nil.
func startTour(m *manager, u *ui.UI, a fyne.App, c config) (<-chan error, error) {
	if c.Tour.Dir == "" {
		return nil, nil
	}
	t, err := u.NewTour(c.Tour.Dir)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() {
		err := runTour(m, t, c.Demo)
		if err == nil {
			m.log.Info("screenshot tour done", "dir", c.Tour.Dir)
		}
		done <- err
		fyne.Do(a.Quit)
	}()
	return done, nil
}

// runTour runs the tour; the window is up and its event loop running.
func runTour(m *manager, t *ui.Tour, d demoConfig) error {
	ctx, cancel := context.WithTimeoutCause(m.ctx, tourTimeout, errors.New("the tour took longer than "+tourTimeout.String()))
	defer cancel()
	h := m.hub

	var hostID string
	err := tourUntil(ctx, "the demo host's first snapshot", func() bool {
		hostID = tourDemoHost(h)
		return hostID != ""
	})
	if err != nil {
		return err
	}
	if err := tourChangeFiles(d.Files); err != nil {
		return err
	}
	// The pictures compare the second backup's snapshot with the one
	// before it, by id: a schedule may fire during the tour and add more.
	before, err := h.Snapshots(hostID)
	if err != nil || len(before) == 0 {
		return fmt.Errorf("screenshot tour: the first snapshot: %v", err)
	}
	older := slices.MaxFunc(before, func(a, b hub.Snapshot) int { return a.Time.Compare(b.Time) })
	if err := h.SetBandwidth(hostID, tourCapKbps, 0); err != nil {
		return err
	}
	jobID, err := h.RunNow(hostID, hub.RunRequest{Kind: hub.JobKindBackup, Group: demoGroup})
	if err != nil {
		return err
	}
	if err := t.Dashboard(ctx, jobID); err != nil {
		return err
	}
	if err := t.RunningJob(ctx, hostID, jobID); err != nil {
		return err
	}

	var job hub.Job
	if err := tourUntil(ctx, "the second backup's end", func() bool {
		job, err = h.Job(jobID)
		return err == nil && job.Terminal()
	}); err != nil {
		return err
	}
	if err := h.SetBandwidth(hostID, 0, 0); err != nil {
		return err
	}
	if job.Status != hub.JobSucceeded {
		return fmt.Errorf("screenshot tour: the second backup %s: %s", job.Status, job.Error)
	}
	f := hub.FiguresOf(job).Backup
	if f == nil || f.SnapshotID == "" {
		return errors.New("screenshot tour: the second backup reported no snapshot")
	}
	var newer hub.Snapshot
	if err := tourUntil(ctx, "the second snapshot in the list", func() bool {
		snaps, err := h.Snapshots(hostID)
		i := slices.IndexFunc(snaps, func(s hub.Snapshot) bool { return strings.HasPrefix(s.ID, f.SnapshotID) })
		if err != nil || i < 0 {
			return false
		}
		newer = snaps[i]
		return true
	}); err != nil {
		return err
	}

	docs, photos := filepath.Join(d.Files, "documents"), filepath.Join(d.Files, "photos")
	open := []string{d.Files, docs, photos}
	tick := []string{filepath.Join(docs, "report-1.txt"), filepath.Join(docs, "report-2.txt"), photos}
	if err := t.RestoreWizard(ctx, hostID, newer, open, tick); err != nil {
		return err
	}
	if err := t.Diff(ctx, hostID, older, newer); err != nil {
		return err
	}
	if err := t.FindFiles(ctx, "report-*"); err != nil {
		return err
	}
	// What the window says about trouble before it deletes or fails: the
	// dashboard with a failing, a stale and an offline host, the demo
	// group's retention previewed (two snapshots, keep-last 1), and the
	// demo repository tested.
	if err := tourAddAttentionHosts(m.store, time.Now()); err != nil {
		return err
	}
	if err := t.Attention(ctx, tourAttentionHosts...); err != nil {
		return err
	}
	if err := t.RetentionPreview(ctx, hostID, demoGroup, 1); err != nil {
		return err
	}
	return t.RepositoryTest(ctx, hostID)
}

// tourDemoHost is the approved, online host with a snapshot and no job
// running or queued (the demo's init and first backup are done), or "".
func tourDemoHost(h *hub.Hub) string {
	hosts, err := h.Hosts()
	if err != nil {
		return ""
	}
	for _, v := range hosts {
		if v.Host.Status != hub.StatusApproved || !v.Online || v.RunningJobs+v.QueuedJobs > 0 {
			continue
		}
		if snaps, err := h.Snapshots(v.Host.ID); err == nil && len(snaps) > 0 {
			return v.Host.ID
		}
	}
	return ""
}

// tourChangeFiles gives the second snapshot something to differ by: a
// report edited, one deleted, a note and a folder of video clips added.
func tourChangeFiles(dir string) error {
	docs := filepath.Join(dir, "documents")
	f, err := os.OpenFile(filepath.Join(docs, "report-2.txt"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("screenshot tour: %w", err)
	}
	_, err = fmt.Fprintf(f, "Revised %s: figures for March corrected.\n", time.Now().Format(time.DateOnly))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Remove(filepath.Join(docs, "report-5.txt"))
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(docs, "meeting-notes.md"), []byte("# Monday\n\n- new backup drive arrives Thursday\n"), 0o644)
	}
	if err == nil {
		err = os.MkdirAll(filepath.Join(dir, "videos"), 0o755)
	}
	clip := make([]byte, tourClipBytes)
	for i := 1; i <= tourClips && err == nil; i++ {
		_, _ = rand.Read(clip) // random: restic can neither compress nor deduplicate it
		err = os.WriteFile(filepath.Join(dir, "videos", fmt.Sprintf("clip-%d.mp4", i)), clip, 0o644)
	}
	if err != nil {
		return fmt.Errorf("screenshot tour: change the demo files: %w", err)
	}
	return nil
}

// tourUntil polls cond until it holds or ctx ends.
func tourUntil(ctx context.Context, what string, cond func() bool) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			return fmt.Errorf("screenshot tour: waiting for %s: %w", what, context.Cause(ctx))
		case <-tick.C:
		}
	}
	return nil
}

// tourBuilt says the tour is compiled in (tests).
const tourBuilt = true
