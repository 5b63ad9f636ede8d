package hub

// A host's second repository (3-2-1): its settings, the config.update that
// carries it to the agent (slot copy), and how the copies into it went.

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// CopyRepositorySettings is a host's second repository as the UI may show
// it: the URL (never with a password in it) and whether each secret is
// set, never the secrets themselves.
type CopyRepositorySettings struct {
	URL           string
	PasswordSet   bool
	UsernameSet   bool
	CredentialSet bool
}

// Configured reports whether the host has a second repository.
func (s CopyRepositorySettings) Configured() bool { return s.URL != "" }

// CopyRepositoryUpdate changes the second repository. A nil field is
// unchanged; for secrets, a pointer to "" removes the secret. Secrets go
// to the OS keyring, never to the store; the URL must not carry a password
// (Credential is the rest-server basic-auth password). An empty URL
// removes the second repository from the host's plan: copies stop (the
// copy schedule is not sent and Run now refuses), while the agent keeps
// what it was sent, as the wire has no "clear".
type CopyRepositoryUpdate struct {
	URL        *string
	Password   *string
	Username   *string
	Credential *string
}

// CopyHealth is how a host's copies into its second repository went.
type CopyHealth = storage.CopyHealth

// CopyStatus is what the Overview shows about copies.
type CopyStatus struct {
	// Repository is the second repository (Configured() false: none).
	Repository CopyRepositorySettings
	CopyHealth
	// SnapshotsCopied is what the latest finished copy copied (its
	// job.finished.stats), when it said.
	SnapshotsCopied *int
}

// CopyRepository returns a host's second repository (secrets only as
// "set").
func (h *Hub) CopyRepository(hostID string) (CopyRepositorySettings, error) {
	host, err := h.store.Host(hostID)
	if err != nil {
		return CopyRepositorySettings{}, err
	}
	return copySettings(host), nil
}

// SetCopyRepository changes the second repository and pushes
// config.update{slot:"copy"} when the host is online.
func (h *Hub) SetCopyRepository(hostID string, u CopyRepositoryUpdate) error {
	_, err := h.setCopyRepository(hostID, u)
	return err
}

// SaveCopyRepository is SetCopyRepository saying where the change went.
func (h *Hub) SaveCopyRepository(hostID string, u CopyRepositoryUpdate) (SaveResult, error) {
	return h.setCopyRepository(hostID, u)
}

// LastCopy returns how the host's copies into its second repository went:
// the latest finished copy's time and outcome and the latest success.
func (h *Hub) LastCopy(hostID string) (CopyStatus, error) {
	sum, err := h.store.HostSummary(hostID)
	if err != nil {
		return CopyStatus{}, err
	}
	st := CopyStatus{Repository: copySettings(sum.Host), CopyHealth: sum.Copy}
	if last := sum.Copy.Last; last != nil {
		if j, err := h.store.Job(last.JobID); err == nil && len(j.Stats) > 0 {
			var cs protocol.CopyStats
			if json.Unmarshal(j.Stats, &cs) == nil {
				st.SnapshotsCopied = &cs.SnapshotsCopied
			}
		}
	}
	return st, nil
}

func copySettings(host storage.Host) CopyRepositorySettings {
	c := host.Settings.Credentials
	return CopyRepositorySettings{URL: host.Settings.CopyURL, PasswordSet: c.CopyPassword, UsernameSet: c.CopyUsername,
		CredentialSet: c.CopyCredential}
}

func (h *Hub) setCopyRepository(hostID string, u CopyRepositoryUpdate) (SaveResult, error) {
	before, err := h.store.Host(hostID)
	if err != nil {
		return SaveResult{}, err
	}
	if u.URL != nil {
		if err := ValidateRepositoryURL(*u.URL); err != nil {
			return SaveResult{}, fmt.Errorf("second %w", err)
		}
		url := strings.TrimSpace(*u.URL)
		u.URL = &url
	}
	writes := []slotWrite{
		{u.Password, secrets.CopyPassword, func(c *storage.CredentialFlags) *bool { return &c.CopyPassword }},
		{u.Username, secrets.CopyUsername, func(c *storage.CredentialFlags) *bool { return &c.CopyUsername }},
		{u.Credential, secrets.CopyCredential, func(c *storage.CredentialFlags) *bool { return &c.CopyCredential }},
	}
	if err := h.saveSlot(hostID, u.URL, func(s *storage.HostSettings) *string { return &s.CopyURL }, writes); err != nil {
		return SaveResult{}, err
	}
	h.hostEvent(hostID, storage.EventAdmin, "second repository settings changed")
	if u.URL != nil && (*u.URL == "") != (before.Settings.CopyURL == "") {
		// The copy schedule goes out only while there is a second
		// repository (storage.ScheduleSet).
		v, err := h.store.BumpScheduleVersion(hostID, 0)
		if err != nil {
			return SaveResult{}, err
		}
		h.scheduleChanged(hostID, v)
	}
	return h.settingsChanged(hostID), nil
}

// copyUpdate is the host's config.update for the copy slot, or nil when it
// has no second repository.
func (h *Hub) copyUpdate(host storage.Host) *protocol.ConfigUpdate {
	if host.Settings.CopyURL == "" {
		return nil
	}
	return &protocol.ConfigUpdate{Slot: protocol.SlotCopy, RepoURL: host.Settings.CopyURL,
		RepoPassword: h.secret(host.ID, secrets.CopyPassword), RepoUsername: h.secret(host.ID, secrets.CopyUsername),
		RepoCredential: h.secret(host.ID, secrets.CopyCredential)}
}

// secret reads one of a host's secrets; a missing one is "", a keyring
// that fails is logged (the value is never).
func (h *Hub) secret(hostID string, slot secrets.Slot) string {
	v, err := h.secrets.Get(hostID, slot)
	if err != nil && !errors.Is(err, secrets.ErrNotFound) {
		h.log.Error("read credential from the keyring", "host", hostID, "slot", string(slot), "err", err)
	}
	return v
}
