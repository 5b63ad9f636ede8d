package browse

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"restic-manager/protocol"
)

// escapedName is a name of n bytes whose characters JSON escapes: control
// characters and <, > and & take six bytes each, " and \ two.
func escapedName(i, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%04d", i) // distinct, and in byte order by i
	for k := 0; b.Len() < n; k++ {
		b.WriteByte("\x01<\x1f>&\"\\\x7f"[k%8])
	}
	return b.String()
}

// A directory of 1000 names of 1 KiB of escaped characters encodes to
// about 4.5 MiB: at the default limit of 1000 one page would pass the
// 1 MiB frame limit. Pages end before 512 KiB of entries instead, next_offset
// set, and paging through them lists every name once, in order.
func TestAPageEndsBeforeItsEntriesPass512KiB(t *testing.T) {
	var nodes []Node
	var want []string
	mt := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.FixedZone("x", -7*3600))
	for i := range 1000 {
		name := escapedName(i, 1024)
		want = append(want, name)
		nodes = append(nodes, Node{Path: "/d/" + name, Type: "file", Size: 1<<64 - 1, Mtime: mt})
	}
	x := New(staticLister(nodes...), Options{Logger: quietLogger()})
	t.Cleanup(x.Close)

	var got []string
	pages, total := 0, 0
	for offset := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not move on")
		}
		res := x.List(context.Background(), protocol.TreeList{SnapshotID: "a1a1a1a1", Path: "/d", Offset: offset})
		if res.Error != "" {
			t.Fatalf("page at %d: %s", offset, res.Error)
		}
		entries, _ := json.Marshal(res.Entries)
		total += len(entries)
		if len(entries) > maxPageBytes {
			t.Fatalf("page at %d: its entries encode to %d bytes, over %d", offset, len(entries), maxPageBytes)
		}
		env, err := protocol.NewEnvelope(&res)
		if err != nil {
			t.Fatal(err)
		}
		if frame, _ := json.Marshal(env); len(frame) > protocol.MaxFrameBytes {
			t.Fatalf("page at %d: a %d-byte frame, over the %d the manager reads", offset, len(frame), protocol.MaxFrameBytes)
		}
		for _, e := range res.Entries {
			got = append(got, e.Name)
		}
		if res.NextOffset == nil {
			break
		}
		if *res.NextOffset != offset+len(res.Entries) {
			t.Fatalf("page at %d has %d entries and next_offset %d", offset, len(res.Entries), *res.NextOffset)
		}
		offset = *res.NextOffset
	}
	if pages+1 < total/maxPageBytes+1 || pages+1 > 2*(total/maxPageBytes+1) {
		t.Errorf("%d pages for %d encoded bytes; want them cut near 512 KiB", pages+1, total)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paging listed %d names; want the 1000 names each once, in byte order", len(got))
	}
}

// encodedNameLen is never below what encoding/json writes (it may be
// above: the page cut is a bound, not a measure).
func FuzzEncodedNameLenBoundsEncodingJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "R&D \"q\" <x>.txt", "back\\slash", "ünï", "\x00\x01\x1f\x7f",
		"\u2028\u2029", "bad \xff\xfe utf-8", "\xe2\x80", "tab\tnew\nline\r\b\f", escapedName(3, 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		b, err := json.Marshal(name)
		if err != nil {
			t.Fatal(err)
		}
		if got := encodedNameLen(name); got < len(b) {
			t.Errorf("encodedNameLen(%q) = %d, encoding/json writes %d", name, got, len(b))
		}
	})
}

// The fixed per-entry allowance covers the longest entry encoding besides
// its name.
func TestEntryOverheadCoversTheLongestEntry(t *testing.T) {
	mt := time.Date(2026, 12, 1, 10, 0, 0, 123456789, time.FixedZone("x", -7*3600))
	e := []protocol.TreeEntry{{Name: "", Type: protocol.EntrySymlink, Size: 1<<64 - 1, Mtime: &mt}, {}}
	b, _ := json.Marshal(e)
	one := (len(b) - len(`[,{"name":"","type":""}]`)) // the first entry and its comma
	if one > entryOverhead {
		t.Errorf("the longest entry takes %d bytes besides its name; entryOverhead is %d", one, entryOverhead)
	}
}

// A request waits at most IndexWait for its snapshot's index, then is
// answered busy; the build goes on, and a later request gets the index.
func TestARequestWaitsForTheIndexAtMostIndexWait(t *testing.T) {
	release := make(chan struct{})
	l := ListerFunc(func(ctx context.Context, id string, fn func(Node) error) error {
		select {
		case <-release: // the build takes as long as the test says
		case <-ctx.Done():
			return ctx.Err()
		}
		return fn(Node{Path: "/a.txt", Type: "file"})
	})
	x := New(l, Options{Logger: quietLogger(), IndexWait: 20 * time.Millisecond})
	t.Cleanup(x.Close)
	req := protocol.TreeList{SnapshotID: "a1a1a1a1", Path: "/"}
	if res := x.List(context.Background(), req); res.Error != "busy: index still building" {
		t.Fatalf("while the index builds: %+v; want error \"busy: index still building\"", res)
	}
	// A caller's own deadline ends the wait the same way.
	long := New(l, Options{Logger: quietLogger(), IndexWait: time.Hour})
	t.Cleanup(long.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if res := long.List(ctx, req); res.Error != "busy: index still building" {
		t.Fatalf("past the caller's deadline: %+v; want busy", res)
	}

	close(release)
	waitFor(t, 10*time.Second, func() bool { return x.Stats().Snapshots == 1 })
	if res := x.List(context.Background(), req); res.Error != "" || len(res.Entries) != 1 {
		t.Errorf("after the build: %+v; want the listing", res)
	}
}
