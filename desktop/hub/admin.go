package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// DefaultEnrollTTL is how long a new enrollment token lasts.
const DefaultEnrollTTL = 24 * time.Hour

func (h *Hub) view(sum storage.HostSummary) HostView {
	v := HostView{Host: sum.Host, Pending: sum.Host.Status == storage.HostPending, LastBackupAt: sum.LastBackupAt,
		LastBackupAge: sum.LastBackupAge(h.now()), Failing: sum.Failing || sum.Copy.Failing(), FailingGroups: sum.FailingGroups,
		CopyFailing: sum.Copy.Failing(), Copy: sum.Copy, RunningJobs: sum.RunningJobs, QueuedJobs: sum.QueuedJobs}
	remote := ""
	if c := h.liveConn(sum.Host.ID); c != nil {
		v.Online, v.ConnectedSince, remote = true, c.since, c.remote
	}
	v.ThisComputer = isThisComputer(h.opts.Hostname, sum.Host.Hostname, remote)
	return v
}

func (h *Hub) hosts() ([]HostView, error) {
	sums, err := h.store.HostSummaries()
	if err != nil {
		return nil, err
	}
	out := make([]HostView, 0, len(sums))
	for _, s := range sums {
		out = append(out, h.view(s))
	}
	return out, nil
}

func (h *Hub) host(hostID string) (HostDetail, error) {
	sum, err := h.store.HostSummary(hostID)
	if err != nil {
		return HostDetail{}, err
	}
	st, err := h.scheduleStatus(hostID)
	if err != nil {
		return HostDetail{}, err
	}
	return HostDetail{HostView: h.view(sum), Groups: sum.Groups, Repository: repoSettings(sum.Host), Schedules: st}, nil
}

func (h *Hub) approve(hostID string) error {
	host, err := h.store.Host(hostID)
	if err != nil {
		return err
	}
	if host.Status == storage.HostApproved {
		return nil
	}
	if host, err = h.store.SetHostStatus(hostID, storage.HostApproved); err != nil {
		return err
	}
	h.log.Info("host approved", "host", hostID, "hostname", host.Hostname)
	h.hostEvent(hostID, storage.EventAdmin, "approved by the administrator")
	if c := h.liveConn(hostID); c != nil && !c.approved.Load() {
		mark, err := h.store.Mark(hostID)
		if err != nil {
			return err
		}
		c.approved.Store(true)
		c.sendPayload(&protocol.HelloAck{Accepted: true, HostID: hostID, Status: protocol.HostApproved,
			ProtocolVersion: c.protoVer, AckedSeq: mark}, "")
		h.pushAll(c, host)
	}
	h.broker.publish(Change{Kind: ChangeHosts}, Change{Kind: ChangeHost, HostID: hostID})
	return nil
}

func (h *Hub) reject(hostID string) error {
	if _, err := h.store.SetHostStatus(hostID, storage.HostRejected); err != nil {
		return err
	}
	h.log.Info("host rejected", "host", hostID)
	h.hostEvent(hostID, storage.EventAdmin, "rejected by the administrator")
	if c := h.liveConn(hostID); c != nil {
		c.closeWith(statusPolicy, "rejected by the administrator")
	}
	h.broker.publish(Change{Kind: ChangeHosts}, Change{Kind: ChangeHost, HostID: hostID})
	return nil
}

func (h *Hub) createEnrollToken(uses int, ttl time.Duration) (IssuedEnrollToken, error) {
	if uses <= 0 {
		uses = 1
	}
	if ttl <= 0 {
		ttl = DefaultEnrollTTL
	}
	plain := newSecretToken()
	now := h.now()
	t, err := h.store.CreateEnrollToken(plain, uses, now.Add(ttl), now)
	if err != nil {
		return IssuedEnrollToken{}, err
	}
	h.log.Info("enrollment token created", "id", t.ID[:12], "uses", uses, "expires", t.ExpiresAt)
	h.broker.publish(Change{Kind: ChangeEnrollTokens})
	return IssuedEnrollToken{Token: plain, ID: t.ID, Uses: uses, ExpiresAt: t.ExpiresAt}, nil
}

func (h *Hub) revokeEnrollToken(id string) error {
	if err := h.store.DeleteEnrollToken(id); err != nil {
		return err
	}
	h.broker.publish(Change{Kind: ChangeEnrollTokens})
	return nil
}

