//go:build tour

package main

import (
	"io"
	"strings"
	"testing"
)

// --screenshot-tour changes the demo's files and drives the window: it is
// refused without the demo flags and with --headless.
func TestScreenshotTourNeedsTheDemoAndAWindow(t *testing.T) {
	demo := []string{"--data", t.TempDir(), "--demo-repo", "/tmp/r", "--demo-files", "/tmp/f", "--enroll-token", "demo-token-1"}
	for _, tc := range []struct {
		name string
		args []string
		ok   bool
	}{
		{"with the demo", append([]string{"--screenshot-tour", "shots"}, demo...), true},
		{"without the demo", []string{"--data", t.TempDir(), "--screenshot-tour", "shots"}, false},
		{"headless", append([]string{"--screenshot-tour", "shots", "--headless"}, demo...), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parseFlags(tc.args, io.Discard, io.Discard)
			switch {
			case tc.ok && (err != nil || c.Tour.Dir != "shots"):
				t.Errorf("parseFlags(%q) = tour %q, %v; want it accepted", tc.args, c.Tour.Dir, err)
			case !tc.ok && (err == nil || !strings.Contains(err.Error(), "--screenshot-tour")):
				t.Errorf("parseFlags(%q) err = %v; want a refusal naming --screenshot-tour", tc.args, err)
			}
		})
	}
}
