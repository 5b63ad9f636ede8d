package restic

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// FindArgs is `find --json [--ignore-case] --host host -- pattern`: the
// host's own snapshots only, the pattern after "--" so one starting with
// "-" is never a flag. find takes a non-exclusive lock.
func FindArgs(host, pattern string, ignoreCase bool) ([]string, error) {
	if host == "" || pattern == "" {
		return nil, errors.New("find: host and pattern are required")
	}
	a := []string{"find", "--json"}
	if ignoreCase {
		a = append(a, "--ignore-case")
	}
	return append(a, "--host", host, "--", pattern), nil
}

// FindNode is one match as `find --json` prints it, reduced to what the
// agent reports.
type FindNode struct {
	Path string `json:"path"`
	Type string `json:"type"`
	// Size is absent for anything but a file.
	Size  uint64    `json:"size"`
	Mtime time.Time `json:"mtime"`
}

// FindSnapshot is the matches of one snapshot.
type FindSnapshot struct {
	// SnapshotID is the snapshot's full id.
	SnapshotID string
	// Matches are the matches ReadFind kept (see its keep).
	Matches []FindNode
	// Hits counts every match in the snapshot, kept or not.
	Hits int
}

// ReadFind reads `restic find --json` output as it arrives and calls fn
// once per snapshot with matches, in restic's order. Every version from
// 0.14 to 0.19 prints one JSON array on a single line that grows while
// restic searches: per snapshot {"matches":[…],"hits":N,"snapshot":"<id>"},
// the id after its matches (0.18+ search the newest snapshot first, older
// versions in repository order). A stream of such objects without the
// array is read too.
//
// At most keep matches are held and handed to fn over the whole run (the
// job log keeps no more); the rest are only counted in Hits, so memory
// stays bounded however many files match. On malformed output ReadFind
// reads r to its end (so restic is never blocked writing) and returns an
// error.
func ReadFind(r io.Reader, keep int, fn func(FindSnapshot)) error {
	err := readFind(r, keep, fn)
	if err != nil {
		_, _ = io.Copy(io.Discard, r)
	}
	return err
}

func readFind(r io.Reader, keep int, fn func(FindSnapshot)) error {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	tok, err := dec.Token()
	if errors.Is(err, io.EOF) {
		return nil // restic printed nothing (it failed before searching)
	}
	if err != nil {
		return fmt.Errorf("find output: %w", err)
	}
	f := findReader{dec: dec, keep: keep, fn: fn}
	switch tok {
	case json.Delim('['):
		for dec.More() {
			if err := f.snapshot(); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil { // ']'
			return fmt.Errorf("find output: %w", err)
		}
	case json.Delim('{'):
		for {
			if err := f.snapshotBody(); err != nil {
				return err
			}
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return fmt.Errorf("find output: %w", err)
			}
			if tok != json.Delim('{') {
				return fmt.Errorf("find output: unexpected %v between snapshots", tok)
			}
		}
	default:
		return fmt.Errorf("find output: starts with %v, not a list of snapshots", tok)
	}
	return nil
}

type findReader struct {
	dec  *json.Decoder
	keep int // matches that may still be held
	fn   func(FindSnapshot)
}

func (f *findReader) snapshot() error {
	tok, err := f.dec.Token()
	if err != nil {
		return fmt.Errorf("find output: %w", err)
	}
	if tok != json.Delim('{') {
		return fmt.Errorf("find output: unexpected %v in the list of snapshots", tok)
	}
	return f.snapshotBody()
}

// snapshotBody reads one snapshot object after its '{', through its '}'.
func (f *findReader) snapshotBody() error {
	var s FindSnapshot
	for f.dec.More() {
		tok, err := f.dec.Token()
		if err != nil {
			return fmt.Errorf("find output: %w", err)
		}
		key, _ := tok.(string)
		switch key {
		case "matches":
			if err := f.matches(&s); err != nil {
				return err
			}
		case "snapshot":
			if err := f.dec.Decode(&s.SnapshotID); err != nil {
				return fmt.Errorf("find output: snapshot id: %w", err)
			}
		default: // "hits" (counted from the matches) and anything newer
			var skip json.RawMessage
			if err := f.dec.Decode(&skip); err != nil {
				return fmt.Errorf("find output: %s: %w", key, err)
			}
		}
	}
	if _, err := f.dec.Token(); err != nil { // '}'
		return fmt.Errorf("find output: %w", err)
	}
	if s.SnapshotID == "" {
		return errors.New("find output: a snapshot's matches without its id")
	}
	f.fn(s)
	return nil
}

func (f *findReader) matches(s *FindSnapshot) error {
	tok, err := f.dec.Token()
	if err != nil {
		return fmt.Errorf("find output: %w", err)
	}
	if tok == nil {
		return nil // "matches":null
	}
	if tok != json.Delim('[') {
		return fmt.Errorf("find output: matches is %v, not a list", tok)
	}
	for f.dec.More() {
		s.Hits++
		if f.keep <= 0 {
			var skip struct{}
			if err := f.dec.Decode(&skip); err != nil {
				return fmt.Errorf("find output: match: %w", err)
			}
			continue
		}
		var n FindNode
		if err := f.dec.Decode(&n); err != nil {
			return fmt.Errorf("find output: match: %w", err)
		}
		n.Mtime = n.Mtime.UTC()
		s.Matches = append(s.Matches, n)
		f.keep--
	}
	_, err = f.dec.Token() // ']'
	if err != nil {
		return fmt.Errorf("find output: %w", err)
	}
	return nil
}
