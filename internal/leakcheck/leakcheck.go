// Package leakcheck looks for a secret where it must never be: in the
// command lines of a process's children while they run (argv is readable
// by every local user) and in the files under a directory. Tests of the
// agent and the system tests use it to prove that a password travels
// only through restic's environment. Test code only; standard library
// only; the command lines come from Linux's /proc.
package leakcheck

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNoProc: this system has no /proc to read command lines from.
var ErrNoProc = errors.New("no /proc on this system")

// ChildCommandLines returns the command lines (arguments separated by NUL)
// of the running children of process pid whose command line contains
// name.
func ChildCommandLines(pid int, name string) ([][]byte, error) {
	procs, err := filepath.Glob("/proc/[0-9]*")
	if err != nil || len(procs) == 0 {
		return nil, ErrNoProc
	}
	parent := strconv.Itoa(pid)
	var out [][]byte
	for _, p := range procs {
		stat, err := os.ReadFile(filepath.Join(p, "stat"))
		if err != nil {
			continue // it ended meanwhile
		}
		// "pid (comm) state ppid …": comm may hold spaces and parentheses,
		// so the fields are counted from the last ')'.
		fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
		if len(fields) < 2 || fields[1] != parent {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join(p, "cmdline"))
		if err == nil && bytes.Contains(cmdline, []byte(name)) {
			out = append(out, cmdline)
		}
	}
	return out, nil
}

// FilesHolding lists the regular files under dir whose bytes contain
// secret.
func FilesHolding(dir, secret string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		data, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			return nil // a temporary file renamed away while the walk ran
		}
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(secret)) {
			out = append(out, p)
		}
		return nil
	})
	return out, err
}
