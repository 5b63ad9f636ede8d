package main

import (
	"flag"
	"fmt"
	"io"

	"restic-manager/agent/daemon"
	"restic-manager/agent/service"
)

// install is `restic-agent install [flags]`: the agent's own flags, which
// the service will run with (checked here as the agent checks them), and
// --root. The environment's RM_* are not read: an installing shell's
// variables must not become the service's flags.
func install(args []string, stdout, stderr io.Writer) error {
	var o options
	fs := o.flagSet("restic-agent install", stderr)
	root := fs.String("root", "", "install into this directory as if it were / and leave systemd alone (tests, packaging)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: restic-agent install --manager URL [--manager-pin PIN] (--enroll-file FILE|- | --token-file FILE|-) [flags]\n\n"+
			"Installs this agent as the %s service (Linux: systemd, enabled and started; Windows: the Service Control Manager,\n"+
			"automatic start, restarted on failure) running with the flags given. The token file (- reads standard input) is\n"+
			"copied where only root or SYSTEM can read it. Run it as root or Administrator; run it again to change the flags.\n\nFlags:\n", service.Name)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("install: unexpected argument %q (see install --help)", fs.Arg(0))
	}
	if o.c.Manager != "" {
		if err := daemon.CheckManager(o.c); err != nil {
			return err
		}
	}
	var flags []service.Flag
	fs.Visit(func(f *flag.Flag) {
		b, ok := f.Value.(interface{ IsBoolFlag() bool })
		flags = append(flags, service.Flag{Name: f.Name, Value: f.Value.String(), Bool: ok && b.IsBoolFlag()})
	})
	return service.Install(service.Spec{Root: *root, Flags: flags, Out: stdout})
}

// uninstall is `restic-agent uninstall [--purge]`.
func uninstall(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("restic-agent uninstall", flag.ContinueOnError)
	fs.SetOutput(stderr)
	purge := fs.Bool("purge", false, "also remove the agent's state (journal, credentials, identity) and restic's cache")
	root := fs.String("root", "", "uninstall from this directory as if it were / and leave systemd alone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("uninstall: unexpected argument %q", fs.Arg(0))
	}
	return service.Uninstall(service.Spec{Root: *root, Out: stdout}, *purge)
}
