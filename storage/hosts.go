package storage

import (
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// Approval states of a host.
const (
	HostPending  = "pending"
	HostApproved = "approved"
	HostRejected = "rejected"
	// HostRemoved: removed by the administrator with its history kept
	// (RemoveHost): its credentials are revoked, it is in no host list,
	// and its jobs, logs and snapshots stay readable.
	HostRemoved = "removed"
)

// HostInfo is what a host says about itself in hello. It describes; it
// never identifies.
type HostInfo struct {
	Hostname      string     `json:"hostname"`
	OS            string     `json:"os"`
	Arch          string     `json:"arch"`
	AgentVersion  string     `json:"agent_version"`
	ResticVersion string     `json:"restic_version"`
	Timezone      string     `json:"timezone"`
	BootTime      *time.Time `json:"boot_time,omitempty"`
}

// HostInfoFromHello copies the descriptive fields of a hello.
func HostInfoFromHello(h *protocol.Hello) HostInfo {
	return HostInfo{Hostname: h.Hostname, OS: h.OS, Arch: h.Arch, AgentVersion: h.AgentVersion,
		ResticVersion: h.ResticVersion, Timezone: h.Timezone, BootTime: h.BootTime}
}

// CredentialFlags say which credentials are set in the keyring. The
// credentials themselves are never stored here.
type CredentialFlags struct {
	RepoPassword    bool `json:"repo_password,omitempty"`
	RepoUsername    bool `json:"repo_username,omitempty"`
	RepoCredential  bool `json:"repo_credential,omitempty"`
	AdminPassword   bool `json:"admin_password,omitempty"`
	AdminUsername   bool `json:"admin_username,omitempty"`
	AdminCredential bool `json:"admin_credential,omitempty"`
	// The second repository's (copy jobs).
	CopyPassword   bool `json:"copy_password,omitempty"`
	CopyUsername   bool `json:"copy_username,omitempty"`
	CopyCredential bool `json:"copy_credential,omitempty"`
}

// HasAdmin reports whether separate admin credentials are configured.
func (c CredentialFlags) HasAdmin() bool {
	return c.AdminPassword || c.AdminUsername || c.AdminCredential
}

// HostSettings is the per-host configuration pushed in config.update.
type HostSettings struct {
	// RepoURL is the repository URL without secrets (no password in it).
	RepoURL string `json:"repo_url,omitempty"`
	// CopyURL is the second repository copy jobs copy into (3-2-1),
	// without secrets too; empty when the host has none.
	CopyURL           string          `json:"copy_url,omitempty"`
	HookShell         string          `json:"hook_shell,omitempty"`
	BandwidthUpKbps   int             `json:"bandwidth_up_kbps,omitempty"`
	BandwidthDownKbps int             `json:"bandwidth_down_kbps,omitempty"`
	SchedulesPaused   bool            `json:"schedules_paused,omitempty"`
	Credentials       CredentialFlags `json:"credentials"`
}

// Host is one backed-up machine.
type Host struct {
	ID string `json:"id"`
	HostInfo
	// Name is the display name the administrator gave the host; empty:
	// its hostname (DisplayName).
	Name      string       `json:"name,omitempty"`
	Status    string       `json:"status"`
	NodeID    string       `json:"node_id,omitempty"`   // tailnet stable node id
	NodeName  string       `json:"node_name,omitempty"` // tailnet node name, for display
	AgentID   string       `json:"agent_id,omitempty"`
	FirstSeen time.Time    `json:"first_seen"`
	LastSeen  time.Time    `json:"last_seen"`
	Settings  HostSettings `json:"settings"`
	// ScheduleVersion is the version of the host's current schedule set;
	// AckedScheduleVersion the latest the agent confirmed.
	ScheduleVersion      uint64    `json:"schedule_version"`
	AckedScheduleVersion uint64    `json:"acked_schedule_version"`
	ScheduleAckedAt      time.Time `json:"schedule_acked_at,omitempty"`
	// RemovedAt is when a host removed with its history kept was removed.
	RemovedAt *time.Time `json:"removed_at,omitempty"`
}

// hostRecord is Host as stored, with the fields callers must not see.
type hostRecord struct {
	Host
	TokenHash string `json:"token_hash,omitempty"`
	// TokenUsed: the host has said hello with its own agent token, so its
	// enrollment token can no longer enroll it again (a replay).
	TokenUsed bool `json:"token_used,omitempty"`
}

// DisplayName is the best name for the host: the name the administrator
// gave it, else its hostname, else the tailnet node name, else its id.
func (h Host) DisplayName() string {
	switch {
	case h.Name != "":
		return h.Name
	case h.Hostname != "":
		return h.Hostname
	case h.NodeName != "":
		return h.NodeName
	}
	return h.ID
}

func loadHost(tx *bolt.Tx, id string) (hostRecord, error) {
	var r hostRecord
	if err := getJSON(tx.Bucket(bucketHosts), []byte(id), &r); err != nil {
		if errors.Is(err, ErrNotFound) {
			return r, fmt.Errorf("host %q: %w", id, ErrNotFound)
		}
		return r, err
	}
	return r, nil
}

func saveHost(tx *bolt.Tx, r hostRecord) error {
	return putJSON(tx.Bucket(bucketHosts), []byte(r.ID), r)
}

// Host returns one host.
func (s *Store) Host(id string) (Host, error) {
	var h Host
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, id)
		h = r.Host
		return err
	})
	return h, err
}

