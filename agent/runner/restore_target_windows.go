package runner

import "io/fs"

// Windows has no uid and no mode bits worth reading: who may change a
// directory is in its ACL, which this agent does not check yet. Links
// (symlinks, junctions) and %SystemRoot% are still refused.

func parentProblem(fs.FileInfo) string      { return "" }
func targetProblem(fs.FileInfo) string      { return "" }
func canCreateIn(string, fs.FileInfo) error { return nil }
