package restic

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"sync"
	"time"

	"restic-manager/protocol"
)

// output runs a command whose stdout is one document and returns it. A
// query is no job: it fails fast on an unreachable repository rather than
// wait out restic 0.17+'s 15 minutes of retries (the runner holds its
// snapshot list's lock meanwhile, and a config.update waits on it).
func (r *Restic) output(ctx context.Context, repo Repo, args []string) ([]byte, error) {
	var out bytes.Buffer
	_, err := r.Run(ctx, Cmd{Args: args, Repo: repo, FailFast: true, Stdout: func(line []byte) {
		out.Write(line)
		out.WriteByte('\n')
	}})
	return out.Bytes(), err
}

// Snapshots lists every snapshot in the repository.
func (r *Restic) Snapshots(ctx context.Context, repo Repo) ([]protocol.Snapshot, error) {
	out, err := r.output(ctx, repo, SnapshotsArgs())
	if err != nil {
		return nil, err
	}
	return ParseSnapshots(out)
}

// Stats runs `stats --mode mode` over the given snapshots (all when none).
func (r *Restic) Stats(ctx context.Context, repo Repo, mode string, snapshotIDs ...string) (Stats, error) {
	out, err := r.output(ctx, repo, StatsArgs(mode, snapshotIDs...))
	if err != nil {
		return Stats{}, err
	}
	return ParseStats(out)
}

// LockCount returns how many lock files the repository holds (live or
// stale), without taking one.
func (r *Restic) LockCount(ctx context.Context, repo Repo) (int, error) {
	n := 0
	_, err := r.Run(ctx, Cmd{Args: ListLocksArgs(), Repo: repo, Stdout: func(line []byte) {
		if len(bytes.TrimSpace(line)) > 0 {
			n++
		}
	}})
	return n, err
}

// lsBatch is how many nodes travel together from restic's output goroutine
// to the iterator: few enough to stay small, enough to keep channel traffic
// low on a million-file snapshot.
const lsBatch = 256

// Ls streams the nodes of a snapshot, recursively, restricted to paths when
// given. Nodes arrive in restic's order (depth first, names sorted) and are
// never all held in memory: restic is paused while the consumer is busy.
// Breaking out of the loop stops restic. A snapshot that does not exist
// yields an error wrapping ErrSnapshotNotFound (restic 0.14 exits 0 for it).
func (r *Restic) Ls(ctx context.Context, repo Repo, snapshotID string, paths ...string) iter.Seq2[Node, error] {
	return func(yield func(Node, error) bool) {
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		batches := make(chan []Node, 2)
		var (
			runErr   error
			parseErr error
			sawSnap  bool
			wg       sync.WaitGroup
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(batches)
			var batch []Node
			_, runErr = r.Run(ctx, Cmd{Args: LsArgs(snapshotID, paths...), Repo: repo, Grace: lsGrace, Stdout: func(line []byte) {
				if parseErr != nil || len(line) == 0 {
					return
				}
				var l lsLine
				if err := json.Unmarshal(line, &l); err != nil {
					parseErr = fmt.Errorf("ls %s: parse line: %w", snapshotID, err)
					cancel()
					return
				}
				switch l.kind() {
				case MsgSnapshot:
					sawSnap = true
				case MsgNode:
					batch = append(batch, l.Node)
					if len(batch) == lsBatch {
						select {
						case batches <- batch:
						case <-ctx.Done():
						}
						batch = nil
					}
				}
			}})
			if len(batch) > 0 {
				select {
				case batches <- batch:
				case <-ctx.Done():
				}
			}
		}()
		stopped := false
		for batch := range batches {
			for _, n := range batch {
				if !yield(n, nil) {
					stopped = true
					break
				}
			}
			if stopped {
				cancel()
				for range batches { // let the producer finish
				}
				break
			}
		}
		wg.Wait()
		if stopped {
			return
		}
		switch {
		case parseErr != nil:
			yield(Node{}, parseErr)
		case runErr != nil:
			yield(Node{}, runErr)
		case !sawSnap:
			yield(Node{}, &Error{Op: "ls", ExitCode: 0, Cause: ErrSnapshotNotFound, Detail: "no snapshot matches " + snapshotID})
		}
	}
}

// lsGrace is short: an interrupted ls holds no lock worth waiting for.
const lsGrace = 2 * time.Second
