package envflag

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func newSet() (*flag.FlagSet, *string, *int, *bool) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := fs.String("enroll-token", "", "token")
	n := fs.Int("enroll-uses", 1, "uses")
	b := fs.Bool("headless", false, "no window")
	return fs, s, n, b
}

func TestEnvironmentFillsFlagsNotGiven(t *testing.T) {
	fs, s, n, b := newSet()
	env := map[string]string{"RM_ENROLL_TOKEN": "from-env", "RM_ENROLL_USES": "5", "RM_HEADLESS": "true"}
	if err := Parse(fs, []string{"--enroll-uses", "3"}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if *s != "from-env" || *n != 3 || !*b {
		t.Fatalf("got token=%q uses=%d headless=%v; want from-env, 3 (command line wins), true", *s, *n, *b)
	}
}

func TestBadEnvironmentValueNamesTheVariable(t *testing.T) {
	fs, _, _, _ := newSet()
	err := Parse(fs, nil, func(k string) string {
		if k == "RM_ENROLL_USES" {
			return "many"
		}
		return ""
	})
	if err == nil || !strings.Contains(err.Error(), "RM_ENROLL_USES") {
		t.Fatalf("err = %v, want one naming RM_ENROLL_USES", err)
	}
}

func TestUsageListsEveryFlagWithItsVariable(t *testing.T) {
	fs, _, _, _ := newSet()
	var sb strings.Builder
	fs.SetOutput(&sb)
	Usage(fs, "usage: t")()
	for _, want := range []string{"--enroll-token", "RM_ENROLL_TOKEN", "--enroll-uses", "RM_ENROLL_USES", "--headless", "RM_HEADLESS"} {
		if !strings.Contains(sb.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, sb.String())
		}
	}
}