// SeedEnrollToken is the --enroll-token flag: it creates token (uses ≥ 1,
// valid for ttl, 0 meaning 24 h) if it does not exist, and otherwise
// leaves it and its remaining uses alone. created says which.
func (h *Hub) SeedEnrollToken(token string, uses int, ttl time.Duration) (created bool, err error) {
	if uses <= 0 {
		uses = 1
	}
	if ttl <= 0 {
		ttl = DefaultEnrollTTL
	}
	now := h.now()
	t, created, err := h.store.SeedEnrollToken(token, uses, now.Add(ttl), now)
	if err != nil {
		return false, fmt.Errorf("seed enrollment token: %w", err)
	}
	h.log.Info("enrollment token from the command line", "id", t.ID[:12], "created", created, "uses_left", t.UsesLeft(), "expires", t.ExpiresAt)
	if created {
		h.broker.publish(Change{Kind: ChangeEnrollTokens})
	}
	return created, nil
}

func repoSettings(host storage.Host) RepositorySettings {
	s, c := host.Settings, host.Settings.Credentials
	return RepositorySettings{URL: s.RepoURL, PasswordSet: c.RepoPassword, UsernameSet: c.RepoUsername, CredentialSet: c.RepoCredential,
		AdminPasswordSet: c.AdminPassword, AdminUsernameSet: c.AdminUsername, AdminCredentialSet: c.AdminCredential,
		HookShell: s.HookShell, BandwidthUpKbps: s.BandwidthUpKbps, BandwidthDownKbps: s.BandwidthDownKbps}
}

func (h *Hub) repository(hostID string) (RepositorySettings, error) {
	host, err := h.store.Host(hostID)
	if err != nil {
		return RepositorySettings{}, err
	}
	return repoSettings(host), nil
}

func (h *Hub) setRepository(hostID string, u RepositoryUpdate) (SaveResult, error) {
	if _, err := h.store.Host(hostID); err != nil {
		return SaveResult{}, err
	}
	if u.URL != nil {
		if err := ValidateRepositoryURL(*u.URL); err != nil {
			return SaveResult{}, err
		}
		url := strings.TrimSpace(*u.URL)
		u.URL = &url
	}
	writes := []slotWrite{
		{u.Password, secrets.RepoPassword, func(c *storage.CredentialFlags) *bool { return &c.RepoPassword }},
		{u.Username, secrets.RepoUsername, func(c *storage.CredentialFlags) *bool { return &c.RepoUsername }},
		{u.Credential, secrets.RepoCredential, func(c *storage.CredentialFlags) *bool { return &c.RepoCredential }},
		{u.AdminPassword, secrets.AdminPassword, func(c *storage.CredentialFlags) *bool { return &c.AdminPassword }},
		{u.AdminUsername, secrets.AdminUsername, func(c *storage.CredentialFlags) *bool { return &c.AdminUsername }},
		{u.AdminCredential, secrets.AdminCredential, func(c *storage.CredentialFlags) *bool { return &c.AdminCredential }},
	}
	if err := h.saveSlot(hostID, u.URL, func(s *storage.HostSettings) *string { return &s.RepoURL }, writes); err != nil {
		return SaveResult{}, err
	}
	h.hostEvent(hostID, storage.EventAdmin, "repository settings changed")
	return h.settingsChanged(hostID), nil
}

// slotWrite is one credential of a repository slot: its new value (nil:
// unchanged, "": removed), where the keyring keeps it, and its flag in
// the host's settings.
type slotWrite struct {
	v    *string
	slot secrets.Slot
	flag func(*storage.CredentialFlags) *bool
}

// saveSlot saves a repository slot (the primary or the second one): every
// value is checked before any is written, the credentials go to the
// keyring, then the URL (when url is set, into urlOf) and the credentials'
// flags to the store.
func (h *Hub) saveSlot(hostID string, url *string, urlOf func(*storage.HostSettings) *string, writes []slotWrite) error {
	for _, w := range writes {
		if w.v != nil && len(*w.v) > protocol.MaxPathLen {
			return invalidField(string(w.slot), "longer than %d bytes", protocol.MaxPathLen)
		}
	}
	for _, w := range writes {
		if w.v == nil {
			continue
		}
		if err := h.secrets.Set(hostID, w.slot, *w.v); err != nil {
			return fmt.Errorf("store %s in %s: %w", w.slot, h.secrets.Backend(), err)
		}
	}
	_, err := h.store.UpdateHostSettings(hostID, func(s *storage.HostSettings) error {
		if url != nil {
			*urlOf(s) = *url
		}
		for _, w := range writes {
			if w.v != nil {
				*w.flag(&s.Credentials) = *w.v != ""
			}
		}
		return nil
	})
	return err
}

