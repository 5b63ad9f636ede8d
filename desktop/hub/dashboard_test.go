package hub

import (
	"testing"

	"restic-manager/protocol"
)

func TestActiveJobsListsUnfinishedJobsOnly(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	_, hostID, _ := enrollAgent(t, th, "dash", th.enrollToken(t, 1))
	if js, err := th.ActiveJobs(hostID); err != nil || len(js) != 0 {
		t.Fatalf("ActiveJobs before any job = %v, %v; want none", js, err)
	}
	first, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindUnlock})
	if err != nil {
		t.Fatal(err)
	}
	second, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindCheck})
	if err != nil {
		t.Fatal(err)
	}
	js, err := th.ActiveJobs(hostID)
	if err != nil || len(js) != 2 || js[0].ID != first || js[1].ID != second {
		t.Fatalf("ActiveJobs = %+v, %v; want [%s %s] oldest first", js, err, first, second)
	}
	if _, err := th.store.FinishJobLocally(first, protocol.StatusCancelled, "test", th.now()); err != nil {
		t.Fatal(err)
	}
	if js, err := th.ActiveJobs(hostID); err != nil || len(js) != 1 || js[0].ID != second {
		t.Errorf("ActiveJobs after one ended = %+v, %v; want only %s", js, err, second)
	}
}
