package hub

import (
	"encoding/json"
	"errors"
	"fmt"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// pushAll sends an approved host everything it should have: its
// configuration, its schedule set, and operator commands it has not
// answered yet.
func (h *Hub) pushAll(c *conn, host storage.Host) {
	h.pushConfigTo(c, host)
	h.pushScheduleTo(c, host.ID)
	h.resendCommands(c)
}

// pushConfig sends config.update to the host if it is connected and
// approved; otherwise it gets it on its next connect. It says which.
func (h *Hub) pushConfig(hostID string) Delivery {
	c, d := h.deliveryConn(hostID)
	if c == nil {
		return d
	}
	host, err := h.store.Host(hostID)
	if err != nil {
		h.log.Error("load host for config push", "host", hostID, "err", err)
		return DeliveryOnConnect
	}
	if !h.pushConfigTo(c, host) {
		return DeliveryOnConnect
	}
	return DeliverySent
}

func (h *Hub) pushSchedule(hostID string) Delivery {
	c, d := h.deliveryConn(hostID)
	if c == nil {
		return d
	}
	if !h.pushScheduleTo(c, hostID) {
		return DeliveryOnConnect
	}
	return DeliverySent
}

// deliveryConn returns the connection a change goes out on now, or nil
// and when it will.
func (h *Hub) deliveryConn(hostID string) (*conn, Delivery) {
	c := h.liveConn(hostID)
	switch {
	case c == nil:
		return nil, DeliveryOnConnect
	case !c.approved.Load():
		return nil, DeliveryOnApproval
	}
	return c, DeliverySent
}

// configUpdates builds the host's config.update frames: the repo slot
// (URL, credentials, hook shell, bandwidth caps), then the admin slot —
// each admin credential that is not set separately is the repo one, so
// prune always has what it needs.
func (h *Hub) configUpdates(host storage.Host) []*protocol.ConfigUpdate {
	get := func(slot secrets.Slot) string {
		v, err := h.secrets.Get(host.ID, slot)
		if err != nil && !errors.Is(err, secrets.ErrNotFound) {
			h.log.Error("read credential from the keyring", "host", host.ID, "slot", string(slot), "err", err)
		}
		return v
	}
	st := host.Settings
	up, down := st.BandwidthUpKbps, st.BandwidthDownKbps
	repo := &protocol.ConfigUpdate{Slot: protocol.SlotRepo, RepoURL: st.RepoURL, HookShell: st.HookShell,
		RepoPassword: get(secrets.RepoPassword), RepoUsername: get(secrets.RepoUsername), RepoCredential: get(secrets.RepoCredential),
		BandwidthUpKbps: &up, BandwidthDownKbps: &down}
	admin := &protocol.ConfigUpdate{Slot: protocol.SlotAdmin, RepoPassword: repo.RepoPassword, RepoUsername: repo.RepoUsername, RepoCredential: repo.RepoCredential}
	if st.Credentials.HasAdmin() {
		if v := get(secrets.AdminPassword); v != "" {
			admin.RepoPassword = v
		}
		if v := get(secrets.AdminUsername); v != "" {
			admin.RepoUsername = v
		}
		if v := get(secrets.AdminCredential); v != "" {
			admin.RepoCredential = v
		}
	}
	out := []*protocol.ConfigUpdate{repo}
	if admin.RepoPassword != "" || admin.RepoUsername != "" || admin.RepoCredential != "" {
		out = append(out, admin)
	}
	if cp := h.copyUpdate(host); cp != nil {
		out = append(out, cp)
	}
	return out
}

// pushConfigTo sends the host's config.update frames; false when one
// could not be queued (the connection is closing: the next one sends
// them).
func (h *Hub) pushConfigTo(c *conn, host storage.Host) bool {
	ok := true
	for _, u := range h.configUpdates(host) {
		if err := u.Validate(); err != nil {
			h.log.Error("config.update would be invalid; not sent", append(c.logAttrs(), "err", err)...)
			continue
		}
		ok = c.sendPayload(u, "") && ok
		h.log.Debug("config.update sent", append(c.logAttrs(), "config", *u)...)
	}
	return ok
}

func (h *Hub) pushScheduleTo(c *conn, hostID string) bool {
	set, err := h.store.ScheduleSet(hostID)
	if err != nil {
		h.log.Error("resolve schedule set", append(c.logAttrs(), "err", err)...)
		return false
	}
	if err := set.Validate(); err != nil {
		h.log.Error("schedule.set would be invalid; not sent", append(c.logAttrs(), "err", err)...)
		h.hostEvent(hostID, storage.EventProtocol, "schedule set not sent: "+err.Error())
		return false
	}
	ok := c.sendPayload(&set, "")
	h.log.Debug("schedule.set sent", append(c.logAttrs(), "version", set.Version, "schedules", len(set.Schedules))...)
	return ok
}

// resendCommands re-sends command.run for operator jobs the agent has not
// answered; the agent ignores a job_id it already has.
func (h *Hub) resendCommands(c *conn) {
	jobs, err := h.store.UndeliveredCommands(c.hostID)
	if err != nil {
		h.log.Error("list undelivered commands", append(c.logAttrs(), "err", err)...)
		return
	}
	for _, j := range jobs {
		if j.Terminal() {
			continue
		}
		h.sendCommand(c, j)
	}
}

// sendCommand sends an operator job's command.run. A restore from another
// host's repository is preceded by that repository in the source slot,
// every time the command goes out (the agent keeps the slot in memory for
// the one command that follows it); commandMu keeps any other command.run
// from coming between the two.
func (h *Hub) sendCommand(c *conn, j storage.Job) {
	c.commandMu.Lock()
	defer c.commandMu.Unlock()
	if j.SourceHostID != "" {
		u, err := h.sourceUpdate(j.SourceHostID)
		if err != nil {
			// The command still goes: the agent refuses it for its empty
			// source slot, and the job ends with that answer.
			h.log.Error("source repository for a restore from another host", append(c.logAttrs(), "job", j.ID, "source_host", j.SourceHostID, "err", err)...)
			h.hostEvent(j.HostID, storage.EventAdmin, fmt.Sprintf("restore %s: the source host's repository is not available: %v", j.ID, err))
		} else {
			c.sendPayload(u, "")
		}
	}
	env := protocol.Envelope{Type: protocol.TypeCommandRun, ID: protocol.NewID(), TS: h.now().UTC(), Payload: json.RawMessage(j.Command)}
	c.send(env)
}

// scheduleAcked records schedule.ack. An agent that acks a version above
// ours (the manager's data dir was restored or rebuilt) would ignore every
// set we send, so our version jumps past it and the set goes out again.
func (h *Hub) scheduleAcked(c *conn, p *protocol.ScheduleAck) {
	at := p.AppliedAt
	if at.IsZero() {
		at = h.now()
	}
	host, err := h.store.AckScheduleVersion(c.hostID, p.Version, at)
	if err != nil {
		h.log.Error("record schedule.ack", append(c.logAttrs(), "err", err)...)
		return
	}
	if p.Version > host.ScheduleVersion {
		v, err := h.store.BumpScheduleVersion(c.hostID, p.Version)
		if err != nil {
			h.log.Error("bump schedule version", append(c.logAttrs(), "err", err)...)
			return
		}
		h.hostEvent(c.hostID, storage.EventProtocol, fmt.Sprintf("the agent runs schedule version %d, above this manager's %d; resent as version %d", p.Version, host.ScheduleVersion, v))
		h.pushScheduleTo(c, c.hostID)
	}
	h.broker.publish(Change{Kind: ChangeSchedules, HostID: c.hostID}, Change{Kind: ChangeHost, HostID: c.hostID})
}

func (h *Hub) commandResult(c *conn, p *protocol.CommandResult) {
	j, err := h.store.RecordCommandResult(c.hostID, p.JobID, p.Accepted, p.Error, h.now())
	if err != nil {
		if errors.Is(err, storage.ErrNotFound) || errors.Is(err, storage.ErrWrongHost) {
			c.replyError("", protocol.CodeUnknownJob, fmt.Sprintf("command.result for job %s, which this manager did not send to this host", p.JobID))
			return
		}
		h.log.Error("record command.result", append(c.logAttrs(), "job", p.JobID, "err", err)...)
		return
	}
	if !p.Accepted {
		h.log.Warn("agent refused a command", append(c.logAttrs(), "job", p.JobID, "error", p.Error)...)
	}
	h.broker.publish(Change{Kind: ChangeJob, HostID: j.HostID, JobID: j.ID}, Change{Kind: ChangeHost, HostID: j.HostID})
}
