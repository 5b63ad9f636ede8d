package service

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// linuxPaths are the Linux service's places.
var linuxPaths = paths{secretsDir: LinuxSecretsDir, stateDir: LinuxStateDir, cacheDir: LinuxCacheDir}

// linuxForbidden are the characters systemd would read in an
// EnvironmentFile value or an ExecStart word: quotes, escapes, variables,
// specifiers and the whitespace that splits $RESTIC_AGENT_FLAGS.
const linuxForbidden = " \t\"'`$%\\;"

// Install installs the agent as restic-agent.service, enabled and
// started, and prints what it did to s.Out. Running it again replaces
// the flags and tokens and restarts the service.
func Install(s Spec) error {
	if s.Root == "" && os.Geteuid() != 0 {
		return ErrNotRoot
	}
	pl, err := makePlan(s, linuxPaths, linuxForbidden)
	if err != nil {
		return err
	}
	bin, err := s.binary()
	if err != nil {
		return fmt.Errorf("find this executable: %w", err)
	}
	if err := checkBinary(bin); err != nil {
		return &FlagError{"binary", err.Error()}
	}
	systemctl := s.systemctl()
	for _, sec := range pl.secrets {
		if err := writeSecret(under(s.Root, sec.dest), sec.token); err != nil {
			return fmt.Errorf("write the token: %w", err)
		}
		s.say("wrote %s (0600)", sec.dest)
	}
	if err := os.MkdirAll(under(s.Root, "/etc/default"), 0o755); err != nil {
		return err
	}
	if err := writeFile(under(s.Root, DefaultsPath), []byte(Defaults(pl.args)), 0o644); err != nil {
		return fmt.Errorf("write the service's flags: %w", err)
	}
	s.say("wrote %s", DefaultsPath)
	if !exists(under(s.Root, PackagedUnitPath)) {
		if err := os.MkdirAll(under(s.Root, "/etc/systemd/system"), 0o755); err != nil {
			return err
		}
		if err := writeFile(under(s.Root, UnitPath), []byte(Unit(bin, true)), 0o644); err != nil {
			return fmt.Errorf("write the unit: %w", err)
		}
		s.say("wrote %s for %s", UnitPath, bin)
	}
	if systemctl == nil {
		s.say("--root: not enabling or starting the service")
		return nil
	}
	for _, args := range [][]string{{"daemon-reload"}, {"enable", Name + ".service"}, {"restart", Name + ".service"}} {
		if err := systemctl(args...); err != nil {
			return fmt.Errorf("systemctl %v: %w", args, err)
		}
	}
	s.say("%s.service is enabled and running: journalctl -u %s -f shows it enroll", Name, Name)
	return nil
}

// Uninstall stops and disables the service and removes what Install
// wrote: the unit it wrote (never the package's), the flags (reset to the
// package's conffile when the package is installed) and the tokens.
// purge removes the agent's state and cache directories too: its
// journal, credentials and identity.
func Uninstall(s Spec, purge bool) error {
	if s.Root == "" && os.Geteuid() != 0 {
		return ErrNotRoot
	}
	systemctl := s.systemctl()
	unit, packaged := under(s.Root, UnitPath), exists(under(s.Root, PackagedUnitPath))
	ours := isOurs(unit)
	var args []string
	if b, err := os.ReadFile(under(s.Root, DefaultsPath)); err == nil {
		args = defaultsArgs(b)
	}
	if systemctl != nil && (ours || packaged) {
		if err := systemctl("disable", "--now", Name+".service"); err != nil {
			return fmt.Errorf("systemctl disable --now: %w", err)
		}
		s.say("stopped and disabled %s.service", Name)
	}
	var errs []error
	rm := func(target string) {
		switch err := os.Remove(under(s.Root, target)); {
		case err == nil:
			s.say("removed %s", target)
		case !errors.Is(err, fs.ErrNotExist):
			errs = append(errs, err)
		}
	}
	if ours {
		rm(UnitPath)
	} else if exists(unit) {
		s.say("left %s: restic-agent install did not write it", UnitPath)
	}
	if packaged {
		if err := writeFile(under(s.Root, DefaultsPath), []byte(Defaults(nil)), 0o644); err != nil {
			errs = append(errs, err)
		} else {
			s.say("reset %s to the package's", DefaultsPath)
		}
	} else {
		rm(DefaultsPath)
	}
	for _, base := range secretFlags {
		rm(joinTarget(LinuxSecretsDir, base))
	}
	if err := os.Remove(under(s.Root, LinuxSecretsDir)); err == nil {
		s.say("removed %s", LinuxSecretsDir)
	}
	if purge {
		for _, dir := range []string{orDefault(argValue(args, "state"), LinuxStateDir), orDefault(argValue(args, "cache-dir"), LinuxCacheDir)} {
			if exists(under(s.Root, dir)) {
				if err := os.RemoveAll(under(s.Root, dir)); err != nil {
					errs = append(errs, err)
				} else {
					s.say("removed %s", dir)
				}
			}
		}
	}
	if systemctl != nil && ours {
		if err := systemctl("daemon-reload"); err != nil {
			errs = append(errs, fmt.Errorf("systemctl daemon-reload: %w", err))
		}
	}
	return errors.Join(errs...)
}

// systemctl is the injected runner, else the real systemctl unless Root
// is set.
func (s Spec) systemctl() func(args ...string) error {
	switch {
	case s.Systemctl != nil:
		return s.Systemctl
	case s.Root != "":
		return nil
	}
	return func(args ...string) error {
		cmd := exec.Command("systemctl", args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%w: %s", err, bytes.TrimSpace(stderr.Bytes()))
		}
		return nil
	}
}

// isOurs reports whether the unit at path is one install wrote.
func isOurs(path string) bool {
	b, err := os.ReadFile(path)
	return err == nil && bytes.HasPrefix(b, []byte(writtenBy+"\n"))
}

// checkBinary refuses a binary the unit cannot run or would misread.
func checkBinary(bin string) error {
	if i := bytes.IndexAny([]byte(bin), linuxForbidden); i >= 0 {
		return fmt.Errorf("%s: the unit would read %q in the path; move the agent to a path without %s", bin, bin[i], describe(linuxForbidden))
	}
	return nil
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// under is path p of the target system inside root ("" is the system).
func under(root, p string) string {
	if root == "" {
		return p
	}
	return filepath.Join(root, filepath.FromSlash(p))
}

// writeSecret writes a token file 0600 in a 0700 directory, atomically,
// whatever the umask.
func writeSecret(path string, token []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	if err := os.Chmod(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return writeFile(path, append(token, '\n'), 0o600)
}

// defaultsArgs reads the agent's arguments back from a Defaults file.
func defaultsArgs(data []byte) []string {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if v, ok := strings.CutPrefix(line, FlagsVar+"="); ok {
			return strings.Fields(strings.Trim(v, `"`))
		}
	}
	return nil
}
