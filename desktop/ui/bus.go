package ui

import (
	"sync"
	"time"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/hub"
)

// bus is the window's one subscription to the hub. A goroutine gathers the
// hub's changes, coalesced (one per kind and subject), and hands each
// batch to the listeners on the UI goroutine through fyne.Do, at most once
// per interval: a fleet of busy jobs costs ten repaints a second, not one
// per progress event.
type bus struct {
	cancel   func()
	interval time.Duration

	mu        sync.Mutex
	listeners map[*scope][]func(change)
	delivered uint64 // batches handed to listeners; tests wait on it
	closed    chan struct{}
}

func newBus(h Hub, interval time.Duration) *bus {
	ch, cancel := h.Subscribe()
	b := &bus{cancel: cancel, interval: interval, listeners: map[*scope][]func(change){}, closed: make(chan struct{})}
	go b.run(ch)
	return b
}

func (b *bus) close() {
	b.mu.Lock()
	select {
	case <-b.closed:
	default:
		close(b.closed)
	}
	b.mu.Unlock()
	b.cancel()
}

func (b *bus) run(ch <-chan change) {
	var (
		pending = map[change]struct{}{}
		order   []change
		last    time.Time
		timer   *time.Timer
		tick    <-chan time.Time
	)
	flush := func() {
		batch := order
		pending, order = map[change]struct{}{}, nil
		last = time.Now()
		fyne.Do(func() { b.deliver(batch) })
	}
	for {
		select {
		case c, ok := <-ch:
			if !ok {
				return
			}
			if _, dup := pending[c]; !dup {
				pending[c] = struct{}{}
				order = append(order, c)
			}
			if tick != nil {
				continue // a flush is already due
			}
			wait := b.interval - time.Since(last)
			if wait <= 0 {
				flush()
				continue
			}
			timer = time.NewTimer(wait)
			tick = timer.C
		case <-tick:
			tick = nil
			flush()
		case <-b.closed:
			if timer != nil {
				timer.Stop()
			}
			return
		}
	}
}

// deliver runs on the UI goroutine.
func (b *bus) deliver(batch []change) {
	b.mu.Lock()
	var fns []func(change)
	for _, ls := range b.listeners {
		fns = append(fns, ls...)
	}
	b.mu.Unlock()
	for _, c := range batch {
		for _, fn := range fns {
			fn(c)
		}
	}
	b.mu.Lock()
	b.delivered++
	b.mu.Unlock()
}

// batches reports how many batches were delivered (tests).
func (b *bus) batches() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.delivered
}

// scope is a set of listeners that end together: a host view's tabs when
// another host is selected, a dialog when it closes.
type scope struct{ b *bus }

// newScope returns an empty scope.
func (u *UI) newScope() *scope { return &scope{b: u.bus} }

// on calls fn on the UI goroutine with every change until the scope is
// closed. A ChangeAll means "re-read everything you show".
func (s *scope) on(fn func(change)) {
	s.b.mu.Lock()
	s.b.listeners[s] = append(s.b.listeners[s], fn)
	s.b.mu.Unlock()
}

// close removes the scope's listeners.
func (s *scope) close() {
	s.b.mu.Lock()
	delete(s.b.listeners, s)
	s.b.mu.Unlock()
}

// about reports whether c concerns host hostID (or everything).
func about(c change, hostID string) bool {
	return c.Kind == hub.ChangeAll || c.HostID == hostID || c.HostID == ""
}
