package systest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/desktop/notify"
)

// A host whose repository path cannot be created fails its first backup,
// and the webhook hears backup.failed naming the host and the job.
func TestAFailedFirstBackupReachesTheWebhook(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []notify.Message
		bad []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m notify.Message
		mu.Lock()
		if err := json.Unmarshal(b, &m); err != nil {
			bad = append(bad, string(b))
		} else {
			got = append(got, m)
		}
		mu.Unlock()
	}))
	defer srv.Close()
	hook, err := notify.WebhookFlag(srv.URL + "/hook")
	if err != nil {
		t.Fatal(err)
	}
	f := testfleet.New(t, testfleet.Options{Hub: func(o *hub.Options) { o.Notify.Channels = []hub.NotifyChannel{hook} }})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "branch-office", NoRepository: true})
	// A file where a directory of the path should be: restic cannot
	// create the repository there, whoever runs it.
	repo := filepath.Join(a.Files, "README.txt", "repo")
	pw := "pw-not-used"
	if err := f.Hub.SetRepository(a.HostID, hub.RepositoryUpdate{URL: &repo, Password: &pw}); err != nil {
		t.Fatal(err)
	}
	if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: testfleet.Group, Includes: []string{a.Files}}); err != nil {
		t.Fatal(err)
	}
	job := f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: "backup", Group: testfleet.Group}), "failed")

	testfleet.WaitFor(t, testfleet.Wait, "backup.failed at the webhook", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, m := range got {
			if m.Event == notify.BackupFailed {
				return true
			}
		}
		return false
	})
	mu.Lock()
	defer mu.Unlock()
	if len(bad) > 0 {
		t.Errorf("webhook bodies that are not the JSON object: %q", bad)
	}
	var m notify.Message
	for _, x := range got {
		if x.Event == notify.BackupFailed {
			m = x
		}
	}
	if m.Host != "branch-office" || m.HostID != a.HostID || m.JobID != job.ID || m.Kind != "backup" || m.Status != "failed" || m.Error == "" {
		t.Errorf("backup.failed = %+v; want host branch-office (%s), job %s, kind backup, status failed, restic's error", m, a.HostID, job.ID)
	}
}
