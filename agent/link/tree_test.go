package link

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"restic-manager/protocol"
)

// slowTrees is a TreeList that holds every request until released, as an
// index build would, and counts how many run at once.
type slowTrees struct {
	release chan struct{}
	mu      sync.Mutex
	running int
	most    int
	changed chan struct{}
}

func newSlowTrees() *slowTrees {
	return &slowTrees{release: make(chan struct{}), changed: make(chan struct{}, 1)}
}

func (s *slowTrees) list(ctx context.Context, q *protocol.TreeList) *protocol.TreeListResult {
	s.mu.Lock()
	s.running++
	s.most = max(s.most, s.running)
	s.mu.Unlock()
	s.poke()
	defer func() {
		s.mu.Lock()
		s.running--
		s.mu.Unlock()
	}()
	select {
	case <-s.release:
		return &protocol.TreeListResult{SnapshotID: q.SnapshotID, Path: q.Path, Entries: []protocol.TreeEntry{{Name: "a", Type: protocol.EntryFile}}}
	case <-ctx.Done():
		return &protocol.TreeListResult{SnapshotID: q.SnapshotID, Path: q.Path, Error: "busy: index still building"}
	}
}

func (s *slowTrees) poke() {
	select {
	case s.changed <- struct{}{}:
	default:
	}
}

func (s *slowTrees) waitRunning(t *testing.T, n int) {
	t.Helper()
	deadline := time.After(wait)
	for {
		s.mu.Lock()
		r := s.running
		s.mu.Unlock()
		if r == n {
			return
		}
		select {
		case <-s.changed:
		case <-deadline:
			t.Fatalf("%d tree.lists running; want %d", r, n)
		}
	}
}

// Many tree.lists while an index builds: four run, the rest wait in the
// queue, and the read loop goes on — an ack, a command.cancel and a
// schedule.set sent behind them are handled at once. Past the queue's
// room a request is answered busy straight away. Released, every queued
// request gets its page.
func TestTreeListsNeverHoldUpTheReadLoop(t *testing.T) {
	m := newScriptedManager(t)
	j := openJournal(t)
	trees := newSlowTrees()
	a := startLink(t, m, j, &memTokens{}, nil)
	a.h.setTreeList(trees.list)
	frames := logLines(t, j, "job-1", 3)
	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")
	for range frames {
		c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeSnapshotsReport, protocol.TypeRepoStats)
	}

	const queued = maxConcurrentTreeList + maxQueuedTreeList
	ids := map[string]bool{}
	for i := range queued + 5 {
		env := c.send(t, &protocol.TreeList{SnapshotID: "0123456789abcdef", Path: fmt.Sprintf("/dir-%d", i)}, "")
		ids[env.ID] = i < queued
	}
	trees.waitRunning(t, maxConcurrentTreeList)

	c.send(t, &protocol.Ack{Seq: frames[2].Seq}, "")
	cancel := c.send(t, &protocol.CommandCancel{JobID: "no-such-job"}, "")
	set := c.send(t, &protocol.ScheduleSet{Version: 2, Schedules: []protocol.Schedule{}}, "")
	var gotCancel, gotSet bool
	busy := 0
	for !gotCancel || !gotSet || busy < 5 {
		env := c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeSnapshotsReport, protocol.TypeRepoStats)
		switch {
		case env.ReplyTo == cancel.ID && env.Type == protocol.TypeError:
			gotCancel = true
		case env.ReplyTo == set.ID && env.Type == protocol.TypeScheduleAck:
			gotSet = true
		case env.Type == protocol.TypeTreeListResult && !ids[env.ReplyTo]:
			res, _ := protocol.Decode[protocol.TreeListResult](env)
			if res == nil || !strings.HasPrefix(res.Error, "busy: ") {
				t.Fatalf("a tree.list past the queue got %+v; want busy", res)
			}
			busy++
		default:
			t.Fatalf("while the tree.lists wait: %s replying to %q", env.Type, env.ReplyTo)
		}
	}
	if got := j.LastAckedSeq(); got != frames[2].Seq {
		t.Errorf("journal acked up to %d; want %d: the ack behind the tree.lists was not read", got, frames[2].Seq)
	}

	close(trees.release)
	answered := 0
	for answered < queued {
		env := c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeSnapshotsReport, protocol.TypeRepoStats)
		if env.Type != protocol.TypeTreeListResult || !ids[env.ReplyTo] {
			t.Fatalf("after the release: %s replying to %q", env.Type, env.ReplyTo)
		}
		delete(ids, env.ReplyTo)
		answered++
	}
	trees.mu.Lock()
	most := trees.most
	trees.mu.Unlock()
	if most != maxConcurrentTreeList {
		t.Errorf("%d tree.lists ran at once; want %d", most, maxConcurrentTreeList)
	}
	if s := a.Status(); s.Sessions != 1 {
		t.Errorf("status %+v; want the first session still up", s)
	}
}

// Every request's wait is bounded, queued ones included: each is answered
// busy once its time is up, and none is left unanswered.
func TestATreeListWaitsAtMostTreeListWait(t *testing.T) {
	m := newScriptedManager(t)
	trees := newSlowTrees() // never released: only the deadline ends a request
	a := startLink(t, m, openJournal(t), &memTokens{}, func(o *Options) { o.TreeListWait = 50 * time.Millisecond })
	a.h.setTreeList(trees.list)
	c := m.accept(t)
	c.admit(t, protocol.HostApproved, 0, "")
	want := map[string]bool{}
	for i := range 2 * maxConcurrentTreeList {
		want[c.send(t, &protocol.TreeList{SnapshotID: "0123456789abcdef", Path: fmt.Sprintf("/d%d", i)}, "").ID] = true
	}
	for len(want) > 0 {
		env := c.nextExcept(t, protocol.TypeHeartbeat, protocol.TypeSnapshotsReport, protocol.TypeRepoStats)
		res, _ := protocol.Decode[protocol.TreeListResult](env)
		if !want[env.ReplyTo] || res == nil || res.Error != "busy: index still building" {
			t.Fatalf("got %s %+v replying to %q; want busy for a request sent", env.Type, res, env.ReplyTo)
		}
		delete(want, env.ReplyTo)
	}
}
