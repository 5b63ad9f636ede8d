package restic

import (
	"slices"
	"testing"
)

// The "saved" line of each version (captured from 0.14.0, 0.16.5, 0.17.3,
// 0.18.1 and 0.19.1) counts as a copied snapshot; the lines around it, and
// a skipped snapshot, do not.
func TestIsCopiedLine(t *testing.T) {
	for line, want := range map[string]bool{
		"snapshot 5a52a8f2 saved": true,
		"snapshot d1499bb1 saved, copied from source snapshot 9456f353":                   true,
		"snapshot 9456f353 of [/srv/docs] at 2026-12-07 12:24:53.829843427 +0000 UTC)":    false,
		"skipping source snapshot ffed7123, was already copied to snapshot e80dd315":      false,
		"  copy started, this may take a while...":                                        false,
		"snapshot 9456f353 of [/srv/saved] at 2026-12-07 12:24:53 +0000 UTC by root@h1":   false,
		"[0:00] 100.00%  2 / 2 packs copied":                                              false,
		"snapshot savedsaved saved":                                                       false,
		"snapshot 4f1c3e6a9b2d8e7f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f56789 saved": true,
		"snapshot 4f1c3e6a savedx":                                                        false,
		"Xsnapshot 4f1c3e6a saved":                                                        false,
		"snapshot 4f1c3e6a saved\n":                                                       true,
		"snapshot 4f1c3e6a sav":                                                           false,
		"created restic repository fd7cb83a3c at /tmp/copy":                               false,
		"snapshot 4F1C3E6A saved":                                                         false,
		"snapshot 4f1c3e6a  saved":                                                        false,
		"snapshot 1234567 saved":                                                          false,
		"snapshot 12345678 saved, copied from source snapshot 9456f353 (0.19 wording)":    true,
	} {
		if got := IsCopiedLine([]byte(line)); got != want {
			t.Errorf("IsCopiedLine(%q) = %t, want %t", line, got, want)
		}
	}
}

func TestCopyArgs(t *testing.T) {
	if got, want := CopyArgs(0, 0), []string{"copy"}; !slices.Equal(got, want) {
		t.Errorf("CopyArgs = %q, want %q", got, want)
	}
	if got, want := CopyArgs(250, 0), []string{"copy", "--limit-upload", "250"}; !slices.Equal(got, want) {
		t.Errorf("CopyArgs with a cap = %q, want %q", got, want)
	}
}