// Hosts returns every host, sorted by display name; hosts removed with
// their history kept are not among them (RemovedHosts).
func (s *Store) Hosts() ([]Host, error) {
	return s.hostsWhere(func(h Host) bool { return h.Status != HostRemoved })
}

// RemovedHosts returns the hosts removed with their history kept, sorted
// by display name.
func (s *Store) RemovedHosts() ([]Host, error) {
	return s.hostsWhere(func(h Host) bool { return h.Status == HostRemoved })
}

func (s *Store) hostsWhere(keep func(Host) bool) ([]Host, error) {
	var out []Host
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketHosts).ForEach(func(k, v []byte) error {
			var r hostRecord
			if err := getJSON(tx.Bucket(bucketHosts), k, &r); err != nil {
				return err
			}
			if keep(r.Host) {
				out = append(out, r.Host)
			}
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].DisplayName(), out[j].DisplayName()
		if a != b {
			return a < b
		}
		return out[i].ID < out[j].ID
	})
	return out, err
}

// HostByToken finds the host whose agent token is plain. A rejected host
// is returned too; the caller decides.
func (s *Store) HostByToken(plain string) (Host, error) {
	var h Host
	err := s.db.View(func(tx *bolt.Tx) error {
		id := tx.Bucket(bucketHostTokens).Get(HashToken(plain))
		if id == nil {
			return fmt.Errorf("agent token: %w", ErrNotFound)
		}
		r, err := loadHost(tx, string(id))
		h = r.Host
		return err
	})
	return h, err
}

// HostByNode finds the host bound to a tailnet node.
func (s *Store) HostByNode(nodeID string) (Host, error) {
	var h Host
	err := s.db.View(func(tx *bolt.Tx) error {
		if nodeID == "" {
			return fmt.Errorf("empty node id: %w", ErrNotFound)
		}
		id := tx.Bucket(bucketHostNodes).Get([]byte(nodeID))
		if id == nil {
			return fmt.Errorf("node %q: %w", nodeID, ErrNotFound)
		}
		r, err := loadHost(tx, string(id))
		h = r.Host
		return err
	})
	return h, err
}

// CreatePendingHost records an unknown tailnet node that connected
// without an enrollment token. It waits for approval. If the node already
// has a host, that host is returned unchanged.
func (s *Store) CreatePendingHost(nodeID, nodeName, agentID string, info HostInfo, now time.Time) (Host, error) {
	var h Host
	err := s.db.Update(func(tx *bolt.Tx) error {
		if nodeID == "" {
			return errors.New("a pending host needs a tailnet node id")
		}
		if id := tx.Bucket(bucketHostNodes).Get([]byte(nodeID)); id != nil {
			r, err := loadHost(tx, string(id))
			h = r.Host
			return err
		}
		r := hostRecord{Host: Host{ID: protocol.NewID(), HostInfo: info, Status: HostPending,
			NodeID: nodeID, NodeName: nodeName, AgentID: agentID, FirstSeen: now, LastSeen: now, ScheduleVersion: 1}}
		if err := tx.Bucket(bucketHostNodes).Put([]byte(nodeID), []byte(r.ID)); err != nil {
			return err
		}
		h = r.Host
		return saveHost(tx, r)
	})
	return h, err
}

// TouchHost records a hello (info may be nil) or a disconnect: the host's
// self-description and its last-seen time.
func (s *Store) TouchHost(id string, info *HostInfo, now time.Time) (Host, error) {
	return s.updateHost(id, func(r *hostRecord) error {
		if info != nil {
			r.HostInfo = *info
		}
		if now.After(r.LastSeen) {
			r.LastSeen = now
		}
		return nil
	})
}

