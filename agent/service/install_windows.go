package service

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"
)

// windowsPaths are under %ProgramData%: state, secrets and the log in
// restic-agent (SYSTEM and Administrators only), restic's cache beside it
// (the agent refuses a cache inside its state).
func windowsPaths() paths {
	pd := os.Getenv("ProgramData")
	if pd == "" {
		pd = `C:\ProgramData`
	}
	dir := joinTarget(pd, Name)
	return paths{secretsDir: dir, stateDir: dir, cacheDir: joinTarget(pd, Name+"-cache")}
}

// windowsForbidden: the service's command line is composed with
// Windows' quoting, so only a quote inside a value could be misread.
const windowsForbidden = `"`

// protectedDACL gives SYSTEM and Administrators (by SID, so a localised
// Windows works too) full control, inherited, and nobody else anything.
const protectedDACL = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

// defaultGrace is the agent's default --cancel-grace.
const defaultGrace = 30 * time.Second

// Install registers the agent with the Service Control Manager
// (automatic start, restarted on failure), writes the tokens into its
// protected state directory and starts it. Running it again replaces the
// command line and tokens and restarts the service.
func Install(s Spec) error {
	if s.Root != "" {
		return &FlagError{"root", "Linux only: on Windows install registers with the Service Control Manager"}
	}
	p := windowsPaths()
	pl, err := makePlan(s, p, windowsForbidden)
	if err != nil {
		return err
	}
	bin, err := s.binary()
	if err != nil {
		return fmt.Errorf("find this executable: %w", err)
	}
	if argValue(pl.args, "restic") == "" {
		// The service starts with the Service Control Manager's PATH,
		// fixed at boot and without the admin's own (where winget puts
		// restic): the restic this shell finds is the one the service
		// gets.
		if r, err := exec.LookPath("restic"); err == nil {
			if r, err = filepath.Abs(r); err == nil && !strings.Contains(r, `"`) {
				pl.args = append(pl.args, "--restic", r)
				s.say("the service runs %s (--restic)", r)
			}
		} else {
			s.say("restic is not on this PATH: the service will look for it on the system's, else give --restic PATH")
		}
	}
	if err := protectDir(p.secretsDir); err != nil {
		return fmt.Errorf("protect %s: %w", p.secretsDir, err)
	}
	for _, sec := range pl.secrets {
		if err := writeFile(sec.dest, append(sec.token, '\n'), 0o600); err != nil {
			return fmt.Errorf("write the token: %w", err)
		}
		s.say("wrote %s (SYSTEM and Administrators only)", sec.dest)
	}
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the Service Control Manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	sv, err := m.OpenService(Name)
	if err == nil {
		defer sv.Close()
		if err := stopAndWait(sv, graceOf(pl.args)); err != nil {
			return err
		}
		cfg, err := sv.Config()
		if err != nil {
			return err
		}
		cfg.BinaryPathName = windows.ComposeCommandLine(append([]string{bin}, pl.args...))
		cfg.StartType = mgr.StartAutomatic
		if err := sv.UpdateConfig(cfg); err != nil {
			return fmt.Errorf("update the service: %w", err)
		}
		s.say("updated the service %s", Name)
	} else {
		sv, err = m.CreateService(Name, bin, mgr.Config{
			DisplayName: "Restic Manager agent",
			Description: "Runs restic backups for a Restic Manager.",
			StartType:   mgr.StartAutomatic,
		}, pl.args...)
		if err != nil {
			return fmt.Errorf("create the service: %w", err)
		}
		defer sv.Close()
		s.say("created the service %s", Name)
	}
	restart := mgr.RecoveryAction{Type: mgr.ServiceRestart, Delay: 10 * time.Second}
	if err := sv.SetRecoveryActions([]mgr.RecoveryAction{restart, restart, restart}, 24*60*60); err != nil {
		return fmt.Errorf("set the restart on failure: %w", err)
	}
	// The agent stopping by itself ends with a service-specific exit
	// code, not a crash: that must restart it too.
	if err := sv.SetRecoveryActionsOnNonCrashFailures(true); err != nil {
		return fmt.Errorf("set the restart on failure: %w", err)
	}
	if err := sv.Start(); err != nil {
		return fmt.Errorf("start the service: %w", err)
	}
	s.say("the service %s is running; its log is %s", Name, joinTarget(pl.state, LogName))
	return nil
}

// Uninstall stops the service (a running restic gets its cancel grace),
// removes it and the tokens install wrote; purge removes the agent's
// state and cache directories too.
func Uninstall(s Spec, purge bool) error {
	if s.Root != "" {
		return &FlagError{"root", "Linux only"}
	}
	p := windowsPaths()
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the Service Control Manager (run as Administrator): %w", err)
	}
	defer m.Disconnect()
	var args []string
	if sv, err := m.OpenService(Name); err == nil {
		if cfg, err := sv.Config(); err == nil {
			if all, err := windows.DecomposeCommandLine(cfg.BinaryPathName); err == nil && len(all) > 0 {
				args = all[1:]
			}
		}
		err := stopAndWait(sv, graceOf(args))
		if err == nil {
			err = sv.Delete()
		}
		sv.Close()
		if err != nil {
			return fmt.Errorf("remove the service: %w", err)
		}
		s.say("stopped and removed the service %s", Name)
	} else {
		s.say("no service %s", Name)
	}
	var errs []error
	for _, base := range secretFlags {
		f := joinTarget(p.secretsDir, base)
		if err := os.Remove(f); err == nil {
			s.say("removed %s", f)
		} else if !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if purge {
		for _, dir := range []string{orDefault(argValue(args, "state"), p.stateDir), orDefault(argValue(args, "cache-dir"), p.cacheDir)} {
			if err := os.RemoveAll(dir); err != nil {
				errs = append(errs, err)
			} else {
				s.say("removed %s", dir)
			}
		}
	}
	return errors.Join(errs...)
}

// stopAndWait stops a running service and waits until it has stopped:
// up to the agent's cancel grace and the slack Serve announces.
func stopAndWait(sv *mgr.Service, grace time.Duration) error {
	st, err := sv.Query()
	if err != nil {
		return err
	}
	if st.State == svc.Stopped {
		return nil
	}
	if _, err := sv.Control(svc.Stop); err != nil && !errors.Is(err, windows.ERROR_SERVICE_NOT_ACTIVE) {
		return fmt.Errorf("stop the service: %w", err)
	}
	deadline := time.Now().Add(grace + stopSlack + 10*time.Second)
	// The Service Control Manager has no blocking wait for a state; it
	// is polled, as sc.exe does.
	for tick := time.NewTicker(300 * time.Millisecond); ; <-tick.C {
		st, err := sv.Query()
		if err != nil {
			return err
		}
		if st.State == svc.Stopped {
			tick.Stop()
			return nil
		}
		if time.Now().After(deadline) {
			tick.Stop()
			return fmt.Errorf("the service %s did not stop within %s", Name, grace+stopSlack)
		}
	}
}

// graceOf is the --cancel-grace in args, or the agent's default.
func graceOf(args []string) time.Duration {
	if d, err := time.ParseDuration(argValue(args, "cancel-grace")); err == nil {
		return d
	}
	return defaultGrace
}

// protectDir creates dir and gives it protectedDACL, so the tokens written
// into it are readable by SYSTEM and Administrators only.
func protectDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	sd, err := windows.SecurityDescriptorFromString(protectedDACL)
	if err != nil {
		return err
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return err
	}
	return windows.SetNamedSecurityInfo(strings.TrimSuffix(dir, `\`), windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
}
