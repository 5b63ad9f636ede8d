package hub

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"restic-manager/internal/lantls"
)

// Where "Add host" installs the enrollment token: a file only root (or
// SYSTEM and Administrators) can read, given to the agent with
// --enroll-file. Never argv, never a unit file (DESIGN.md "LAN
// transport").
const (
	LinuxEnrollFile   = "/etc/restic-agent/enroll"
	WindowsEnrollFile = `C:\ProgramData\restic-agent\enroll`
)

// DefaultLANPort is the LAN listener's port in DefaultListenAddr, the one
// "Add host" proposes when no listener is known.
const DefaultLANPort = "8931"

// InstallSpec is what "Add host"'s install commands are made of.
type InstallSpec struct {
	Manager string // the agent's --manager
	Pin     string // the manager's certificate pin, for a wss:// Manager
	Token   string // the enrollment token
	Arch    string // amd64 or arm64
	Version string // the agent release (file names)
}

// managerFlags is the agent's --manager, with --manager-pin for wss://.
func (in InstallSpec) managerFlags() string {
	if isWSS(in.Manager) {
		return "--manager " + in.Manager + " --manager-pin " + in.Pin
	}
	return "--manager " + in.Manager
}

// LinuxInstallCommands installs the agent as README.md's systemd service:
// the binary, the enrollment token in LinuxEnrollFile (written 0600 from a
// quoted heredoc, so it is in no process's argv), and a unit that reads
// it with --enroll-file. The unit is written through a quoted heredoc too,
// so the shell expands nothing in it; systemd's % specifiers are escaped.
func LinuxInstallCommands(in InstallSpec) string {
	sd := func(s string) string { return strings.ReplaceAll(s, "%", "%%") }
	return strings.Join([]string{
		fmt.Sprintf("sudo install -m 0755 restic-agent_%s_linux_%s /usr/local/bin/restic-agent", in.Version, in.Arch),
		"sudo install -d -m 0700 /etc/restic-agent",
		"sudo sh -c 'umask 077; cat > " + LinuxEnrollFile + "' <<'ENROLL'",
		in.Token,
		"ENROLL",
		"sudo tee /etc/systemd/system/restic-agent.service >/dev/null <<'UNIT'",
		"[Unit]",
		"Description=Restic Manager agent",
		"Wants=network-online.target",
		"After=network-online.target",
		"",
		"[Service]",
		"ExecStart=/usr/local/bin/restic-agent " + sd(in.managerFlags()) + " --enroll-file " + LinuxEnrollFile + " --state /var/lib/restic-agent",
		"Restart=always",
		"RestartSec=10",
		"",
		"[Install]",
		"WantedBy=multi-user.target",
		"UNIT",
		"sudo systemctl daemon-reload",
		"sudo systemctl enable --now restic-agent",
		"journalctl -u restic-agent -f      # watch it enroll",
	}, "\n")
}

// LinuxRunCommands runs the agent from the downloaded binary in the
// foreground, for a machine without systemd or a first try: the same
// token file as LinuxInstallCommands, then the agent itself (Ctrl-C stops
// it; it keeps its host token in --state and needs the enrollment token
// only once).
func LinuxRunCommands(in InstallSpec) string {
	return strings.Join([]string{
		"sudo install -d -m 0700 /etc/restic-agent",
		"sudo sh -c 'umask 077; cat > " + LinuxEnrollFile + "' <<'ENROLL'",
		in.Token,
		"ENROLL",
		fmt.Sprintf("chmod +x restic-agent_%s_linux_%s", in.Version, in.Arch),
		fmt.Sprintf("sudo ./restic-agent_%s_linux_%s %s --enroll-file %s --state /var/lib/restic-agent", in.Version, in.Arch, in.managerFlags(), LinuxEnrollFile),
	}, "\n")
}

