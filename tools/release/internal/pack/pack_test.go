package pack

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"restic-manager/agent/service"
)

// The packages are built from stub binaries: packaging never looks inside
// them, and building the real agent and manager (tsnet, Fyne with cgo)
// here would cost minutes per run. make package builds and packages the
// real ones.
func stubRelease(t *testing.T) Release {
	t.Helper()
	dist := t.TempDir()
	r := Release{Version: "1.2.3", Dist: dist, Icons: filepath.Join("..", "..", "..", "..", "icons"), MTime: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	for _, name := range []string{
		"restic-agent_1.2.3_linux_amd64", "restic-agent_1.2.3_linux_arm64",
		"restic-manager_1.2.3_linux_amd64",
		"restic-agent_1.2.3_windows_amd64.exe",
	} {
		if err := os.WriteFile(filepath.Join(dist, name), []byte("stub "+name), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func dpkgDeb(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("dpkg-deb"); err != nil {
		t.Skip("dpkg-deb is not installed (apt-get install dpkg): the .deb is not checked")
	}
	out, err := exec.Command("dpkg-deb", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dpkg-deb %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// contents is `dpkg-deb -c`'s files (not directories) as "mode path".
func contents(t *testing.T, deb string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(dpkgDeb(t, "-c", deb)), "\n") {
		f := strings.Fields(line)
		if len(f) < 6 || strings.HasPrefix(f[0], "d") {
			continue
		}
		out[strings.TrimPrefix(f[5], ".")] = f[0]
	}
	return out
}

func TestAgentDebControlFieldsAndFiles(t *testing.T) {
	r := stubRelease(t)
	for _, arch := range []string{"amd64", "arm64"} {
		deb, err := r.AgentDeb(arch)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(deb) != "restic-agent_1.2.3_"+arch+".deb" {
			t.Errorf("name %s", deb)
		}
		for field, want := range map[string]string{"Package": "restic-agent", "Version": "1.2.3", "Architecture": arch, "Depends": "restic"} {
			if got := strings.TrimSpace(dpkgDeb(t, "-f", deb, field)); got != want {
				t.Errorf("%s: %s is %q, want %q", arch, field, got, want)
			}
		}
		want := map[string]string{
			"/usr/bin/restic-agent":                    "-rwxr-xr-x",
			"/lib/systemd/system/restic-agent.service": "-rw-r--r--",
			"/etc/default/restic-agent":                "-rw-r--r--",
		}
		got := contents(t, deb)
		if len(got) != len(want) {
			t.Errorf("%s: files %v, want %v", arch, got, want)
		}
		for p, mode := range want {
			if got[p] != mode {
				t.Errorf("%s: %s is %q, want %q", arch, p, got[p], mode)
			}
		}
		if cf := strings.TrimSpace(dpkgDeb(t, "-I", deb, "conffiles")); cf != "/etc/default/restic-agent" {
			t.Errorf("conffiles %q, want the flags file only (an upgrade keeps what install wrote)", cf)
		}
		if post := dpkgDeb(t, "-I", deb, "postinst"); strings.Contains(post, "enable") {
			t.Errorf("postinst enables the unit; it must wait for restic-agent install:\n%s", post)
		}
	}
}

// The package and `restic-agent install` fit together: installed over the
// unpacked .deb, install uses the package's unit (no copy in /etc) and
// fills its conffile; uninstall puts the conffile back as shipped.
func TestInstallOverTheUnpackedAgentDeb(t *testing.T) {
	r := stubRelease(t)
	deb, err := r.AgentDeb("amd64")
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	dpkgDeb(t, "-x", deb, root)
	shipped, err := os.ReadFile(filepath.Join(root, service.DefaultsPath))
	if err != nil {
		t.Fatal(err)
	}
	if unit, _ := os.ReadFile(filepath.Join(root, service.PackagedUnitPath)); string(unit) != service.Unit(service.PackagedBinary, false) {
		t.Errorf("the package's unit:\n%s", unit)
	}
	token := "enr_" + strings.Repeat("7", 32)
	err = service.Install(service.Spec{
		Root:   root,
		Binary: service.PackagedBinary,
		Flags:  []service.Flag{{Name: "manager", Value: "wss://manager.lan:8931"}, {Name: "manager-pin", Value: "sha256:00ff"}, {Name: "enroll-file", Value: "-"}},
		Stdin:  strings.NewReader(token),
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, service.UnitPath)); err == nil {
		t.Error("install wrote a unit in /etc although the package's is there")
	}
	flags, _ := os.ReadFile(filepath.Join(root, service.DefaultsPath))
	if !strings.Contains(string(flags), "--manager wss://manager.lan:8931 --manager-pin sha256:00ff --enroll-file /etc/restic-agent/enroll") || strings.Contains(string(flags), token) {
		t.Errorf("flags file after install:\n%s", flags)
	}
	if err := service.Uninstall(service.Spec{Root: root}, false); err != nil {
		t.Fatal(err)
	}
	if now, _ := os.ReadFile(filepath.Join(root, service.DefaultsPath)); !bytes.Equal(now, shipped) {
		t.Errorf("flags file after uninstall:\n%s\nwant as shipped:\n%s", now, shipped)
	}
}

// The manager's .deb, from a stub binary (see stubRelease); make package
// builds it from the real one.
func TestManagerDebHasTheDesktopEntryAndIcon(t *testing.T) {
	r := stubRelease(t)
	deb, err := r.ManagerDeb("amd64")
	if err != nil {
		t.Fatal(err)
	}
	got := contents(t, deb)
	for _, p := range []string{"/usr/bin/restic-manager", "/usr/share/applications/restic-manager.desktop", "/usr/share/icons/hicolor/512x512/apps/restic-manager.png", "/usr/share/icons/hicolor/scalable/apps/restic-manager.svg"} {
		if _, ok := got[p]; !ok {
			t.Errorf("%s missing from %v", p, got)
		}
	}
	if d := strings.TrimSpace(dpkgDeb(t, "-f", deb, "Depends")); !strings.Contains(d, "libgl1") {
		t.Errorf("Depends %q: the manager needs GL", d)
	}
	if v, err := exec.LookPath("desktop-file-validate"); err == nil {
		dir := t.TempDir()
		p := filepath.Join(dir, "restic-manager.desktop")
		if err := os.WriteFile(p, []byte(desktopEntry), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(v, p).CombinedOutput(); err != nil || len(out) > 0 {
			t.Errorf("desktop-file-validate: %v\n%s", err, out)
		}
	}
}

func TestWindowsZipAndSums(t *testing.T) {
	r := stubRelease(t)
	name, err := r.WindowsZip("amd64")
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(name)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) != 1 || zr.File[0].Name != "restic-agent.exe" {
		t.Fatalf("zip holds %v, want restic-agent.exe", zr.File)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "stub restic-agent_1.2.3_windows_amd64.exe" {
		t.Errorf("zipped exe %q", b)
	}
	if _, err := os.Stat(filepath.Join(r.Dist, "restic-agent_1.2.3_windows_amd64.exe")); err == nil {
		t.Error("the bare .exe stays beside its zip")
	}
	if err := WriteSums(r.Dist); err != nil {
		t.Fatal(err)
	}
	sums, _ := os.ReadFile(filepath.Join(r.Dist, SumsName))
	if n := strings.Count(string(sums), "\n"); n != 4 {
		t.Errorf("SHA256SUMS has %d lines, want 4 (the zip and the three Linux binaries):\n%s", n, sums)
	}
	if sha, err := exec.LookPath("sha256sum"); err == nil {
		cmd := exec.Command(sha, "-c", SumsName)
		cmd.Dir = r.Dist
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("sha256sum -c: %v\n%s", err, out)
		}
	}
}
