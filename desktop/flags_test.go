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

// Notification channels from the command line: webhooks repeat, ntfy's
// URL is split into server and topic, smtp:// gives the mail channel; a
// password in the smtp:// URL is refused without being repeated anywhere.
func TestNotifyFlags(t *testing.T) {
	var out bytes.Buffer
	c, err := parseFlags([]string{"--data", t.TempDir(), "--notify-webhook", "https://a.example/hook", "--notify-webhook", "https://b.example/hook",
		"--notify-ntfy", "https://ntfy.example/backups", "--notify-smtp", "smtp://bot@mail.example:2525/?from=rm@example.com&to=a@example.com,b@example.com"}, &out, &out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ch := range c.Notify {
		got = append(got, ch.Type+" "+ch.URL+" "+ch.Topic+" "+ch.SMTPHost+" "+ch.User+" "+ch.From+" "+strings.Join(ch.To, ","))
	}
	want := []string{"webhook https://a.example/hook     ", "webhook https://b.example/hook     ", "ntfy https://ntfy.example backups    ",
		"email   mail.example bot rm@example.com a@example.com,b@example.com"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("channels:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c.Notify[3].SMTPPort != 2525 || c.Notify[0].ID == c.Notify[1].ID {
		t.Errorf("port %d, ids %q %q; want 2525 and distinct ids", c.Notify[3].SMTPPort, c.Notify[0].ID, c.Notify[1].ID)
	}

	out.Reset()
	_, err = parseFlags([]string{"--data", t.TempDir(), "--notify-smtp", "smtp://bot:pa55word@mail.example/?from=rm@example.com&to=a@example.com"}, &out, &out)
	if err == nil || strings.Contains(err.Error(), "pa55word") || strings.Contains(out.String(), "pa55word") {
		t.Errorf("a password in --notify-smtp: err %v, output %q; want refused without the password", err, out.String())
	}
}
