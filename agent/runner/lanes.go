package runner

import "restic-manager/protocol"

// One restic job per repository at a time (DESIGN.md), with one
// exception: a job whose restic takes only a non-exclusive lock and writes
// nothing may run beside the others. Such jobs go to the side lane, the
// rest to the main lane; each lane runs its jobs one at a time, in queue
// order. restic itself would refuse a non-exclusive lock while forget,
// prune or check hold their exclusive one, and the other way round, so
// the lanes never start those two together: the side lane waits while the
// main lane runs an exclusive job, and an exclusive job waits for the
// side lane's job to end.

type lane int

const (
	laneMain lane = iota
	laneSide
	laneCount
)

// laneOf is the lane a job kind runs in.
func laneOf(kind string) lane {
	if kind == protocol.KindFind {
		return laneSide
	}
	return laneMain
}

// exclusiveKind reports whether restic takes an exclusive lock for the
// kind (forget, prune and check, on every supported version).
func exclusiveKind(kind string) bool {
	switch kind {
	case protocol.KindForget, protocol.KindPrune, protocol.KindCheck:
		return true
	}
	return false
}

// mayStartLocked reports whether a job of kind may start in lane now,
// given what the other lane runs. r.mu is held.
func (r *Runner) mayStartLocked(l lane, kind string) bool {
	switch l {
	case laneSide:
		other := r.running[laneMain]
		return other == nil || !exclusiveKind(other.kind)
	default:
		return !exclusiveKind(kind) || r.running[laneSide] == nil
	}
}

// activeLocked returns the claimed job with this id, if any lane has it.
// r.mu is held.
func (r *Runner) activeLocked(jobID string) *activeJob {
	for _, a := range r.running {
		if a != nil && a.id == jobID {
			return a
		}
	}
	return nil
}
