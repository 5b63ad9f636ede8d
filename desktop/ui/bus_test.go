package ui

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/uitest"
)

// feed is a ChangeFeed the test sends on: it controls when each change
// reaches the bus, which the hub's own feed does not let a test do.
type feed struct{ ch chan hub.Change }

func (f feed) Subscribe() (<-chan hub.Change, func()) { return f.ch, func() {} }

// The bus hands each listener whole batches: every change once, in the
// order it came, a listener called once per batch.
func TestBusDeliversCoalescedBatches(t *testing.T) {
	app := uitest.NewApp()
	f := feed{ch: make(chan hub.Change)}
	b := newBus(f, 20*time.Millisecond)
	defer b.close()
	var batches [][]change
	(&scope{b: b}).on(func(batch []change) { batches = append(batches, append([]change(nil), batch...)) })

	h1 := change{Kind: hub.ChangeHost, HostID: "h1"}
	h2 := change{Kind: hub.ChangeHost, HostID: "h2"}
	job := change{Kind: hub.ChangeJob, HostID: "h1", JobID: "j1"}
	f.ch <- h1
	app.WaitFor(t, "the first batch", func() bool { return len(batches) == 1 })
	for _, c := range []change{h2, job, h2, job, h2} {
		f.ch <- c
	}
	var all []change
	app.WaitFor(t, "every change delivered", func() bool {
		all = all[:0]
		for _, bt := range batches {
			all = append(all, bt...)
		}
		return len(all) >= 3
	})
	if fmt.Sprint(batches[0]) != fmt.Sprint([]change{h1}) {
		t.Errorf("first batch %v; want h1 alone", batches[0])
	}
	for i, bt := range batches {
		seen := map[change]bool{}
		for _, c := range bt {
			if seen[c] {
				t.Errorf("batch %d holds %v twice: %v", i, c, bt)
			}
			seen[c] = true
		}
	}
	if fmt.Sprint(all) != fmt.Sprint([]change{h1, h2, job}) {
		t.Errorf("delivered %v in %d batches; want h1, h2, j1 in their first order, each once", all, len(batches))
	}
}

// hostsCounting is the real hub, counting reads of the whole host list.
type hostsCounting struct {
	*hub.Hub
	mu    sync.Mutex
	reads int
}

func (c *hostsCounting) Hosts() ([]hub.HostView, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Hub.Hosts()
}

func (c *hostsCounting) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// A batch naming many hosts costs the sidebar, the tray and the notifier
// one read of the host list each, not one per change.
func TestHostListIsReadOncePerBatch(t *testing.T) {
	h, st := storeHub(t, hub.Options{}, nil)
	var batch []change
	for i := range 40 {
		id := enrollHost(t, st, testHost(fmt.Sprintf("pc-%02d", i), "linux"), time.Now())
		batch = append(batch, change{Kind: hub.ChangeHost, HostID: id})
	}
	ch := &hostsCounting{Hub: h}
	u, app := newTestUI(t, ch, Options{})
	app.Pump()
	before := ch.count()
	u.bus.deliver(batch) // as the bus does on the UI goroutine
	if got := ch.count() - before; got != 3 {
		t.Errorf("a batch about %d hosts read the host list %d times; want 3 (sidebar, tray, notifier)", len(batch), got)
	}
	if n := len(u.main.hosts); n != 40 {
		t.Errorf("the sidebar lists %d hosts; want 40", n)
	}
}

// A child scope (the selected job's detail) ends with its parent at the
// parent's next batch, or when closed itself.
func TestChildScopeEndsWithItsParent(t *testing.T) {
	h, _ := storeHub(t, hub.Options{}, nil)
	u, _ := newTestUI(t, h, Options{})
	parent := u.newScope()
	parent.on(func([]change) {})
	child := parent.child()
	calls := 0
	child.on(func([]change) { calls++ })
	u.bus.deliver([]change{{Kind: hub.ChangeAll}})
	if !child.open() || calls != 1 {
		t.Fatalf("with its parent open the child is open %v and was called %d times; want open, once", child.open(), calls)
	}
	parent.close()
	u.bus.deliver([]change{{Kind: hub.ChangeAll}})
	if child.open() {
		t.Error("the child outlived its parent's next batch")
	}
	again := parent.child()
	again.close()
	if again.open() {
		t.Error("a closed child still listens")
	}
}
