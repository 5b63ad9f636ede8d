package protocol

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits both ends enforce. Strings from the network longer than these are
// refused with a ValidationError naming the field.
const (
	MaxFrameBytes        = 1 << 20   // frames over this are refused (close 1009)
	MaxIDLen             = 128       // ids, tokens, versions, hostnames
	MaxNameLen           = 256       // source-group names, tags, cron expressions
	MaxPathLen           = 4096      // one path or pattern
	MaxPathCount         = 10_000    // includes, excludes, restore paths
	MaxHookLen           = 16 << 10  // one hook command
	MaxTextLen           = 64 << 10  // error messages, changelogs
	MaxLogLineBytes      = 16 << 10  // one log.stream payload before truncation
	MaxLogLinesPerJob    = 20_000    // journaled log lines per job
	MaxLogBytesPerJob    = 8 << 20   // journaled log bytes per job
	SnapshotsReportSplit = 512 << 10 // a snapshots.report frame larger than this is split
	TreeListDefaultLimit = 1000
	TreeListMaxLimit     = 5000
	MaxGroupNameLen      = 64 // a source group name, which is also its restic tag
	// MaxSafeInteger (2^53−1) bounds every counter on the wire (seq,
	// last_acked_seq, acked_seq, schedule version, tree.list offsets): the
	// largest integer a JSON reader that decodes numbers as doubles keeps
	// exact. A counter never reaches it, so nothing ever wraps.
	MaxSafeInteger = 1<<53 - 1
)

// ValidationError names the payload field that broke a rule. Its message is
// safe to send back to the peer: it never quotes a secret.
type ValidationError struct {
	Field string
	Msg   string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Msg }

// validator collects the first failure; later checks are no-ops.
type validator struct{ err error }

func (v *validator) fail(field, format string, args ...any) {
	if v.err == nil {
		v.err = &ValidationError{Field: field, Msg: fmt.Sprintf(format, args...)}
	}
}

func (v *validator) required(field, s string) {
	if s == "" {
		v.fail(field, "is required")
	}
}

func (v *validator) maxLen(field, s string, max int) {
	if len(s) > max {
		v.fail(field, "is %d bytes, longer than the %d allowed", len(s), max)
	} else if !utf8.ValidString(s) {
		v.fail(field, "is not valid UTF-8")
	}
}

func (v *validator) str(field, s string, max int, required bool) {
	if required {
		v.required(field, s)
	}
	v.maxLen(field, s, max)
}

func (v *validator) oneOf(field, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.fail(field, "is %q, want one of %s", shorten(s), strings.Join(allowed, ", "))
}

func (v *validator) nonNegative(field string, n int) {
	if n < 0 {
		v.fail(field, "must not be negative")
	}
}

// safeUint refuses a counter above MaxSafeInteger.
func (v *validator) safeUint(field string, n uint64) {
	if n > MaxSafeInteger {
		v.fail(field, "is %d, above the largest allowed value 2^53−1 (%d)", n, uint64(MaxSafeInteger))
	}
}

// safeInt refuses an int outside 0..MaxSafeInteger.
func (v *validator) safeInt(field string, n int) {
	if n < 0 {
		v.fail(field, "must not be negative")
	} else {
		v.safeUint(field, uint64(n))
	}
}

func (v *validator) list(field string, items []string, max int) {
	if len(items) > MaxPathCount {
		v.fail(field, "has %d entries, more than the %d allowed", len(items), MaxPathCount)
		return
	}
	for i, s := range items {
		f := field + "[" + strconv.Itoa(i) + "]"
		v.required(f, s)
		v.maxLen(f, s, max)
	}
}

// groupNameRe is what a source group name may be. The name is passed to
// restic as --tag, which splits its value at commas: "db,web" would make
// forget --tag db,web touch the snapshots of db and web.
var groupNameRe = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// groupNameProblem says what is wrong with a group name, or "".
func groupNameProblem(name string) string {
	switch {
	case name == "":
		return "is required"
	case len(name) > MaxGroupNameLen:
		return fmt.Sprintf("is %d bytes, longer than the %d allowed", len(name), MaxGroupNameLen)
	case !groupNameRe.MatchString(name):
		return fmt.Sprintf("%q is not a valid group name: use letters, digits, '.', '_' and '-', starting with a letter or digit "+
			"(the name is the snapshots' restic tag, and restic splits tags at commas)", shorten(name))
	}
	return ""
}

func (v *validator) groupName(field, name string) {
	if msg := groupNameProblem(name); msg != "" {
		v.fail(field, "%s", msg)
	}
}

// ValidateGroupName checks a source group name (= the restic tag of its
// snapshots): 1 to 64 of A–Z a–z 0–9 . _ -, starting with a letter or
// digit. The error is a *ValidationError on "name".
func ValidateGroupName(name string) error {
	var v validator
	v.groupName("name", name)
	return v.err
}

var snapshotIDRe = regexp.MustCompile(`^[0-9a-f]{8,64}$`)

// snapshotID accepts restic's short (8 hex) and full (64 hex) ids, and any
// unique prefix in between.
func (v *validator) snapshotID(field, id string) {
	if id == "" {
		v.fail(field, "is required")
	} else if !snapshotIDRe.MatchString(id) {
		v.fail(field, "is not a restic snapshot id (8 to 64 lowercase hex digits)")
	}
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

var (
	subsetFractionRe = regexp.MustCompile(`^([1-9][0-9]*)/([1-9][0-9]*)$`)
	subsetPercentRe  = regexp.MustCompile(`^([0-9]+(\.[0-9]+)?)%$`)
)

// ValidateReadDataSubset checks a restic check --read-data-subset value:
// "n/t" with 1 ≤ n ≤ t, or "x%" with 0 < x ≤ 100.
func ValidateReadDataSubset(s string) error {
	if m := subsetFractionRe.FindStringSubmatch(s); m != nil {
		n, err1 := strconv.Atoi(m[1])
		t, err2 := strconv.Atoi(m[2])
		if err1 != nil || err2 != nil || n > t {
			return fmt.Errorf("%q: n/t needs 1 ≤ n ≤ t", s)
		}
		return nil
	}
	if m := subsetPercentRe.FindStringSubmatch(s); m != nil {
		x, err := strconv.ParseFloat(m[1], 64)
		if err != nil || x <= 0 || x > 100 {
			return fmt.Errorf("%q: a percentage must be above 0 and at most 100", s)
		}
		return nil
	}
	return fmt.Errorf("%q is not a read-data subset (want n/t such as 1/10, or a percentage such as 5%%)", shorten(s))
}

// TruncateText cuts s to at most max bytes, on a rune boundary, ending a
// cut text with "..." (error and notice texts: MaxTextLen).
func TruncateText(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max - 3
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

// TruncateLogLine cuts a log line to MaxLogLineBytes (on a rune boundary) and
// appends the "…[truncated N bytes]" marker the wire rules name.
func TruncateLogLine(s string) string {
	if len(s) <= MaxLogLineBytes {
		return s
	}
	cut := MaxLogLineBytes
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[truncated " + strconv.Itoa(len(s)-cut) + " bytes]"
}
