package hub

// Restoring one host's files onto another host ("Anna's laptop died; put
// her files on the new one"): the target host's agent gets the source
// host's repository in its source slot, right before the restore command
// (sendCommand), and restores from it into a new directory.

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"restic-manager/desktop/secrets"
	"restic-manager/protocol"
	"restic-manager/storage"
)

// RestoreToHost restores paths of a snapshot of sourceHostID's repository
// onto targetHostID, under r.TargetDir (never in place: another host's
// files never overwrite the target's own). The source host may be offline
// or gone quiet (that is the usual case); its repository URL and password
// must be set here. With sourceHostID == targetHostID it is Restore.
func (h *Hub) RestoreToHost(sourceHostID, targetHostID string, r RestoreRequest) (string, error) {
	if sourceHostID == targetHostID {
		return h.restore(targetHostID, r)
	}
	if r.InPlace {
		return "", fmt.Errorf("restore to another host: %w: a restore from another host's repository goes into a new directory, never in place", ErrInvalid)
	}
	source, err := h.store.Host(sourceHostID)
	if err != nil {
		return "", fmt.Errorf("restore to another host: source: %w", err)
	}
	if _, err := h.sourceUpdate(sourceHostID); err != nil {
		return "", fmt.Errorf("restore to another host: %w", err)
	}
	target, err := h.actionable(targetHostID)
	if err != nil {
		return "", err
	}
	if err := ValidateRestoreTarget(target.OS, r.TargetDir); err != nil {
		return "", fmt.Errorf("restore: %w", err)
	}
	cmd := &protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindRestore,
		Restore: &protocol.RestoreSpec{SnapshotID: r.SnapshotID, Paths: r.Paths, TargetDir: r.TargetDir, FromSource: true}}
	bandwidth(target, cmd)
	id, err := h.startJobFrom(target, cmd, storage.OriginOperator, sourceHostID)
	if err == nil {
		h.hostEvent(targetHostID, storage.EventAdmin, fmt.Sprintf("restore %s from the repository of host %s", id, source.DisplayName()))
	}
	return id, err
}

// sourceUpdate is the config.update that puts a host's repository in
// another host's source slot.
func (h *Hub) sourceUpdate(sourceHostID string) (*protocol.ConfigUpdate, error) {
	host, err := h.store.Host(sourceHostID)
	if err != nil {
		return nil, err
	}
	if host.Settings.RepoURL == "" {
		return nil, fmt.Errorf("%w: host %s has no repository configured", ErrInvalid, host.DisplayName())
	}
	u := &protocol.ConfigUpdate{Slot: protocol.SlotSource, RepoURL: host.Settings.RepoURL,
		RepoPassword: h.secret(host.ID, secrets.RepoPassword), RepoUsername: h.secret(host.ID, secrets.RepoUsername),
		RepoCredential: h.secret(host.ID, secrets.RepoCredential)}
	if u.RepoPassword == "" {
		return nil, fmt.Errorf("%w: the repository password of host %s is not stored in %s", ErrInvalid, host.DisplayName(), h.secrets.Backend())
	}
	if err := u.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return u, nil
}

// SourceRepositoryWarning says, in a sentence for the restore wizard, why
// targetHostID may be unable to reach sourceHostID's repository, or ""
// when nothing suggests so. A local path (/srv/restic, D:\restic,
// local:…) is on the source host's own disks, and a server named
// localhost or a loopback address is the source host itself; the other
// host reaches either only if it has the same path mounted or runs the
// same server. The restore is allowed either way: the admin may know
// better (a shared drive).
func (h *Hub) SourceRepositoryWarning(sourceHostID, targetHostID string) (string, error) {
	if sourceHostID == targetHostID {
		return "", nil
	}
	source, err := h.store.Host(sourceHostID)
	if err != nil {
		return "", err
	}
	target, err := h.store.Host(targetHostID)
	if err != nil {
		return "", err
	}
	from, to := source.DisplayName(), target.DisplayName()
	switch where, server := repositoryLocation(source.Settings.RepoURL); where {
	case repoLocalPath:
		return fmt.Sprintf("The repository of %s is the local path %s on %s: %s can read it only if the same path holds "+
			"the same repository there (a shared or mounted drive).", from, protocol.RedactURL(source.Settings.RepoURL), from, to), nil
	case repoLoopback:
		return fmt.Sprintf("The repository of %s is on %s, which is %s itself: on %s that name is %s. "+
			"Give the repository's server an address both hosts can reach.", from, server, from, to, to), nil
	}
	return "", nil
}

type repoLocation int

const (
	repoRemote repoLocation = iota
	repoLocalPath
	repoLoopback
)

// windowsPathRe is a drive path (C:\restic, D:/restic).
var windowsPathRe = regexp.MustCompile(`^[A-Za-z]:[\\/]`)

// repositoryLocation tells a restic repository URL on the host's own disks
// (a path, local:…) and one whose server is the host itself (localhost, a
// loopback address) from the rest; for the latter it returns the server's
// name. UNC paths (\\server\share) and every backend without a host name
// (s3 on AWS, b2, azure, gs, swift, rclone) count as reachable.
func repositoryLocation(repo string) (repoLocation, string) {
	repo = strings.TrimSpace(repo)
	switch {
	case repo == "":
		return repoRemote, ""
	case strings.HasPrefix(repo, `\\`), strings.HasPrefix(repo, "//"):
		return repoRemote, "" // a network share
	case strings.HasPrefix(repo, "/"), strings.HasPrefix(repo, "local:"), windowsPathRe.MatchString(repo),
		strings.HasPrefix(repo, "./"), strings.HasPrefix(repo, "../"), !strings.Contains(repo, ":"):
		return repoLocalPath, ""
	}
	scheme, rest, _ := strings.Cut(repo, ":")
	var host string
	switch scheme {
	case "rest", "s3":
		if u, err := url.Parse(rest); err == nil && u.Host != "" {
			host = u.Hostname()
		}
	case "sftp":
		if strings.HasPrefix(rest, "//") { // sftp://user@host:port//path
			if u, err := url.Parse("sftp:" + rest); err == nil {
				host = u.Hostname()
			}
			break
		}
		host, _, _ = strings.Cut(rest, ":") // sftp:user@host:/path
		if _, h, ok := strings.Cut(host, "@"); ok {
			host = h
		}
	}
	if isLoopbackServer(host) {
		return repoLoopback, host
	}
	return repoRemote, ""
}

// isLoopbackServer reports whether a server name in a URL is this
// machine's: localhost (RFC 6761 names under it too) or a loopback address
// (isLoopback).
func isLoopbackServer(host string) bool {
	host = strings.Trim(strings.ToLower(host), "[]")
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || isLoopback(host)
}
