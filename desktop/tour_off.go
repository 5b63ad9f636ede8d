//go:build !tour

package main

import (
	"flag"

	"fyne.io/fyne/v2"

	"restic-manager/desktop/ui"
)

// The shipped app has no screenshot tour (tour.go, -tags tour): no flag,
// nothing to check, nothing to start.

type tourConfig struct{}

func addTourFlags(*flag.FlagSet, *tourConfig) {}

func checkTour(config) error { return nil }

func startTour(*manager, *ui.UI, fyne.App, config) (<-chan error, error) { return nil, nil }

// tourBuilt says the tour is compiled in (tests).
const tourBuilt = false
