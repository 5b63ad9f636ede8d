package storage

import (
	bolt "go.etcd.io/bbolt"
)

// Snapshots a forget removed stay findable by id for a while: a finished
// forget names what it removed by id only, and by the time the window
// shows it, the agent's new list (which no longer has them) may already
// have replaced the projection. When a list replaces the projection, the
// snapshots it dropped are kept here, newest forgettings first to go last.

// maxForgotten bounds the snapshots kept per host; the oldest go first.
const maxForgotten = 2000

// keepForgotten records the snapshots of the projection that the new list
// no longer has. Keys carry the ids, so only those are decoded.
func keepForgotten(tx *bolt.Tx, hostID string, list []Snapshot) error {
	kept := make(map[string]bool, len(list))
	for i := range list {
		kept[list[i].ID] = true
	}
	snaps, f := tx.Bucket(bucketSnapshots), tx.Bucket(bucketForgotten)
	p := hk(hostID)
	gone := 0
	c := snaps.Cursor()
	for k, v := c.Seek(p); k != nil && hasPrefix(k, p); k, v = c.Next() {
		if len(k) < len(p)+8 || kept[string(k[len(p)+8:])] {
			continue
		}
		if err := f.Put(cat(p, k[len(p)+8:]), append([]byte(nil), v...)); err != nil {
			return err
		}
		gone++
	}
	if gone == 0 {
		return nil
	}
	return trimForgotten(f, hostID)
}

// trimForgotten drops the oldest (by snapshot time) past maxForgotten.
func trimForgotten(b *bolt.Bucket, hostID string) error {
	p := hk(hostID)
	type entry struct {
		key []byte
		sn  Snapshot
	}
	var all []entry
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		var sn Snapshot
		if getJSON(b, k, &sn) != nil {
			continue
		}
		all = append(all, entry{append([]byte(nil), k...), sn})
	}
	if len(all) <= maxForgotten {
		return nil
	}
	for i := 1; i < len(all); i++ { // few entries past the bound: insertion sort by time
		for j := i; j > 0 && all[j].sn.Time.Before(all[j-1].sn.Time); j-- {
			all[j], all[j-1] = all[j-1], all[j]
		}
	}
	for _, e := range all[:len(all)-maxForgotten] {
		if err := b.Delete(e.key); err != nil {
			return err
		}
	}
	return nil
}

// SnapshotsByID finds snapshots of a host by full id: in the projection,
// else among those a forget removed lately. Ids not found are missing from
// the map.
func (s *Store) SnapshotsByID(hostID string, ids []string) (map[string]Snapshot, error) {
	out := map[string]Snapshot{}
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSnapshots)
		p := hk(hostID)
		c := b.Cursor()
		for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
			if len(k) < len(p)+8 || !want[string(k[len(p)+8:])] {
				continue
			}
			var sn Snapshot
			if err := getJSON(b, k, &sn); err == nil {
				out[sn.ID] = sn
			}
		}
		f := tx.Bucket(bucketForgotten)
		for id := range want {
			if _, ok := out[id]; ok {
				continue
			}
			var sn Snapshot
			if err := getJSON(f, cat(p, []byte(id)), &sn); err == nil {
				out[id] = sn
			}
		}
		return nil
	})
	return out, err
}
