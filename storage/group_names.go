package storage

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// Source group names are restic tags, and restic splits --tag at commas:
// a group "db,web" made forget --tag db,web touch the snapshots of db
// and web. Names are now held to protocol.ValidateGroupName; this
// migration renames the groups stored before that rule.

// safeGroupName turns a stored name into one the wire accepts: every
// character outside [A-Za-z0-9._-] becomes '-', characters that may not
// start a name are dropped from its start, and it is cut to 64 bytes.
func safeGroupName(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'):
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	out := strings.TrimLeft(b.String(), "._-")
	if out == "" {
		out = "group"
	}
	if len(out) > protocol.MaxGroupNameLen {
		out = out[:protocol.MaxGroupNameLen]
	}
	return out
}

// uniqueGroupName is safeGroupName(name), with "-2", "-3" … appended
// until no other group of the host has it.
func uniqueGroupName(name string, taken map[string]bool) string {
	base := safeGroupName(name)
	for n := 1; ; n++ {
		cand := base
		if n > 1 {
			suffix := "-" + strconv.Itoa(n)
			cand = base[:min(len(base), protocol.MaxGroupNameLen-len(suffix))] + suffix
		}
		if !taken[cand] {
			return cand
		}
	}
}

// migrateGroupNames renames every stored group whose name the wire refuses,
// and follows the rename everywhere the name is a reference: the host's
// schedules and the per-group health. Jobs keep the tag they ran with
// (history). Each rename is logged on its host, and the host's schedule
// version grows so the renamed set goes out.
func migrateGroupNames(tx *bolt.Tx) error {
	groups := tx.Bucket(bucketGroups)
	type rename struct{ host, from, to string }
	var renames []rename
	taken := map[string]map[string]bool{} // host → names in use
	type stored struct {
		host, name string
		g          SourceGroup
	}
	var invalid []stored
	err := groups.ForEach(func(k, _ []byte) error {
		host, name, ok := splitHostKey(k)
		if !ok {
			return fmt.Errorf("source group key %q: no host prefix", k)
		}
		var g SourceGroup
		if err := getJSON(groups, k, &g); err != nil {
			return err
		}
		if taken[host] == nil {
			taken[host] = map[string]bool{}
		}
		taken[host][name] = true
		if protocol.ValidateGroupName(name) != nil {
			invalid = append(invalid, stored{host, name, g})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, iv := range invalid {
		from := iv.name
		to := uniqueGroupName(from, taken[iv.host])
		taken[iv.host][to] = true
		g := iv.g
		g.Name = to
		if err := groups.Delete(groupKey(iv.host, from)); err != nil {
			return err
		}
		if err := putJSON(groups, groupKey(iv.host, to), g); err != nil {
			return err
		}
		renames = append(renames, rename{iv.host, from, to})
	}

	now := time.Now().UTC()
	bumped := map[string]bool{}
	for _, r := range renames {
		if err := renameInSchedules(tx, r.host, r.from, r.to); err != nil {
			return err
		}
		if err := renameInHealth(tx, r.host, r.from, r.to); err != nil {
			return err
		}
		msg := fmt.Sprintf("source group %q renamed to %q: a group name is the snapshots' restic tag, which may hold only letters, digits, '.', '_' and '-' "+
			"(restic splits tags at commas, so retention for %q could have removed other groups' snapshots). Snapshots made before keep their old tags",
			r.from, r.to, r.from)
		if err := addHostEvent(tx, r.host, HostEvent{Time: now, Kind: EventAdmin, Message: msg}); err != nil {
			return err
		}
		if !bumped[r.host] {
			bumped[r.host] = true
			if _, err := bumpVersion(tx, r.host); err != nil && !errors.Is(err, ErrNotFound) {
				return err
			}
		}
	}
	return nil
}

// splitHostKey splits hk(host) ‖ rest.
func splitHostKey(k []byte) (host, rest string, ok bool) {
	if len(k) == 0 || len(k) < 1+int(k[0]) {
		return "", "", false
	}
	n := int(k[0])
	return string(k[1 : 1+n]), string(k[1+n:]), true
}

func renameInSchedules(tx *bolt.Tx, host, from, to string) error {
	b := tx.Bucket(bucketSchedules)
	p := hk(host)
	c := b.Cursor()
	type put struct {
		k  []byte
		sc Schedule
	}
	var puts []put
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		var sc Schedule
		if err := getJSON(b, k, &sc); err != nil {
			return err
		}
		changed := false
		for i, g := range sc.Groups {
			if g == from {
				sc.Groups[i], changed = to, true
			}
		}
		if changed {
			puts = append(puts, put{bytes.Clone(k), sc})
		}
	}
	for _, p := range puts {
		if err := putJSON(b, p.k, p.sc); err != nil {
			return err
		}
	}
	return nil
}

func renameInHealth(tx *bolt.Tx, host, from, to string) error {
	b := tx.Bucket(bucketHealth)
	var h health
	if err := getJSON(b, []byte(host), &h); errors.Is(err, ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	g, ok := h.Groups[from]
	if !ok {
		return nil
	}
	delete(h.Groups, from)
	if prev, ok := h.Groups[to]; !ok || g.FinishedAt.After(prev.FinishedAt) {
		h.Groups[to] = g
	}
	return putJSON(b, []byte(host), h)
}
