package hub

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"restic-manager/protocol"
)

// sourceThenRestore waits for a command.run on a and returns it with the
// frame right before it, which must be the source slot's config.update.
func sourceThenRestore(t *testing.T, a *testAgent) (*protocol.ConfigUpdate, *protocol.CommandRun) {
	t.Helper()
	var before, cmd protocol.Envelope
	a.waitState("a command.run", func() bool {
		for i, f := range a.frames {
			if f.Type == protocol.TypeCommandRun {
				cmd = f
				if i > 0 {
					before = a.frames[i-1]
				}
				a.frames = append(a.frames[:0:0], a.frames[i+1:]...)
				return true
			}
		}
		return false
	})
	if before.Type != protocol.TypeConfigUpdate {
		t.Fatalf("the frame before the restore is %q, want the source slot's config.update", before.Type)
	}
	u, err := protocol.Decode[protocol.ConfigUpdate](before)
	if err != nil {
		t.Fatal(err)
	}
	c, err := protocol.Decode[protocol.CommandRun](cmd)
	if err != nil {
		t.Fatal(err)
	}
	return u, c
}

// A restore of one host's files onto another: the target gets the
// source's repository in its source slot right before the command, each
// time the command goes out (a reconnect before its command.result sends
// both again). The source may be offline. In place, a source without a
// password, or a target the wire refuses, is refused with no job. The
// source's password reaches only the target's socket.
func TestRestoreToAnotherHostSendsTheSourceSlotWithTheCommand(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	const sourcePassword = "AnnaRepoPassw0rd-do-not-leak"
	tok := th.enrollToken(t, 2)
	anna, annaID, _ := enrollAgent(t, th, "anna-laptop", tok)
	target, targetID, targetToken := enrollAgent(t, th, "new-laptop", tok)

	url, pw, user, cred := "rest:https://nas.example:8000/anna", sourcePassword, "anna", "anna-rest-cred"
	if err := th.SetRepository(annaID, RepositoryUpdate{URL: &url, Password: &pw, Username: &user, Credential: &cred}); err != nil {
		t.Fatal(err)
	}
	anna.c.CloseNow() // the old laptop is gone
	waitFor(t, testWait, "anna offline", func() bool { h, _ := th.Host(annaID); return !h.Online })

	req := RestoreRequest{SnapshotID: "0123abcd", Paths: []string{"/home/anna/Documents"}, TargetDir: "/home/new/from-anna"}
	jobID, err := th.RestoreToHost(annaID, targetID, req)
	if err != nil {
		t.Fatal(err)
	}
	u, cmd := sourceThenRestore(t, target)
	if u.Slot != protocol.SlotSource || u.RepoURL != url || u.RepoPassword != sourcePassword || u.RepoUsername != "anna" || u.RepoCredential != "anna-rest-cred" {
		t.Errorf("source config.update = %+v", u)
	}
	if cmd.JobID != jobID || cmd.Restore == nil || !cmd.Restore.FromSource || cmd.Restore.InPlace || cmd.Restore.TargetDir != req.TargetDir {
		t.Errorf("restore command = %+v", cmd.Restore)
	}
	if j, _ := th.Job(jobID); j.HostID != targetID || j.SourceHostID != annaID || j.Kind != protocol.KindRestore {
		t.Errorf("job = %+v", j)
	}

	// Dropped before its command.result: both frames go again, in order.
	target.c.CloseNow()
	again := target.reconnect(th.url, targetToken)
	again.expectHelloAck()
	u2, cmd2 := sourceThenRestore(t, again)
	if u2.Slot != protocol.SlotSource || u2.RepoPassword != sourcePassword || cmd2.JobID != jobID {
		t.Errorf("resent: %+v then %+v", u2, cmd2)
	}
	again.send(&protocol.CommandResult{JobID: jobID, Accepted: true}, "")
	waitFor(t, testWait, "command.result recorded", func() bool { j, _ := th.Job(jobID); return j.ResultReceived })

	before, _ := th.Jobs(targetID, "", 100)
	inPlace := req
	inPlace.InPlace, inPlace.TargetDir = true, ""
	if _, err := th.RestoreToHost(annaID, targetID, inPlace); !errors.Is(err, ErrInvalid) {
		t.Errorf("in-place restore from another host: %v; want ErrInvalid", err)
	}
	bad := req
	bad.TargetDir = "/etc"
	if _, err := th.RestoreToHost(annaID, targetID, bad); !errors.Is(err, ErrInvalid) {
		t.Errorf("restore to /etc from another host: %v; want ErrInvalid", err)
	}
	empty := ""
	if err := th.SetRepository(annaID, RepositoryUpdate{Password: &empty}); err != nil {
		t.Fatal(err)
	}
	if _, err := th.RestoreToHost(annaID, targetID, req); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "password") {
		t.Errorf("restore from a host without a stored password: %v", err)
	}
	if after, _ := th.Jobs(targetID, "", 100); len(after.Jobs) != len(before.Jobs) {
		t.Errorf("refused restores created %d jobs", len(after.Jobs)-len(before.Jobs))
	}

	raw, err := os.ReadFile(th.store.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(sourcePassword)) || strings.Contains(th.logs.String(), sourcePassword) {
		t.Error("the source password reached the store or the logs")
	}
}

