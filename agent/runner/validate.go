package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"restic-manager/agent/secrets"
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
	if job.RetryMax < 0 || job.RetryBackoff < 0 {
		return reject("retry_max and retry_backoff must not be negative")
	}
	cfg, err := r.store.Config()
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	if cfg.RepoURL == "" {
		return reject("no repository is configured on this agent yet (config.update repo_url)")
	}
	slot := credentialSlot(job)
	creds, err := r.secrets.Get(slot)
	if err != nil {
		return reject("%v", err)
	}
	if creds.Password == "" {
		if slot == secrets.SlotAdmin {
			return reject("this job requires admin credentials, but the admin slot is empty: set them in the host's settings")
		}
		return reject("no repository password is stored on this agent (config.update repo_password)")
	}
	if rs := job.Run.Restore; rs != nil {
		if rs.InPlace && runtime.GOOS == "windows" {
			return reject("in-place restore is not supported on Windows yet: restore into a directory")
		}
		if !rs.InPlace {
			if err := checkRestoreTarget(rs.TargetDir); err != nil {
				return reject("restore target: %v", err)
			}
		}
	}
	return nil
}

// credentialSlot is the slot a job's restic runs with: admin only for jobs
// that require it.
func credentialSlot(job Job) string {
	if job.Run.RequiresAdminCreds {
		return secrets.SlotAdmin
	}
	return secrets.SlotRepo
}

// checkRestoreTarget makes sure restic will be able to write under dir: it
// is an absolute path on this machine, and it (or, when it does not exist
// yet, its nearest existing parent, where restic will create it) is a
// directory the agent can write in.
func checkRestoreTarget(dir string) error {
	if !filepath.IsAbs(dir) {
		return fmt.Errorf("%q is not an absolute path on this machine", dir)
	}
	p := filepath.Clean(dir)
	for {
		fi, err := os.Stat(p)
		switch {
		case err == nil && !fi.IsDir():
			return fmt.Errorf("%s is not a directory", p)
		case err == nil:
			f, err := os.CreateTemp(p, ".restic-agent-probe-*")
			if err != nil {
				return fmt.Errorf("cannot write in %s: %w", p, errors.Unwrap(err))
			}
			f.Close()
			return os.Remove(f.Name())
		case !errors.Is(err, fs.ErrNotExist):
			return err
		}
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("no existing directory above %s", dir)
		}
		p = parent
	}
}
