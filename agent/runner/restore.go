package runner

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// restore runs `restic restore` of the job's paths, into target_dir (as
// target_dir/abs/path) or in place at "/", where restic restores ownership
// when it can (there is no flag to skip it in any version). Progress comes
// from restic's JSON where the version prints it (0.16+); before that the
// agent measures it: the total from `restic ls` of the paths, the progress
// from the files written under the target since the job started, walked
// once per progress interval, and the job's stats are those measured counts.
func (ex *execution) restore(ctx context.Context) result {
	rs := ex.job.Run.Restore
	target := "/"
	switch {
	case rs.InPlace && runtime.GOOS == "windows":
		return result{err: errors.New("in-place restore is not supported on Windows yet: restore into a directory")}
	case !rs.InPlace:
		// Checked again (the job may have waited in the queue) and created
		// by the agent, so restic writes into a directory nobody else can
		// touch.
		var err error
		if target, err = ex.r.prepareRestoreTarget(rs.TargetDir); err != nil {
			return result{err: err}
		}
	}
	args, err := ex.r.restic.RestoreArgs(restic.RestoreOptions{
		SnapshotID: rs.SnapshotID, Paths: rs.Paths, Target: target,
		LimitDownloadKiB: restic.KbpsToKiB(effectiveCap(ex.job.Run.BandwidthDownKbps, ex.cfg.BandwidthDownKbps)),
	})
	if err != nil {
		return result{err: err}
	}
	if ex.r.restic.Caps().RestoreJSON {
		return ex.restoreWithJSON(ctx, args)
	}
	return ex.restoreMeasured(ctx, args, target, rs.SnapshotID, rs.Paths)
}

func (ex *execution) restoreWithJSON(ctx context.Context, args []string) result {
	stream := ex.summaryStream(func(line []byte) protocol.JobProgress {
		var s restic.RestoreStatus
		_ = json.Unmarshal(line, &s)
		return s.Progress(ex.job.ID())
	}, func(summary []byte) protocol.JobProgress {
		var s restic.RestoreStatus
		_ = json.Unmarshal(summary, &s)
		return s.FinalProgress(ex.job.ID())
	})
	err := ex.restic(ctx, args, stream.line)
	return result{err: err, stats: stream.stats()}
}

// measuredRestore is the stats object of a restore the agent measured,
// with the field names of restic's own restore summary.
type measuredRestore struct {
	SecondsElapsed uint64 `json:"seconds_elapsed"`
	TotalFiles     uint64 `json:"total_files"`
	FilesRestored  uint64 `json:"files_restored"`
	TotalBytes     uint64 `json:"total_bytes"`
	BytesRestored  uint64 `json:"bytes_restored"`
	MeasuredBy     string `json:"measured_by"`
}

func (ex *execution) restoreMeasured(ctx context.Context, args []string, target, snapshotID string, paths []string) result {
	var totalFiles, totalBytes uint64
	for n, err := range ex.r.restic.Ls(ctx, ex.repo, snapshotID, paths...) {
		if err != nil {
			return result{err: err}
		}
		if n.Type == "file" {
			totalFiles++
			totalBytes += n.Size
		}
	}
	roots := make([]string, 0, len(paths))
	for _, p := range paths {
		roots = append(roots, filepath.Join(target, filepath.FromSlash(p)))
	}
	// Files older than this were not written by this restore. A second of
	// slack covers coarse file-system timestamps.
	since := time.Now().Add(-time.Second)
	start := time.Now()
	progress := func() (uint64, uint64, protocol.JobProgress) {
		files, bytes := measureWritten(roots, since)
		return files, bytes, restic.ProgressFromCounts(ex.job.ID(), files, totalFiles, bytes, totalBytes, time.Since(start))
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		period := ex.r.interval
		for {
			t0 := time.Now()
			_, _, p := progress()
			ex.r.sink.Progress(p)
			// A huge tree takes long to walk: walk less often, at most a
			// quarter of the time.
			wait := max(period, 4*time.Since(t0))
			select {
			case <-stop:
				return
			case <-time.After(wait):
			}
		}
	}()
	err := ex.restic(ctx, args, nil)
	close(stop)
	wg.Wait()

	files, bytes, p := progress()
	if err == nil {
		ex.r.sink.Progress(p)
	}
	stats, _ := json.Marshal(measuredRestore{
		SecondsElapsed: uint64(time.Since(start).Seconds()), TotalFiles: totalFiles, FilesRestored: files,
		TotalBytes: totalBytes, BytesRestored: bytes, MeasuredBy: "restic-agent",
	})
	return result{err: err, stats: stats}
}

// measureWritten counts the regular files under roots (each a file or a
// directory) written since t, and their bytes.
func measureWritten(roots []string, since time.Time) (files, bytes uint64) {
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return nil
			}
			fi, err := d.Info()
			if err != nil || !writtenSince(fi, since) {
				return nil
			}
			files++
			bytes += uint64(fi.Size())
			return nil
		})
	}
	return files, bytes
}