// The wizard's warning: a repository on the source host's own disks, or on
// a server the source host calls localhost, is out of the other host's
// reach; any other URL is not warned about.
func TestSourceRepositoryWarning(t *testing.T) {
	for repo, want := range map[string]repoLocation{
		"/srv/restic/anna":                       repoLocalPath,
		"local:/srv/restic/anna":                 repoLocalPath,
		`D:\restic\anna`:                         repoLocalPath,
		"C:/restic":                              repoLocalPath,
		"restic-repo":                            repoLocalPath,
		"./repo":                                 repoLocalPath,
		`\\nas\backups\anna`:                     repoRemote,
		"rest:http://localhost:8000/anna":        repoLoopback,
		"rest:https://127.0.0.1:8000/":           repoLoopback,
		"rest:http://[::1]:8000/":                repoLoopback,
		"sftp:backup@localhost:/srv/restic":      repoLoopback,
		"sftp://backup@127.0.0.2:2222//srv/r":    repoLoopback,
		"s3:http://localhost:9000/bucket":        repoLoopback,
		"rest:https://nas.example:8000/anna":     repoRemote,
		"sftp:backup@nas.example:/srv/restic":    repoRemote,
		"s3:s3.amazonaws.com/bucket/anna":        repoRemote,
		"b2:bucket:anna":                         repoRemote,
		"rclone:remote:anna":                     repoRemote,
		"rest:https://office-nas.localhost:8000": repoLoopback,
	} {
		if got, _ := repositoryLocation(repo); got != want {
			t.Errorf("repositoryLocation(%q) = %d, want %d", repo, got, want)
		}
	}

	th, _ := newTestHub(t, nil, nil)
	tok := th.enrollToken(t, 2)
	_, annaID, _ := enrollAgent(t, th, "anna-laptop", tok)
	_, newID, _ := enrollAgent(t, th, "new-laptop", tok)
	for url, wantIn := range map[string]string{
		"/srv/restic/anna":                   "local path /srv/restic/anna on anna-laptop",
		"rest:http://localhost:8000/anna":    "on localhost, which is anna-laptop itself",
		"rest:https://nas.example:8000/anna": "",
	} {
		u := url
		if err := th.SetRepository(annaID, RepositoryUpdate{URL: &u}); err != nil {
			t.Fatal(err)
		}
		w, err := th.SourceRepositoryWarning(annaID, newID)
		if err != nil || (wantIn == "") != (w == "") || !strings.Contains(w, wantIn) {
			t.Errorf("warning for %s = %q (%v), want one containing %q", url, w, err, wantIn)
		}
		if w, _ := th.SourceRepositoryWarning(annaID, annaID); w != "" {
			t.Errorf("a restore onto the same host is warned about: %q", w)
		}
	}
}
