package hub

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// Retention you can see before it deletes: a forget job with dry_run
// asks the agent what a policy would keep and remove (restic forget
// --dry-run), changing nothing; a real forget's stats say what it removed.
// Both name snapshots by full id, and the window shows them with their
// time and group from the snapshot list (or, for snapshots a forget has
// already removed, from what the store kept of them).

// PreviewRetention asks what policy would keep and remove of one source
// group — the group editor's unsaved policy — and returns the preview
// job's id (RetentionPreview reads the answer). An empty policy is refused:
// it would remove every snapshot of the group.
func (h *Hub) PreviewRetention(hostID, group string, policy RetentionPolicy) (string, error) {
	host, err := h.actionable(hostID)
	if err != nil {
		return "", err
	}
	if err := ValidateGroupName(group); err != nil {
		return "", fmt.Errorf("retention preview: %w", err)
	}
	if policy.IsEmpty() {
		return "", fmt.Errorf("retention preview of %q: %w: the policy keeps nothing, so it would remove every snapshot", group, ErrInvalid)
	}
	cmd := &protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindForget, DryRun: true,
		ForgetGroups: []protocol.ForgetGroup{{Tag: group, Policy: policy}}}
	return h.startJob(host, cmd, storage.OriginOperator)
}

// SnapshotRef is a snapshot as a retention list shows it.
type SnapshotRef struct {
	ID, ShortID string
	// Time is when the snapshot was taken; zero when the store no longer
	// knows the snapshot.
	Time  time.Time
	Group string
	Paths []string
}

// RetentionGroup is what one group's policy keeps and removes, newest
// first.
type RetentionGroup struct {
	Group        string
	Keep, Remove []SnapshotRef
}

// RetentionResult is a forget job read for people: a preview (DryRun) or
// what a real forget did.
type RetentionResult struct {
	JobID  string
	DryRun bool
	Status string
	Done   bool
	// Waiting says why a queued job has not run yet.
	Waiting string
	Cause   Cause
	Groups  []RetentionGroup
}

// Removed is how many snapshots the job removed (or would remove).
func (r RetentionResult) Removed() int {
	n := 0
	for _, g := range r.Groups {
		n += len(g.Remove)
	}
	return n
}

// RetentionPreview reads a forget job (a preview or a real one): per
// group, the snapshots kept and removed, with their times.
func (h *Hub) RetentionPreview(jobID string) (RetentionResult, error) {
	j, err := h.store.Job(jobID)
	if err != nil {
		return RetentionResult{}, err
	}
	if j.Kind != protocol.KindForget {
		return RetentionResult{}, fmt.Errorf("job %s: %w: a %s job keeps and removes no snapshots", jobID, ErrInvalid, j.Kind)
	}
	var cmd protocol.CommandRun
	_ = json.Unmarshal(j.Command, &cmd) // a forget a schedule started has none: a real one
	r := RetentionResult{JobID: j.ID, DryRun: cmd.DryRun, Status: j.Status, Done: j.Terminal(), Cause: CauseOf(j)}
	if j.Status == JobQueued {
		r.Waiting = h.waitingText(j)
	}
	f := FiguresOf(j).Forget
	if f == nil {
		return r, nil
	}
	var ids []string
	for _, g := range f.Groups {
		ids = append(append(ids, g.Keep...), g.Remove...)
	}
	known, err := h.store.SnapshotsByID(j.HostID, ids)
	if err != nil {
		return r, err
	}
	refs := func(group string, ids []string) []SnapshotRef {
		out := make([]SnapshotRef, 0, len(ids))
		for _, id := range ids {
			ref := SnapshotRef{ID: id, ShortID: shortSnapshotID(id), Group: group}
			if sn, ok := known[id]; ok {
				ref.Time, ref.Paths = sn.Time, sn.Paths
				if sn.ShortID != "" {
					ref.ShortID = sn.ShortID
				}
			}
			out = append(out, ref)
		}
		sort.SliceStable(out, func(a, b int) bool { return out[a].Time.After(out[b].Time) })
		return out
	}
	for _, g := range f.Groups {
		r.Groups = append(r.Groups, RetentionGroup{Group: g.Tag, Keep: refs(g.Tag, g.Keep), Remove: refs(g.Tag, g.Remove)})
	}
	return r, nil
}

func shortSnapshotID(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	return id
}
