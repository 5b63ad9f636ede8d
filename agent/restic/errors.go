package restic

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Causes a person understands. Every error Run returns for a restic that ran
// is an *Error whose Unwrap gives one of these, so callers use errors.Is.
var (
	ErrNotInstalled     = errors.New("restic is not installed (install it, or pass --restic PATH)")
	ErrWrongPassword    = errors.New("wrong repository password")
	ErrNoRepository     = errors.New("there is no repository at this location (run init first?)")
	ErrLocked           = errors.New("repository is locked")
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
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Op)
	if e.ExitCode >= 0 {
		b.WriteString(": restic exit " + strconv.Itoa(e.ExitCode))
	}
	b.WriteString(": ")
	b.WriteString(e.Cause.Error())
	switch {
	case e.Lock != nil:
		b.WriteString(" by " + e.Lock.String())
	case len(e.Missing) > 0:
		b.WriteString(": " + strings.Join(e.Missing, ", "))
	case e.Detail != "" && (e.Cause == ErrFailed || e.Cause == ErrSnapshotNotFound || e.Cause == ErrIncomplete):
		b.WriteString(": " + e.Detail)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

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

// classify maps an exit code and what stderr said to an *Error, or nil when
// restic succeeded with nothing to report.
func classify(op string, exit int, f *stderrFacts) error {
	text := strings.Join(f.tail, "\n")
	if f.exitMsg != "" {
		text += "\n" + f.exitMsg
	}
	e := &Error{Op: op, ExitCode: exit, Detail: detailLine(f)}
	switch {
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
	case exit == ExitWrongPassword || strings.Contains(text, "wrong password or no key found"):
		e.Cause = ErrWrongPassword
		return e
	case exit == ExitNoRepository || strings.Contains(text, "Is there a repository at the following location?") ||
		strings.Contains(text, "repository does not exist"):
		e.Cause = ErrNoRepository
		return e
	case exit == ExitLockFailed || strings.Contains(text, "repository is already locked"):
		e.Cause = ErrLocked
		e.Lock, _ = ParseLockHolder(text)
		return e
	case strings.Contains(text, "all target directories/files do not exist") ||
		strings.Contains(text, "all source directories/files do not exist"):
		e.Cause, e.Missing = ErrPathNotFound, f.missing
		return e
	case strings.Contains(text, "no matching ID found") || strings.Contains(text, "no snapshot found"):
		e.Cause = ErrSnapshotNotFound
		return e
	case exit == ExitIncomplete:
		e.Cause = ErrIncomplete
		return e
	default:
		e.Cause = ErrFailed
		return e
	}
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

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}
