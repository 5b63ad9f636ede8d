package systest

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"testing"

	"restic-manager/desktop/internal/testfleet"
)

// tree.list pages through a directory of 2,500 entries 1,000 at a time:
// three pages, sorted by name in byte order, no entry twice, none missing,
// the same page twice is the same, and the last page has no next offset.
func TestTreeListPagesThroughABigDirectory(t *testing.T) {
	t.Parallel()
	files := map[string]string{}
	var want []string
	for i := range 2490 {
		name := fmt.Sprintf("file-%04d.txt", (i*7919)%2490) // not written in name order
		files["many/"+name] = name + "\n"
		want = append(want, name)
	}
	for i := range 10 {
		// Upper case sorts before lower case in byte order; directories are
		// entries like files.
		name := fmt.Sprintf("Dir-%d", i)
		files["many/"+name+"/inside.txt"] = "x\n"
		want = append(want, name)
	}
	sort.Strings(want)

	f := testfleet.New(t, testfleet.Options{})
	a := f.StartAgent(t, testfleet.AgentOptions{Name: "file-server", Files: files})
	a.Backup(t)
	var snapID string
	testfleet.WaitFor(t, testfleet.Wait, "the snapshot in the projection", func() bool {
		s, err := f.Hub.Snapshots(a.HostID)
		if err == nil && len(s) == 1 {
			snapID = s[0].ID
		}
		return snapID != ""
	})

	dir := a.Files + "/many"
	ctx := context.Background()
	var got []string
	offsets := []int{}
	offset := 0
	for page := 1; ; page++ {
		if page > 4 {
			t.Fatalf("more than 3 pages of 1000 for 2500 entries (offsets %v)", offsets)
		}
		p, err := f.Hub.TreeList(ctx, a.HostID, snapID, dir, offset, 1000)
		if err != nil {
			t.Fatalf("page %d (offset %d): %v", page, offset, err)
		}
		offsets = append(offsets, offset)
		for _, e := range p.Entries {
			got = append(got, e.Name)
			wantType := "file"
			if len(e.Name) > 4 && e.Name[:4] == "Dir-" {
				wantType = "dir"
			}
			if e.Type != wantType {
				t.Errorf("%s is a %s; want %s", e.Name, e.Type, wantType)
			}
		}
		if p.NextOffset == 0 {
			if len(p.Entries) != 500 {
				t.Errorf("last page has %d entries; want 500", len(p.Entries))
			}
			break
		}
		if len(p.Entries) != 1000 || p.NextOffset != offset+1000 {
			t.Fatalf("page %d: %d entries, next offset %d; want 1000 and %d", page, len(p.Entries), p.NextOffset, offset+1000)
		}
		offset = p.NextOffset
	}
	if !slices.Equal(offsets, []int{0, 1000, 2000}) {
		t.Errorf("pages at offsets %v; want [0 1000 2000]", offsets)
	}
	if !slices.IsSorted(got) {
		t.Error("entries across the pages are not sorted by name (byte order)")
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged listing has %d entries; want exactly the %d in the directory, each once", len(got), len(want))
	}

	// Paging is stable: a snapshot never changes, and neither do its pages.
	again, err := f.Hub.TreeList(ctx, a.HostID, snapID, dir, 1000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range again.Entries {
		names = append(names, e.Name)
	}
	if !slices.Equal(names, got[1000:2000]) || again.NextOffset != 2000 {
		t.Error("the second page asked again differs from the first time")
	}
}
