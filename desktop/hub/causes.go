package hub

import (
	"strings"

	"restic-manager/protocol"
)

// Why a job failed, said for people, and the fix the window offers beside
// it. The agent names the cause (job.finished.error_kind) and its error
// says it first, restic's own line after.

// Error kinds, re-exported for the UI.
const (
	ErrorUnreachable   = protocol.ErrorKindUnreachable
	ErrorNoRepository  = protocol.ErrorKindNoRepository
	ErrorWrongPassword = protocol.ErrorKindWrongPassword
	ErrorLocked        = protocol.ErrorKindLocked
	ErrorPermission    = protocol.ErrorKindPermission
	ErrorOther         = protocol.ErrorKindOther
)

// Fix is an action that removes a cause.
type Fix string

const (
	FixNone Fix = ""
	// FixInit: RunNow(Kind: init) — the repository does not exist yet.
	FixInit Fix = "init"
	// FixUnlock: RunNow(Kind: unlock) — restic's stale locks go; a live
	// lock stays (the job then says so).
	FixUnlock Fix = "unlock"
	// FixSettings: the repository settings (URL, password, REST
	// credentials) are what is wrong.
	FixSettings Fix = "settings"
)

// Cause is a failed job's cause.
type Cause struct {
	// Kind is one of the Error* kinds ("" for a job that did not fail).
	Kind string
	// Words is the cause in words, the error's first line: "cannot reach
	// the repository: connection refused".
	Words string
	// Detail is the rest of the error: restic's own line.
	Detail string
	// Hint says what to do, in a sentence; Fix is the action, FixLabel its
	// button ("Initialise now", "Unlock…").
	Hint     string
	Fix      Fix
	FixLabel string
}

// CauseOf reads a job's cause. A failed job stored before error_kind
// existed is "other".
func CauseOf(j Job) Cause {
	if j.Status != JobFailed {
		return Cause{}
	}
	return causeOf(j.ErrorKind, j.Error)
}

// GroupCause reads the cause of a source group's latest failed backup.
func GroupCause(g GroupHealth) Cause {
	if g.Status != JobFailed {
		return Cause{}
	}
	return causeOf(g.ErrorKind, g.Error)
}

func causeOf(kind, text string) Cause {
	c := Cause{Kind: protocol.KnownErrorKind(kind)}
	text = strings.TrimSpace(text)
	c.Words, c.Detail, _ = strings.Cut(text, "\n")
	c.Words, c.Detail = strings.TrimSpace(c.Words), strings.TrimSpace(c.Detail)
	switch c.Kind {
	case ErrorNoRepository:
		c.Hint = "There is no repository at this URL yet. Initialise it, or correct the URL in Settings."
		c.Fix, c.FixLabel = FixInit, "Initialise now"
	case ErrorLocked:
		c.Hint = "Another restic holds a lock on the repository. Wait for it to finish; if it was interrupted, remove its stale lock."
		c.Fix, c.FixLabel = FixUnlock, "Unlock…"
	case ErrorUnreachable:
		c.Hint = "The repository's server did not answer. Check that it is running and that the URL is right, then test the repository."
		c.Fix, c.FixLabel = FixSettings, "Repository settings…"
	case ErrorWrongPassword:
		c.Hint = "The repository's password is not the one in Settings."
		c.Fix, c.FixLabel = FixSettings, "Repository settings…"
	case ErrorPermission:
		c.Hint = "The server or the file system refused access: check the REST user name and password, or the permissions of the repository's folder."
		c.Fix, c.FixLabel = FixSettings, "Repository settings…"
	}
	return c
}
