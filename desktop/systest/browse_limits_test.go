//go:build unix

package systest

import (
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// lsGate is the real restic behind a shell wrapper that holds every
// `restic ls` (the index build behind tree.list) until the test opens the
// gate: the only way to keep a build running for as long as a test needs,
// without a snapshot big enough to take minutes. Every other command goes
// straight to restic.
type lsGate struct {
	wrapper string // give it to the agent as --restic
	started string // exists once an ls is waiting at the gate
	fifo    string
	hold    *os.File
}

func newLsGate(t *testing.T) *lsGate {
	t.Helper()
	dir := t.TempDir()
	g := &lsGate{wrapper: filepath.Join(dir, "restic"), started: filepath.Join(dir, "ls-started"), fifo: filepath.Join(dir, "gate")}
	if err := syscall.Mkfifo(g.fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	script := fmt.Sprintf(`#!/bin/sh
for a in "$@"; do
	if [ "$a" = ls ]; then
		: > %q
		read _ < %q
		break
	fi
done
exec %q "$@"
`, g.started, g.fifo, testfleet.ResticBinary(t))
	if err := os.WriteFile(g.wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.open) // a test that fails early must not leave restic waiting
	return g
}

// waitStarted waits until an ls is held at the gate.
func (g *lsGate) waitStarted(t *testing.T) {
	t.Helper()
	testfleet.WaitFor(t, testfleet.Wait, "restic ls to reach the gate", func() bool {
		_, err := os.Stat(g.started)
		return err == nil
	})
}

// open lets every waiting and later ls through. O_RDWR opens a FIFO
// without waiting for its reader; the lines stay readable while it is
// held open.
func (g *lsGate) open() {
	if g.hold != nil {
		return
	}
	f, err := os.OpenFile(g.fifo, os.O_RDWR, 0)
	if err != nil {
		return
	}
	g.hold = f
	_, _ = f.WriteString(strings.Repeat("go\n", 64))
}

func latestSnapshot(t *testing.T, f *testfleet.Fleet, hostID string) string {
	t.Helper()
	var id string
	testfleet.WaitFor(t, testfleet.Wait, "the snapshot in the projection", func() bool {
		s, err := f.Hub.Snapshots(hostID)
		if err == nil && len(s) > 0 {
			id = s[0].ID
		}
		return id != ""
	})
	return id
}

// Six tree.lists of one snapshot while its index builds (restic ls held at
// a gate): four run and two wait in the agent's queue, and meanwhile the
// link keeps working — a backup is started and cancelled (command.run,
// command.cancel, and the acks of its journaled events, which the agent
// reads in the same stream) and the connection stays. Once the build ends
// every request gets its page.
func TestTreeListsDuringAnIndexBuildNeverStallTheLink(t *testing.T) {
	t.Parallel()
	gate := newLsGate(t)
	f := testfleet.New(t, testfleet.Options{Hub: func(o *hub.Options) { o.RPCTimeout = testfleet.Wait }})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "browsed-pc", Args: []string{"--restic", gate.wrapper}})
	a.Backup(t)
	snap := latestSnapshot(t, f, a.HostID)
	before, _ := f.Hub.Host(a.HostID)

	dirs := []string{"/", a.Files, a.Files + "/docs", a.Files + "/docs/notes", a.Files + "/photos", filepath.Dir(a.Files)}
	type answer struct {
		dir  string
		page hub.TreePage
		err  error
	}
	answers := make(chan answer, len(dirs))
	for _, d := range dirs {
		go func() {
			p, err := f.Hub.TreeList(context.Background(), a.HostID, snap, d, 0, 0)
			answers <- answer{d, p, err}
		}()
	}
	gate.waitStarted(t)
	testfleet.WaitFor(t, testfleet.Wait, "all six tree.lists queued on the agent", func() bool {
		return strings.Count(a.Log(), "tree.list queued") >= len(dirs)
	})

	// A backup slow enough to cancel: new data, uploaded at 64 KiB/s.
	big := make([]byte, 2<<20)
	_, _ = rand.Read(big)
	if err := os.WriteFile(filepath.Join(a.Files, "new.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	capUpload(t, f, a, 64)
	job := f.RunNow(t, a.HostID, hub.RunRequest{Kind: protocol.KindBackup, Group: testfleet.Group})
	testfleet.WaitFor(t, testfleet.Wait, "the backup to run", func() bool {
		j, err := f.Hub.Job(job)
		return err == nil && j.Status == protocol.StatusRunning
	})
	if err := f.Hub.CancelJob(job); err != nil {
		t.Fatal(err)
	}
	f.WaitJob(t, job, protocol.StatusCancelled)
	select {
	case ans := <-answers:
		if ans.err == nil {
			t.Fatalf("tree.list of %s answered with a page while restic ls was still held", ans.dir)
		}
		answers <- ans // a busy answer (the build outlasted its wait) is checked below
	default:
	}

	gate.open()
	for range dirs {
		ans := <-answers
		if ans.err != nil && strings.Contains(ans.err.Error(), "busy: index still building") {
			ans.page, ans.err = f.Hub.TreeList(context.Background(), a.HostID, snap, ans.dir, 0, 0) // the build has ended now
		}
		if ans.err != nil {
			t.Errorf("tree.list of %s: %v", ans.dir, ans.err)
		} else if len(ans.page.Entries) == 0 {
			t.Errorf("tree.list of %s: no entries", ans.dir)
		}
	}
	after, err := f.Hub.Host(a.HostID)
	if err != nil || !after.Online || !after.ConnectedSince.Equal(before.ConnectedSince) {
		t.Errorf("the agent's connection: online %t since %s; want still the one since %s", after.Online, after.ConnectedSince, before.ConnectedSince)
	}
}

// escapedFileName is a 255-byte name (the most Linux allows) of characters
// JSON escapes: control characters and <, > and & take six bytes encoded,
// " and \ two; the whole name about 1.1 KiB.
func escapedFileName(i int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%04d", i)
	for k := 0; b.Len() < 255; k++ {
		b.WriteByte("\x01<\x1f>&\"\\\x7f"[k%8])
	}
	return b.String()
}

// A directory of 1000 such names encodes to more than the 1 MiB frame
// limit at the default page size of 1000: the agent cuts its pages at
// 512 KiB of entries, and paging lists every name once, with real restic,
// on the same connection (no 1009 close).
func TestADirectoryOfLongEscapedNamesIsBrowsedPageByPage(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	var want []string
	for i := range 1000 {
		name := escapedFileName(i)
		files["escaped/"+name] = "x"
		want = append(want, name)
	}
	sort.Strings(want)
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "odd-names", Files: files})
	a.Backup(t)
	snap := latestSnapshot(t, f, a.HostID)
	before, _ := f.Hub.Host(a.HostID)

	var got []string
	pages := 0
	for offset := 0; ; pages++ {
		if pages > 20 {
			t.Fatalf("paging does not end (offset %d)", offset)
		}
		p, err := f.Hub.TreeList(context.Background(), a.HostID, snap, a.Files+"/escaped", offset, 0)
		if err != nil {
			t.Fatalf("page at %d: %v", offset, err)
		}
		for _, e := range p.Entries {
			got = append(got, e.Name)
		}
		if p.NextOffset == 0 {
			break
		}
		if len(p.Entries) == 0 || p.NextOffset != offset+len(p.Entries) {
			t.Fatalf("page at %d: %d entries, next offset %d", offset, len(p.Entries), p.NextOffset)
		}
		offset = p.NextOffset
	}
	if pages < 1 {
		t.Errorf("one page of 1000 escaped names; want it cut at 512 KiB into several")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paging listed %d names; want the 1000 each once, in byte order", len(got))
	}
	after, err := f.Hub.Host(a.HostID)
	if err != nil || !after.Online || !after.ConnectedSince.Equal(before.ConnectedSince) {
		t.Errorf("the agent's connection: online %t since %s; want still the one since %s", after.Online, after.ConnectedSince, before.ConnectedSince)
	}
	events, _ := f.Hub.HostEvents(a.HostID, "", 200)
	for _, e := range events.Events {
		if e.Kind == storage.EventProtocol {
			t.Errorf("protocol trouble on the host: %s", e.Message)
		}
	}
}
