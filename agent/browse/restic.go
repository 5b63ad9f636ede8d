package browse

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"restic-manager/agent/restic"
)

// ResticLister lists snapshots with the real restic through agent/restic's
// Run: secrets reach restic only through its environment (restic.Repo),
// output is scrubbed, exit codes and stderr are classified there.
//
// It reads `restic ls --json` lines itself rather than through restic.Ls:
// decoding every line with encoding/json costs about a second of CPU per
// 200,000 nodes, taken from restic on a two-core machine, and the index
// needs only four fields (see parseLsLine). A parse failure falls back to
// encoding/json for that line.
type ResticLister struct {
	Restic *restic.Restic
	// Repo returns the repository's current settings and credentials (they
	// can change with config.update between requests).
	Repo func() (restic.Repo, error)
}

// lsGrace: an interrupted ls holds no lock worth waiting for.
const lsGrace = 2 * time.Second

func (l ResticLister) Ls(ctx context.Context, snapshotID string, fn func(Node) error) error {
	repo, err := l.Repo()
	if err != nil {
		return fmt.Errorf("browse: repository settings: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		sawSnapshot bool
		stopErr     error // from fn or a bad line; ends the listing
	)
	_, err = l.Restic.Run(ctx, restic.Cmd{Args: restic.LsArgs(snapshotID), Repo: repo, Grace: lsGrace, Stdout: func(line []byte) {
		if stopErr != nil || len(line) == 0 {
			return
		}
		kind, node, err := parseLsLine(line)
		if err != nil {
			stopErr = fmt.Errorf("restic ls %s: %w", snapshotID, err)
			cancel()
			return
		}
		switch kind {
		case restic.MsgSnapshot:
			sawSnapshot = true
		case restic.MsgNode:
			if err := fn(node); err != nil {
				stopErr = err
				cancel()
			}
		}
	}})
	switch {
	case stopErr != nil:
		return stopErr
	case errors.Is(err, restic.ErrSnapshotNotFound):
		return fmt.Errorf("%w: %w", ErrSnapshotNotFound, err)
	case err != nil:
		return err
	case !sawSnapshot: // restic 0.14: exit 0, nothing printed
		return fmt.Errorf("%w: restic ls printed no snapshot for %s", ErrSnapshotNotFound, snapshotID)
	}
	return nil
}

var (
	keyMessageType = []byte(`"message_type":`)
	keyStructType  = []byte(`"struct_type":`)
	keyPath        = []byte(`"path":`)
	keyType        = []byte(`"type":`)
	keySize        = []byte(`"size":`)
	keyMtime       = []byte(`"mtime":`)
)

// parseLsLine reads the kind of one restic ls --json line (message_type
// from 0.17, struct_type before) and, for a node, its path, type, size and
// mtime, without decoding the rest. Searching for `"key":` is exact in
// encoded JSON: a quote inside a string value is always escaped, so the
// pattern cannot start inside a value. Strings with escapes, and anything
// unexpected, go through encoding/json.
func parseLsLine(line []byte) (kind string, n Node, err error) {
	kind, ok := fastString(line, keyMessageType)
	if !ok {
		if kind, ok = fastString(line, keyStructType); !ok {
			return slowParse(line)
		}
	}
	if kind != restic.MsgNode {
		return kind, Node{}, nil
	}
	if n.Path, ok = fastString(line, keyPath); !ok {
		return slowParse(line)
	}
	if n.Type, ok = fastString(line, keyType); !ok {
		return slowParse(line)
	}
	if i := bytes.Index(line, keySize); i >= 0 {
		v := line[i+len(keySize):]
		j := 0
		for j < len(v) && v[j] >= '0' && v[j] <= '9' {
			j++
		}
		if n.Size, err = strconv.ParseUint(string(v[:j]), 10, 64); err != nil {
			return slowParse(line)
		}
	}
	if m, ok := fastString(line, keyMtime); ok {
		if n.Mtime, err = time.Parse(time.RFC3339Nano, m); err != nil {
			return slowParse(line)
		}
	} else if bytes.Contains(line, keyMtime) {
		return slowParse(line)
	}
	return kind, n, nil
}

// fastString returns the string value of key when it is present, compact
// (no space after the colon) and free of escapes.
func fastString(line, key []byte) (string, bool) {
	i := bytes.Index(line, key)
	if i < 0 {
		return "", false
	}
	v := line[i+len(key):]
	if len(v) == 0 || v[0] != '"' {
		return "", false
	}
	v = v[1:]
	j := bytes.IndexByte(v, '"')
	if j < 0 || bytes.IndexByte(v[:j], '\\') >= 0 || !utf8.Valid(v[:j]) {
		return "", false // encoding/json turns invalid UTF-8 into U+FFFD
	}
	return string(v[:j]), true
}

type lsLine struct {
	MessageType string    `json:"message_type"`
	StructType  string    `json:"struct_type"`
	Path        string    `json:"path"`
	Type        string    `json:"type"`
	Size        uint64    `json:"size"`
	Mtime       time.Time `json:"mtime"`
}

func slowParse(line []byte) (string, Node, error) {
	var l lsLine
	if err := json.Unmarshal(line, &l); err != nil {
		return "", Node{}, fmt.Errorf("parse line: %w", err)
	}
	kind := l.MessageType
	if kind == "" {
		kind = l.StructType
	}
	return kind, Node{Path: l.Path, Type: l.Type, Size: l.Size, Mtime: l.Mtime}, nil
}
