package runner

import (
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// A job's progress always precedes its job.finished: every progress call
// of the runner has returned before the job's end is journaled, for a
// backup run to its end and one cancelled mid-way (scheduled and operator
// jobs take the same path; a lock retry reruns restic inside the job).
// The link keeps that order on the wire (agent/link:
// TestProgressIsNeverSentAfterItsJobFinished).
func TestNoProgressAfterItsJobFinished(t *testing.T) {
	t.Parallel()
	h := newHarness(t, harnessOptions{noRunner: true})
	order := &orderLog{}
	h.store.order, h.sink.order = order, order
	h.start()

	src := t.TempDir()
	generateTree(t, src, 24, 24<<20, 3)
	done := h.run(backupJob("whole", src))
	mustSucceed(t, done, h)

	cancelled := h.submit(slowBackup(t))
	h.waitProgress(cancelled, 60*time.Second)
	if err := h.runner.Cancel(cancelled); err != nil {
		t.Fatal(err)
	}
	if fin := h.waitFinished(cancelled, 60*time.Second); fin.Status != protocol.StatusCancelled {
		t.Fatalf("cancelled job ended %s", fin.Status)
	}

	for _, id := range []string{done.JobID, cancelled} {
		finished, progress := -1, 0
		for i, e := range order.all() {
			switch e {
			case "finished " + id:
				finished = i
			case "progress " + id:
				progress++
				if finished >= 0 {
					t.Errorf("job %s: progress at step %d, after its job.finished at step %d", id, i, finished)
				}
			}
		}
		if finished < 0 || progress == 0 {
			t.Errorf("job %s: %d progress events and job.finished at step %d; want progress, then the end:\n%s",
				id, progress, finished, strings.Join(order.all(), "\n"))
		}
	}
}
