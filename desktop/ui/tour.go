//go:build tour

package ui

// The screenshot tour (restic-manager --screenshot-tour DIR, make
// screenshots): the real window driven through the views the README
// shows, each captured with Canvas().Capture() — the GL driver's own
// rendering — into a PNG. The caller (desktop/tour.go) makes the facts
// through the hub (a host with snapshots, a backup running); a step here
// only navigates, waits until the view shows what the picture needs, and
// captures. Widgets are touched on the UI goroutine only (fyne.DoAndWait);
// the waiting happens on the caller's goroutine, with the caller's
// deadline. It drives the views through the small methods they offer
// (mainWindow.show, hostView.showTab, dashboard.barValue, …), never their
// widgets.
//
// Built only with -tags tour, as desktop/tour.go that runs it: the shipped
// app has no tour.

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"

	"restic-manager/desktop/hub"
)

var (
	// tourMainSize is the main window's size in the pictures; the restore
	// wizard and the diff dialog keep the sizes they open with.
	tourMainSize    = fyne.NewSize(1280, 800)
	tourPollEvery   = 100 * time.Millisecond
	tourSettleDelay = 800 * time.Millisecond // a few frames after the last change
)

// Tour captures the screenshots into one folder. Not for the UI
// goroutine: every method blocks until its picture is written.
type Tour struct {
	u   *UI
	dir string
}

// NewTour returns a tour writing into dir (created if missing).
func (u *UI) NewTour(dir string) (*Tour, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("screenshot tour: %w", err)
	}
	return &Tour{u: u, dir: dir}, nil
}

// Dashboard shows "All hosts" and captures main-window.png once the
// running job jobID shows a bar that has moved.
func (t *Tour) Dashboard(ctx context.Context, jobID string) error {
	m := t.u.main
	fyne.DoAndWait(func() {
		t.u.win.Resize(tourMainSize)
		m.show("")
	})
	err := t.until(ctx, "the dashboard's bar of the running job", func() bool {
		v, ok := m.dash.barValue(jobID)
		return ok && v > 0.05
	})
	if err != nil {
		return err
	}
	return t.capture(ctx, t.u.win, "main-window.png")
}

// RunningJob opens the host's Jobs tab with job jobID selected and
// captures running-job.png while its progress bar is partway.
func (t *Tour) RunningJob(ctx context.Context, hostID, jobID string) error {
	m := t.u.main
	var jobs *jobsTab
	fyne.DoAndWait(func() {
		m.show(hostID)
		if m.host == nil || m.host.hostID != hostID {
			return
		}
		if jobs, _ = m.host.showTab("Jobs").(*jobsTab); jobs != nil {
			jobs.detail.show(jobID)
		}
	})
	if jobs == nil {
		return fmt.Errorf("screenshot tour: no Jobs tab for host %s", hostID)
	}
	err := t.until(ctx, "the job's progress bar partway", func() bool {
		v, ok := jobs.detail.progress.runningValue()
		return ok && v > 0.02 && v < 0.98
	})
	if err != nil {
		return err
	}
	return t.capture(ctx, t.u.win, "running-job.png")
}

// RestoreWizard opens the wizard on snap, moves to its files page, opens
// the folders open (each once it is listed) and ticks the paths tick,
// captures restore-wizard.png, and closes the wizard.
func (t *Tour) RestoreWizard(ctx context.Context, hostID string, snap hub.Snapshot, open, tick []string) error {
	var w *restoreWizard
	fyne.DoAndWait(func() {
		w = newRestoreWizard(t.u, hostID, snap)
		w.next()
	})
	defer fyne.DoAndWait(func() { w.win.Close() })
	for _, dir := range open {
		fyne.DoAndWait(func() { w.tree.open(dir) })
		if err := t.until(ctx, "the listing of "+dir, func() bool { return w.tree.loaded(dir) }); err != nil {
			return err
		}
	}
	fyne.DoAndWait(func() {
		for _, p := range tick {
			w.tree.setChecked(p, true)
		}
	})
	if err := t.until(ctx, "the tree idle", func() bool { return w.tree.idle() && w.step == restoreStepFiles }); err != nil {
		return err
	}
	return t.capture(ctx, w.win, "restore-wizard.png")
}

// Diff opens the diff dialog of a (older) and b (newer), waits for its
// result and sizes, captures diff-dialog.png, and closes it.
func (t *Tour) Diff(ctx context.Context, hostID string, a, b hub.Snapshot) error {
	var d *diffDialog
	fyne.DoAndWait(func() { d = newDiffDialog(t.u, hostID, a, b) })
	defer fyne.DoAndWait(func() { d.win.Close() })
	if err := t.until(ctx, "the diff's result and sizes", d.done); err != nil {
		return err
	}
	return t.capture(ctx, d.win, "diff-dialog.png")
}

// FindFiles opens Find files over every host, searches for pattern,
// waits until every host's search has ended with matches, captures
// find-dialog.png, and closes it.
func (t *Tour) FindFiles(ctx context.Context, pattern string) error {
	var d *findDialog
	fyne.DoAndWait(func() {
		d = newFindDialog(t.u, "")
		d.pattern.SetText(pattern)
		d.find()
	})
	defer fyne.DoAndWait(func() { d.win.Close() })
	if err := t.until(ctx, "the search's results", func() bool { return d.last.Done && len(d.last.Paths) > 0 }); err != nil {
		return err
	}
	return t.capture(ctx, d.win, "find-dialog.png")
}

