package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

// "restic-manager version" prints to stdout, as "restic-agent version"
// does, so scripts can capture it; nothing goes to stderr.
func TestVersionGoesToStdout(t *testing.T) {
	var stdout, stderr bytes.Buffer
	_, err := parseFlags([]string{"--data", t.TempDir(), "version"}, &stdout, &stderr)
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("parseFlags(version) = %v; want flag.ErrHelp (print and exit 0)", err)
	}
	if got := stdout.String(); got != "restic-manager "+version+"\n" || stderr.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want the version on stdout alone", got, stderr.String())
	}
}

// The shipped build has no screenshot tour: its flag is unknown there.
func TestShippedBuildHasNoScreenshotTour(t *testing.T) {
	if tourBuilt {
		t.Skip("built with -tags tour")
	}
	var stderr bytes.Buffer
	_, err := parseFlags([]string{"--data", t.TempDir(), "--screenshot-tour", "shots"}, &stderr, &stderr)
	if err == nil || !strings.Contains(err.Error(), "screenshot-tour") {
		t.Errorf("parseFlags(--screenshot-tour) = %v; want the flag refused as unknown", err)
	}
}
