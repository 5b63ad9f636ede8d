package hub

import "sync"

// inflight bounds what one connection has waiting for commit: a number of
// events and their bytes. The connection's reader takes a share before it
// hands an event to the committer and, when either cap would be passed,
// waits: it stops reading the socket, so TCP slows the sender down
// (backpressure) and a flood never costs the manager more memory, nor a
// well-behaved host its connection. The committer gives the share back.
type inflight struct {
	maxEvents int
	maxBytes  int64

	mu     sync.Mutex
	events int
	bytes  int64
	freed  chan struct{} // the one waiting reader is woken here
}

func newInflight(maxEvents int, maxBytes int64) *inflight {
	return &inflight{maxEvents: maxEvents, maxBytes: maxBytes, freed: make(chan struct{}, 1)}
}

// take reserves room for one event of n bytes, waiting until there is
// some; false when done closed first. An event larger than the byte cap
// alone passes once nothing else is waiting, so it can never stall.
func (f *inflight) take(n int64, done <-chan struct{}) bool {
	for {
		f.mu.Lock()
		if f.events == 0 || (f.events < f.maxEvents && f.bytes+n <= f.maxBytes) {
			f.events++
			f.bytes += n
			f.mu.Unlock()
			return true
		}
		f.mu.Unlock()
		select {
		case <-f.freed:
		case <-done:
			return false
		}
	}
}

// give returns one event's room.
func (f *inflight) give(n int64) {
	f.mu.Lock()
	f.events--
	f.bytes -= n
	f.mu.Unlock()
	select {
	case f.freed <- struct{}{}:
	default:
	}
}

// pending is how many events wait for commit.
func (f *inflight) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.events
}
