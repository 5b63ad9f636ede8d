package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"restic-manager/agent/restic"
	"restic-manager/protocol"
)

// find runs `restic find --json [--ignore-case] --host <own> -- pattern`
// and journals each match as an `event` line holding a protocol.FindMatch,
// the same for every restic version, as restic reports each snapshot
// (restic prints one growing JSON array; agent/restic reads it as it
// comes). The stats count the host's snapshots searched, from the
// snapshot list the runner keeps (read beside the find when a job changed
// the repository since), and every match, also those past the log's cap.
func (ex *execution) find(ctx context.Context) result {
	f := ex.job.Run.Find
	args, err := restic.FindArgs(ex.r.hostname, f.Pattern, f.IgnoreCase)
	if err != nil {
		return result{err: err}
	}

	var (
		wg        sync.WaitGroup
		searched  int
		snapsErr  error
		matches   int
		parseErr  error
		pr, pw    = io.Pipe()
		keepLines = protocol.MaxLogLinesPerJob
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		snaps, err := ex.r.Snapshots(ctx)
		if err != nil {
			snapsErr = err
			return
		}
		for _, s := range snaps {
			if s.Hostname == ex.r.hostname {
				searched++
			}
		}
	}()
	go func() {
		defer wg.Done()
		parseErr = restic.ReadFind(pr, keepLines, func(s restic.FindSnapshot) {
			matches += s.Hits
			for _, m := range s.Matches {
				line, err := json.Marshal(protocol.FindMatch{SnapshotID: s.SnapshotID, Path: m.Path, Type: m.Type, Size: m.Size, Mtime: m.Mtime})
				if err != nil {
					continue // a time past year 9999: nothing to report
				}
				ex.log.add(protocol.StreamEvent, string(line))
			}
			ex.log.skip(s.Hits - len(s.Matches))
		})
	}()
	err = ex.resticCmd(ctx, restic.Cmd{Args: args, Repo: ex.repo, StdoutStream: pw})
	pw.Close()
	wg.Wait()

	if err == nil && parseErr != nil {
		err = fmt.Errorf("find: restic's output could not be read: %w", parseErr)
	}
	if err != nil {
		return result{err: err}
	}
	if snapsErr != nil {
		ex.note("could not count the snapshots searched: " + snapsErr.Error())
	}
	stats, _ := json.Marshal(protocol.FindStats{SnapshotsSearched: searched, Matches: matches})
	return result{stats: stats}
}
