package hub

import (
	"errors"
	"testing"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
)

func TestRenameHost(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	_, hostID, _ := enrollAgent(t, th, "pc-0193", th.enrollToken(t, 1))
	if err := th.RenameHost(hostID, "Reception desk"); err != nil {
		t.Fatal(err)
	}
	hosts, _ := th.Hosts()
	if len(hosts) != 1 || hosts[0].Host.DisplayName() != "Reception desk" || hosts[0].Host.Hostname != "pc-0193" {
		t.Errorf("after renaming: %+v", hosts)
	}
	if err := th.RenameHost(hostID, "two\nlines"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a name on two lines: %v, want ErrInvalid", err)
	}
}

// Removing a host revokes its token: the agent's next hello with it is
// refused as unknown, and its live connection is closed at once. With its
// history kept, its jobs stay readable and its repository password stays
// in the keyring.
func TestRemovedHostsTokenIsRefused(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, token := enrollAgent(t, th, "leaving", th.enrollToken(t, 1))
	if _, err := th.SaveRepository(hostID, RepositoryUpdate{URL: ptr("/srv/repo"), Password: ptr("s3cret-repo-pw")}); err != nil {
		t.Fatal(err)
	}
	jobID, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindCheck})
	if err != nil {
		t.Fatal(err)
	}
	if err := th.RemoveHost(hostID, true); err != nil {
		t.Fatal(err)
	}
	a.waitClosed()
	b := a.reconnect(th.url, token)
	if ack := b.expectHelloAck(); ack.Accepted || ack.Error != protocol.RefusedUnknownToken {
		t.Fatalf("hello with the removed host's token: %+v; want refused as unknown", ack)
	}
	if hosts, _ := th.Hosts(); len(hosts) != 0 {
		t.Errorf("host list after removal: %+v", hosts)
	}
	if removed, _ := th.RemovedHosts(); len(removed) != 1 || removed[0].ID != hostID {
		t.Errorf("removed hosts: %+v", removed)
	}
	if j, err := th.Job(jobID); err != nil || j.Status != protocol.StatusCancelled {
		t.Errorf("the kept history: job %+v, %v; want it kept, cancelled", j, err)
	}
	if pw, err := th.secrets.Get(hostID, secrets.RepoPassword); err != nil || pw != "s3cret-repo-pw" {
		t.Errorf("the repository password of a host removed with its history: %q, %v; want kept", pw, err)
	}
	if d, _ := th.Dashboard(0); len(d.Attention) != 0 || d.Hosts != 0 {
		t.Errorf("a removed host on the dashboard: %+v", d.Attention)
	}
}

// Without its history, nothing of the host is left — and its credentials
// leave the keyring.
func TestRemovingAHostWithItsHistory(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	_, hostID, _ := enrollAgent(t, th, "leaving", th.enrollToken(t, 1))
	if _, err := th.SaveRepository(hostID, RepositoryUpdate{URL: ptr("/srv/repo"), Password: ptr("s3cret-repo-pw")}); err != nil {
		t.Fatal(err)
	}
	jobID, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindCheck})
	if err != nil {
		t.Fatal(err)
	}
	if err := th.RemoveHost(hostID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := th.Job(jobID); !errors.Is(err, ErrNotFound) {
		t.Errorf("job of a host removed with its history: %v", err)
	}
	if _, err := th.Host(hostID); !errors.Is(err, ErrNotFound) {
		t.Errorf("host: %v", err)
	}
	if _, err := th.secrets.Get(hostID, secrets.RepoPassword); !errors.Is(err, secrets.ErrNotFound) {
		t.Errorf("repository password: %v; want gone", err)
	}
	if removed, _ := th.RemovedHosts(); len(removed) != 0 {
		t.Errorf("removed hosts: %+v", removed)
	}
}

func ptr[T any](v T) *T { return &v }
