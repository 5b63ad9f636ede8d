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

func TestParseRestoreStatsReadsTheSummaryAndTheAgentsCounts(t *testing.T) {
	// restic 0.16+'s summary line, as the agent stores it (no message_type).
	s, ok := ParseRestoreStats([]byte(`{"seconds_elapsed":1,"total_files":3,"files_restored":3,"total_bytes":2730,"bytes_restored":2730}`))
	if !ok || s.FilesRestored != 3 || s.BytesRestored != 2730 {
		t.Errorf("summary: %+v, %v", s, ok)
	}
	// restic 0.14: the agent measured the restore itself.
	s, ok = ParseRestoreStats([]byte(`{"seconds_elapsed":0,"total_files":1,"files_restored":1,"total_bytes":5,"bytes_restored":5,"measured_by":"agent"}`))
	if !ok || s.TotalFiles != 1 || s.BytesRestored != 5 {
		t.Errorf("measured: %+v, %v", s, ok)
	}
	if _, ok := ParseRestoreStats(nil); ok {
		t.Error("no stats parsed as a summary")
	}
}
