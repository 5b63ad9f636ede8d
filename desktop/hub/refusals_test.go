package hub

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// A forget for some groups touches only those: the filter once emptied
// every group with a retention policy back in.
func TestForgetForOneGroupTouchesOnlyThatGroup(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "groups", th.enrollToken(t, 1))
	keep := protocol.RetentionPolicy{KeepLast: 1}
	for _, name := range []string{"a", "b", "c", "db", "g"} {
		if err := th.PutSourceGroup(hostID, SourceGroup{Name: name, Includes: []string{"/" + name}, Retention: keep}); err != nil {
			t.Fatal(err)
		}
	}
	forgetTags := func(groups ...string) []string {
		t.Helper()
		if _, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindForget, Groups: groups}); err != nil {
			t.Fatalf("forget %v: %v", groups, err)
		}
		cmd, err := protocol.Decode[protocol.CommandRun](a.expect(protocol.TypeCommandRun))
		if err != nil {
			t.Fatal(err)
		}
		var tags []string
		for _, g := range cmd.ForgetGroups {
			tags = append(tags, g.Tag)
		}
		return tags
	}
	if got := forgetTags("b"); !slices.Equal(got, []string{"b"}) {
		t.Errorf("forget for b sent %v; want only b", got)
	}
	if got := forgetTags("g", "a"); !slices.Equal(got, []string{"a", "g"}) {
		t.Errorf("forget for g and a sent %v; want a and g", got)
	}
	if got := forgetTags(); !slices.Equal(got, []string{"a", "b", "c", "db", "g"}) {
		t.Errorf("forget for every group sent %v", got)
	}
	if _, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindForget, Groups: []string{"b", "nope"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("forget naming a missing group: %v; want ErrNotFound", err)
	}
}

// A group name that is not a safe restic tag is refused wherever the
// manager takes one, in the agents' words, and nothing is stored or sent.
func TestGroupNamesOutsideThePatternAreRefused(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "names", th.enrollToken(t, 1))
	if err := th.PutSourceGroup(hostID, SourceGroup{Name: "db", Includes: []string{"/db"}, Retention: protocol.RetentionPolicy{KeepLast: 1}}); err != nil {
		t.Fatal(err)
	}
	a.expect(protocol.TypeScheduleSet)
	before, _ := th.ScheduleStatus(hostID)
	wire := protocol.ValidateGroupName("db,web").(*protocol.ValidationError).Msg

	checks := []struct {
		what string
		err  error
	}{
		{"PutSourceGroup", th.PutSourceGroup(hostID, SourceGroup{Name: "db,web", Includes: []string{"/web"}})},
		{"ValidateGroupName", ValidateGroupName("db,web")},
		{"PutSchedule", func() error {
			_, err := th.PutSchedule(hostID, Schedule{CronExpr: "@daily", Enabled: true, Groups: []string{"db,web"}})
			return err
		}()},
		{"RunNow backup", func() error {
			_, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindBackup, Group: "db,web"})
			return err
		}()},
		{"RunNow forget", func() error {
			_, err := th.RunNow(hostID, RunRequest{Kind: protocol.KindForget, Groups: []string{"db,web"}})
			return err
		}()},
	}
	for _, c := range checks {
		if !errors.Is(c.err, ErrInvalid) || !strings.Contains(c.err.Error(), wire) {
			t.Errorf("%s with db,web: %v; want ErrInvalid with the wire's words %q", c.what, c.err, wire)
		}
	}
	groups, _ := th.SourceGroups(hostID)
	if len(groups) != 1 {
		t.Errorf("groups after the refusals: %+v; want only db", groups)
	}
	if scheds, _ := th.Schedules(hostID); len(scheds) != 0 {
		t.Errorf("schedules after the refusals: %+v", scheds)
	}
	if page, _ := th.Jobs(hostID, "", 10); len(page.Jobs) != 0 {
		t.Errorf("jobs after the refusals: %+v", page.Jobs)
	}
	if after, _ := th.ScheduleStatus(hostID); after.Version != before.Version {
		t.Errorf("schedule version %d → %d after refusals", before.Version, after.Version)
	}
	if a.has(protocol.TypeCommandRun) || a.has(protocol.TypeScheduleSet) {
		t.Error("a refused change still reached the agent")
	}
}

// A restore over the live system in disguise is refused before a job
// exists, in the words the agent would use.
func TestRestoreTargetsInDisguiseAreRefused(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	a, hostID, _ := enrollAgent(t, th, "restorer", th.enrollToken(t, 1))
	for _, dir := range []string{"/.", "/tmp/..", "/./tmp/../", "/etc", "/usr/local/restore", "relative/dir", `C:\Restore`} {
		_, err := th.Restore(hostID, RestoreRequest{SnapshotID: "4f1c3e6a", Paths: []string{"/home"}, TargetDir: dir})
		wire := protocol.ValidateRestoreTarget("linux", dir).(*protocol.ValidationError).Msg
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), wire) {
			t.Errorf("restore into %q: %v; want ErrInvalid saying %q", dir, err, wire)
		}
		if got := ValidateRestoreTarget("linux", dir); got == nil || !strings.HasSuffix(got.Error(), wire) {
			t.Errorf("ValidateRestoreTarget(%q) = %v; want the same words", dir, got)
		}
	}
	if page, _ := th.Jobs(hostID, "", 10); len(page.Jobs) != 0 {
		t.Errorf("jobs after refused restores: %+v", page.Jobs)
	}
	if a.has(protocol.TypeCommandRun) {
		t.Error("a refused restore reached the agent")
	}
	if _, err := th.Restore(hostID, RestoreRequest{SnapshotID: "4f1c3e6a", Paths: []string{"/home"}, InPlace: true}); err != nil {
		t.Errorf("in-place restore: %v", err)
	}
}

// Numbers past 2^53−1 never get in: a hello carrying one is refused, a
// schedule.ack of 2^64−1 is answered bad_request and the host's schedule
// version still grows by one.
func TestHugeNumbersAreRefusedAndNothingWraps(t *testing.T) {
	th, _ := newTestHub(t, nil, nil)
	bad := dialAgent(t, th.url, "huge-hello")
	bad.hello(func(h *protocol.Hello) { h.EnrollToken = th.enrollToken(t, 1); h.LastAckedSeq = math.MaxUint64 })
	if ack := bad.expectHelloAck(); ack.Accepted || !strings.Contains(ack.Error, "last_acked_seq") {
		t.Errorf("hello with last_acked_seq 2^64−1: %+v; want refused naming last_acked_seq", ack)
	}

	a, hostID, _ := enrollAgent(t, th, "acker", th.enrollToken(t, 1))
	before, _ := th.ScheduleStatus(hostID)
	ackEnv := a.send(&protocol.ScheduleAck{Version: math.MaxUint64, AppliedAt: time.Now()}, "")
	e, err := protocol.Decode[protocol.Error](a.expect(protocol.TypeError))
	if err != nil || e.Code != protocol.CodeBadRequest || !strings.Contains(e.Message, "version") {
		t.Errorf("schedule.ack of 2^64−1 (%s): error %+v, %v; want bad_request naming version", ackEnv.ID, e, err)
	}
	if err := th.PutSourceGroup(hostID, SourceGroup{Name: "docs", Includes: []string{"/docs"}}); err != nil {
		t.Fatal(err)
	}
	set, err := protocol.Decode[protocol.ScheduleSet](a.expect(protocol.TypeScheduleSet))
	if err != nil || set.Version != before.Version+1 {
		t.Errorf("next schedule.set: %+v, %v; want version %d", set, err, before.Version+1)
	}
}
