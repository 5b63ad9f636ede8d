package testfleet

import (
	"os"
	"path/filepath"
	"testing"

	"restic-manager/desktop/hub"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

// The fixture itself: a real agent enrolls, backs up, and the snapshot
// reaches the hub's projection; a pending peer is held pending until
// approved.
func TestAnAgentEnrollsAndBacksUp(t *testing.T) {
	f := New(t, Options{})
	a := f.StartAgent(t, AgentOptions{Name: "fixture-pc"})
	a.Backup(t)
	WaitFor(t, Wait, "the snapshot in the projection", func() bool {
		s, err := f.Hub.Snapshots(a.HostID)
		return err == nil && len(s) == 1 && len(s[0].Paths) == 1 && s[0].Paths[0] == a.Files
	})
	// After the backup the agent measures the repository: the size chart
	// gets a point with the restore size and the raw size.
	WaitFor(t, Wait, "a repository size point", func() bool {
		s, err := f.Hub.SizeSeries(a.HostID)
		if err != nil || len(s.Repository) == 0 {
			return false
		}
		p := s.Repository[len(s.Repository)-1]
		return p.TotalSizeBytes > 0 && p.RawSizeBytes != nil && *p.RawSizeBytes > 0
	})
	if _, err := os.Stat(filepath.Join(a.Repo, "config")); err != nil {
		t.Fatalf("repository not initialised: %v", err)
	}
}

func TestAPendingPeerWaitsForApproval(t *testing.T) {
	f := New(t, Options{})
	p := f.PendingPeer(t, "stranger")
	d, err := f.Hub.Host(p.HostID)
	if err != nil || !d.Pending {
		t.Fatalf("Host(%s) = %+v, %v; want pending", p.HostID, d.Host.Status, err)
	}
	if err := f.Hub.ApproveHost(p.HostID); err != nil {
		t.Fatal(err)
	}
	WaitFor(t, Wait, "hello.ack approved", func() bool { return p.Status() == hub.StatusApproved })
}
