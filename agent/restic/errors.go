package restic

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"restic-manager/protocol"
)

// Causes a person understands. Every error Run returns for a restic that ran
// is an *Error whose Unwrap gives one of these, so callers use errors.Is.
var (
	ErrNotInstalled = errors.New("restic is not installed (install it, or pass --restic PATH)")
	// The repository causes (causes.go reads them from exit codes and
	// stderr); each has its protocol error_kind, see Kind.
	ErrUnreachable      = errors.New("cannot reach the repository")
	ErrWrongPassword    = errors.New("wrong password")
	ErrNoRepository     = errors.New("no repository at this location")
	ErrLocked           = errors.New("locked")
	ErrPermission       = errors.New("permission denied")
	ErrSnapshotNotFound = errors.New("snapshot not found")
	ErrPathNotFound     = errors.New("a backup path does not exist")
	ErrIncomplete       = errors.New("some files could not be read; the snapshot is incomplete")
	ErrInterrupted      = errors.New("restic was interrupted")
	ErrFailed           = errors.New("restic failed")
)

// Exit codes restic documents (doc/075_scripting.rst). Any other code is a
// failure.
const (
	ExitOK            = 0
	ExitFailed        = 1
	ExitGoRuntime     = 2
	ExitIncomplete    = 3
	ExitNoRepository  = 10
	ExitLockFailed    = 11
	ExitWrongPassword = 12
	ExitInterrupted   = 130
)

// LockHolder describes who holds the lock that made a command fail, read
// from restic's "repository is already locked by PID 9970 on vm by root"
// message.
type LockHolder struct {
	PID       int
	Host      string
	User      string
	UID, GID  int
	Exclusive bool
	CreatedAt time.Time // restic prints it in the holder's local time, without a zone
	Age       time.Duration
	StorageID string
}

func (l LockHolder) String() string {
	s := fmt.Sprintf("PID %d on %s by %s", l.PID, l.Host, l.User)
	if l.Age > 0 {
		s += fmt.Sprintf(", lock created %s ago", l.Age.Round(time.Second))
	}
	if l.StorageID != "" {
		s += " (lock " + l.StorageID + ")"
	}
	return s
}

// Error is a restic run that did not succeed.
type Error struct {
	Op       string // restic subcommand, e.g. "backup"
	ExitCode int    // restic's exit code; -1 when it was killed or never ran
	Cause    error  // one of the Err* values above
	// Detail is restic's own most telling line (scrubbed of secrets), e.g.
	// its "Fatal: …" message.
	Detail string
	Lock   *LockHolder // set with ErrLocked when restic named the holder
	// Missing lists backup paths restic skipped because they do not exist.
	Missing []string
	// Reason says a repository cause in a few words: "connection
	// refused" for ErrUnreachable, "open /srv/repo/config" for
	// ErrPermission.
	Reason string
	// Location is the repository, without secrets (protocol.RedactURL),
	// for "no repository at …".
	Location string
}

