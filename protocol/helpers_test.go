package protocol_test

import (
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"restic-manager/protocol"
)

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(time.Millisecond)
	}
}

var truncMarker = regexp.MustCompile(`…\[truncated ([0-9]+) bytes\]$`)

func TestTruncateLogLine(t *testing.T) {
	t.Run("short lines are untouched", func(t *testing.T) {
		for _, s := range []string{"", "scan finished", strings.Repeat("x", protocol.MaxLogLineBytes)} {
			if got := protocol.TruncateLogLine(s); got != s {
				t.Errorf("TruncateLogLine of a %d-byte line changed it", len(s))
			}
		}
	})
	t.Run("long lines keep the limit and say how much was cut", func(t *testing.T) {
		s := strings.Repeat("x", protocol.MaxLogLineBytes+10)
		got := protocol.TruncateLogLine(s)
		want := strings.Repeat("x", protocol.MaxLogLineBytes) + "…[truncated 10 bytes]"
		if got != want {
			t.Errorf("got …%q, want …%q", got[len(got)-30:], want[len(want)-30:])
		}
	})
	t.Run("the cut never splits a rune", func(t *testing.T) {
		// "€" is 3 bytes; MaxLogLineBytes is not a multiple of 3, so the
		// limit falls inside a rune.
		if protocol.MaxLogLineBytes%3 == 0 {
			t.Fatal("test assumes MaxLogLineBytes is not a multiple of 3")
		}
		s := strings.Repeat("€", protocol.MaxLogLineBytes)
		got := protocol.TruncateLogLine(s)
		if !utf8.ValidString(got) {
			t.Fatal("truncated line is not valid UTF-8")
		}
		m := truncMarker.FindStringSubmatch(got)
		if m == nil {
			t.Fatalf("no marker at the end of …%q", got[len(got)-40:])
		}
		kept := strings.TrimSuffix(got, m[0])
		cut, _ := strconv.Atoi(m[1])
		if len(kept) > protocol.MaxLogLineBytes || len(kept)%3 != 0 || !strings.HasPrefix(s, kept) {
			t.Errorf("kept %d bytes: want a whole-rune prefix of at most %d", len(kept), protocol.MaxLogLineBytes)
		}
		if len(kept)+cut != len(s) {
			t.Errorf("marker says %d bytes were cut, but %d + %d != %d", cut, len(kept), cut, len(s))
		}
	})
	t.Run("a truncated line fits a log.stream payload", func(t *testing.T) {
		got := protocol.TruncateLogLine(strings.Repeat("y", 1<<30/64))
		p := &protocol.LogStream{JobID: "j", Seq: 1, TS: fixedTS, Stream: protocol.StreamStdout, Payload: got}
		if err := p.Validate(); err != nil {
			t.Errorf("a line cut by TruncateLogLine is refused: %v", err)
		}
	})
}

func TestRedactURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"rest:https://anna:s3cret@nas:8000/office", "rest:https://anna:***@nas:8000/office"},
		{"rest:http://anna:p%40ss@nas/", "rest:http://anna:***@nas/"},
		{"rest:https://anna:p@ss@nas/repo", "rest:https://anna:***@nas/repo"},
		{"rest:https://anna:pa/ss@nas/repo", "rest:https://***@nas/repo"},
		{"rest:https://anna:pa#ss@nas/repo", "rest:https://***@nas/repo"},
		{"rest:https://anna@nas/repo", "rest:https://anna@nas/repo"},
		{"rest:https://nas:8000/repo", "rest:https://nas:8000/repo"},
		{"/srv/restic-repo", "/srv/restic-repo"},
		{`C:\restic\repo`, `C:\restic\repo`},
		{"sftp:backup@nas:/srv/restic", "sftp:backup@nas:/srv/restic"},
		{"s3:https://s3.amazonaws.com/bucket", "s3:https://s3.amazonaws.com/bucket"},
		{"", ""},
	}
	for _, c := range cases {
		if got := protocol.RedactURL(c.in); got != c.want {
			t.Errorf("RedactURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNewID(t *testing.T) {
	t.Run("format is UUIDv7", func(t *testing.T) {
		for range 100 {
			if id := protocol.NewID(); !uuidV7.MatchString(id) {
				t.Fatalf("NewID() = %q, not a UUIDv7", id)
			}
		}
	})
	t.Run("unique", func(t *testing.T) {
		seen := make(map[string]bool, 20000)
		for range 20000 {
			id := protocol.NewID()
			if seen[id] {
				t.Fatalf("NewID repeated %s", id)
			}
			seen[id] = true
		}
	})
	t.Run("carries its creation time and sorts by it", func(t *testing.T) {
		before := time.Now().UnixMilli()
		a := protocol.NewID()
		after := time.Now().UnixMilli()
		if ms := idMillis(t, a); ms < before || ms > after {
			t.Errorf("id %s carries %d ms, want between %d and %d", a, ms, before, after)
		}
		// Ids from a later millisecond sort after earlier ones, as strings.
		waitFor(t, time.Second, "the clock to pass the id's millisecond", func() bool {
			return time.Now().UnixMilli() > idMillis(t, a)
		})
		b := protocol.NewID()
		if !(a < b) {
			t.Errorf("later id %s does not sort after %s", b, a)
		}
	})
}

// idMillis reads the 48-bit Unix millisecond timestamp at the front of a
// UUIDv7.
func idMillis(t *testing.T, id string) int64 {
	t.Helper()
	raw, err := hex.DecodeString(strings.ReplaceAll(id, "-", "")[:12])
	if err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	var ms int64
	for _, b := range raw {
		ms = ms<<8 | int64(b)
	}
	return ms
}

func TestPathHelpers(t *testing.T) {
	for p, want := range map[string]bool{
		"/": true, "/home": true, `C:\`: true, "c:/x": true, `\\server\share`: true,
		"": false, "home": false, "C:": false, "C:x": false, "./x": false, "~/x": false,
	} {
		if got := protocol.IsAbsPath(p); got != want {
			t.Errorf("IsAbsPath(%q) = %v, want %v", p, got, want)
		}
	}
	for p, want := range map[string]bool{
		"/": true, "//": true, `C:\`: true, "c:/": true, "/home": false, `C:\Users`: false,
	} {
		if got := protocol.IsRootPath(p); got != want {
			t.Errorf("IsRootPath(%q) = %v, want %v", p, got, want)
		}
	}
}
