package hub

import (
	"fmt"
	"strings"

	"restic-manager/protocol"
)

// Checks the settings forms run as the admin types, so a form refuses what
// the hub would refuse, with the same rule and a message naming the field.
// Their errors wrap ErrInvalid and never repeat a secret.

// ValidateRepositoryURL checks a repository URL for SetRepository: it must
// not carry a password (user:password@), which belongs in the credential
// fields, and must fit the wire's limit. An empty URL is allowed (unset).
// The message never quotes the URL, which may hold the password.
func ValidateRepositoryURL(url string) error {
	url = strings.TrimSpace(url)
	if protocol.RedactURL(url) != url {
		return fmt.Errorf("repository URL: %w: it contains a password (user:password@); remove it and put the user name and password in the REST username and credential fields", ErrInvalid)
	}
	if len(url) > protocol.MaxPathLen {
		return fmt.Errorf("repository URL: %w: longer than %d bytes", ErrInvalid, protocol.MaxPathLen)
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
		return fmt.Errorf("read-data subset: %w: %v", ErrInvalid, err)
	}
	return nil
}

// Limits of the wire that the forms enforce as the admin types.
const (
	MaxPathLen = protocol.MaxPathLen
	MaxHookLen = protocol.MaxHookLen
)
