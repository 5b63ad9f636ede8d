package systest

import (
	"path/filepath"
	"testing"
	"time"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
)

// 3-2-1 through the real agent: the first copy creates the second
// repository and copies the snapshot, a second copies nothing, and the
// copy schedule fires copies on the agent by itself (maintenance:copy);
// the host's last copy says when and how each went.
func TestCopyIntoASecondRepository(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "office-pc"})
	a.Backup(t)
	url, pw := filepath.Join(f.Dir, "offsite", "office-pc"), "second-repository-password-5d1c"
	if err := f.Hub.SetCopyRepository(a.HostID, hub.CopyRepositoryUpdate{URL: &url, Password: &pw}); err != nil {
		t.Fatal(err)
	}

	first := f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "copy"}), "succeeded")
	st, err := f.Hub.LastCopy(a.HostID)
	if err != nil || st.Last == nil || st.Last.JobID != first.ID || st.SnapshotsCopied == nil || *st.SnapshotsCopied != 1 || st.Failing() {
		t.Fatalf("last copy after the first = %+v (%v)", st, err)
	}
	second := f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "copy"}), "succeeded")
	if st, _ := f.Hub.LastCopy(a.HostID); st.Last.JobID != second.ID || *st.SnapshotsCopied != 0 {
		t.Errorf("last copy after the second = %+v; want nothing copied", st)
	}

	if err := f.Hub.SetMaintenance(a.HostID, hub.Maintenance{CopyCron: "@every 1s"}); err != nil {
		t.Fatal(err)
	}
	var fired hub.Job
	testfleet.WaitFor(t, testfleet.Wait, "a scheduled copy to succeed", func() bool {
		page, err := f.Hub.Jobs(a.HostID, "", 20)
		if err != nil {
			return false
		}
		for _, j := range page.Jobs {
			if j.Kind == "copy" && j.ScheduleID == "maintenance:copy" && j.Status == "succeeded" {
				fired = j
				return true
			}
		}
		return false
	})
	if err := f.Hub.SetMaintenance(a.HostID, hub.Maintenance{}); err != nil {
		t.Fatal(err)
	}
	testfleet.WaitFor(t, testfleet.Wait, "the last copy to be the scheduled one or later", func() bool {
		st, err := f.Hub.LastCopy(a.HostID)
		return err == nil && st.Last != nil && !st.Last.FinishedAt.Before(*fired.FinishedAt) && st.LastSuccessAt.After(time.Time{})
	})
	if hosts, _ := f.Hub.Hosts(); hosts[0].Failing {
		t.Errorf("host failing after successful copies: %+v", hosts[0])
	}
}
