package pack

import (
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/files"
)

// desktopEntry starts the manager from the desktop's menu, with the icon
// the window uses (icons/app.*).
const desktopEntry = `[Desktop Entry]
Type=Application
Name=Restic Manager
GenericName=Backup manager
Comment=Back up the office's machines with restic, from one window
Exec=restic-manager
Icon=restic-manager
Terminal=false
Categories=Utility;Archiving;
Keywords=backup;restic;snapshot;restore;
`

// managerDepends are the libraries the amd64 build links (objdump -p's
// NEEDED: GLFW's other X libraries are dropped by --as-needed). The
// manager runs no restic; the agent it suggests backs up the manager's
// own machine.
var managerDepends = []string{"libc6", "libgl1", "libx11-6"}

// ManagerDeb builds restic-manager_<version>_<arch>.deb: the binary, a
// .desktop entry and the app icon (PNG 512×512 and SVG) in the hicolor
// theme.
func (r Release) ManagerDeb(arch string) (string, error) {
	bin, err := r.binary("restic-manager", "linux", arch)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "restic-manager-deb")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	entry, err := generated(tmp, "restic-manager.desktop", desktopEntry)
	if err != nil {
		return "", err
	}
	return r.writeDeb(&nfpm.Info{
		Name:        "restic-manager",
		Arch:        arch,
		Description: "Restic Manager: back up many machines with restic from one window\nThe manager keeps every host's sources, schedules, snapshots and jobs, and\ntalks to the restic-agent on each host.",
		Overridables: nfpm.Overridables{
			Depends:  managerDepends,
			Suggests: []string{"restic-agent"},
			Contents: files.Contents{
				file(bin, "/usr/bin/restic-manager", 0o755),
				file(entry, "/usr/share/applications/restic-manager.desktop", 0o644),
				file(filepath.Join(r.Icons, "app.png"), "/usr/share/icons/hicolor/512x512/apps/restic-manager.png", 0o644),
				file(filepath.Join(r.Icons, "app.svg"), "/usr/share/icons/hicolor/scalable/apps/restic-manager.svg", 0o644),
			},
		},
	})
}
