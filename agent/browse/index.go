package browse

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"restic-manager/protocol"
)

// Entry types, packed into the top bits of entry.nameLen.
const (
	typeFile    = 0
	typeDir     = 1
	typeSymlink = 2

	typeShift = 30
	lenMask   = 1<<typeShift - 1
)

// noMtime marks an entry restic gave no modification time for.
const noMtime = math.MinInt64

// entry is one child of a directory: 24 bytes, no pointers, so a 200,000
// file snapshot is a few flat arrays the garbage collector never scans.
type entry struct {
	nameOff uint32 // offset of the name in tree.names
	nameLen uint32 // name length | type<<typeShift
	// size is the file size; for a directory, the index of its dirSpan.
	size  uint64
	mtime int64 // Unix nanoseconds, or noMtime
}

func (e entry) typ() uint32 { return e.nameLen >> typeShift }

// dirSpan is where a directory's children sit in tree.entries.
type dirSpan struct{ start, end uint32 }

// tree is one snapshot's index. Directory i's children are
// entries[dirs[i].start:dirs[i].end], sorted by name; dirs[0] is "/". Paths
// are resolved by walking names from the root with a binary search per
// level, so no path string is stored at all.
type tree struct {
	names   string // every entry name, concatenated
	entries []entry
	dirs    []dirSpan
}

func (t *tree) name(e entry) string {
	return t.names[e.nameOff : e.nameOff+e.nameLen&lenMask]
}

// bytes is the index's approximate memory footprint.
func (t *tree) bytes() int64 {
	return int64(len(t.names)) + int64(cap(t.entries))*int64(unsafe.Sizeof(entry{})) +
		int64(cap(t.dirs))*int64(unsafe.Sizeof(dirSpan{})) + 128
}

var (
	errNotFound = errors.New("no such path in the snapshot")
	errNotDir   = errors.New("not a directory")
)

// lookup resolves a restic path ("/", "/home/ann", "/C/Users") to a
// directory index.
func (t *tree) lookup(path string) (int, error) {
	dir := 0
	for comp := range strings.SplitSeq(path, "/") {
		if comp == "" {
			continue // leading, trailing or doubled slashes
		}
		span := t.dirs[dir]
		kids := t.entries[span.start:span.end]
		i, found := slices.BinarySearchFunc(kids, comp, func(e entry, name string) int {
			return strings.Compare(t.name(e), name)
		})
		if !found {
			return 0, errNotFound
		}
		if kids[i].typ() != typeDir {
			return 0, errNotDir
		}
		dir = int(kids[i].size)
	}
	return dir, nil
}

// maxPageBytes: a page ends early rather than let its encoded entries
// pass this (DESIGN, tree.list), so a directory of long names full of
// characters JSON escapes (six bytes each) still fits the 1 MiB frame.
const maxPageBytes = 512 << 10

// entryOverhead bounds the encoding of one entry besides its name:
// {"name":"","type":"symlink","size":18446744073709551615,
// "mtime":"2006-01-02T15:04:05.999999999-07:00"} and a comma.
const entryOverhead = 112