// settingsChanged pushes config.update and says where it went.
func (h *Hub) settingsChanged(hostID string) SaveResult {
	d := h.pushConfig(hostID)
	h.broker.publish(Change{Kind: ChangeHost, HostID: hostID})
	return h.saved(hostID, d, 0)
}

func (h *Hub) setBandwidth(hostID string, up, down int) (SaveResult, error) {
	if up < 0 || down < 0 {
		return SaveResult{}, invalidField("bandwidth", "caps must not be negative (0 = no cap)")
	}
	if _, err := h.store.UpdateHostSettings(hostID, func(s *storage.HostSettings) error {
		s.BandwidthUpKbps, s.BandwidthDownKbps = up, down
		return nil
	}); err != nil {
		return SaveResult{}, err
	}
	return h.settingsChanged(hostID), nil
}

func (h *Hub) setHookShell(hostID, shell string) (SaveResult, error) {
	if len(shell) > protocol.MaxPathLen {
		return SaveResult{}, invalidField("hook shell", "longer than %d bytes", protocol.MaxPathLen)
	}
	if _, err := h.store.UpdateHostSettings(hostID, func(s *storage.HostSettings) error {
		s.HookShell = strings.TrimSpace(shell)
		return nil
	}); err != nil {
		return SaveResult{}, err
	}
	return h.settingsChanged(hostID), nil
}

// ValidateGroupName checks a source group name as the agents will: it is
// the snapshots' restic tag, so 1 to 64 letters, digits, '.', '_' or '-',
// starting with a letter or digit (restic splits tags at commas). The
// refusal is a *FieldError (wrapping ErrInvalid) in the wire's words, as
// PutSourceGroup's is.
func ValidateGroupName(name string) error {
	var ve *protocol.ValidationError
	if err := protocol.ValidateGroupName(name); errors.As(err, &ve) {
		return &FieldError{Field: fmt.Sprintf("source group %q", name), Reason: ve.Field + ": " + ve.Msg}
	}
	return nil
}

// validateGroupWire applies the wire rules to a group, naming the field.
func validateGroupWire(g SourceGroup) error {
	set := protocol.ScheduleSet{Version: 1, Schedules: []protocol.Schedule{{ID: "probe", CronExpr: "@daily", SourceGroups: []protocol.SourceGroup{g.Wire()}}}}
	err := set.Validate()
	var ve *protocol.ValidationError
	if errors.As(err, &ve) {
		return fmt.Errorf("source group %q: %w: %s: %s", g.Name, ErrInvalid, strings.TrimPrefix(ve.Field, "schedules[0].source_groups[0]."), ve.Msg)
	}
	return err
}

// actionable returns the host if operator jobs may be sent to it.
func (h *Hub) actionable(hostID string) (storage.Host, error) {
	host, err := h.store.Host(hostID)
	if err != nil {
		return host, err
	}
	switch host.Status {
	case storage.HostPending:
		return host, fmt.Errorf("host %s: %w", host.DisplayName(), ErrHostPending)
	case storage.HostRejected:
		return host, fmt.Errorf("host %s: %w: it was rejected", host.DisplayName(), ErrInvalid)
	}
	return host, nil
}

func bandwidth(host storage.Host, cmd *protocol.CommandRun) {
	if v := host.Settings.BandwidthUpKbps; v > 0 {
		cmd.BandwidthUpKbps = &v
	}
	if v := host.Settings.BandwidthDownKbps; v > 0 {
		cmd.BandwidthDownKbps = &v
	}
}

func (h *Hub) runNow(hostID string, r RunRequest) (string, error) {
	return h.run(hostID, r, storage.OriginOperator)
}

