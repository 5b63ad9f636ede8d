package storage

import (
	"errors"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// A store written before group names were held to the restic-tag rule:
// every invalid name is renamed (invalid characters → '-', kept unique per
// host), schedules and health follow, each rename is logged on its host,
// and the host's schedule version grows so the renamed set goes out.
func TestMigrationRenamesGroupNamesThatAreNotSafeTags(t *testing.T) {
	put := func(tx *bolt.Tx, host string, names ...string) error {
		for _, n := range names {
			g := SourceGroup{Name: n, Includes: []string{"/" + n}, Retention: protocol.RetentionPolicy{KeepLast: 2}}
			if err := putJSON(tx.Bucket(bucketGroups), groupKey(host, n), g); err != nil {
				return err
			}
		}
		return nil
	}
	s := migratedFrom(t, 2, func(tx *bolt.Tx) error {
		for _, h := range []string{"h1", "h2", "h3"} {
			if err := saveHost(tx, hostRecord{Host: Host{ID: h, Status: HostApproved, ScheduleVersion: 7}}); err != nil {
				return err
			}
		}
		if err := put(tx, "h1", "db", "db,web", "db-web", "ü docs", "-lead"); err != nil {
			return err
		}
		if err := put(tx, "h2", "a,b"); err != nil {
			return err
		}
		if err := put(tx, "h3", "fine", "also.fine_1"); err != nil {
			return err
		}
		sc := Schedule{ID: "nightly", CronExpr: "@daily", Enabled: true, Groups: []string{"db", "db,web", "-lead"}}
		if err := putJSON(tx.Bucket(bucketSchedules), cat(hk("h1"), []byte(sc.ID)), sc); err != nil {
			return err
		}
		hl := health{Groups: map[string]GroupHealth{"db,web": {Status: protocol.StatusFailed, JobID: "j1", FinishedAt: t0}}}
		if err := putJSON(tx.Bucket(bucketHealth), []byte("h1"), hl); err != nil {
			return err
		}
		return nil
	})

	names := func(host string) []string {
		t.Helper()
		gs, err := s.SourceGroups(host)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, g := range gs {
			out = append(out, g.Name)
			if err := protocol.ValidateGroupName(g.Name); err != nil {
				t.Errorf("host %s keeps group %q: %v", host, g.Name, err)
			}
			if want := "/"; len(g.Includes) != 1 || !strings.HasPrefix(g.Includes[0], want) || g.Retention.KeepLast != 2 {
				t.Errorf("group %q lost its settings: %+v", g.Name, g)
			}
		}
		return out
	}
	if got, want := names("h1"), []string{"db", "db-web", "db-web-2", "docs", "lead"}; !slices.Equal(got, want) {
		t.Errorf("h1 groups %v, want %v", got, want)
	}
	if got := names("h2"); !slices.Equal(got, []string{"a-b"}) {
		t.Errorf("h2 groups %v, want [a-b]", got)
	}
	if got := names("h3"); !slices.Equal(got, []string{"also.fine_1", "fine"}) {
		t.Errorf("h3 groups %v, want them untouched", got)
	}

	scheds, err := s.Schedules("h1")
	if err != nil || len(scheds) != 1 || !slices.Equal(scheds[0].Groups, []string{"db", "db-web-2", "lead"}) {
		t.Errorf("h1 schedules %+v, %v; want the renamed groups", scheds, err)
	}
	set, err := s.ScheduleSet("h1")
	if err != nil {
		t.Fatal(err)
	}
	if err := set.Validate(); err != nil {
		t.Errorf("h1's schedule.set after the migration is refused by the wire rules: %v", err)
	}

	sum, err := s.HostSummary("h1")
	if err != nil {
		t.Fatal(err)
	}
	if _, old := sum.Groups["db,web"]; old || sum.Groups["db-web-2"].JobID != "j1" {
		t.Errorf("h1 health %+v; want db,web's outcome under db-web-2", sum.Groups)
	}

	for host, want := range map[string][]string{
		"h1": {`"db,web" renamed to "db-web-2"`, `"ü docs" renamed to "docs"`, `"-lead" renamed to "lead"`},
		"h2": {`"a,b" renamed to "a-b"`},
		"h3": nil,
	} {
		page, err := s.HostEvents(host, "", 100)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, ev := range page.Events {
			msgs = append(msgs, ev.Message)
		}
		if len(msgs) != len(want) {
			t.Errorf("host %s events %q; want %d renames", host, msgs, len(want))
		}
		for _, w := range want {
			if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, w) }) {
				t.Errorf("host %s events %q; want one saying %s", host, msgs, w)
			}
		}
		h, _ := s.Host(host)
		wantVersion := uint64(8)
		if want == nil {
			wantVersion = 7
		}
		if h.ScheduleVersion != wantVersion {
			t.Errorf("host %s schedule version %d, want %d", host, h.ScheduleVersion, wantVersion)
		}
	}
}

func TestSafeGroupNames(t *testing.T) {
	long := strings.Repeat("x", 70)
	for in, want := range map[string]string{
		"db,web": "db-web", "my docs": "my-docs", "-x": "x", "..": "group", "": "group", "ü": "group",
		"a/b:c": "a-b-c", long: long[:64],
	} {
		if got := safeGroupName(in); got != want {
			t.Errorf("safeGroupName(%q) = %q, want %q", in, got, want)
		}
	}
	taken := map[string]bool{long[:64]: true, long[:62] + "-2": true}
	if got := uniqueGroupName(long, taken); got != long[:62]+"-3" || len(got) != 64 {
		t.Errorf("uniqueGroupName = %q; want a 64-byte name ending -3", got)
	}
}

// The store refuses to save a group the wire would refuse, and a schedule
// version cannot grow past 2^53−1.
func TestInvalidGroupNamesAndHugeVersionsAreRefused(t *testing.T) {
	s := newStore(t)
	err := s.db.Update(func(tx *bolt.Tx) error {
		return saveHost(tx, hostRecord{Host: Host{ID: "h1", Status: HostApproved, ScheduleVersion: protocol.MaxSafeInteger - 1}})
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PutSourceGroup("h1", SourceGroup{Name: "db,web", Includes: []string{"/x"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("PutSourceGroup(db,web) = %v; want ErrInvalid", err)
	}
	if v, err := s.PutSourceGroup("h1", SourceGroup{Name: "db", Includes: []string{"/x"}}); err != nil || v != protocol.MaxSafeInteger {
		t.Fatalf("PutSourceGroup(db) = %d, %v; want version 2^53−1", v, err)
	}
	if _, err := s.PutSourceGroup("h1", SourceGroup{Name: "web", Includes: []string{"/y"}}); !errors.Is(err, ErrInvalid) {
		t.Errorf("a version past 2^53−1: %v; want ErrInvalid", err)
	}
	if _, err := s.BumpScheduleVersion("h1", 1<<63); !errors.Is(err, ErrInvalid) {
		t.Errorf("BumpScheduleVersion(2^63) = %v; want ErrInvalid", err)
	}
	h, _ := s.Host("h1")
	gs, _ := s.SourceGroups("h1")
	if h.ScheduleVersion != protocol.MaxSafeInteger || len(gs) != 1 {
		t.Errorf("after the refusals: version %d, groups %+v; want 2^53−1 and db alone", h.ScheduleVersion, gs)
	}
}
