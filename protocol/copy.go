package protocol

// CopyStats is a copy job's job.finished.stats.
type CopyStats struct {
	// SnapshotsCopied counts the snapshots this run copied; those the
	// second repository already had are not counted.
	SnapshotsCopied int `json:"snapshots_copied"`
	// Initialized: the second repository did not exist and this run
	// created it (with the primary's chunker parameters).
	Initialized bool `json:"initialized,omitempty"`
}
