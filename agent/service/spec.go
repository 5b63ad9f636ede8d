package service

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Name is the service's name on every platform: the systemd unit
// restic-agent.service, the Windows service restic-agent.
const Name = "restic-agent"

// ErrNotRoot: only root writes a systemd unit and /etc (Windows asks
// for Administrator when the Service Control Manager refuses).
var ErrNotRoot = errors.New("run it as root (sudo), or with --root DIR to install into a directory")

// ErrRefused is what every FlagError unwraps to.
var ErrRefused = errors.New("install refused")

// FlagError refuses one flag given to install; nothing has been written.
type FlagError struct {
	Flag   string
	Reason string
}

func (e *FlagError) Error() string { return "--" + e.Flag + ": " + e.Reason }
func (e *FlagError) Unwrap() error { return ErrRefused }

// Flag is one agent flag as given to install, in command-line order.
// Bool is set for a boolean flag, which is written without a value.
type Flag struct {
	Name, Value string
	Bool        bool
}

// Spec is what install makes a service of.
type Spec struct {
	// Root, when set, stands for / (or, on Windows, the system drive's
	// files): install and uninstall write under it and leave the service
	// manager alone. Tests and packagers use it.
	Root string
	// Binary is the agent the service runs (default: this executable).
	Binary string
	// Flags are the agent flags the service runs with.
	Flags []Flag
	// Stdin is read for --enroll-file - or --token-file -.
	Stdin io.Reader
	// Out gets one line per thing done, for the admin.
	Out io.Writer
	// Systemctl (Linux) runs systemctl; nil is the real one, or none
	// with Root. Tests record the calls through it.
	Systemctl func(args ...string) error
}

// secretFlags are the flags that name a file holding a token: install
// copies the file into the secrets directory (0600) and the service gets
// the copy. The tokens themselves (--enroll, --token) are refused: in a
// unit or a service's command line every local user could read them.
var secretFlags = map[string]string{"enroll-file": "enroll", "token-file": "token"}

var argvSecrets = map[string]string{"enroll": "enroll-file", "token": "token-file"}

// installOnly are the flags of install itself, never passed to the agent.
var installOnly = map[string]bool{"root": true}

// paths is where a platform keeps the service's files; every path is
// absolute on the target system (Spec.Root not applied).
type paths struct {
	secretsDir string // enroll and token copies, 0700
	stateDir   string // the default --state
	cacheDir   string // the default --cache-dir
}

// secret is one token file install writes.
type secret struct {
	dest  string // target path (Root not applied)
	token []byte
}

// plan is what install will do, all of it checked before anything is
// written.
type plan struct {
	args    []string // the agent's arguments, flags and values
	secrets []secret
	state   string // the --state the service runs with
	cache   string
}

// makePlan checks the flags and resolves the secret files and defaults.
// forbidden are the characters the platform's service definition would
// interpret in a value.
func makePlan(s Spec, p paths, forbidden string) (plan, error) {
	var pl plan
	seen := map[string]bool{}
	for _, f := range s.Flags {
		if installOnly[f.Name] {
			continue
		}
		if alt, ok := argvSecrets[f.Name]; ok {
			return plan{}, &FlagError{f.Name, "a token on the command line ends up in the service definition, readable by every local user; put it in a file and give --" + alt + " FILE (or - for standard input)"}
		}
		if seen[f.Name] {
			return plan{}, &FlagError{f.Name, "given twice"}
		}
		seen[f.Name] = true
		if f.Bool {
			if f.Value == "true" {
				pl.args = append(pl.args, "--"+f.Name)
			} else {
				pl.args = append(pl.args, "--"+f.Name+"="+f.Value)
			}
			continue
		}
		v := f.Value
		if base, ok := secretFlags[f.Name]; ok {
			tok, err := readToken(v, s.Stdin)
			if err != nil {
				return plan{}, &FlagError{f.Name, err.Error()}
			}
			v = joinTarget(p.secretsDir, base)
			pl.secrets = append(pl.secrets, secret{dest: v, token: tok})
		}
		switch f.Name {
		case "state":
			pl.state = v
		case "cache-dir":
			pl.cache = v
		}
		if v == "" {
			return plan{}, &FlagError{f.Name, "empty"}
		}
		if i := strings.IndexFunc(v, func(r rune) bool { return r < 0x20 || r == 0x7f || strings.ContainsRune(forbidden, r) }); i >= 0 {
			// The value is not repeated: it may be a token given to the
			// wrong flag.
			return plan{}, &FlagError{f.Name, fmt.Sprintf("the service definition would read the %q in it; use a value without %s", v[i], describe(forbidden))}
		}
		pl.args = append(pl.args, "--"+f.Name, v)
	}
	if !seen["manager"] {
		return plan{}, &FlagError{"manager", "required: the address the agent dials, as \"Add host\" shows it"}
	}
	if len(pl.secrets) == 0 {
		return plan{}, &FlagError{"enroll-file", "required (or --token-file): the file holding the token from \"Add host\", or - to read it from standard input"}
	}
	if pl.state == "" {
		pl.state = p.stateDir
		pl.args = append(pl.args, "--state", pl.state)
	}
	if pl.cache == "" {
		pl.cache = p.cacheDir
		pl.args = append(pl.args, "--cache-dir", pl.cache)
	}
	return pl, nil
}

// readToken reads a token from the file name, or from stdin for "-".
func readToken(name string, stdin io.Reader) ([]byte, error) {
	var (
		b   []byte
		err error
	)
	if name == "-" {
		if stdin == nil {
			stdin = os.Stdin
		}
		b, err = io.ReadAll(io.LimitReader(stdin, 64<<10))
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	tok := []byte(strings.TrimSpace(string(b)))
	switch {
	case len(tok) == 0:
		return nil, errors.New("no token in " + displayName(name))
	case strings.ContainsAny(string(tok), " \t\r\n"):
		return nil, errors.New(displayName(name) + " holds more than one token; it should hold the one line \"Add host\" shows")
	}
	return tok, nil
}

func displayName(name string) string {
	if name == "-" {
		return "standard input"
	}
	return name
}

func describe(forbidden string) string {
	var parts []string
	for _, r := range forbidden {
		switch r {
		case ' ':
			parts = append(parts, "spaces")
		case '\t':
		default:
			parts = append(parts, string(r))
		}
	}
	return strings.Join(parts, " ") + " or control characters"
}

// joinTarget joins elements of a path on the target system, whose
// separator is that of dir (a Windows path built on Linux in tests keeps
// its backslashes).
func joinTarget(dir, name string) string {
	if strings.Contains(dir, `\`) {
		return strings.TrimSuffix(dir, `\`) + `\` + name
	}
	return strings.TrimSuffix(dir, "/") + "/" + name
}

// writeFile replaces path with data at mode, atomically.
func writeFile(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (s Spec) say(format string, a ...any) {
	if s.Out != nil {
		fmt.Fprintf(s.Out, format+"\n", a...)
	}
}

func (s Spec) binary() (string, error) {
	if s.Binary != "" {
		return s.Binary, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(exe)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
