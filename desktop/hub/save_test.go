package hub

import (
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// Every save says where the change went, and, once the agent confirms,
// that it was applied.
func TestSaveSaysWhereTheChangeWentAndWhenItWasApplied(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, token := enrollAgent(t, th, "office-pc", th.enrollToken(t, 1))

	r, err := th.SaveSourceGroup(hostID, SourceGroup{Name: "docs", Includes: []string{"/docs"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Delivery != DeliverySent || r.ScheduleVersion == 0 || r.Applied() || r.Message() != "Saved. Sent to office-pc; waiting for it to confirm." {
		t.Fatalf("save while online: %+v, %q", r, r.Message())
	}
	set, _ := protocol.Decode[protocol.ScheduleSet](a.expect(protocol.TypeScheduleSet))
	if set.Version != r.ScheduleVersion {
		t.Fatalf("sent version %d, the save says %d", set.Version, r.ScheduleVersion)
	}
	applied := time.Now().UTC().Truncate(time.Second)
	a.send(&protocol.ScheduleAck{Version: set.Version, AppliedAt: applied}, "")
	waitFor(t, testWait, "applied", func() bool { return th.SaveStatus(r).Applied() })
	if r = th.SaveStatus(r); !r.AppliedAt.Equal(applied) || !strings.HasPrefix(r.Message(), "Saved. office-pc applied it at ") {
		t.Errorf("after the ack: %+v, %q", r, r.Message())
	}

	s, err := th.SaveBandwidth(hostID, 2048, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.Delivery != DeliverySent || s.ScheduleVersion != 0 || s.Message() != "Saved. Sent to office-pc." {
		t.Errorf("settings save: %+v, %q", s, s.Message())
	}

	a.c.CloseNow()
	waitFor(t, testWait, "offline", func() bool { h, _ := th.Host(hostID); return !h.Online })
	off, err := th.SaveSourceGroup(hostID, SourceGroup{Name: "mail", Includes: []string{"/mail"}})
	if err != nil {
		t.Fatal(err)
	}
	if off.Delivery != DeliveryOnConnect || off.Message() != "Saved. office-pc is offline: it gets the change when it connects." {
		t.Errorf("save while offline: %+v, %q", off, off.Message())
	}
	b := a.reconnect(th.url, token)
	b.expectHelloAck()
	waitFor(t, testWait, "online", func() bool { h, _ := th.Host(hostID); return h.Online })
	if off = th.SaveStatus(off); off.Delivery != DeliverySent {
		t.Errorf("after the host connected: %+v", off)
	}
}
