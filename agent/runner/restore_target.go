package runner

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// The restore-target rules only the agent can check (DESIGN.md "Trust
// rules"); the wire rules (absolute, cleaned, not a root, not a system
// directory) ran before, in CommandRun.Validate.
//
// restic follows symlinks on the way to its target and writes into
// whatever it finds there. So no existing component of the path may be a
// symlink, the target must be the agent's own and closed to other users,
// and every directory above it must be one only root or the agent's user
// can change: otherwise another local user could swap a part of the path
// for a symlink between the check and restic's writes (a root agent would
// then write wherever it points). A missing target is created by the
// agent, 0700, just before restic runs, so restic writes into a directory
// nobody else can touch.

// errUnsafeTarget wraps every refusal of a restore target.
var errUnsafeTarget = errors.New("restore target")

func unsafeTarget(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUnsafeTarget, fmt.Sprintf(format, args...))
}

// checkRestoreTarget checks dir for a restore on this machine and returns
// it cleaned, without writing anything. missing lists the directories
// that do not exist yet, top first, which prepareRestoreTarget creates.
func (r *Runner) checkRestoreTarget(dir string) (clean string, missing []string, err error) {
	clean = filepath.Clean(dir)
	if !filepath.IsAbs(clean) {
		return "", nil, unsafeTarget("%q is not an absolute path on this machine", dir)
	}
	if vol := filepath.VolumeName(clean); clean == vol+string(filepath.Separator) {
		return "", nil, unsafeTarget("%q is the filesystem root: restore in place to write over the original files", dir)
	}
	for _, state := range r.stateDirs() {
		if within(clean, state) {
			return "", nil, unsafeTarget("%s is inside the agent's state directory %s: choose a folder outside it", clean, state)
		}
	}
	if runtime.GOOS == "windows" {
		if root := os.Getenv("SystemRoot"); root != "" && within(clean, filepath.Clean(root)) {
			return "", nil, unsafeTarget("%s is inside the system directory %s: a restore there could overwrite the running system; choose another folder", clean, root)
		}
	}

	parent := filepath.VolumeName(clean) + string(filepath.Separator)
	parentInfo, err := os.Lstat(parent)
	if err != nil {
		return "", nil, unsafeTarget("%s: %v", parent, err)
	}
	for _, p := range pathComponents(clean) {
		fi, err := os.Lstat(p)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, p)
			continue
		}
		if err != nil {
			return "", nil, unsafeTarget("%v", err)
		}
		if len(missing) > 0 {
			// Lstat found p although a directory above it is missing:
			// something changed the path while we looked.
			return "", nil, unsafeTarget("%s changed while it was checked; try again", clean)
		}
		if err := checkParent(parent, parentInfo, clean); err != nil {
			return "", nil, err
		}
		if fi.Mode()&(fs.ModeSymlink|fs.ModeIrregular) != 0 {
			return "", nil, unsafeTarget("%s is a symbolic link (or another kind of link): restic would follow it and write wherever it points; choose a path without links", p)
		}
		if !fi.IsDir() {
			return "", nil, unsafeTarget("%s is not a directory", p)
		}
		parent, parentInfo = p, fi
	}
	if len(missing) == 0 {
		return clean, nil, checkOwnTarget(clean, parentInfo)
	}
	// The target's nearest existing directory receives what the agent
	// creates: it must be as safe as any other parent, and writable.
	if err := checkParent(parent, parentInfo, clean); err != nil {
		return "", nil, err
	}
	if err := canCreateIn(parent, parentInfo); err != nil {
		return "", nil, unsafeTarget("cannot create %s: %v", missing[0], err)
	}
	return clean, missing, nil
}

// prepareRestoreTarget runs the checks again just before restic (the job
// may have waited in the queue), creates what is missing (each directory
// 0700, never through something that appeared in the meantime), and checks
// the result once more. It returns the target restic gets.
func (r *Runner) prepareRestoreTarget(dir string) (string, error) {
	clean, missing, err := r.checkRestoreTarget(dir)
	if err != nil {
		return "", err
	}
	for _, p := range missing {
		// Mkdir, not MkdirAll: it fails if anything (a symlink included)
		// took the name since the check.
		if err := os.Mkdir(p, 0o700); err != nil {
			return "", unsafeTarget("create %s: %v", p, errors.Unwrap(err))
		}
	}
	if len(missing) == 0 {
		return clean, nil
	}
	clean, missing, err = r.checkRestoreTarget(dir)
	if err != nil {
		return "", err
	}
	if len(missing) > 0 {
		return "", unsafeTarget("%s vanished after it was created", missing[0])
	}
	return clean, nil
}

// checkParent refuses a directory above the target that someone other than
// root or the agent's user could change.
func checkParent(p string, fi fs.FileInfo, target string) error {
	if msg := parentProblem(fi); msg != "" {
		return unsafeTarget("%s, above %s, %s: another user could swap a part of the path for a symlink before restic writes; "+
			"choose a folder whose parents only root or the agent's user can change", p, target, msg)
	}
	return nil
}

// checkOwnTarget refuses an existing target that is not the agent's own or
// that other users may write in.
func checkOwnTarget(p string, fi fs.FileInfo) error {
	if msg := targetProblem(fi); msg != "" {
		return unsafeTarget("%s %s: another user could plant a symlink in it before restic writes; "+
			"choose a folder that only the agent's user can write to, or a new one (the agent creates it, mode 0700)", p, msg)
	}
	return nil
}

// stateDirs is the agent's state directory as given and as resolved, so a
// target that reaches it through another spelling is still seen.
func (r *Runner) stateDirs() []string {
	if r.stateDir == "" {
		return nil
	}
	dirs := []string{filepath.Clean(r.stateDir)}
	if real, err := filepath.EvalSymlinks(r.stateDir); err == nil && real != dirs[0] {
		dirs = append(dirs, real)
	}
	return dirs
}

// within reports whether p is dir or below it (Windows paths compare
// without case).
func within(p, dir string) bool {
	if runtime.GOOS == "windows" {
		p, dir = strings.ToLower(p), strings.ToLower(dir)
	}
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}

// pathComponents lists every directory from the top down to p, without the
// root: /a/b/c → /a, /a/b, /a/b/c.
func pathComponents(p string) []string {
	vol := filepath.VolumeName(p)
	cur := vol + string(filepath.Separator)
	var out []string
	for _, part := range strings.Split(p[len(vol):], string(filepath.Separator)) {
		if part == "" {
			continue
		}
		cur = filepath.Join(cur, part)
		out = append(out, cur)
	}
	return out
}