// encodedNameLen bounds the bytes encoding/json writes for name, quotes
// included: a control character, <, > or & takes six (\u003c), " and \
// two, U+2028/U+2029 six, a byte of invalid UTF-8 six (\ufffd), anything
// else what it takes in UTF-8.
func encodedNameLen(name string) int {
	n := 2
	for i := 0; i < len(name); {
		c := name[i]
		if c < utf8.RuneSelf {
			switch {
			case c < 0x20 || c == '<' || c == '>' || c == '&':
				n += 6
			case c == '"' || c == '\\':
				n += 2
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(name[i:])
		if (r == utf8.RuneError && size == 1) || r == '\u2028' || r == '\u2029' {
			n += 6
		} else {
			n += size
		}
		i += size
	}
	return n
}

// page returns the children of directory dir from offset: at most limit,
// and fewer when their encoding would pass maxBytes (never fewer than one,
// so paging always moves on).
func (t *tree) page(dir, offset, limit, maxBytes int) (entries []protocol.TreeEntry, next *int) {
	span := t.dirs[dir]
	kids := t.entries[span.start:span.end]
	if offset >= len(kids) {
		return []protocol.TreeEntry{}, nil
	}
	end := min(offset+limit, len(kids))
	size := 0
	for i, e := range kids[offset:end] {
		size += encodedNameLen(t.name(e)) + entryOverhead
		if size > maxBytes && i > 0 {
			end = offset + i
			break
		}
	}
	out := make([]protocol.TreeEntry, 0, end-offset)
	for _, e := range kids[offset:end] {
		te := protocol.TreeEntry{Name: t.name(e)}
		switch e.typ() {
		case typeDir:
			te.Type = protocol.EntryDir
		case typeSymlink:
			te.Type = protocol.EntrySymlink
		default:
			te.Type = protocol.EntryFile
			te.Size = e.size
		}
		if e.mtime != noMtime {
			m := time.Unix(0, e.mtime).UTC()
			te.Mtime = &m
		}
		out = append(out, te)
	}
	if end < len(kids) {
		next = &end
	}
	return out, next
}

// builder turns restic's stream of nodes into a tree. Nodes may come in
// any order; a directory restic did not list itself (an ancestor of the
// backed-up paths, in some versions) is made up from the paths below it.
type builder struct {
	names   strings.Builder
	entries []entry
	parent  []uint32          // parent directory of entries[i]
	dirOf   map[string]uint32 // directory path → dir index; build time only
	dirNode []int32           // dir index → its entry (-1 for the root)
}

func newBuilder() *builder {
	return &builder{dirOf: map[string]uint32{"/": 0}, dirNode: []int32{-1}}
}

// add records one node. path is restic's absolute path of the node.
func (b *builder) add(path, typ string, size uint64, mtime time.Time) error {
	path = cleanPath(path)
	if path == "/" {
		return nil // the root itself
	}
	i := strings.LastIndexByte(path, '/')
	parentPath, name := path[:max(i, 1)], path[i+1:]
	if name == "" || len(name) > lenMask {
		return fmt.Errorf("restic ls: bad node path %q", path)
	}
	if typ == protocol.EntryDir {
		if d, ok := b.dirOf[path]; ok { // made up earlier from a child: fill it in
			if n := b.dirNode[d]; n >= 0 {
				b.entries[n].mtime = unixNano(mtime)
			}
			return nil
		}
	}
	parent := b.dir(parentPath)
	e := entry{nameOff: uint32(b.names.Len()), nameLen: uint32(len(name)), mtime: unixNano(mtime)}
	b.names.WriteString(name)
	switch typ {
	case protocol.EntryDir:
		e.nameLen |= typeDir << typeShift
		e.size = uint64(len(b.dirNode))
		b.dirOf[path] = uint32(len(b.dirNode))
		b.dirNode = append(b.dirNode, int32(len(b.entries)))
	case protocol.EntrySymlink:
		e.nameLen |= typeSymlink << typeShift
	default: // file, and dev/chardev/fifo/socket shown as files
		e.size = size
	}
	if len(b.entries) == math.MaxInt32 {
		return errors.New("restic ls: snapshot too large to index")
	}
	b.entries = append(b.entries, e)
	b.parent = append(b.parent, parent)
	return nil
}

// dir returns the index of the directory at path, making it (and its
// ancestors) up when restic has not listed it.
func (b *builder) dir(path string) uint32 {
	if d, ok := b.dirOf[path]; ok {
		return d
	}
	i := strings.LastIndexByte(path, '/')
	parent := b.dir(path[:max(i, 1)])
	name := path[i+1:]
	d := uint32(len(b.dirNode))
	e := entry{nameOff: uint32(b.names.Len()), nameLen: uint32(len(name)) | typeDir<<typeShift, size: uint64(d), mtime: noMtime}
	b.names.WriteString(name)
	b.dirOf[path] = d
	b.dirNode = append(b.dirNode, int32(len(b.entries)))
	b.entries = append(b.entries, e)
	b.parent = append(b.parent, parent)
	return d
}

// finish groups entries by parent directory (a counting sort, so each
// directory's children are contiguous), sorts each directory by name, and
// drops the build-time maps.
func (b *builder) finish() *tree {
	// Clone trims the builder's doubling slack off the names.
	t := &tree{names: strings.Clone(b.names.String()), dirs: make([]dirSpan, len(b.dirNode))}
	for _, p := range b.parent {
		t.dirs[p].end++
	}
	var off uint32
	for i := range t.dirs {
		n := t.dirs[i].end
		t.dirs[i] = dirSpan{start: off, end: off}
		off += n
	}
	t.entries = make([]entry, len(b.entries))
	for i, e := range b.entries {
		s := &t.dirs[b.parent[i]]
		t.entries[s.end] = e
		s.end++
	}
	byName := func(a, c entry) int { return cmp.Compare(t.name(a), t.name(c)) }
	for _, s := range t.dirs {
		kids := t.entries[s.start:s.end]
		if !slices.IsSortedFunc(kids, byName) {
			slices.SortFunc(kids, byName)
		}
	}
	b.entries, b.parent, b.dirOf, b.dirNode = nil, nil, nil, nil
	return t
}

func unixNano(t time.Time) int64 {
	if t.IsZero() || t.Year() < 1678 || t.Year() > 2261 {
		return noMtime
	}
	return t.UnixNano()
}

// cleanPath makes p absolute with single slashes and no trailing slash.
func cleanPath(p string) string {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	for strings.Contains(p, "//") {
		p = strings.ReplaceAll(p, "//", "/")
	}
	if len(p) > 1 {
		p = strings.TrimSuffix(p, "/")
	}
	return p
}
