package pack

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/goreleaser/nfpm/v2"
	"github.com/goreleaser/nfpm/v2/deb"
	"github.com/goreleaser/nfpm/v2/files"
)

// Release is one release's inputs and where its packages go.
type Release struct {
	Version string    // e.g. 0.1.0, FyneApp.toml's
	Dist    string    // binaries in, packages out
	Icons   string    // app.png (512×512) and app.svg
	MTime   time.Time // every file's time in the packages
}

const (
	maintainer = "Restic Manager <restic-manager@localhost>"
	homepage   = "https://restic.net"
)

// SourceDate is $SOURCE_DATE_EPOCH (reproducible builds), else now.
func SourceDate() time.Time {
	if s, err := strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64); err == nil {
		return time.Unix(s, 0).UTC()
	}
	return time.Now().UTC().Truncate(time.Second)
}

// binary is the path of a binary scripts/package built.
func (r Release) binary(name, goos, arch string) (string, error) {
	ext := ""
	if goos == "windows" {
		ext = ".exe"
	}
	p := filepath.Join(r.Dist, fmt.Sprintf("%s_%s_%s_%s%s", name, r.Version, goos, arch, ext))
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("%s: build it first (scripts/package): %w", p, err)
	}
	return p, nil
}

// file is a package file with its mode.
func file(src, dst string, mode os.FileMode) *files.Content {
	return &files.Content{Source: src, Destination: dst, FileInfo: &files.ContentFileInfo{Mode: mode}}
}

// writeDeb writes info as dist/<name>_<version>_<arch>.deb.
func (r Release) writeDeb(info *nfpm.Info) (string, error) {
	info.Version = r.Version
	info.Platform = "linux"
	info.Maintainer = maintainer
	info.Homepage = homepage
	info.Section = "admin"
	info.Priority = "optional"
	info.MTime = r.MTime
	info = nfpm.WithDefaults(info)
	if err := nfpm.PrepareForPackager(info, "deb"); err != nil {
		return "", fmt.Errorf("%s: %w", info.Name, err)
	}
	name := filepath.Join(r.Dist, fmt.Sprintf("%s_%s_%s.deb", info.Name, r.Version, info.Arch))
	f, err := os.Create(name)
	if err != nil {
		return "", err
	}
	if err := deb.Default.Package(info, f); err != nil {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return name, f.Close()
}

// generated writes data into a scratch file for a package to pick up
// (nfpm reads every file, scripts included, from disk).
func generated(dir, name, data string) (string, error) {
	p := filepath.Join(dir, name)
	return p, os.WriteFile(p, []byte(data), 0o644)
}
