package systest

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"restic-manager/desktop/hub"
	"restic-manager/desktop/internal/testfleet"
	"restic-manager/protocol"
)

// A forget for one group, asked for in the manager, touches only that
// group's snapshots in the real repository: every other group, each with a
// retention policy of its own, keeps all of its snapshots.
func TestForgetForOneGroupLeavesTheOtherGroupsAlone(t *testing.T) {
	t.Parallel()
	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "many-groups"})
	groups := []string{"a", "b", "c", "db", "g"}
	for _, name := range groups {
		if err := f.Hub.PutSourceGroup(a.HostID, hub.SourceGroup{Name: name, Includes: []string{a.Files},
			Retention: hub.RetentionPolicy{KeepLast: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		for _, name := range groups {
			f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: protocol.KindBackup, Group: name}), protocol.StatusSucceeded)
		}
	}
	byTag := func() map[string]int {
		var list []struct{ Tags []string }
		out, err := resticCmd(t, a, "snapshots", "--json").Output()
		if err != nil || json.Unmarshal(out, &list) != nil {
			t.Fatalf("restic snapshots: %v: %s", err, out)
		}
		n := map[string]int{}
		for _, s := range list {
			for _, tag := range s.Tags {
				n[tag]++
			}
		}
		return n
	}
	before := byTag()
	for _, name := range groups {
		if before[name] != 2 {
			t.Fatalf("snapshots per tag before the forget: %v; want 2 of each group", before)
		}
	}

	job := f.WaitJob(t, f.RunNow(t, a.HostID, hub.RunRequest{Kind: protocol.KindForget, Groups: []string{"b"}}), protocol.StatusSucceeded)
	var cmd protocol.CommandRun
	if err := json.Unmarshal(job.Command, &cmd); err != nil || len(cmd.ForgetGroups) != 1 || cmd.ForgetGroups[0].Tag != "b" {
		t.Errorf("the forget sent %s (%v); want forget_groups for b alone", job.Command, err)
	}
	after := byTag()
	for _, name := range groups {
		want := 2
		if name == "b" {
			want = 1
		}
		if after[name] != want {
			t.Errorf("group %s has %d snapshots after a forget of b with keep_last 1; want %d (all: %v)", name, after[name], want, after)
		}
	}
	if extra := slices.DeleteFunc(slices.Collect(maps.Keys(after)), func(k string) bool { return slices.Contains(groups, k) }); len(extra) != 0 {
		t.Errorf("snapshots with other tags: %v", extra)
	}
}