// run starts a RunRequest's job with the given origin.
func (h *Hub) run(hostID string, r RunRequest, origin string) (string, error) {
	host, err := h.actionable(hostID)
	if err != nil {
		return "", err
	}
	cmd := &protocol.CommandRun{JobID: protocol.NewID(), Kind: r.Kind}
	switch r.Kind {
	case protocol.KindBackup:
		groups, err := h.store.SourceGroups(hostID)
		if err != nil {
			return "", err
		}
		if err := ValidateGroupName(r.Group); err != nil {
			return "", fmt.Errorf("backup: %w", err)
		}
		var g *storage.SourceGroup
		for i := range groups {
			if groups[i].Name == r.Group {
				g = &groups[i]
			}
		}
		if g == nil {
			return "", fmt.Errorf("backup: source group %q: %w", r.Group, ErrNotFound)
		}
		cmd.Includes, cmd.Excludes, cmd.Tag, cmd.PreHook, cmd.PostHook = g.Includes, g.Excludes, g.Name, g.PreHook, g.PostHook
	case protocol.KindInit, protocol.KindUnlock:
	case protocol.KindCopy:
		if host.Settings.CopyURL == "" {
			return "", fmt.Errorf("copy: %w: host %s has no second repository (set one with SetCopyRepository)", ErrInvalid, host.DisplayName())
		}
	case protocol.KindCheck:
		if r.ReadDataSubset != "" {
			cmd.Args = []string{r.ReadDataSubset}
		}
	case protocol.KindPrune:
		cmd.RequiresAdminCreds = true
	case protocol.KindForget:
		groups, err := h.store.SourceGroups(hostID)
		if err != nil {
			return "", err
		}
		// No groups named: every group with a retention policy. The filter
		// is decided once: the set of names still to find shrinks as they
		// are found, and an empty one must not turn into "every group".
		all := len(r.Groups) == 0
		want := map[string]bool{}
		for _, n := range r.Groups {
			if err := ValidateGroupName(n); err != nil {
				return "", fmt.Errorf("forget: %w", err)
			}
			want[n] = true
		}
		for _, g := range groups {
			if all && !g.Retention.IsEmpty() || want[g.Name] {
				cmd.ForgetGroups = append(cmd.ForgetGroups, protocol.ForgetGroup{Tag: g.Name, Policy: g.Retention})
				delete(want, g.Name)
			}
		}
		for _, n := range r.Groups {
			if want[n] {
				return "", fmt.Errorf("forget: source group %q: %w", n, ErrNotFound)
			}
		}
		if len(cmd.ForgetGroups) == 0 {
			return "", fmt.Errorf("forget: %w: no source group has a retention policy", ErrInvalid)
		}
		cmd.DryRun = r.DryRun
	case protocol.KindRestore, protocol.KindDiff, protocol.KindFind:
		return "", fmt.Errorf("%s: %w: use Restore, Diff or Find", r.Kind, ErrInvalid)
	case protocol.KindProbe:
	default:
		return "", fmt.Errorf("kind %q: %w: want backup, init, check, prune, unlock, forget, copy or probe", r.Kind, ErrInvalid)
	}
	if r.DryRun && r.Kind != protocol.KindForget {
		return "", fmt.Errorf("%s: %w: only forget has a dry run", r.Kind, ErrInvalid)
	}
	bandwidth(host, cmd)
	return h.startJob(host, cmd, origin)
}

func (h *Hub) restore(hostID string, r RestoreRequest) (string, error) {
	host, err := h.actionable(hostID)
	if err != nil {
		return "", err
	}
	if !r.InPlace {
		if err := ValidateRestoreTarget(host.OS, r.TargetDir); err != nil {
			return "", fmt.Errorf("restore: %w", err)
		}
	}
	cmd := &protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindRestore,
		Restore: &protocol.RestoreSpec{SnapshotID: r.SnapshotID, Paths: r.Paths, InPlace: r.InPlace, TargetDir: r.TargetDir}}
	bandwidth(host, cmd)
	return h.startJob(host, cmd, storage.OriginOperator)
}

func (h *Hub) diff(hostID, a, b string) (string, error) {
	host, err := h.actionable(hostID)
	if err != nil {
		return "", err
	}
	cmd := &protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindDiff, Diff: &protocol.DiffSpec{SnapshotA: a, SnapshotB: b}}
	return h.startJob(host, cmd, storage.OriginOperator)
}

// startJob validates the command, stores the job (queued) with it and its
// origin, and sends it if the host is online; otherwise it goes out on
// connect.
func (h *Hub) startJob(host storage.Host, cmd *protocol.CommandRun, origin string) (string, error) {
	return h.startJobFrom(host, cmd, origin, "")
}