// WindowsInstallCommands is README.md's scheduled task, for an elevated
// PowerShell in the folder holding the downloaded agent: it copies the
// agent into place, makes C:\ProgramData\restic-agent readable by SYSTEM
// and Administrators only (by SID, so a localised Windows works too),
// writes the enrollment token into WindowsEnrollFile there with
// Set-Content (a cmdlet: no process argv), and registers the task with
// --enroll-file.
func WindowsInstallCommands(in InstallSpec) string {
	ps := func(s string) string { return strings.ReplaceAll(s, "'", "''") } // inside '…'
	dir := strings.TrimSuffix(WindowsEnrollFile, `\enroll`)
	return strings.Join([]string{
		`New-Item -ItemType Directory -Force -Path 'C:\Program Files\restic-agent' | Out-Null`,
		fmt.Sprintf(`Copy-Item .\restic-agent_%s_windows_%s.exe 'C:\Program Files\restic-agent\restic-agent.exe'`, in.Version, in.Arch),
		fmt.Sprintf(`New-Item -ItemType Directory -Force -Path '%s' | Out-Null`, dir),
		fmt.Sprintf(`icacls '%s' /inheritance:r /grant:r '*S-1-5-18:(OI)(CI)F' '*S-1-5-32-544:(OI)(CI)F' | Out-Null`, dir),
		fmt.Sprintf(`Set-Content -NoNewline -Path '%s' -Value '%s'`, WindowsEnrollFile, ps(in.Token)),
		"$action = New-ScheduledTaskAction -Execute 'C:\\Program Files\\restic-agent\\restic-agent.exe' `",
		fmt.Sprintf(`  -Argument '%s --enroll-file %s --state %s'`, ps(in.managerFlags()), WindowsEnrollFile, dir),
		"$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Seconds 0) `",
		"  -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1)",
		"Register-ScheduledTask -TaskName 'restic-agent' -Action $action -Settings $settings `",
		"  -Trigger (New-ScheduledTaskTrigger -AtStartup) -User 'SYSTEM' -RunLevel Highest",
		"Start-ScheduledTask -TaskName 'restic-agent'",
	}, "\n")
}

// CheckInstallManager checks the --manager the install commands carry, as
// the agent will at start (lantls.CheckTransport, same words): a wss://
// address with the manager's pin, a tailnet name, or ws:// on loopback.
// Characters a shell or a unit file would read are refused outright.
func CheckInstallManager(addr, pin string) error {
	switch {
	case strings.TrimSpace(addr) == "":
		return errors.New("the address the host dials, e.g. wss://manager:" + DefaultLANPort)
	case strings.ContainsAny(addr, " \t\"'`$\\%"):
		return errors.New("an address has no spaces, quotes, $, % or backslashes")
	}
	if !isWSS(addr) {
		pin = ""
	} else if pin == "" {
		return fmt.Errorf("%w, and this manager has none: it has no LAN listener; start it with --listen 0.0.0.0:%s (it then serves TLS and has a pin)", lantls.ErrNoPin, DefaultLANPort)
	}
	_, err := lantls.CheckTransport(addr, pin, false)
	return err
}

// InstallManagerChoices is the address "Add host" starts with and the
// ones it offers: the manager's own (best first), and for a listener on
// loopback the same port under this machine's name over wss:// (what
// another host dials once the manager listens on the LAN: the certificate
// and its pin stay the same). With no listener, wss://<machine>:8931.
func InstallManagerChoices(urls []string, machine string) (string, []string) {
	if len(urls) == 0 {
		a := "wss://" + machine + ":" + DefaultLANPort
		return a, []string{a}
	}
	opts := append([]string(nil), urls...)
	for _, u := range urls {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "ws" && p.Scheme != "wss") || !lantls.IsLoopbackHost(p.Hostname()) {
			continue
		}
		if lan := "wss://" + machine + ":" + p.Port(); p.Port() != "" && !slices.Contains(opts, lan) {
			opts = append(opts, lan)
		}
	}
	return urls[0], opts
}

// InstallNote warns about an address the host may not reach, given the
// manager's listeners (urls, as for InstallManagerChoices); "" when there
// is nothing to say.
func InstallNote(addr string, urls []string) string {
	const listen = "start the manager with --listen 0.0.0.0:" + DefaultLANPort + " (it then serves TLS, with the pin shown here)"
	p, err := url.Parse(addr)
	switch {
	case !strings.Contains(addr, "://"):
		return "A tailnet name: the host needs tailscaled running, or add --tailnet with TS_AUTHKEY set for the agent's own node."
	case err == nil && lantls.IsLoopbackHost(p.Hostname()):
		return "This address works only on this machine. For another host, " + listen + " and use this machine's LAN name, or the tailnet name."
	case !servesLAN(urls):
		return "The manager does not listen on the LAN: " + listen + ", and check that the host can reach this address."
	}
	return ""
}

// servesLAN reports whether one of the manager's listeners is a TLS one
// off loopback.
func servesLAN(urls []string) bool {
	for _, u := range urls {
		if p, err := url.Parse(u); err == nil && p.Scheme == "wss" && !lantls.IsLoopbackHost(p.Hostname()) {
			return true
		}
	}
	return false
}

func isWSS(addr string) bool { return strings.HasPrefix(strings.ToLower(addr), "wss://") }