// Error says a repository cause first, in words, and restic's own line on
// the next ("cannot reach the repository: connection refused\nrestic
// backup exit 1: unable to open config file: …"), so the first line is
// the whole story at a glance. Other failures read "backup: restic exit 3:
// …" as before.
func (e *Error) Error() string {
	if h := e.Headline(); h != "" {
		var b strings.Builder
		b.WriteString(h)
		b.WriteString("\nrestic ")
		b.WriteString(e.Op)
		if e.ExitCode >= 0 {
			b.WriteString(" exit " + strconv.Itoa(e.ExitCode))
		}
		if e.Detail != "" {
			b.WriteString(": " + e.Detail)
		}
		return b.String()
	}
	var b strings.Builder
	b.WriteString(e.Op)
	if e.ExitCode >= 0 {
		b.WriteString(": restic exit " + strconv.Itoa(e.ExitCode))
	}
	b.WriteString(": ")
	b.WriteString(e.Cause.Error())
	switch {
	case len(e.Missing) > 0:
		b.WriteString(": " + strings.Join(e.Missing, ", "))
	case e.Detail != "" && (e.Cause == ErrFailed || e.Cause == ErrSnapshotNotFound || e.Cause == ErrIncomplete):
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// Headline is a repository cause in words ("wrong password", "locked by
// PID 42 on nas by backup", "no repository at /srv/repo"); empty for any
// other failure.
func (e *Error) Headline() string {
	switch e.Cause {
	case ErrUnreachable, ErrPermission:
		if e.Reason != "" {
			return e.Cause.Error() + ": " + e.Reason
		}
		return e.Cause.Error()
	case ErrNoRepository:
		if e.Location != "" {
			return "no repository at " + e.Location
		}
		return e.Cause.Error()
	case ErrWrongPassword:
		return e.Cause.Error()
	case ErrLocked:
		if e.Lock != nil {
			return "locked by " + e.Lock.String()
		}
		return "locked by another restic"
	}
	return ""
}

// Kind is the protocol error_kind of the failure.
func (e *Error) Kind() string {
	switch e.Cause {
	case ErrUnreachable:
		return protocol.ErrorKindUnreachable
	case ErrNoRepository:
		return protocol.ErrorKindNoRepository
	case ErrWrongPassword:
		return protocol.ErrorKindWrongPassword
	case ErrLocked:
		return protocol.ErrorKindLocked
	case ErrPermission:
		return protocol.ErrorKindPermission
	}
	return protocol.ErrorKindOther
}

// ErrorKind is the protocol error_kind of any error a job ended with:
// the restic cause it wraps, else "other"; "" for nil.
func ErrorKind(err error) string {
	if err == nil {
		return ""
	}
	var re *Error
	if errors.As(err, &re) {
		return re.Kind()
	}
	return protocol.ErrorKindOther
}

// LockHolderOf returns the lock holder named by err, if any.
func LockHolderOf(err error) (*LockHolder, bool) {
	var re *Error
	if errors.As(err, &re) && re.Lock != nil {
		return re.Lock, true
	}
	return nil, false
}

var (
	lockedRe      = regexp.MustCompile(`repository is already locked (exclusively )?by PID (\d+) on (\S+) by (.+?) \(UID (\d+), GID (\d+)\)`)
	lockCreatedRe = regexp.MustCompile(`lock was created at (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) \((.+?) ago\)`)
	lockStorageRe = regexp.MustCompile(`storage ID ([0-9a-f]+)`)
	missingRe     = regexp.MustCompile(`^(.+) does not exist, skipping$`)
	ignoringRe    = regexp.MustCompile(`^Ignoring "(.+)": no matching ID found`)
)

// ParseLockHolder reads restic's lock-conflict message (several stderr
// lines joined by newlines).
func ParseLockHolder(text string) (*LockHolder, bool) {
	m := lockedRe.FindStringSubmatch(text)
	if m == nil {
		return nil, false
	}
	l := &LockHolder{Exclusive: m[1] != "", Host: m[3], User: m[4]}
	l.PID, _ = strconv.Atoi(m[2])
	l.UID, _ = strconv.Atoi(m[5])
	l.GID, _ = strconv.Atoi(m[6])
	if c := lockCreatedRe.FindStringSubmatch(text); c != nil {
		l.CreatedAt, _ = time.ParseInLocation("2006-01-02 15:04:05", c[1], time.Local)
		l.Age, _ = time.ParseDuration(c[2])
	}
	if s := lockStorageRe.FindStringSubmatch(text); s != nil {
		l.StorageID = s[1]
	}
	return l, true
}

// stderrFacts is what Run learns from restic's stderr while it runs.
type stderrFacts struct {
	tail    []string // last lines, scrubbed
	missing []string
	ignored []string
	exitMsg string // message of a JSON exit_error (0.17+)
	// gaveUp is set when Run stopped restic at its first retry of an
	// unreachable repository (Cmd.FailFast) or of one no retry can reach
	// (deadEndRetry): the line that said so.
	gaveUp string
}

const (
	stderrTailLines = 24
	maxFactEntries  = 100
)

func (f *stderrFacts) observe(line string) {
	if len(f.tail) == stderrTailLines {
		copy(f.tail, f.tail[1:])
		f.tail = f.tail[:stderrTailLines-1]
	}
	f.tail = append(f.tail, line)
	text := line
	if strings.HasPrefix(line, "{") {
		var m struct {
			MessageType string `json:"message_type"`
			Message     string `json:"message"`
			Error       struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal([]byte(line), &m) == nil {
			switch m.MessageType {
			case "exit_error":
				f.exitMsg = m.Message
				text = m.Message
			case "error":
				text = m.Error.Message
			}
		}
	}
	if m := missingRe.FindStringSubmatch(text); m != nil && len(f.missing) < maxFactEntries {
		f.missing = append(f.missing, m[1])
	}
	if m := ignoringRe.FindStringSubmatch(text); m != nil && len(f.ignored) < maxFactEntries {
		f.ignored = append(f.ignored, m[1])
	}
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
