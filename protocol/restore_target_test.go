package protocol_test

import (
	"strings"
	"testing"

	"restic-manager/protocol"
)

// Every restore target the wire refuses or accepts, for each host OS: the
// root and system directories in disguise are seen through (the path is
// cleaned first), and the message says what to do.
func TestRestoreTargetRules(t *testing.T) {
	cases := []struct {
		os, dir string
		want    string // "" = accepted; else a part of the message
	}{
		{"linux", "/srv/restore", ""},
		{"linux", "/tmp/x/", ""},
		{"linux", "/tmp/./x/../y", ""},
		{"linux", "/usrlocal", ""},
		{"linux", "/home/etc", ""},
		{"linux", "/", "filesystem root"},
		{"linux", "//", "filesystem root"},
		{"linux", "/.", `"/." is the filesystem root (it cleans to /)`},
		{"linux", "/tmp/..", "filesystem root (it cleans to /)"},
		{"linux", "/./tmp/../", "filesystem root (it cleans to /)"},
		{"linux", "/etc", "inside the system directory /etc"},
		{"linux", "/etc/restore", "inside the system directory /etc"},
		{"linux", "/tmp/../usr/lib/x", "inside the system directory /usr (it cleans to /usr/lib/x)"},
		{"linux", "/proc/self", "system directory /proc"},
		{"linux", "/lib64", "system directory /lib64"},
		{"linux", "/run/user/1000", "system directory /run"},
		{"linux", "restore/here", "starting with /"},
		{"linux", "./here", "starting with /"},
		{"linux", `C:\Restore`, "starting with /"},
		{"linux", "", "is empty"},
		{"linux", " /srv", "space"},
		{"linux", "/srv\x00x", "NUL"},
		{"linux", "/" + strings.Repeat("p", protocol.MaxPathLen), "longer than"},
		{"windows", `C:\Restore`, ""},
		{"windows", `d:/restore`, ""},
		{"windows", `\\nas\share\restore`, ""},
		{"windows", `C:\Windowsold`, ""},
		{"windows", `\\nas\share`, "filesystem root"},
		{"windows", `\\nas\share\x\..`, "filesystem root"},
		{"windows", `C:\`, "filesystem root"},
		{"windows", `C:\.`, "filesystem root"},
		{"windows", `c:/tmp/..`, "filesystem root"},
		{"windows", `C:\Windows`, `system directory C:\Windows`},
		{"windows", `c:\windows\temp\r`, "system directory"},
		{"windows", `C:`, "with a drive"},
		{"windows", `Restore`, "with a drive"},
		{"windows", `/Restore`, "with a drive"},
		{"", "/srv/restore", ""},
		{"", `C:\Restore`, ""},
		{"", "restore/here", "absolute"},
		{"", "/", "filesystem root"},
		{"", "/.", "filesystem root"},
		{"", `C:\`, "filesystem root"},
		{"", "/usr", "system directory"},
	}
	for _, c := range cases {
		err := protocol.ValidateRestoreTarget(c.os, c.dir)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s %q: %v; want accepted", c.os, c.dir, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %q: %v; want refused saying %q", c.os, c.dir, err, c.want)
			continue
		}
		wantField(t, err, "restore.target_dir")
	}
}

// command.run applies the same rules for either OS, and a root in disguise
// points at in_place, the one way to write over the original files.
func TestRestoreOverTheLiveSystemNeedsInPlace(t *testing.T) {
	for _, dir := range []string{"/.", "/tmp/..", "/./tmp/../", `C:\`, "/etc"} {
		p := with(run(protocol.KindRestore), func(p *protocol.CommandRun) {
			p.Restore = okRestore()
			p.Restore.TargetDir = dir
		})
		err := overNetwork(t, p)
		wantField(t, err, "restore.target_dir")
		if want := protocol.ValidateRestoreTarget("", dir); err.Error() != want.Error() {
			t.Errorf("%q: command.run says %q, ValidateRestoreTarget %q; want the same words", dir, err, want)
		}
	}
	if !strings.Contains(protocol.ValidateRestoreTarget("", "/.").Error(), "restore in place") {
		t.Error("the root refusal does not name in-place restore")
	}
}

func TestGroupNames(t *testing.T) {
	for _, ok := range []string{"docs", "db-web", "db_web", "v1.2", "0day", "A", strings.Repeat("x", protocol.MaxGroupNameLen)} {
		if err := protocol.ValidateGroupName(ok); err != nil {
			t.Errorf("%q: %v; want accepted", ok, err)
		}
	}
	for _, bad := range []string{"", "db,web", "docs,evil", "-docs", ".hidden", "_x", "my docs", "docs\n", "ü", "a/b", "a:b",
		strings.Repeat("x", protocol.MaxGroupNameLen+1)} {
		err := protocol.ValidateGroupName(bad)
		wantField(t, err, "name")
	}
}
