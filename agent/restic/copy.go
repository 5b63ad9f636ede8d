package restic

import "regexp"

// CopyArgs is `copy`: every snapshot of the source repository (Cmd.From)
// that the destination (Cmd.Repo) does not have yet; restic skips those it
// copied before. Text output in every version.
func CopyArgs(limitUploadKiB, limitDownloadKiB int) []string {
	return appendLimits([]string{"copy"}, limitUploadKiB, limitDownloadKiB)
}

// InitCopyArgs is `init --copy-chunker-params`: a new repository (Cmd.Repo)
// that chunks files as the source (Cmd.From) does, so copied data
// deduplicates with what later backups add.
func InitCopyArgs() []string { return []string{"init", "--copy-chunker-params"} }

// CatConfigArgs is `cat config --no-lock`: the cheapest look at whether a
// repository exists and opens with the password, on every version.
func CatConfigArgs() []string { return []string{"cat", "config", "--no-lock"} }

// copiedRe is copy's line for each snapshot it wrote: "snapshot 5a52a8f2
// saved" (0.14–0.17), "snapshot d1499bb1 saved, copied from source snapshot
// 9456f353" (0.18+). Skipped snapshots print "skipping source snapshot …".
var copiedRe = regexp.MustCompile(`^snapshot [0-9a-f]{8,64} saved\b`)

// IsCopiedLine reports whether a line of copy's output says a snapshot was
// copied.
func IsCopiedLine(line []byte) bool { return copiedRe.Match(line) }
