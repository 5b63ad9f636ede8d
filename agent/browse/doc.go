// Package browse is the snapshot tree index behind tree.list. The first
// request for a snapshot streams `restic ls --json <id>` once into a compact
// index of directory → children (sorted by name in byte order); a few recent
// snapshots' indexes are kept (LRU, bounded by count and by an approximate
// memory budget) and later requests are served from memory with stable
// paging. Concurrent first requests for one snapshot share a single
// `restic ls` run.
//
// Decisions (see also docs/): a path that names a file, not a directory,
// answers with an error ("not a directory"), as does a missing path or
// snapshot. Node types other than dir, file and symlink (devices, fifos,
// sockets) are listed as "file": they are restorable items, and the wire
// knows only three types. An index is keyed by the snapshot id as the
// manager asked for it (short or full).
//
// Imported by the agent's link (wiring). It imports protocol and
// agent/restic (for the Lister that runs the real restic); the index itself
// only needs the small Lister interface declared here.
package browse
