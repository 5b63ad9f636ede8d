package hub

import (
	"fmt"
	"strings"

	"restic-manager/protocol"
)

// Checks the settings forms run as the admin types, so a form refuses what
// the hub would refuse, with the same rule and a message naming the field.
// Their refusals are *FieldError values and never repeat a secret.

// FieldError refuses one input. Field names it as the admin knows it
// ("repository URL", `cron "61 * * * *"`); Reason says what is wrong, in
// words that make sense on the line under the input, which already shows
// the text. It unwraps to ErrInvalid, so errors.Is(err, ErrInvalid) holds
// for every refusal; a form reads Field and Reason with errors.As rather
// than taking the message apart. Err, when set, is the refusal of a
// parser both programs share (internal/cronspec), which it unwraps to as
// well.
type FieldError struct {
	Field  string
	Reason string
	Err    error
}

func (e *FieldError) Error() string { return e.Field + ": " + ErrInvalid.Error() + ": " + e.Reason }

func (e *FieldError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalid}
	}
	return []error{ErrInvalid, e.Err}
}

// invalidField is a *FieldError with a formatted reason.
func invalidField(field, format string, args ...any) error {
	return &FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ValidateRepositoryURL checks a repository URL for SetRepository: it must
// not carry a password (user:password@), which belongs in the credential
// fields, and must fit the wire's limit. An empty URL is allowed (unset).
// The message never quotes the URL, which may hold the password.
func ValidateRepositoryURL(url string) error {
	url = strings.TrimSpace(url)
	if protocol.RedactURL(url) != url {
		return invalidField("repository URL", "it contains a password (user:password@); remove it and put the user name and password in the REST username and credential fields")
	}
	if len(url) > protocol.MaxPathLen {
		return invalidField("repository URL", "longer than %d bytes", protocol.MaxPathLen)
	}
	return nil
}

// ValidateReadDataSubset checks check's --read-data-subset as the agent
// will ("5%", "2.5%", "1/10"); empty means a metadata-only check.
func ValidateReadDataSubset(s string) error {
	if s == "" {
		return nil
	}
	if err := protocol.ValidateReadDataSubset(s); err != nil {
		return invalidField("read-data subset", "%v", err)
	}
	return nil
}

// Limits of the wire that the forms enforce as the admin types.
const (
	MaxPathLen = protocol.MaxPathLen
	MaxHookLen = protocol.MaxHookLen
)
