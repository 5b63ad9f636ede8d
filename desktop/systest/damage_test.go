package systest

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/desktop/internal/testfleet"
	"restic-manager/internal/boltfile/bolttest"
	"restic-manager/storage"
)

// A real agent's journal is damaged while it is stopped — a page
// overwritten with random bytes, or a stored record's bytes overwritten —
// and the agent started again: it moves the file aside (no panic, no exit,
// no crash loop), reconnects with the token it keeps in its own file, gets
// its schedules from the manager again, and its host's log says what
// happened.
func TestADamagedJournalIsMovedAsideAndTheAgentCarriesOn(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"page", overwriteALivePage},
		{"record", func(t *testing.T, path string) { bolttest.Scribble(t, path, `"cron_expr":"@every 1h"`) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := f.StartAgent(t, testfleet.AgentOptions{Name: "journal-" + tc.name})
			putSchedule(t, f, a, "@every 1h", true)
			a.Stop(t)
			waitOffline(t, f, a.HostID)

			tc.damage(t, filepath.Join(a.State, "journal.db"))
			applied := len(agentLogLines(a, "schedule set applied"))
			a.Start(t)

			f.WaitOnline(t, a.HostID) // the same host: its token survived
			testfleet.WaitFor(t, testfleet.Wait, "the agent to apply the schedule set again", func() bool {
				return len(agentLogLines(a, "schedule set applied")) > applied
			})
			waitScheduleInSync(t, f, a.HostID)
			if !a.Running() {
				t.Fatalf("the agent exited:\n%s", a.LogTail(20))
			}
			if n := len(agentLogLines(a, "restic-agent starting")); n != 2 {
				t.Errorf("the agent started %d times; want twice (once before the damage, once after): no restarts", n)
			}
			if lines := agentLogLines(a, "the journal was damaged and moved aside"); len(lines) != 1 {
				t.Errorf("the agent logged the damage %d times; want once", len(lines))
			}
			moved, _ := filepath.Glob(filepath.Join(a.State, "journal.db.damaged-*"))
			if len(moved) != 1 {
				t.Errorf("damaged files beside the journal: %v; want one", moved)
			}
			testfleet.WaitFor(t, testfleet.Wait, "the host's log to say the journal was damaged", func() bool {
				return hostEventWith(t, f, a.HostID, "journal was damaged")
			})
			// And it works: a backup runs on the fresh journal.
			a.Backup(t)
		})
	}
}

// overwriteALivePage writes random bytes over one page the journal uses.
func overwriteALivePage(t *testing.T, path string) {
	t.Helper()
	pageSize, live := bolttest.LivePages(t, path)
	if len(live) == 0 {
		t.Fatal("the journal uses no page")
	}
	page := live[rand.IntN(len(live))].ID
	bolttest.OverwritePage(t, path, page, pageSize, rand.New(rand.NewPCG(uint64(page), 9)))
	t.Logf("overwrote page %d of %d live pages", page, len(live))
}

func hostEventWith(t *testing.T, f *testfleet.Fleet, hostID, text string) bool {
	t.Helper()
	page, err := f.Hub.HostEvents(hostID, "", 200)
	if err != nil {
		return false
	}
	for _, e := range page.Events {
		if strings.Contains(e.Message, text) {
			return true
		}
	}
	return false
}

// The manager's store is lost entirely (the file deleted; the manager
// starts again, seeding its enrollment token as --enroll-token does). The
// agent, which still has its enrollment token in its service definition,
// is refused as an unknown token once and is back at the next try,
// enrolled as a new host, with a new token that works after a restart.
func TestAfterTheStoreIsLostAnAgentWithItsEnrollmentTokenIsBackWithinOneRetry(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	const enroll = "office-enrollment-token-5e1d"
	if _, err := f.Hub.SeedEnrollToken(enroll, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	a := testfleet.StartProcess(t, testfleet.ProcessOptions{Name: "reenrolling-pc", Manager: f.URL, Args: []string{"--enroll", enroll}})
	first := waitHostNamed(t, f, a.Name)
	// The manager stores the host before its hello.ack (with the agent's
	// token) is written: wait until the agent has the token.
	testfleet.WaitFor(t, testfleet.Wait, "the agent to store its token", func() bool {
		return len(agentLogLines(a, "enrolled with the manager")) > 0
	})

	f.Close(t)
	if err := os.Remove(filepath.Join(f.StoreDir(), storage.FileName)); err != nil {
		t.Fatal(err)
	}
	f.Reopen(t)
	if _, err := f.Hub.SeedEnrollToken(enroll, 10, time.Hour); err != nil {
		t.Fatal(err)
	}
	second := waitHostNamed(t, f, a.Name)
	if second == first {
		t.Errorf("host id %s after the store was lost; want a new host", second)
	}
	testfleet.WaitFor(t, testfleet.Wait, "the agent to log that it enrolled again", func() bool {
		return len(agentLogLines(a, "enrolled again with the enrollment token")) > 0
	})
	refusals := agentLogLines(a, "does not know this agent's token", "enrolling again")
	if len(refusals) != 1 {
		t.Errorf("the agent was refused as unknown %d times; want once, then back at the next try:\n%s", len(refusals), strings.Join(refusals, "\n"))
	}
	if len(agentLogLines(a, "manager refused this agent")) > 0 || len(agentLogLines(a, "refused to enroll this agent again")) > 0 {
		t.Errorf("other refusals in the agent's log:\n%s", a.LogTail(30))
	}
	if n := len(agentLogLines(a, "enrolled again with the enrollment token")); n != 1 {
		t.Errorf("the agent's log says %d times that it enrolled again; want once:\n%s", n, a.LogTail(30))
	}

	// The new token is kept: after a restart the agent comes back with it.
	a.Restart(t)
	f.WaitOnline(t, second)
	if n := len(agentLogLines(a, "does not know this agent's token", "enrolling again")); n != 1 {
		t.Errorf("after a restart the agent was refused again (%d refusals); want its new token accepted", n)
	}
}

// waitHostNamed waits until a host with that hostname is online and
// returns its id.
func waitHostNamed(t *testing.T, f *testfleet.Fleet, name string) string {
	t.Helper()
	var id string
	testfleet.WaitFor(t, testfleet.Wait, "host "+name+" online", func() bool {
		hosts, err := f.Hub.Hosts()
		if err != nil {
			return false
		}
		for _, h := range hosts {
			if h.Host.Hostname == name && h.Online {
				id = h.Host.ID
				return true
			}
		}
		return false
	})
	return id
}
