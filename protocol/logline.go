package protocol

import (
	"strings"
	"unicode/utf8"
)

// CleanLogLine is a line as a terminal would have shown it, as plain
// text: terminal escape sequences removed (CSI such as restic's "ESC[2K"
// clear-line, OSC titles and links, two-byte escapes), a carriage return
// overwriting what came before it on the line, and the other control
// characters dropped (a tab stays). The agent cleans every line before it
// journals it; the manager may clean lines of older agents the same way.
// Invalid UTF-8 is replaced, so the line is always valid JSON text.
func CleanLogLine(s string) string {
	if isPlainLine(s) {
		return s
	}
	// line is what the terminal shows, col where the next character goes:
	// a CR moves col to 0 and what follows replaces what came before, as
	// far as it reaches; "erase in line" (ESC[K, ESC[2K) removes text.
	var line []rune
	col := 0
	put := func(r rune) {
		for col > len(line) { // after an erase, the cursor may be past the text
			line = append(line, ' ')
		}
		if col < len(line) {
			line[col] = r
		} else {
			line = append(line, r)
		}
		col++
	}
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == 0x1b: // ESC
			next := skipEscape(s, i)
			if erase, ok := eraseInLine(s[i:next]); ok {
				switch erase {
				case "", "0": // to the end of the line
					line = line[:min(col, len(line))]
				case "2": // the whole line
					line = line[:0]
				}
			}
			i = next
			continue
		case c == '\r':
			col = 0
		case c == '\t':
			put('\t')
		case c < 0x20 || c == 0x7f:
			// Other C0 controls (bell, backspace, …) carry nothing to read.
		case c < utf8.RuneSelf:
			put(rune(c))
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == 0x9b { // the 8-bit CSI
				i = skipCSI(s, i+size)
				continue
			}
			put(r) // RuneError for invalid bytes: valid text on the wire
			i += size
			continue
		}
		i++
	}
	return string(line)
}

// eraseInLine reports whether seq is CSI "erase in line" (ESC [ n K),
// with its parameter.
func eraseInLine(seq string) (string, bool) {
	p, ok := strings.CutPrefix(seq, "\x1b[")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(p, "K")
}

// isPlainLine: printable ASCII and tabs, or UTF-8 without a control
// character; the common case costs one scan and no allocation.
func isPlainLine(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.ValidString(s) && !strings.ContainsRune(s, 0x9b)
		}
	}
	return true
}

// skipEscape returns the index after the escape sequence that starts at
// s[i] (ESC).
func skipEscape(s string, i int) int {
	i++ // ESC
	if i >= len(s) {
		return i
	}
	switch s[i] {
	case '[':
		return skipCSI(s, i+1)
	case ']', 'P', '_', '^', 'X':
		// OSC, DCS, APC, PM, SOS: up to BEL or ST (ESC \).
		for j := i + 1; j < len(s); j++ {
			if s[j] == 0x07 {
				return j + 1
			}
			if s[j] == 0x1b && j+1 < len(s) && s[j+1] == '\\' {
				return j + 2
			}
		}
		return len(s)
	case '(', ')', '*', '+', '-', '.', '/', '#', '%', ' ':
		// Character-set and similar three-byte escapes.
		return min(i+2, len(s))
	}
	return i + 1 // a two-byte escape (ESC 7, ESC M, …)
}

// skipCSI returns the index after a control sequence whose parameters
// start at s[i]: parameter and intermediate bytes, then one final byte.
func skipCSI(s string, i int) int {
	for ; i < len(s); i++ {
		if c := s[i]; c >= 0x40 && c <= 0x7e {
			return i + 1
		}
	}
	return len(s)
}
