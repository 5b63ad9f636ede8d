package ui

import (
	"os"
	"testing"

	"restic-manager/desktop/internal/testfleet"
)

// TestMain removes the restic-agent binary testfleet builds for the tests
// that drive a real agent.
func TestMain(m *testing.M) { os.Exit(testfleet.Main(m)) }
