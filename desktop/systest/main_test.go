package systest

import (
	"os"
	"testing"

	"restic-manager/desktop/internal/testfleet"
)

func TestMain(m *testing.M) { os.Exit(testfleet.Main(m)) }
