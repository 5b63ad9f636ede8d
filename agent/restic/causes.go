package restic

import (
	"regexp"
	"strings"
)

// Reading a failed run's cause. restic 0.17 gives exit codes for three
// repository causes (10 no repository, 11 lock failed, 12 wrong password,
// the last from 0.17.1); older versions exit 1 and say it on stderr, and
// no version has a code for an unreachable server or a refused access.
// Worse, before 0.17 every failure to open the config file — a refused
// connection included — ends with "Is there a repository at the following
// location?", so that line alone proves nothing: a missing repository is
// only one whose config file restic found absent (exit 10, "repository
// does not exist", or a not-exist error beside that line). An unreachable
// server is never reported as a missing repository.

// unreachableSigns are the network failures restic passes on from Go's
// net/http, crypto/tls and ssh, lower-cased, with the reason said to
// people. The first that appears wins, so specific signs come first.
var unreachableSigns = []struct{ sign, reason string }{
	{"connection refused", "connection refused"},
	{"no such host", "host not found (DNS)"},
	{"could not resolve hostname", "host not found (DNS)"},
	{"temporary failure in name resolution", "host not found (DNS)"},
	{"server misbehaving", "DNS lookup failed"},
	{"network is unreachable", "network is unreachable"},
	{"no route to host", "no route to host"},
	{"tls handshake timeout", "timed out during the TLS handshake"},
	{"i/o timeout", "timed out"},
	{"connection timed out", "timed out"},
	{"client.timeout exceeded", "timed out"},
	{"context deadline exceeded", "timed out"},
	{"connection reset by peer", "the connection was reset"},
	{"x509: ", ""}, // reason: the certificate error itself
	{"tls: ", ""},
}

// permissionSigns are refusals of access: the file system's, an HTTP
// server's, a cloud store's.
var permissionSigns = []struct{ sign, reason string }{
	{"(401)", "the server answered 401 Unauthorized (check the REST user name and password)"},
	{"401 unauthorized", "the server answered 401 Unauthorized (check the REST user name and password)"},
	{"(403)", "the server answered 403 Forbidden"},
	{"403 forbidden", "the server answered 403 Forbidden"},
	{"accessdenied", "the storage service denied access"},
	{"access denied", "the storage service denied access"},
	{"permission denied", ""}, // reason: the operation and path
	{"operation not permitted", ""},
}

// notExistSigns say that the thing restic looked for is not there.
var notExistSigns = []string{"no such file or directory", "does not exist", "(404)", "404 not found", "nosuchkey",
	"nosuchbucket", "not found", "notfound"}

// pathOpRe finds "open /srv/repo/config" in "…: open /srv/repo/config:
// permission denied".
var pathOpRe = regexp.MustCompile(`(?i)((?:open|stat|lstat|mkdir|create|remove|rename|readdirent|chmod) [^:]+): (?:permission denied|operation not permitted)`)

// certRe finds the certificate complaint in a TLS failure.
var certRe = regexp.MustCompile(`(?i)((?:x509|tls): [^"]+)`)

// lines is everything restic said on stderr, with a JSON exit_error's
// message split into its lines.
func (f *stderrFacts) lines() []string {
	out := append([]string(nil), f.tail...)
	if f.exitMsg != "" {
		out = append(out, strings.Split(f.exitMsg, "\n")...)
	}
	return out
}

// lineWith returns restic's last line that holds sign (lower-cased), as
// restic's own explanation: without "Fatal: " and JSON wrapping. The last,
// because restic's retries come before its verdict.
func lineWith(lines []string, sign string) (string, bool) {
	for i := len(lines) - 1; i >= 0; i-- {
		l := lines[i]
		if strings.HasPrefix(l, "{") {
			continue // the exit_error's message is among lines already
		}
		if strings.Contains(strings.ToLower(l), sign) {
			return shortenText(strings.TrimPrefix(strings.TrimSpace(l), "Fatal: "), 500), true
		}
	}
	return "", false
}

// unreachable reports whether lines show the repository could not be
// reached, with the reason and restic's line.
func unreachable(lines []string) (reason, line string, ok bool) {
	for _, s := range unreachableSigns {
		if l, found := lineWith(lines, s.sign); found {
			reason = s.reason
			if reason == "" {
				reason = "TLS failed"
				if m := certRe.FindStringSubmatch(l); m != nil {
					reason = "TLS failed: " + shortenText(m[1], 200)
				}
			}
			return reason, l, true
		}
	}
	return "", "", false
}

func permission(lines []string) (reason, line string, ok bool) {
	for _, s := range permissionSigns {
		if l, found := lineWith(lines, s.sign); found {
			reason = s.reason
			if reason == "" {
				reason = "access refused"
				if m := pathOpRe.FindStringSubmatch(l); m != nil {
					reason = m[1]
				}
			}
			return reason, l, true
		}
	}
	return "", "", false
}

