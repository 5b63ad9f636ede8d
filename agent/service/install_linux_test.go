package service

import (
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// systemRoot is a temp directory laid out like a Debian system before the
// agent: the directories install writes into exist already, as they do on
// a real machine, so a snapshot after uninstall must equal the one before.
func systemRoot(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	for _, d := range []string{"etc/default", "etc/systemd/system", "lib/systemd/system", "usr/bin", "var/lib", "var/cache"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// withPackage adds what the .deb installs (tools/release builds it from
// the same Unit and Defaults).
func withPackage(t *testing.T, root string) {
	t.Helper()
	for path, f := range map[string]struct {
		data string
		mode os.FileMode
	}{
		PackagedBinary:   {"#!/bin/sh\n", 0o755},
		PackagedUnitPath: {Unit(PackagedBinary, false), 0o644},
		DefaultsPath:     {Defaults(nil), 0o644},
	} {
		if err := os.WriteFile(filepath.Join(root, path), []byte(f.data), f.mode); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot is every path under root with its mode and, for files, its
// content.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		v := fi.Mode().String()
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		out["/"+filepath.ToSlash(rel)] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// added is what after has that before had not, or had otherwise.
func added(before, after map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range after {
		if before[k] != v {
			out[k] = v
		}
	}
	return out
}

func sameSnapshot(t *testing.T, what string, want, got map[string]string) {
	t.Helper()
	for k, v := range got {
		if want[k] != v {
			t.Errorf("%s: %s is %.60q, want %.60q", what, k, v, want[k])
		}
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: %s is gone", what, k)
		}
	}
}

const testToken = "enr_0123456789abcdef0123456789abcdef"

// tokenFile is a token as "Add host" has the admin save it: readable by
// the admin, anywhere.
func tokenFile(t *testing.T, token string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "token.txt")
	if err := os.WriteFile(p, []byte(token+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

type recorder struct{ calls []string }

func (r *recorder) systemctl(args ...string) error {
	r.calls = append(r.calls, strings.Join(args, " "))
	return nil
}

func lanFlags(enrollFile string) []Flag {
	return []Flag{
		{Name: "manager", Value: "wss://manager.lan:8931"},
		{Name: "manager-pin", Value: "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"},
		{Name: "enroll-file", Value: enrollFile},
		{Name: "no-hooks", Value: "true", Bool: true},
	}
}

func TestInstallBareBinaryWritesUnitFlagsAndTokenThenUninstallRemovesExactlyThem(t *testing.T) {
	root := systemRoot(t)
	before := snapshot(t, root)
	var sc recorder
	s := Spec{Root: root, Binary: "/usr/local/bin/restic-agent", Flags: lanFlags(tokenFile(t, testToken)), Systemctl: sc.systemctl}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	got := added(before, snapshot(t, root))
	wantFlags := `RESTIC_AGENT_FLAGS="--manager wss://manager.lan:8931 --manager-pin sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 --enroll-file /etc/restic-agent/enroll --no-hooks --state /var/lib/restic-agent --cache-dir /var/cache/restic-agent"`
	want := map[string]string{
		"/etc/restic-agent":                        "drwx------",
		"/etc/restic-agent/enroll":                 "-rw------- " + testToken + "\n",
		"/etc/default/restic-agent":                "-rw-r--r-- " + Defaults(strings.Fields(strings.Trim(strings.TrimPrefix(wantFlags, FlagsVar+"="), `"`))),
		"/etc/systemd/system/restic-agent.service": "-rw-r--r-- " + Unit("/usr/local/bin/restic-agent", true),
	}
	sameSnapshot(t, "after install", want, got)
	if !strings.Contains(got["/etc/default/restic-agent"], wantFlags+"\n") {
		t.Errorf("flags file:\n%s\nwant the line %s", got["/etc/default/restic-agent"], wantFlags)
	}
	for path, v := range got {
		if path != "/etc/restic-agent/enroll" && strings.Contains(v, testToken) {
			t.Errorf("%s holds the token:\n%s", path, v)
		}
	}
	if want := []string{"daemon-reload", "enable restic-agent.service", "restart restic-agent.service"}; !slices.Equal(sc.calls, want) {
		t.Errorf("systemctl calls %q, want %q", sc.calls, want)
	}

	sc.calls = nil
	if err := Uninstall(Spec{Root: root, Systemctl: sc.systemctl}, false); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "after uninstall", before, snapshot(t, root))
	if want := []string{"disable --now restic-agent.service", "daemon-reload"}; !slices.Equal(sc.calls, want) {
		t.Errorf("systemctl calls %q, want %q", sc.calls, want)
	}
}

func TestInstallOverThePackageUsesItsUnitAndUninstallResetsItsConffile(t *testing.T) {
	root := systemRoot(t)
	withPackage(t, root)
	before := snapshot(t, root)
	var sc recorder
	in := strings.NewReader(testToken + "\n")
	flags := lanFlags("-")
	if err := Install(Spec{Root: root, Binary: PackagedBinary, Flags: flags, Stdin: in, Systemctl: sc.systemctl}); err != nil {
		t.Fatal(err)
	}
	got := added(before, snapshot(t, root))
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range got {
			if !yield(k) {
				return
			}
		}
	})
	if want := []string{"/etc/default/restic-agent", "/etc/restic-agent", "/etc/restic-agent/enroll"}; !slices.Equal(keys, want) {
		t.Errorf("install over the package changed %q, want %q (the package's unit, no copy)", keys, want)
	}
	if got["/etc/restic-agent/enroll"] != "-rw------- "+testToken+"\n" {
		t.Errorf("token from standard input: %q", got["/etc/restic-agent/enroll"])
	}
	if err := Uninstall(Spec{Root: root, Systemctl: sc.systemctl}, false); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "after uninstall", before, snapshot(t, root))
}

func TestUninstallPurgeRemovesStateAndCacheAndPlainUninstallKeepsThem(t *testing.T) {
	for _, purge := range []bool{false, true} {
		root := systemRoot(t)
		flags := append(lanFlags(tokenFile(t, testToken)), Flag{Name: "state", Value: "/srv/agent-state"})
		if err := Install(Spec{Root: root, Binary: "/opt/restic-agent", Flags: flags}); err != nil {
			t.Fatal(err)
		}
		// What a running agent would have made.
		for _, d := range []string{"srv/agent-state", "var/cache/restic-agent"} {
			if err := os.MkdirAll(filepath.Join(root, d), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(root, d, "data"), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := Uninstall(Spec{Root: root}, purge); err != nil {
			t.Fatal(err)
		}
		for _, d := range []string{"srv/agent-state/data", "var/cache/restic-agent/data"} {
			if _, err := os.Stat(filepath.Join(root, d)); purge != errors.Is(err, fs.ErrNotExist) {
				t.Errorf("purge=%v: %s: %v", purge, d, err)
			}
		}
	}
}

func TestUninstallLeavesAUnitInstallDidNotWrite(t *testing.T) {
	root := systemRoot(t)
	own := "[Service]\nExecStart=/usr/local/bin/restic-agent --manager ws://127.0.0.1:8931\n"
	unit := filepath.Join(root, UnitPath)
	if err := os.WriteFile(unit, []byte(own), 0o644); err != nil {
		t.Fatal(err)
	}
	var sc recorder
	if err := Uninstall(Spec{Root: root, Systemctl: sc.systemctl}, true); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(unit); err != nil || string(b) != own {
		t.Errorf("the admin's own unit: %q, %v", b, err)
	}
	if len(sc.calls) != 0 {
		t.Errorf("systemctl %q for a unit install did not write", sc.calls)
	}
}

// Each refusal is fed the worst value and nothing may be written.
func TestInstallRefusalsWriteNothing(t *testing.T) {
	good := tokenFile(t, testToken)
	cases := []struct {
		name  string
		flags []Flag
		stdin string
		flag  string
	}{
		{"token in argv", []Flag{{Name: "manager", Value: "wss://m:8931"}, {Name: "enroll", Value: testToken}}, "", "enroll"},
		{"host token in argv", []Flag{{Name: "manager", Value: "wss://m:8931"}, {Name: "token", Value: testToken}}, "", "token"},
		{"a second flag hidden in a value", []Flag{{Name: "manager", Value: "wss://m:8931 --token " + testToken}, {Name: "enroll-file", Value: good}}, "", "manager"},
		{"a variable", []Flag{{Name: "manager", Value: "wss://$HOST:8931"}, {Name: "enroll-file", Value: good}}, "", "manager"},
		{"a quote", []Flag{{Name: "manager", Value: `wss://m:8931"`}, {Name: "enroll-file", Value: good}}, "", "manager"},
		{"a newline", []Flag{{Name: "manager", Value: "wss://m:8931\nExecStartPre=/bin/sh"}, {Name: "enroll-file", Value: good}}, "", "manager"},
		{"a specifier", []Flag{{Name: "manager", Value: "wss://m:8931"}, {Name: "hostname", Value: "%H"}, {Name: "enroll-file", Value: good}}, "", "hostname"},
		{"no manager", []Flag{{Name: "enroll-file", Value: good}}, "", "manager"},
		{"no token", []Flag{{Name: "manager", Value: "wss://m:8931"}}, "", "enroll-file"},
		{"an empty token", []Flag{{Name: "manager", Value: "wss://m:8931"}, {Name: "enroll-file", Value: "-"}}, " \n", "enroll-file"},
		{"two tokens", []Flag{{Name: "manager", Value: "wss://m:8931"}, {Name: "enroll-file", Value: "-"}}, testToken + "\n" + testToken + "\n", "enroll-file"},
		{"a missing token file", []Flag{{Name: "manager", Value: "wss://m:8931"}, {Name: "enroll-file", Value: filepath.Join(t.TempDir(), "none")}}, "", "enroll-file"},
		{"twice", []Flag{{Name: "manager", Value: "wss://m:8931"}, {Name: "manager", Value: "wss://n:8931"}, {Name: "enroll-file", Value: good}}, "", "manager"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			root := systemRoot(t)
			before := snapshot(t, root)
			var sc recorder
			err := Install(Spec{Root: root, Binary: "/usr/local/bin/restic-agent", Flags: c.flags, Stdin: strings.NewReader(c.stdin), Systemctl: sc.systemctl})
			var fe *FlagError
			if !errors.As(err, &fe) || fe.Flag != c.flag || !errors.Is(err, ErrRefused) {
				t.Fatalf("got %v, want a FlagError on --%s", err, c.flag)
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("the refusal repeats the token: %v", err)
			}
			sameSnapshot(t, "after a refusal", before, snapshot(t, root))
			if len(sc.calls) != 0 {
				t.Errorf("systemctl %q after a refusal", sc.calls)
			}
		})
	}
}

// systemd's own checker reads both units: the one install writes and the
// one the .deb ships.
func TestUnitPassesSystemdAnalyzeVerify(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed (apt-get install systemd): the unit is not verified")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "restic-agent")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, written := range []bool{true, false} {
		unit := filepath.Join(dir, Name+".service")
		if err := os.WriteFile(unit, []byte(Unit(bin, written)), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(analyze, "verify", unit).CombinedOutput()
		if err != nil || strings.Contains(string(out), Name+".service") {
			t.Errorf("systemd-analyze verify: %v\n%s\n%s", err, out, Unit(bin, written))
		}
	}
}
