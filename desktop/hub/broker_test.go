package hub

import (
	"testing"
	"time"

	"restic-manager/desktop/secrets"
	"restic-manager/storage"
)

// A subscriber that cancels after the hub closed (a window closing after
// the manager stopped) must not panic, and its channel is closed.
func TestCancellingASubscriptionAfterCloseIsSafe(t *testing.T) {
	st, err := storage.OpenDir(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := New(Options{Store: st, Secrets: secrets.NewMemory()})
	if err != nil {
		t.Fatal(err)
	}
	ch, cancel := h.Subscribe()
	h.Close()
	cancel()
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			for range ch {
			}
		}
	case <-time.After(testWait):
		t.Fatal("the subscription channel was not closed by Close")
	}
}