// Attention shows "All hosts" once the dashboard lists the hosts named
// in want (needing attention: failing, stale, offline), and captures
// dashboard-attention.png. The caller wrote them into the store itself,
// so the tour reads the host list again rather than wait for an event.
func (t *Tour) Attention(ctx context.Context, want ...string) error {
	m := t.u.main
	fyne.DoAndWait(func() {
		t.u.win.Resize(tourMainSize)
		m.show("")
	})
	err := t.until(ctx, "the dashboard listing "+fmt.Sprint(want), func() bool {
		m.reload()
		for _, name := range want {
			found := false
			for _, r := range m.dash.last.Attention {
				found = found || r.Name == name
			}
			if !found {
				return false
			}
		}
		return true
	})
	if err != nil {
		return err
	}
	return t.capture(ctx, t.u.win, "dashboard-attention.png")
}

// RetentionPreview opens the host's Source groups tab on group, types a
// keep-last of keepLast (not saved), runs Preview and captures
// retention-preview.png once the table shows the agent's answer; then it
// reverts the edit.
func (t *Tour) RetentionPreview(ctx context.Context, hostID, group string, keepLast int) error {
	m := t.u.main
	var g *groupsTab
	fyne.DoAndWait(func() {
		m.show(hostID)
		if g, _ = m.openTab(hostID, "Source groups").(*groupsTab); g == nil {
			return
		}
		if stored, ok := g.find(group); ok {
			g.editor.open(stored)
		}
		g.editor.keep[0].SetText(fmt.Sprint(keepLast))
		g.editor.runPreview()
	})
	if g == nil {
		return fmt.Errorf("screenshot tour: no Source groups tab for host %s", hostID)
	}
	defer fyne.DoAndWait(g.editor.revert)
	if err := t.until(ctx, "the retention preview's rows", func() bool {
		return g.editor.preview.result.Done && len(g.editor.preview.rows) > 0
	}); err != nil {
		return err
	}
	// The editor scrolls: bring the policy and its table into view.
	fyne.DoAndWait(func() {
		scroll, ok := g.editor.obj.(*container.Scroll)
		if !ok {
			return
		}
		d := fyne.CurrentApp().Driver()
		y := d.AbsolutePositionForObject(g.editor.preview.object()).Y - d.AbsolutePositionForObject(scroll.Content).Y
		scroll.ScrollToOffset(fyne.NewPos(0, max(0, y-260)))
	})
	return t.capture(ctx, t.u.win, "retention-preview.png")
}

// RepositoryTest opens the host's Settings tab, runs Test and captures
// repository-test.png once the answers are in.
func (t *Tour) RepositoryTest(ctx context.Context, hostID string) error {
	m := t.u.main
	var s *settingsTab
	fyne.DoAndWait(func() {
		if s, _ = m.openTab(hostID, "Settings").(*settingsTab); s != nil {
			s.test()
		}
	})
	if s == nil {
		return fmt.Errorf("screenshot tour: no Settings tab for host %s", hostID)
	}
	if err := t.until(ctx, "the repository test's answers", func() bool { return s.probe.result.Done }); err != nil {
		return err
	}
	return t.capture(ctx, t.u.win, "repository-test.png")
}

// until polls cond on the UI goroutine until it holds or ctx ends.
func (t *Tour) until(ctx context.Context, what string, cond func() bool) error {
	tick := time.NewTicker(tourPollEvery)
	defer tick.Stop()
	for {
		var ok bool
		fyne.DoAndWait(func() { ok = cond() })
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("screenshot tour: waiting for %s: %w", what, context.Cause(ctx))
		case <-tick.C:
		}
	}
}

// capture lets the window paint its last changes, reads it back from GL
// and writes it as dir/name.
func (t *Tour) capture(ctx context.Context, w fyne.Window, name string) error {
	select {
	case <-ctx.Done():
		return fmt.Errorf("screenshot tour: %s: %w", name, context.Cause(ctx))
	case <-time.After(tourSettleDelay):
	}
	var img image.Image
	fyne.DoAndWait(func() { img = w.Canvas().Capture() })
	if img == nil || img.Bounds().Empty() {
		return fmt.Errorf("screenshot tour: %s: the window captured as an empty image", name)
	}
	path := filepath.Join(t.dir, name)
	if err := tourWritePNG(path, img); err != nil {
		return fmt.Errorf("screenshot tour: %w", err)
	}
	t.u.log.Info("screenshot tour: captured", "file", path, "size", img.Bounds().Size().String())
	return nil
}

// tourWritePNG writes img opaque (a window has no transparency; an opaque
// image encodes as RGB, a quarter smaller) at the best compression.
func tourWritePNG(path string, img image.Image) error {
	b := img.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			i := out.PixOffset(x, y)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(r>>8), uint8(g>>8), uint8(bl>>8), 0xff
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(f, out); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
