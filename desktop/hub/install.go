package hub

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"restic-manager/internal/lantls"
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

// LinuxInstallCommands installs the agent's .deb (which brings restic)
// and runs `restic-agent install`, which sets up the systemd service
// with these flags and copies the enrollment token, read from standard
// input (a quoted heredoc: in no process's argv, expanded by no shell),
// into a 0600 file it gives the agent with --enroll-file.
func LinuxInstallCommands(in InstallSpec) string {
	return strings.Join([]string{
		fmt.Sprintf("sudo apt install ./restic-agent_%s_%s.deb", in.Version, in.Arch),
		"sudo restic-agent install " + in.managerFlags() + " --enroll-file - <<'ENROLL'",
		in.Token,
		"ENROLL",
		"journalctl -u restic-agent -f      # watch it enroll",
	}, "\n")
}

// LinuxRunEnrollFile is where LinuxRunCommands writes the enrollment token
// (0600, in a 0700 directory) for the agent's --enroll-file.
const LinuxRunEnrollFile = "/etc/restic-agent/enroll"

// LinuxRunCommands runs the agent from the downloaded binary in the
// foreground, for a machine without systemd or a first try: the token
// into LinuxRunEnrollFile, then the agent itself (Ctrl-C stops it; it
// keeps its host token in --state and needs the enrollment token only
// once).
func LinuxRunCommands(in InstallSpec) string {
	return strings.Join([]string{
		"sudo install -d -m 0700 /etc/restic-agent",
		"sudo sh -c 'umask 077; cat > " + LinuxRunEnrollFile + "' <<'ENROLL'",
		in.Token,
		"ENROLL",
		fmt.Sprintf("chmod +x restic-agent_%s_linux_%s", in.Version, in.Arch),
		fmt.Sprintf("sudo ./restic-agent_%s_linux_%s %s --enroll-file %s --state /var/lib/restic-agent", in.Version, in.Arch, in.managerFlags(), LinuxRunEnrollFile),
	}, "\n")
}

// WindowsInstallCommands is for an elevated PowerShell in the folder
// holding the downloaded .zip: it unpacks the agent into Program Files
// and runs `restic-agent.exe install`, which registers the Windows
// service and copies the enrollment token, piped in (no process argv),
// into a file under ProgramData only SYSTEM and Administrators can read.
func WindowsInstallCommands(in InstallSpec) string {
	ps := func(s string) string { return strings.ReplaceAll(s, "'", "''") } // inside '…'
	return strings.Join([]string{
		fmt.Sprintf(`Expand-Archive -Force .\restic-agent_%s_windows_%s.zip 'C:\Program Files\restic-agent'`, in.Version, in.Arch),
		fmt.Sprintf(`'%s' | & 'C:\Program Files\restic-agent\restic-agent.exe' install %s --enroll-file -`, ps(in.Token), in.managerFlags()),
		`Get-Content -Wait 'C:\ProgramData\restic-agent\restic-agent.log'      # watch it enroll`,
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
