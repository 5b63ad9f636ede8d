package hub

import (
	"errors"
	"testing"
)

func TestValidateRestoreTargetFollowsTheHostsOS(t *testing.T) {
	cases := []struct {
		os, dir string
		ok      bool
	}{
		{"linux", "/srv/restore", true},
		{"linux", "/tmp/x/", true},
		{"linux", "restore/here", false},
		{"linux", "./here", false},
		{"linux", "/", false},
		{"linux", "//", false},
		{"linux", "", false},
		{"linux", " /srv", false},
		{"linux", `C:\Restore`, false}, // relative on Linux
		{"windows", `C:\Restore`, true},
		{"windows", `d:/restore`, true},
		{"windows", `\\nas\share\restore`, true},
		{"windows", `\\nas\share`, false},
		{"windows", `C:\`, false},
		{"windows", `C:`, false},
		{"windows", `Restore`, false},
		{"windows", `/Restore`, false}, // drive-relative
		{"", "/srv/restore", true},
		{"", `C:\Restore`, true},
		{"", "restore/here", false},
		{"", "/", false},
		{"", `C:\`, false},
	}
	for _, c := range cases {
		err := ValidateRestoreTarget(c.os, c.dir)
		if c.ok && err != nil {
			t.Errorf("%s %q: %v; want accepted", c.os, c.dir, err)
		}
		if !c.ok && !errors.Is(err, ErrInvalid) {
			t.Errorf("%s %q: %v; want ErrInvalid", c.os, c.dir, err)
		}
	}
}

func TestHostAndRestoredPaths(t *testing.T) {
	if got := HostPath("windows", "/C/Users/ann/a.txt"); got != `C:\Users\ann\a.txt` {
		t.Errorf("HostPath windows = %s", got)
	}
	if got := HostPath("windows", "/c"); got != `C:\` {
		t.Errorf("HostPath windows drive = %s", got)
	}
	if got := HostPath("linux", "/srv/a"); got != "/srv/a" {
		t.Errorf("HostPath linux = %s", got)
	}
	if got := RestoredPath("linux", "/tmp/r/", "/srv/a.txt"); got != "/tmp/r/srv/a.txt" {
		t.Errorf("RestoredPath linux = %s", got)
	}
	if got := RestoredPath("windows", `D:\Restore\`, "/C/Users/a.txt"); got != `D:\Restore\C\Users\a.txt` {
		t.Errorf("RestoredPath windows = %s", got)
	}
}
