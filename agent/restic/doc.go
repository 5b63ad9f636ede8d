// Package restic wraps the restic command-line program for restic-agent:
// finding the binary and reading its version once, the capabilities that
// version has, argv builders for every job kind, the environment that
// carries repository secrets to the child, the --json stream parsers, and
// the mapping of exit codes and stderr text to typed errors.
//
// Only agent packages import it (agent/runner, agent/browse, agent/journal
// and agent/secrets for URL credential handling). It imports protocol only.
//
// # Supported versions
//
// restic 0.14 (Debian bookworm) through the current release. Features are
// enabled by Capabilities, never by guessing from output. Where an older
// restic lacks something the agent degrades: no restore --json before 0.16
// (the runner measures progress itself), no exit codes 10–12 before
// 0.17/0.17.1 (the cause is read from stderr), REST credentials inside the
// repository URL before 0.16.1 (still passed by environment).
//
// # Secrets
//
// The repository password and REST credentials reach restic only through the
// child's environment (see Repo). They are never in argv. Every line restic
// prints passes through Repo.Scrub before a caller sees it, and error text
// is built from scrubbed lines only. The child never inherits RESTIC_PASSWORD,
// RESTIC_REPOSITORY or their _FILE/_COMMAND variants from the agent.
//
// # Decisions on restic 0.14's silent outcomes
//
//   - A backup path that does not exist: restic 0.14 prints "X does not
//     exist, skipping" on stderr and still exits 0 (or 3) with a snapshot of
//     the other paths. Run reports this as ErrPathNotFound (the Result keeps
//     the exit code and the summary is still available), and the runner fails
//     the job: a backup that silently leaves out a configured path is the
//     failure a backup tool must never hide. When every path is missing
//     restic itself fails ("all target directories/files do not exist"),
//     which maps to ErrPathNotFound too.
//   - A snapshot id that matches nothing: restic 0.14 `ls`/`stats` print
//     `Ignoring "x": no matching ID found` and exit 0 with no output. Run
//     reports ErrSnapshotNotFound for any command whose stderr says so.
//   - Exit code 3 (some source files could not be read): the snapshot exists
//     but is incomplete; Run reports ErrIncomplete.
//
// # Repository causes
//
// A failed run that is the repository's fault is one of ErrUnreachable,
// ErrNoRepository, ErrWrongPassword, ErrLocked or ErrPermission, read from
// exit codes 10–12 where the version has them and from stderr otherwise
// (causes.go); Error.Kind is its protocol error_kind and Error() says the
// cause first, restic's own line after. Before 0.17 restic ends every
// failure to open the config file with "Is there a repository at the
// following location?", a refused connection included: that line alone is
// never read as a missing repository. restic 0.17+ retries an unreachable
// server for up to 15 minutes; Cmd.FailFast (the repository test) stops it
// at the first retry.
//
// restic has no flag to skip ownership on restore in any version, so none is
// ever passed; a restore run by a non-root agent simply cannot chown, and
// restic carries on.
package restic
