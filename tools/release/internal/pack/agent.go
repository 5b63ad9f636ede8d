package pack

import (
	"os"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/files"

	"restic-manager/agent/service"
)

// The agent package's maintainer scripts. The unit is installed, never
// enabled: `restic-agent install` does that with the manager's address,
// pin and token. An upgrade restarts a running agent onto the new
// binary; a removal stops and disables it.
const (
	agentPostInst = `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
	if [ "$1" = configure ] && [ -n "$2" ]; then
		systemctl try-restart restic-agent.service || true
	fi
fi
`
	agentPreRm = `#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	systemctl disable --now restic-agent.service || true
fi
`
	agentPostRm = `#!/bin/sh
set -e
if [ -d /run/systemd/system ]; then
	systemctl daemon-reload || true
fi
`
)

// AgentDeb builds restic-agent_<version>_<arch>.deb: the binary in
// /usr/bin, the unit in /lib/systemd/system (not enabled), its flags file
// /etc/default/restic-agent as a conffile (so an upgrade keeps what
// install wrote), depending on restic.
func (r Release) AgentDeb(arch string) (string, error) {
	bin, err := r.binary("restic-agent", "linux", arch)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "restic-agent-deb")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	gen := map[string]string{
		"unit":     service.Unit(service.PackagedBinary, false),
		"defaults": service.Defaults(nil),
		"postinst": agentPostInst,
		"prerm":    agentPreRm,
		"postrm":   agentPostRm,
	}
	path := map[string]string{}
	for name, data := range gen {
		if path[name], err = generated(tmp, name, data); err != nil {
			return "", err
		}
	}
	return r.writeDeb(&nfpm.Info{
		Name:        "restic-agent",
		Arch:        arch,
		Description: "Restic Manager agent: runs restic backups for a Restic Manager\n`restic-agent install` sets it up as a systemd service with the manager's\naddress, pin and enrollment token file, as the manager's \"Add host\" shows.",
		Overridables: nfpm.Overridables{
			Depends: []string{"restic"},
			Contents: files.Contents{
				file(bin, service.PackagedBinary, 0o755),
				file(path["unit"], service.PackagedUnitPath, 0o644),
				{Source: path["defaults"], Destination: service.DefaultsPath, Type: files.TypeConfig, FileInfo: &files.ContentFileInfo{Mode: 0o644}},
			},
			Scripts: nfpm.Scripts{PostInstall: path["postinst"], PreRemove: path["prerm"], PostRemove: path["postrm"]},
		},
	})
}
