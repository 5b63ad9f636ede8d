// Package envflag lets both programs take every flag from the environment
// too: a flag not given on the command line is read from RM_<NAME>, with the
// name upper-cased and dashes turned into underscores (--enroll-token →
// RM_ENROLL_TOKEN). The command line wins over the environment.
//
// Standard library only; imported by the two mains.
package envflag

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// Prefix is prepended to every variable name.
const Prefix = "RM_"

// VarName returns the environment variable that sets flag name.
func VarName(name string) string {
	return Prefix + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// Parse parses args into fs, then fills every flag not given on the command
// line from its environment variable (looked up through getenv, os.Getenv
// when nil). A bad value in the environment is an error naming the variable.
func Parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	if getenv == nil {
		getenv = os.Getenv
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if err != nil || given[f.Name] {
			return
		}
		if v := getenv(VarName(f.Name)); v != "" {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("%s=%q: %w", VarName(f.Name), v, e)
			}
		}
	})
	return err
}

// Usage returns a flag.Usage function that lists every flag with its
// environment variable, under a one-line synopsis.
func Usage(fs *flag.FlagSet, synopsis string) func() {
	return func() {
		out := fs.Output()
		fmt.Fprintf(out, "%s\n\nFlags (each also read from the environment variable shown):\n", synopsis)
		fs.VisitAll(func(f *flag.Flag) {
			name, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(out, "  --%s %s\t[%s]\n    \t%s", f.Name, name, VarName(f.Name), usage)
			if f.DefValue != "" && f.DefValue != "false" {
				fmt.Fprintf(out, " (default %q)", f.DefValue)
			}
			fmt.Fprintln(out)
		})
	}
}
