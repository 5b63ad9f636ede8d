package protocol

import (
	"fmt"
	"path"
	"strings"
)

// The wire rules for a restore's target_dir (DESIGN.md "Trust rules"). They
// need no filesystem, so the manager, the UI and the agent apply the same
// ones with the same words; what only the agent can see (symlinks, owners,
// modes, its state directory) the agent checks on top.

// LinuxSystemDirs are the directories no restore may write into, at or
// under: restic would overwrite the running system there.
var LinuxSystemDirs = []string{"/proc", "/sys", "/dev", "/run", "/boot", "/etc", "/bin", "/sbin", "/lib", "/lib64", "/usr"}

// pathStyle is how an absolute path is written: Linux ("/x"), a Windows
// drive ("C:\x", "C:/x") or a UNC share ("\\server\share\x").
type pathStyle int

const (
	styleRelative pathStyle = iota
	styleLinux
	styleDrive
	styleUNC
)

func styleOf(p string) pathStyle {
	switch {
	case strings.HasPrefix(p, `\\`):
		return styleUNC
	case strings.HasPrefix(p, "/"):
		return styleLinux
	case len(p) >= 3 && isLetter(p[0]) && p[1] == ':' && (p[2] == '\\' || p[2] == '/'):
		return styleDrive
	}
	return styleRelative
}

// IsAbsPath reports whether p is absolute on either agent OS: "/…" on Linux,
// "C:\…" or "C:/…" (or a UNC "\\server\share") on Windows.
func IsAbsPath(p string) bool { return styleOf(p) != styleRelative }

// IsRootPath reports whether p, once cleaned, names a filesystem root: "/",
// "/.", "/tmp/..", `C:\`, a bare UNC share.
func IsRootPath(p string) bool { return isRootClean(CleanHostPath(p)) }

// CleanHostPath cleans an absolute path of either agent OS lexically, as
// filepath.Clean does on that OS: "/./tmp/../" is "/", `C:/x/..` is `C:\`,
// `\\nas\share\a\..` is `\\nas\share`. A relative path comes back as it is.
func CleanHostPath(p string) string {
	switch styleOf(p) {
	case styleLinux:
		return path.Clean(p)
	case styleDrive:
		return p[:2] + cleanWindowsRest(p[2:])
	case styleUNC:
		parts := strings.FieldsFunc(p[2:], isSlash)
		if len(parts) <= 2 {
			return `\\` + strings.Join(parts, `\`)
		}
		rest := cleanWindowsRest(`\` + strings.Join(parts[2:], `\`))
		if rest == `\` {
			rest = ""
		}
		return `\\` + parts[0] + `\` + parts[1] + rest
	}
	return p
}

func isSlash(r rune) bool { return r == '/' || r == '\\' }

// cleanWindowsRest cleans the part of a Windows path after its volume,
// which starts with a separator.
func cleanWindowsRest(rest string) string {
	return strings.ReplaceAll(path.Clean(strings.ReplaceAll(rest, `\`, "/")), "/", `\`)
}

// isRootClean reports whether a cleaned absolute path is a filesystem
// root: "/", `C:\`, or a bare UNC share.
func isRootClean(clean string) bool {
	switch styleOf(clean) {
	case styleLinux:
		return clean == "/"
	case styleDrive:
		return len(clean) == 3
	case styleUNC:
		return len(strings.FieldsFunc(clean[2:], isSlash)) <= 2
	}
	return false
}

// systemDirOf returns the system directory a cleaned absolute path is at
// or under, or "". On Windows that is the Windows directory of any drive
// (the agent also checks its own %SystemRoot%).
func systemDirOf(clean string) string {
	switch styleOf(clean) {
	case styleLinux:
		for _, d := range LinuxSystemDirs {
			if clean == d || strings.HasPrefix(clean, d+"/") {
				return d
			}
		}
	case styleDrive:
		win := clean[:3] + "Windows"
		if strings.EqualFold(clean, win) || len(clean) > len(win) && strings.EqualFold(clean[:len(win)+1], win+`\`) {
			return win
		}
	}
	return ""
}

// ValidateRestoreTarget checks a restore's target_dir by its syntax, for a
// host of the given OS ("linux", "windows", or "" when unknown: either
// style). It is cleaned first, so a root or a system directory in disguise
// ("/.", "/tmp/..", "/usr/./lib") is seen for what it is. The error is a
// *ValidationError on restore.target_dir whose message tells the admin
// what to do; in_place (which takes no target) is the way to restore over
// the original files.
func ValidateRestoreTarget(hostOS, dir string) error {
	var v validator
	validateTargetDir(&v, hostOS, dir)
	return v.err
}

func validateTargetDir(v *validator, hostOS, dir string) {
	const f = "restore.target_dir"
	switch {
	case strings.TrimSpace(dir) == "":
		v.fail(f, "is empty: enter the folder to restore into, or restore in place")
		return
	case strings.TrimSpace(dir) != dir:
		v.fail(f, "starts or ends with a space")
		return
	case strings.ContainsRune(dir, 0):
		v.fail(f, "contains a NUL byte")
		return
	}
	v.maxLen(f, dir, MaxPathLen)
	style := styleOf(dir)
	switch hostOS {
	case "linux":
		if style != styleLinux {
			v.fail(f, "must be an absolute path on the host, starting with / (e.g. /srv/restore)")
		}
	case "windows":
		if style != styleDrive && style != styleUNC {
			v.fail(f, `must be an absolute path on the host, with a drive (e.g. D:\Restore) or \\server\share`)
		}
	default:
		if style == styleRelative {
			v.fail(f, `must be an absolute path on the host (e.g. /srv/restore or D:\Restore)`)
		}
	}
	if v.err != nil {
		return
	}
	clean := CleanHostPath(dir)
	if isRootClean(clean) {
		v.fail(f, "%s is the filesystem root%s: choose a folder, or restore in place to write over the original files",
			quoteShort(dir), cleanedAs(dir, clean))
		return
	}
	if sys := systemDirOf(clean); sys != "" {
		v.fail(f, "%s is inside the system directory %s%s: a restore there could overwrite the running system; choose another folder",
			quoteShort(dir), sys, cleanedAs(dir, clean))
	}
}

func quoteShort(s string) string { return fmt.Sprintf("%q", shorten(s)) }

// cleanedAs says what a path cleans to, when that is not what was typed.
func cleanedAs(dir, clean string) string {
	if strings.TrimRight(dir, `/\`) == strings.TrimRight(clean, `/\`) {
		return ""
	}
	return " (it cleans to " + clean + ")"
}
