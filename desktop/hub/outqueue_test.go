package hub

import (
	"fmt"
	"testing"

	"restic-manager/protocol"
)

func TestTheOutQueueKeepsOrderStopsAtItsLimitAndLetsABurstGo(t *testing.T) {
	q := newOutQueue(100)
	for i := range 100 {
		if !q.push(&outItem{env: protocol.Envelope{ID: fmt.Sprint(i)}}) {
			t.Fatalf("push %d refused below the limit", i)
		}
	}
	if q.push(&outItem{}) {
		t.Fatal("push past the limit accepted; the connection must be closed instead")
	}
	for i := range 100 {
		select {
		case <-q.ready:
		default:
			t.Fatalf("no wake-up for frame %d while frames wait", i)
		}
		it := q.pop()
		if it == nil || it.env.ID != fmt.Sprint(i) {
			t.Fatalf("pop %d = %+v; want frame %d (oldest first)", i, it, i)
		}
	}
	if it := q.pop(); it != nil {
		t.Errorf("pop of an empty queue = %+v", it)
	}
	if q.items != nil {
		t.Errorf("after a burst of 100 the queue keeps a backing array of %d", cap(q.items))
	}
	if !q.push(&outItem{}) {
		t.Error("the queue refuses frames after it was drained")
	}
}
