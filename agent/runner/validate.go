package runner

import (
	"errors"
	"fmt"
	"runtime"

	"restic-manager/agent/journal"
	"restic-manager/agent/restic"
	"restic-manager/agent/secrets"
	"restic-manager/protocol"
)

// validate is everything Submit checks before it accepts a job: the wire
// rules (CommandRun.Validate), then what only the agent can know.
func (r *Runner) validate(job Job) error {
	if err := job.Run.Validate(); err != nil {
		return err
	}
	reject := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrRejected, fmt.Sprintf(format, args...))
	}
	if f := job.Run.HookField(); f != "" && r.noHooks {
		return fmt.Errorf("%w: %s: %w", ErrRejected, f, protocol.ErrHooksDisabled)
	}
	if job.RetryMax < 0 || job.RetryBackoff < 0 {
		return reject("retry_max and retry_backoff must not be negative")
	}
	// A restore from another host's repository needs none of this host's
	// own: a new machine may have no repository yet.
	if !fromSource(job) {
		if _, _, err := r.repoFor(credentialSlot(job)); err != nil {
			return fmt.Errorf("%w: %v", ErrRejected, err)
		}
	}
	if job.Run.Kind == protocol.KindCopy {
		if _, err := r.copyRepo(); err != nil {
			return fmt.Errorf("%w: %v", ErrRejected, err)
		}
	}
	if rs := job.Run.Restore; rs != nil {
		if rs.InPlace && runtime.GOOS == "windows" {
			return reject("in-place restore is not supported on Windows yet: restore into a directory")
		}
		if !rs.InPlace {
			if _, _, err := r.checkRestoreTarget(rs.TargetDir); err != nil {
				return fmt.Errorf("%w: %w", ErrRejected, err)
			}
		}
	}
	return nil
}

// repoFor returns the applied configuration and the repository with a
// slot's credentials, or why no job can run with them.
func (r *Runner) repoFor(slot string) (journal.Config, restic.Repo, error) {
	cfg, err := r.store.Config()
	if err != nil {
		return cfg, restic.Repo{}, fmt.Errorf("read config: %w", err)
	}
	if cfg.RepoURL == "" {
		return cfg, restic.Repo{}, errors.New("no repository is configured on this agent yet (config.update repo_url)")
	}
	creds, err := r.secrets.Get(slot)
	if err != nil {
		return cfg, restic.Repo{}, err
	}
	if creds.Password == "" {
		if slot == secrets.SlotAdmin {
			return cfg, restic.Repo{}, errors.New("this job requires admin credentials, but the admin slot is empty: set them in the host's settings")
		}
		return cfg, restic.Repo{}, errors.New("no repository password is stored on this agent (config.update repo_password)")
	}
	return cfg, creds.Repo(cfg.RepoURL), nil
}

// copyRepo returns the second repository copy jobs copy into, or why
// there is none.
func (r *Runner) copyRepo() (restic.Repo, error) {
	cfg, err := r.store.Config()
	if err != nil {
		return restic.Repo{}, fmt.Errorf("read config: %w", err)
	}
	if cfg.CopyURL == "" {
		return restic.Repo{}, errors.New("no second repository is configured on this agent (config.update slot copy, repo_url)")
	}
	creds, err := r.secrets.Get(secrets.SlotCopy)
	if err != nil {
		return restic.Repo{}, err
	}
	if creds.Password == "" {
		return restic.Repo{}, errors.New("no password for the second repository is stored on this agent (config.update slot copy, repo_password)")
	}
	return creds.Repo(cfg.CopyURL), nil
}

// credentialSlot is the slot a job's restic runs with: admin only for jobs
// that require it.
func credentialSlot(job Job) string {
	if job.Run.RequiresAdminCreds {
		return secrets.SlotAdmin
	}
	return secrets.SlotRepo
}
