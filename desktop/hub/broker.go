package hub

import "sync"

// maxPendingChanges bounds what one subscriber may owe: past it, its
// pending set collapses into one ChangeAll.
const maxPendingChanges = 4096

// broker fans changes out to subscribers without ever blocking the
// publisher: each subscriber has a coalescing set of pending changes and
// its own goroutine that hands them over.
type broker struct {
	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool
}

type subscriber struct {
	mu      sync.Mutex
	pending map[Change]struct{}
	order   []Change // delivery order of pending
	all     bool     // overflowed: deliver ChangeAll next
	wake    chan struct{}
	done    chan struct{}
	out     chan Change
}

func newBroker() *broker { return &broker{subs: map[*subscriber]struct{}{}} }

func (b *broker) subscribe() (<-chan Change, func()) {
	s := &subscriber{pending: map[Change]struct{}{}, wake: make(chan struct{}, 1), done: make(chan struct{}), out: make(chan Change)}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		close(s.out)
		return s.out, func() {}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	go s.run()
	var once sync.Once
	return s.out, func() {
		once.Do(func() {
			// closeAll may have ended the subscription already: only
			// the one who removes it closes done.
			b.mu.Lock()
			_, live := b.subs[s]
			delete(b.subs, s)
			b.mu.Unlock()
			if live {
				close(s.done)
			}
		})
	}
}

// publish queues changes for every subscriber. It never blocks.
func (b *broker) publish(cs ...Change) {
	if len(cs) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.add(cs)
	}
}

// closeAll ends every subscription (the hub is closing).
func (b *broker) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.done)
	}
}

func (s *subscriber) add(cs []Change) {
	s.mu.Lock()
	for _, c := range cs {
		if s.all {
			break
		}
		if _, ok := s.pending[c]; ok {
			continue
		}
		if len(s.order) >= maxPendingChanges {
			s.all = true
			s.pending = map[Change]struct{}{}
			s.order = nil
			break
		}
		s.pending[c] = struct{}{}
		s.order = append(s.order, c)
	}
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *subscriber) next() (Change, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.all {
		s.all = false
		return Change{Kind: ChangeAll}, true
	}
	if len(s.order) == 0 {
		return Change{}, false
	}
	c := s.order[0]
	s.order = s.order[1:]
	delete(s.pending, c)
	return c, true
}

func (s *subscriber) run() {
	defer close(s.out)
	for {
		c, ok := s.next()
		if !ok {
			select {
			case <-s.wake:
				continue
			case <-s.done:
				return
			}
		}
		select {
		case s.out <- c:
		case <-s.done:
			return
		}
	}
}