// SetHostStatus approves or rejects a host. Rejecting drops its agent
// token, so it cannot come back with it.
func (s *Store) SetHostStatus(id, status string) (Host, error) {
	switch status {
	case HostPending, HostApproved, HostRejected:
	default:
		return Host{}, fmt.Errorf("host status %q is not pending, approved or rejected", status)
	}
	var h Host
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, id)
		if err != nil {
			return err
		}
		if r.Status == HostRemoved {
			return fmt.Errorf("host %s: %w: it was removed; it comes back only by enrolling again", r.DisplayName(), ErrInvalid)
		}
		r.Status = status
		if status == HostRejected && r.TokenHash != "" {
			if err := tx.Bucket(bucketHostTokens).Delete(unhex(r.TokenHash)); err != nil {
				return err
			}
			r.TokenHash = ""
		}
		h = r.Host
		return saveHost(tx, r)
	})
	return h, err
}

// BindNode binds a host to a tailnet node so the node reconnects without a
// token. A node bound to another host is refused.
func (s *Store) BindNode(hostID, nodeID, nodeName string) (Host, error) {
	var h Host
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, hostID)
		if err != nil {
			return err
		}
		if err := bindNode(tx, &r, nodeID, nodeName); err != nil {
			return err
		}
		h = r.Host
		return saveHost(tx, r)
	})
	return h, err
}

func bindNode(tx *bolt.Tx, r *hostRecord, nodeID, nodeName string) error {
	if nodeID == "" {
		return nil
	}
	nodes := tx.Bucket(bucketHostNodes)
	if other := nodes.Get([]byte(nodeID)); other != nil && string(other) != r.ID {
		return fmt.Errorf("tailnet node %q already belongs to host %s", nodeID, other)
	}
	if r.NodeID != "" && r.NodeID != nodeID {
		return fmt.Errorf("host %s is bound to tailnet node %q, not %q", r.ID, r.NodeID, nodeID)
	}
	r.NodeID, r.NodeName = nodeID, nodeName
	return nodes.Put([]byte(nodeID), []byte(r.ID))
}

// UpdateHostSettings applies fn to the host's settings. When fn returns an
// error nothing is written.
func (s *Store) UpdateHostSettings(id string, fn func(*HostSettings) error) (Host, error) {
	return s.updateHost(id, func(r *hostRecord) error { return fn(&r.Settings) })
}

func (s *Store) updateHost(id string, fn func(*hostRecord) error) (Host, error) {
	var h Host
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, id)
		if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
		h = r.Host
		return saveHost(tx, r)
	})
	return h, err
}

// IssueHostToken replaces the host's agent token with plain (stored as a
// hash; the old token stops working).
func (s *Store) IssueHostToken(hostID, plain string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, hostID)
		if err != nil {
			return err
		}
		if err := setHostToken(tx, &r, plain); err != nil {
			return err
		}
		return saveHost(tx, r)
	})
}

func setHostToken(tx *bolt.Tx, r *hostRecord, plain string) error {
	toks := tx.Bucket(bucketHostTokens)
	if r.TokenHash != "" {
		if err := toks.Delete(unhex(r.TokenHash)); err != nil {
			return err
		}
	}
	h := HashToken(plain)
	r.TokenHash = fmt.Sprintf("%x", h)
	return toks.Put(h, []byte(r.ID))
}

// GlobalSchedulesPaused reports the "pause all schedules" switch.
func (s *Store) GlobalSchedulesPaused() (bool, error) {
	var p bool
	err := s.db.View(func(tx *bolt.Tx) error {
		p = string(tx.Bucket(bucketMeta).Get(keySchedulesPause)) == "1"
		return nil
	})
	return p, err
}

// SetGlobalSchedulesPaused flips the switch and bumps every host's
// schedule version (the effective set of every host changes). It returns
// the hosts with their new versions.
func (s *Store) SetGlobalSchedulesPaused(paused bool) ([]Host, error) {
	var hosts []Host
	err := s.db.Update(func(tx *bolt.Tx) error {
		v := "0"
		if paused {
			v = "1"
		}
		if err := tx.Bucket(bucketMeta).Put(keySchedulesPause, []byte(v)); err != nil {
			return err
		}
		var ids []string
		_ = tx.Bucket(bucketHosts).ForEach(func(k, _ []byte) error { ids = append(ids, string(k)); return nil })
		for _, id := range ids {
			r, err := bumpVersion(tx, id)
			if err != nil {
				return err
			}
			hosts = append(hosts, r.Host)
		}
		return nil
	})
	return hosts, err
}
