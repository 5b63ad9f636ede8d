package hub

import "sync"

// outQueue holds the frames waiting to be written to one agent, oldest
// first, up to a limit. It is a slice that grows when frames wait and is
// let go when they are written, not a channel of the limit's size: nearly
// every connection is idle nearly all the time, and a 1024-slot channel
// cost each of them 8 KiB for nothing (8 MiB at 1000 agents).
type outQueue struct {
	mu    sync.Mutex
	items []*outItem
	head  int
	limit int
	// ready holds one token while frames wait: the writer's wake-up.
	ready chan struct{}
}

func newOutQueue(limit int) outQueue {
	return outQueue{limit: limit, ready: make(chan struct{}, 1)}
}

// push queues a frame; false when limit frames already wait.
func (q *outQueue) push(it *outItem) bool {
	q.mu.Lock()
	if len(q.items)-q.head >= q.limit {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, it)
	q.mu.Unlock()
	q.wake()
	return true
}

// pop takes the oldest frame (nil when none waits) and re-arms ready when
// more wait, so the writer's select still sees its other cases (acks)
// between two frames of a burst.
func (q *outQueue) pop() *outItem {
	q.mu.Lock()
	if q.head == len(q.items) {
		q.mu.Unlock()
		return nil
	}
	it := q.items[q.head]
	q.items[q.head] = nil
	q.head++
	more := q.head < len(q.items)
	if !more {
		// Empty: a burst's backing array goes, a small one is kept.
		if cap(q.items) > 16 {
			q.items = nil
		} else {
			q.items = q.items[:0]
		}
		q.head = 0
	}
	q.mu.Unlock()
	if more {
		q.wake()
	}
	return it
}

func (q *outQueue) wake() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
