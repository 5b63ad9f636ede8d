// Command release turns the binaries scripts/package built into what a
// release ships (make package): the agent's .deb for amd64 and arm64, the
// manager's .deb for amd64, a .zip of the Windows agent for amd64 and
// arm64, and SHA256SUMS over all of dist/.
//
// Flags and wiring only; the packages are made by internal/pack.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"restic-manager/tools/release/internal/pack"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	var (
		r                      pack.Release
		agentArches, zipArches string
		managerArches          string
	)
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.StringVar(&r.Version, "version", "", "the release's version (FyneApp.toml's)")
	fs.StringVar(&r.Dist, "dist", "dist", "the directory holding the binaries; the packages are written there")
	fs.StringVar(&r.Icons, "icons", "icons", "the directory holding app.png and app.svg")
	fs.StringVar(&agentArches, "agent-deb", "amd64,arm64", "architectures of the agent's .deb")
	fs.StringVar(&managerArches, "manager-deb", "amd64", "architectures of the manager's .deb")
	fs.StringVar(&zipArches, "windows-zip", "amd64,arm64", "architectures of the Windows agent's .zip")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if r.Version == "" {
		return fmt.Errorf("--version is required")
	}
	r.MTime = pack.SourceDate()
	for _, step := range []struct {
		arches string
		make   func(string) (string, error)
	}{{agentArches, r.AgentDeb}, {managerArches, r.ManagerDeb}, {zipArches, r.WindowsZip}} {
		for _, arch := range strings.Split(step.arches, ",") {
			if arch == "" {
				continue
			}
			name, err := step.make(arch)
			if err != nil {
				return err
			}
			fmt.Println("==", name)
		}
	}
	if err := pack.WriteSums(r.Dist); err != nil {
		return err
	}
	fmt.Println("==", pack.SumsName)
	return nil
}
