package service

import "strings"

// Where the Linux service lives. PackagedUnitPath is the .deb's unit;
// install writes UnitPath only when that one is absent (a bare binary), so
// a package upgrade's unit is never shadowed by a stale copy.
const (
	PackagedBinary   = "/usr/bin/restic-agent"
	PackagedUnitPath = "/lib/systemd/system/restic-agent.service"
	UnitPath         = "/etc/systemd/system/restic-agent.service"
	DefaultsPath     = "/etc/default/restic-agent"
	LinuxSecretsDir  = "/etc/restic-agent"
	LinuxStateDir    = "/var/lib/restic-agent"
	LinuxCacheDir    = "/var/cache/restic-agent"
)

// FlagsVar is the variable of DefaultsPath the unit passes to the agent.
const FlagsVar = "RESTIC_AGENT_FLAGS"

// writtenBy marks a unit install wrote, so uninstall removes that one and
// never an admin's own.
const writtenBy = "# Written by restic-agent install; restic-agent uninstall removes it."

// Unit is restic-agent.service running binary with the flags in
// DefaultsPath. The .deb ships it for PackagedBinary; install writes it
// for any other binary. Restart=always: an agent that exits (a crash, a
// manager it refused) comes back; KillSignal=SIGTERM with a stop timeout
// past the default cancel grace lets a running restic remove its lock.
func Unit(binary string, written bool) string {
	var b strings.Builder
	if written {
		b.WriteString(writtenBy + "\n")
	}
	b.WriteString(`[Unit]
Description=Restic Manager agent
Documentation=man:restic(1)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
EnvironmentFile=-` + DefaultsPath + `
ExecStart=` + binary + ` $` + FlagsVar + `
Restart=always
RestartSec=10
KillSignal=SIGTERM
TimeoutStopSec=90
StateDirectory=restic-agent
StateDirectoryMode=0700
CacheDirectory=restic-agent
CacheDirectoryMode=0700

[Install]
WantedBy=multi-user.target
`)
	return b.String()
}

// Defaults is DefaultsPath holding args; with none, the .deb's conffile,
// which leaves the unit disabled until `restic-agent install` fills it.
func Defaults(args []string) string {
	return `# restic-agent.service runs restic-agent with these flags (restic-agent --help).
# "restic-agent install" writes this file; edit it and systemctl restart
# restic-agent to change them. No token here: the agent reads it from the
# file --enroll-file or --token-file names (0600, under ` + LinuxSecretsDir + `).
` + FlagsVar + `="` + strings.Join(args, " ") + `"
`
}

// argValue is the value of --name in args ("" when absent).
func argValue(args []string, name string) string {
	for i, a := range args {
		if a == "--"+name && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}