// noRepository reports a config file restic found absent, with restic's
// line: the "Is there a repository" hint and a not-exist error together.
func noRepository(lines []string) (string, bool) {
	if _, hint := lineWith(lines, "is there a repository at the following location?"); !hint {
		return "", false
	}
	for _, s := range notExistSigns {
		if l, ok := lineWith(lines, s); ok {
			return l, true
		}
	}
	return "", false
}

// failFastReason reports a line of restic's own backend retries (0.17+
// retries an unreachable server for up to 15 minutes) that names an
// unreachable server: Cmd.FailFast stops restic there.
func failFastReason(line string) bool {
	if !strings.Contains(line, "returned error, retrying after") {
		return false
	}
	_, _, ok := unreachable([]string{line})
	return ok
}

// deadEndSigns are file system errors a retry cannot mend: restic 0.17+
// retries them as it does a network failure, for up to 15 minutes, so a
// backup into a repository path that runs through a file, or that the
// agent may not write, would hang that long before it failed.
var deadEndSigns = []string{": not a directory", ": permission denied", ": operation not permitted", ": read-only file system"}

// deadEndRetry reports a line of restic's backend retries whose error no
// retry can mend (deadEndSigns): Run stops restic there, whatever the job.
func deadEndRetry(line string) bool {
	if !strings.Contains(line, "returned error, retrying after") {
		return false
	}
	l := strings.ToLower(line)
	for _, s := range deadEndSigns {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

// classify maps an exit code and what stderr said to an *Error, or nil when
// restic succeeded with nothing to report.
func classify(op string, exit int, f *stderrFacts) error {
	lines := f.lines()
	text := strings.Join(lines, "\n")
	e := &Error{Op: op, ExitCode: exit, Detail: detailLine(f)}
	cause := func(c error, line string) error {
		e.Cause = c
		if line != "" {
			e.Detail = line
		}
		return e
	}
	switch {
	case f.gaveUp != "":
		line := strings.TrimSpace(f.gaveUp)
		if reason, _, ok := unreachable([]string{f.gaveUp}); ok {
			e.Reason = reason
			return cause(ErrUnreachable, line)
		}
		if reason, _, ok := permission([]string{f.gaveUp}); ok {
			e.Reason = reason
			return cause(ErrPermission, line)
		}
		return cause(ErrFailed, line)
	case exit == ExitOK && len(f.ignored) > 0:
		e.Cause = ErrSnapshotNotFound
		e.Detail = "no snapshot matches " + strings.Join(quoteAll(f.ignored), ", ")
		return e
	case exit == ExitOK && len(f.missing) == 0:
		return nil
	case (exit == ExitOK || exit == ExitIncomplete) && len(f.missing) > 0:
		e.Cause, e.Missing = ErrPathNotFound, f.missing
		return e
	case exit == ExitInterrupted:
		e.Cause = ErrInterrupted
		return e
	}
	if l, ok := lineWith(lines, "wrong password or no key found"); ok || exit == ExitWrongPassword {
		return cause(ErrWrongPassword, l)
	}
	if l, ok := lineWith(lines, "repository is already locked"); ok || exit == ExitLockFailed {
		e.Lock, _ = ParseLockHolder(text)
		return cause(ErrLocked, l)
	}
	if l, ok := lineWith(lines, "repository does not exist"); ok || exit == ExitNoRepository {
		return cause(ErrNoRepository, l)
	}
	if reason, l, ok := unreachable(lines); ok {
		e.Reason = reason
		return cause(ErrUnreachable, l)
	}
	if exit != ExitIncomplete {
		// Exit 3 is a source file restic could not read, which is no
		// repository's fault.
		if reason, l, ok := permission(lines); ok {
			e.Reason = reason
			return cause(ErrPermission, l)
		}
	}
	switch {
	case strings.Contains(text, "all target directories/files do not exist") ||
		strings.Contains(text, "all source directories/files do not exist"):
		e.Cause, e.Missing = ErrPathNotFound, f.missing
		return e
	}
	if l, ok := noRepository(lines); ok {
		return cause(ErrNoRepository, l)
	}
	switch {
	case strings.Contains(text, "no matching ID found") || strings.Contains(text, "no snapshot found"):
		e.Cause = ErrSnapshotNotFound
	case exit == ExitIncomplete:
		e.Cause = ErrIncomplete
	default:
		e.Cause = ErrFailed
	}
	return e
}

// detailLine picks restic's own explanation: the exit_error message, else
// the last "Fatal:" line, else the last line.
func detailLine(f *stderrFacts) string {
	if f.exitMsg != "" {
		return f.exitMsg
	}
	for i := len(f.tail) - 1; i >= 0; i-- {
		if s, ok := strings.CutPrefix(f.tail[i], "Fatal: "); ok {
			return s
		}
	}
	if n := len(f.tail); n > 0 {
		return shortenText(f.tail[n-1], 500)
	}
	return ""
}
