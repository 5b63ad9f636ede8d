package daemon

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"restic-manager/protocol"
)

// restic-agent --no-hooks, on the wire: a command.run with a hook is
// answered accepted:false with the reason and never starts; a schedule.set
// with a hook is a bad_request and uses up no version; nothing runs the
// hooks. Jobs and sets without hooks work as usual.
func TestNoHooksRefusesHookedWorkOnTheWire(t *testing.T) {
	if _, err := exec.LookPath("restic"); err != nil {
		t.Skip("restic is not installed")
	}
	dir := t.TempDir()
	marker := filepath.Join(dir, "hook-ran")
	touch := fmt.Sprintf("touch %q", marker)
	m := newFakeManager(t, filepath.Join(dir, "repo"), repoPassword)
	startAgent(t, m, filepath.Join(dir, "state"), func(c *Config) { c.NoHooks = true })

	job := &protocol.CommandRun{Kind: protocol.KindInit, PreHook: touch}
	res := m.run(job)
	if res.Accepted || !strings.Contains(res.Error, "pre_hook") || !strings.Contains(res.Error, "hooks are disabled on this host") {
		t.Fatalf("command.run with a pre_hook: %+v; want refused, naming pre_hook and saying hooks are disabled on this host", res)
	}

	group := protocol.SourceGroup{Name: "docs", Includes: []string{dir}, PostHook: touch}
	hooked := &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{{ID: "nightly", CronExpr: "0 3 * * *", Enabled: true,
		SourceGroups: []protocol.SourceGroup{group}}}}
	reply := m.reply(m.send(hooked))
	e, err := protocol.Decode[protocol.Error](reply)
	if reply.Type != protocol.TypeError || err != nil || e.Code != protocol.CodeBadRequest ||
		!strings.Contains(e.Message, "schedules[0].source_groups[0].post_hook") || !strings.Contains(e.Message, "hooks are disabled on this host") {
		t.Fatalf("schedule.set with a post_hook answered %s %+v; want bad_request naming the field", reply.Type, e)
	}

	group.PostHook = ""
	clean := &protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{{ID: "nightly", CronExpr: "0 3 * * *", Enabled: true,
		SourceGroups: []protocol.SourceGroup{group}}}}
	ack, err := protocol.Decode[protocol.ScheduleAck](m.reply(m.send(clean)))
	if err != nil || ack.Version != 1 {
		t.Fatalf("schedule.set without hooks: %+v, %v; want acked at version 1 (the refused set used none)", ack, err)
	}
	if fin := m.runToEnd(&protocol.CommandRun{Kind: protocol.KindInit}); fin.Status != protocol.StatusSucceeded {
		t.Fatalf("init without hooks: %s %s", fin.Status, fin.Error)
	}
	for _, f := range m.framesFrom(0) {
		if p, err := protocol.Decode[protocol.JobStarted](f); f.Type == protocol.TypeJobStarted && err == nil && p.JobID == job.JobID {
			t.Error("the refused job started")
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a hook ran")
	}
}
