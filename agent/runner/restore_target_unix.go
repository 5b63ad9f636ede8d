//go:build !windows

package runner

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

func owner(fi fs.FileInfo) (uint32, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, false
	}
	return st.Uid, true
}

// parentProblem: a directory above the target must be owned by root or
// the agent's user, and not writable by group or others unless it is
// sticky (like /tmp: only an entry's owner may rename or remove it).
func parentProblem(fi fs.FileInfo) string {
	uid, ok := owner(fi)
	if !ok {
		return "has no owner this agent can read"
	}
	if me := uint32(os.Geteuid()); uid != 0 && uid != me {
		return fmt.Sprintf("belongs to uid %d, not to root or the agent's user (uid %d)", uid, me)
	}
	if fi.Mode()&fs.ModeSticky == 0 && fi.Mode().Perm()&0o022 != 0 {
		return fmt.Sprintf("is writable by other users (mode %04o)", fi.Mode().Perm())
	}
	return ""
}

// targetProblem: an existing target must be the agent user's own and
// closed to group and others.
func targetProblem(fi fs.FileInfo) string {
	uid, ok := owner(fi)
	if !ok {
		return "has no owner this agent can read"
	}
	if me := uint32(os.Geteuid()); uid != me {
		return fmt.Sprintf("belongs to uid %d, not to the agent's user (uid %d)", uid, me)
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Sprintf("is writable by other users (mode %04o)", fi.Mode().Perm())
	}
	if fi.Mode().Perm()&0o200 == 0 && os.Geteuid() != 0 {
		return fmt.Sprintf("is not writable by the agent's user (mode %04o)", fi.Mode().Perm())
	}
	return ""
}

// canCreateIn reports whether the agent may create a directory in dir
// (access(2) with W_OK|X_OK), without creating anything.
func canCreateIn(dir string, _ fs.FileInfo) error {
	const wOK, xOK = 0x2, 0x1
	if err := syscall.Access(dir, wOK|xOK); err != nil {
		return fmt.Errorf("no permission to write in %s: %w", dir, err)
	}
	return nil
}
