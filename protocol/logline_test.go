package protocol_test

import (
	"testing"
	"unicode/utf8"

	"restic-manager/protocol"
)

func TestCleanLogLine(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", "snapshot 4f1c3e6a saved", "snapshot 4f1c3e6a saved"},
		{"tab stays", "a\tb", "a\tb"},
		// restic prints this on cancel (FIELD-NOTES).
		{"clear line before a message", "\x1b[2Ksignal interrupt received, cleaning up", "signal interrupt received, cleaning up"},
		{"colours", "\x1b[1;31mFatal:\x1b[0m wrong password", "Fatal: wrong password"},
		{"cursor moves", "\x1b[1A\x1b[2K\x1b[G[0:01] 10.00%", "[0:01] 10.00%"},
		{"osc title with bel", "\x1b]0;restic backup\x07done", "done"},
		{"osc link with st", "see \x1b]8;;https://restic.net\x1b\\restic\x1b]8;;\x1b\\ docs", "see restic docs"},
		{"charset escape", "\x1b(Bplain", "plain"},
		{"two-byte escape", "\x1b7saved\x1b8", "saved"},
		{"carriage return overwrites", "[0:01] 10%\r[0:02] 20%\r[0:03] 100%", "[0:03] 100%"},
		{"shorter overwrite leaves the rest, as a terminal does", "processing 1000 files\rdone", "doneessing 1000 files"},
		{"clear line, then write", "[0:01] 10%\r\x1b[2K\rfinished", "finished"},
		{"erase to the end", "[0:01] 100%\r\x1b[Kdone", "done"},
		{"trailing carriage return", "line\r", "line"},
		{"bell and backspace", "a\x07b\x08c", "abc"},
		{"8-bit csi", "x\u009b2Ky", "xy"},
		{"escape at the end", "cut\x1b", "cut"},
		{"unterminated csi", "cut\x1b[12", "cut"},
		{"invalid utf-8", "caf\xe9 ok", "caf\uFFFD ok"},
		{"utf-8 kept", "Größe: 3 MiB ✓", "Größe: 3 MiB ✓"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := protocol.CleanLogLine(tc.in)
			if got != tc.want {
				t.Errorf("CleanLogLine(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("result %q is not valid UTF-8", got)
			}
			if again := protocol.CleanLogLine(got); again != got {
				t.Errorf("cleaning twice changed %q to %q", got, again)
			}
		})
	}
}

func BenchmarkCleanLogLinePlain(b *testing.B) {
	line := "Files:          12 new,     3 changed,  2985 unmodified"
	for b.Loop() {
		protocol.CleanLogLine(line)
	}
}
