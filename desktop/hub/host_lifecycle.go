package hub

import (
	"errors"
	"fmt"

	"restic-manager/desktop/secrets"
	"restic-manager/storage"
)

// A host's life after enrollment: a display name, and removal.

// RenameHost gives the host a display name (empty: its hostname again).
func (h *Hub) RenameHost(hostID, name string) error {
	host, err := h.store.RenameHost(hostID, name)
	if err != nil {
		return err
	}
	h.hostEvent(hostID, storage.EventAdmin, "renamed to "+host.DisplayName())
	h.broker.publish(Change{Kind: ChangeHosts}, Change{Kind: ChangeHost, HostID: hostID})
	return nil
}

// RemoveHost removes a host: its agent token stops working at once (a
// hello with it is refused as unknown; the agent may enroll again, as a
// new host), its connection closes, and its queued and running jobs end
// cancelled. With keepHistory its jobs, logs, snapshots and repository
// credentials stay (RemovedHosts lists it); without, every record of it
// and its credentials in the keyring are deleted — the window must say
// that the repository's password goes too.
func (h *Hub) RemoveHost(hostID string, keepHistory bool) error {
	host, err := h.store.RemoveHost(hostID, keepHistory, h.now())
	if err != nil {
		return err
	}
	h.log.Info("host removed", "host", hostID, "hostname", host.Hostname, "history_kept", keepHistory)
	if c := h.liveConn(hostID); c != nil {
		c.closeWith(statusPolicy, "the host was removed by the administrator")
	}
	h.mu.Lock()
	for id, p := range h.progress {
		if p.hostID == hostID {
			delete(h.progress, id)
		}
	}
	h.mu.Unlock()
	if !keepHistory {
		var errs []error
		for _, slot := range secrets.Slots {
			if err := h.secrets.Delete(hostID, slot); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return fmt.Errorf("host %s removed, but its credentials could not all be deleted from %s: %w", host.DisplayName(), h.secrets.Backend(), err)
		}
	}
	h.broker.publish(Change{Kind: ChangeHosts}, Change{Kind: ChangeHost, HostID: hostID})
	return nil
}

// RemovedHosts lists the hosts removed with their history kept.
func (h *Hub) RemovedHosts() ([]Host, error) { return h.store.RemovedHosts() }

// HostsEnrolledWith lists the hosts that enrolled with an enrollment
// token (plain), e.g. the one the demo's own agent used.
func (h *Hub) HostsEnrolledWith(token string) ([]string, error) {
	return h.store.HostsEnrolledWith(token)
}

// RunForSetup starts a job the manager decided on by itself while setting
// a host up (the first init and backup): it is stored with origin
// "setup", never "operator".
func (h *Hub) RunForSetup(hostID string, r RunRequest) (string, error) {
	return h.run(hostID, r, storage.OriginSetup)
}