// startJobFrom is startJob for a job that reads another host's repository
// (sourceHostID, restore.from_source; "" for none).
func (h *Hub) startJobFrom(host storage.Host, cmd *protocol.CommandRun, origin, sourceHostID string) (string, error) {
	if err := cmd.Validate(); err != nil {
		return "", fmt.Errorf("%s job: %w: %v", cmd.Kind, ErrInvalid, err)
	}
	raw, err := json.Marshal(cmd)
	if err != nil {
		return "", err
	}
	j := storage.Job{ID: cmd.JobID, HostID: host.ID, Kind: cmd.Kind, Origin: origin, Tag: cmd.Tag,
		Status: protocol.StatusQueued, CreatedAt: h.now(), Command: raw, SourceHostID: sourceHostID}
	if err := h.store.CreateJob(j); err != nil {
		return "", err
	}
	h.log.Info("job started", "host", host.ID, "job", j.ID, "kind", j.Kind, "tag", j.Tag, "origin", origin, "dry_run", cmd.DryRun)
	if c := h.liveConn(host.ID); c != nil && c.approved.Load() {
		h.sendCommand(c, j)
	}
	h.broker.publish(Change{Kind: ChangeJob, HostID: host.ID, JobID: j.ID}, Change{Kind: ChangeHost, HostID: host.ID})
	return j.ID, nil
}

func (h *Hub) cancelJob(jobID string) error {
	j, err := h.store.Job(jobID)
	if err != nil {
		return err
	}
	if j.Terminal() {
		return nil
	}
	c := h.liveConn(j.HostID)
	if c == nil || !c.approved.Load() {
		return fmt.Errorf("cancel job %s: %w", jobID, ErrHostOffline)
	}
	if !c.sendPayload(&protocol.CommandCancel{JobID: jobID}, "") {
		return fmt.Errorf("cancel job %s: %w", jobID, ErrConnectionLost)
	}
	h.hostEvent(j.HostID, storage.EventAdmin, "cancel requested for job "+jobID)
	return nil
}

func (h *Hub) sizeSeries(hostID string) (SizeSeries, error) {
	snaps, err := h.store.SizeSeries(hostID)
	if err != nil {
		return SizeSeries{}, err
	}
	repo, err := h.store.RepoSizeHistory(hostID)
	return SizeSeries{Snapshots: snaps, Repository: repo}, err
}

func (h *Hub) treeList(ctx context.Context, hostID, snapshotID, path string, offset, limit int) (TreePage, error) {
	req := &protocol.TreeList{SnapshotID: snapshotID, Path: path, Offset: offset, Limit: limit}
	if err := req.Validate(); err != nil {
		return TreePage{}, fmt.Errorf("tree.list: %w: %v", ErrInvalid, err)
	}
	c := h.liveConn(hostID)
	if c == nil {
		if _, err := h.store.Host(hostID); err != nil {
			return TreePage{}, err
		}
		return TreePage{}, fmt.Errorf("browse snapshot %s: %w", snapshotID, ErrHostOffline)
	}
	if !c.approved.Load() {
		return TreePage{}, fmt.Errorf("browse snapshot %s: %w", snapshotID, ErrHostPending)
	}
	env, err := protocol.NewEnvelope(req)
	if err != nil {
		return TreePage{}, err
	}
	ch := c.registerRPC(env.ID)
	defer c.forgetRPC(env.ID)
	if !c.send(env) {
		return TreePage{}, fmt.Errorf("browse snapshot %s: %w", snapshotID, ErrConnectionLost)
	}
	timer := time.NewTimer(h.opts.RPCTimeout)
	defer timer.Stop()
	var r rpcResult
	select {
	case r = <-ch:
	case <-timer.C:
		return TreePage{}, fmt.Errorf("browse snapshot %s at %s: %w (%s)", snapshotID, path, ErrRPCTimeout, h.opts.RPCTimeout)
	case <-ctx.Done():
		return TreePage{}, ctx.Err()
	case <-h.ctx.Done():
		return TreePage{}, ErrClosed
	}
	if r.err != nil {
		return TreePage{}, fmt.Errorf("browse snapshot %s at %s: %w", snapshotID, path, r.err)
	}
	res, err := protocol.Decode[protocol.TreeListResult](r.env)
	if err != nil {
		return TreePage{}, fmt.Errorf("browse snapshot %s at %s: %w", snapshotID, path, err)
	}
	if res.Error != "" {
		return TreePage{}, fmt.Errorf("browse snapshot %s at %s: %w: %s", snapshotID, path, ErrNotFound, res.Error)
	}
	page := TreePage{SnapshotID: res.SnapshotID, Path: res.Path, Entries: res.Entries}
	if res.NextOffset != nil {
		page.NextOffset = *res.NextOffset
	}
	return page, nil
}
