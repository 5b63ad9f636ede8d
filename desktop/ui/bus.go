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
// per progress event. A listener gets the whole batch in one call, so one
// that re-reads everything (the sidebar, the tray) does so once per batch
// however many hosts it names: the store already holds every change of a
// batch when it is delivered.
type bus struct {
	cancel   func()
	interval time.Duration

	mu        sync.Mutex
	listeners map[*scope][]func([]change)
	closed    chan struct{}
}

func newBus(feed ChangeFeed, interval time.Duration) *bus {
	ch, cancel := feed.Subscribe()
	b := &bus{cancel: cancel, interval: interval, listeners: map[*scope][]func([]change){}, closed: make(chan struct{})}
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

// deliver hands batch to every listener, once each. UI goroutine.
func (b *bus) deliver(batch []change) {
	b.mu.Lock()
	var fns []func([]change)
	for _, ls := range b.listeners {
		fns = append(fns, ls...)
	}
	b.mu.Unlock()
	for _, fn := range fns {
		fn(batch)
	}
}

// scope is a set of listeners that end together: a host view's tabs when
// another host is selected, a dialog when it closes.
type scope struct{ b *bus }

// newScope returns an empty scope.
func (u *UI) newScope() *scope { return &scope{b: u.bus} }

// on calls fn on the UI goroutine with every batch of changes until the
// scope is closed. A batch holds each change once, in the order they
// came; a ChangeAll means "re-read everything you show".
func (s *scope) on(fn func(batch []change)) {
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

// open reports whether the scope still listens.
func (s *scope) open() bool {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	_, ok := s.b.listeners[s]
	return ok
}

// child is a scope for one part of a view that is replaced while the view
// lives (the selected job's detail). It ends when closed or, at the
// latest, at the first batch after s has ended.
func (s *scope) child() *scope {
	c := &scope{b: s.b}
	c.on(func([]change) {
		if !s.open() {
			c.close()
		}
	})
	return c
}

// about reports whether c concerns host hostID (or everything).
func about(c change, hostID string) bool {
	return c.Kind == hub.ChangeAll || c.HostID == hostID || c.HostID == ""
}
