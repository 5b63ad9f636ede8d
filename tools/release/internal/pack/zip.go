package pack

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// WindowsZip builds restic-agent_<version>_windows_<arch>.zip holding
// restic-agent.exe, the name `restic-agent.exe install` expects to be run
// as, and removes the bare .exe from dist (the zip is what ships).
func (r Release) WindowsZip(arch string) (string, error) {
	exe, err := r.binary("restic-agent", "windows", arch)
	if err != nil {
		return "", err
	}
	name := filepath.Join(r.Dist, fmt.Sprintf("restic-agent_%s_windows_%s.zip", r.Version, arch))
	if err := writeZip(name, exe, "restic-agent.exe", r); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("%s: %w", name, err)
	}
	return name, os.Remove(exe)
}

func writeZip(name, src, as string, r Release) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(name)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(out)
	hdr := &zip.FileHeader{Name: as, Method: zip.Deflate, Modified: r.MTime}
	hdr.SetMode(0o755)
	w, err := zw.CreateHeader(hdr)
	if err == nil {
		_, err = io.Copy(w, in)
	}
	if err == nil {
		err = zw.Close()
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}
