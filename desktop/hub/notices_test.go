package hub

import (
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// A banner holds only while its cause does: "queued: the host is offline"
// goes when the host reconnects, and the job's notice goes when it starts.
func TestNoticesClearWhenTheirCauseDoes(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, token := enrollAgent(t, th, "office-pc2", th.enrollToken(t, 1))
	a.c.CloseNow()
	waitFor(t, testWait, "offline", func() bool { h, _ := th.Host(hostID); return !h.Online })

	jobID, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindCheck})
	if err != nil {
		t.Fatal(err)
	}
	n, ok, err := th.JobNotice(jobID)
	if err != nil || !ok || !n.Warning || !strings.Contains(n.Text, "office-pc2 is offline") {
		t.Fatalf("job notice while offline: %+v, %v, %v", n, ok, err)
	}
	kinds := func() []NoticeKind {
		ns, err := th.HostNotices(hostID)
		if err != nil {
			t.Fatal(err)
		}
		var out []NoticeKind
		for _, n := range ns {
			out = append(out, n.Kind)
		}
		return out
	}
	if got := kinds(); len(got) == 0 || got[0] != NoticeHostOffline {
		t.Errorf("host notices while offline: %v", got)
	}

	b := a.reconnect(th.url, token)
	b.expectHelloAck()
	waitFor(t, testWait, "online", func() bool { h, _ := th.Host(hostID); return h.Online })
	for _, k := range kinds() {
		if k == NoticeHostOffline {
			t.Error("the offline notice stayed after the host reconnected")
		}
	}
	if n, ok, _ := th.JobNotice(jobID); ok && strings.Contains(n.Text, "offline") {
		t.Errorf("the job's notice still says offline: %q", n.Text)
	}
	cmd, _ := protocol.Decode[protocol.CommandRun](b.expect(protocol.TypeCommandRun))
	b.send(&protocol.CommandResult{JobID: cmd.JobID, Accepted: true}, "")
	b.waitAck(b.emit(&protocol.JobStarted{JobID: jobID, Kind: protocol.KindCheck, StartedAt: time.Now().UTC()}))
	if n, ok, _ := th.JobNotice(jobID); ok {
		t.Errorf("a running job has a notice: %q", n.Text)
	}
	// The agent confirms the schedules: that notice goes too.
	set, _ := protocol.Decode[protocol.ScheduleSet](b.expect(protocol.TypeScheduleSet))
	b.send(&protocol.ScheduleAck{Version: set.Version, AppliedAt: time.Now().UTC()}, "")
	waitFor(t, testWait, "schedule acked", func() bool { s, _ := th.ScheduleStatus(hostID); return s.InSync() })
	for _, k := range kinds() {
		if k == NoticeScheduleNotApplied {
			t.Error("the schedule notice stayed after the agent confirmed")
		}
	}
}
