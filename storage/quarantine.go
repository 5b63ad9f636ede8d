package storage

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf8"

	bolt "go.etcd.io/bbolt"
)

// bucketQuarantine keeps records that did not decode, out of the way of the
// lists they would break: bucket name ‖ 0 ‖ key → QuarantinedRecord (JSON).
var bucketQuarantine = []byte("quarantine")

// decoders are the buckets whose values are documents, each with what it
// takes to read one. A record that fails here would fail every list that
// walks its bucket, so Open moves it to quarantine first.
var decoders = map[string]func([]byte) error{
	string(bucketHosts):          decodeAs[hostRecord],
	string(bucketEnrollToks):     decodeAs[EnrollToken],
	string(bucketGroups):         decodeAs[SourceGroup],
	string(bucketSchedules):      decodeAs[Schedule],
	string(bucketMaint):          decodeAs[Maintenance],
	string(bucketJobs):           decodeAs[Job],
	string(bucketSnapshots):      decodeAs[Snapshot],
	string(bucketRepoStats):      decodeAs[RepoStats],
	string(bucketRepoSizes):      decodeAs[RepoSizePoint],
	string(bucketHostEvents):     decodeAs[HostEvent],
	string(bucketFires):          decodeAs[Fire],
	string(bucketHealth):         decodeAs[health],
	string(bucketNotifyChannels): decodeAs[NotifyChannel],
	string(bucketNotifyState):    decodeAs[NotifyCondition],
	string(bucketNotifyOutbox):   decodeAs[OutboxEntry],
	string(bucketMarks): func(v []byte) error {
		if len(v) != 8 {
			return fmt.Errorf("a mark is 8 bytes, not %d", len(v))
		}
		return nil
	},
	string(bucketLogs): func(v []byte) error {
		_, err := decodeLine(0, v)
		return err
	},
}

func decodeAs[T any](raw []byte) error {
	var v T
	return json.Unmarshal(raw, &v)
}

// BadRecord is a stored record that did not decode and was moved to
// quarantine, so the rest of the store loads.
type BadRecord struct {
	Bucket string
	Key    []byte
	Reason string
	// HostID is the host the record belongs to, when its key says.
	HostID string
}

// What names the record for a person: "host 0193…", "schedule nightly of
// host 0193…".
func (b BadRecord) What() string {
	switch b.Bucket {
	case string(bucketHosts):
		return "host " + b.HostID
	case string(bucketMaint), string(bucketRepoStats), string(bucketHealth), string(bucketMarks):
		return fmt.Sprintf("the %s record of host %s", b.Bucket, b.HostID)
	case string(bucketJobs):
		return "job " + printable(b.Key)
	case string(bucketGroups), string(bucketSchedules):
		rest := b.Key[min(len(b.Key), 1+len(b.HostID)):]
		return fmt.Sprintf("%s %s of host %s", singular[b.Bucket], printable(rest), b.HostID)
	}
	if b.HostID != "" {
		return fmt.Sprintf("a %s record of host %s", b.Bucket, b.HostID)
	}
	return fmt.Sprintf("a %s record (key %s)", b.Bucket, printable(b.Key))
}

var singular = map[string]string{string(bucketGroups): "source group", string(bucketSchedules): "schedule"}

func (b BadRecord) String() string { return b.What() + ": " + b.Reason }

func printable(k []byte) string {
	if utf8.Valid(k) {
		return fmt.Sprintf("%q", k)
	}
	return hex.EncodeToString(k)
}

// hostOfKey reads the host id a key of bucket carries: the whole key of a
// bucket keyed by host id, the length-prefixed head of an hk(host) key.
func hostOfKey(bucket string, k []byte) string {
	switch bucket {
	case string(bucketHosts), string(bucketMaint), string(bucketRepoStats), string(bucketHealth), string(bucketMarks):
		return string(k)
	case string(bucketGroups), string(bucketSchedules), string(bucketSnapshots), string(bucketRepoSizes),
		string(bucketHostEvents), string(bucketFires):
		if len(k) > 0 && int(k[0]) < len(k) {
			return string(k[1 : 1+int(k[0])])
		}
	}
	return ""
}

// QuarantinedRecord is a record kept in quarantine, as it was found.
type QuarantinedRecord struct {
	Bucket string    `json:"bucket"`
	Key    []byte    `json:"key"`
	Value  []byte    `json:"value"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

func quarantineKey(bucket string, k []byte) []byte { return cat([]byte(bucket), []byte{0}, k) }

func putQuarantined(tx *bolt.Tx, bucket string, k, v []byte, reason string, now time.Time) error {
	q, err := tx.CreateBucketIfNotExists(bucketQuarantine) // a salvage writes before the buckets are made
	if err != nil {
		return err
	}
	return putJSON(q, quarantineKey(bucket, k), QuarantinedRecord{Bucket: bucket, Key: k, Value: v, Reason: reason, At: now})
}

// checkRecords decodes every record of the document buckets and moves the
// ones that fail to quarantine. It runs at Open, before the migrations
// (which read records too); the write transaction happens only when there
// is something to move.
func (s *Store) checkRecords(now time.Time) ([]BadRecord, error) {
	var bad []BadRecord
	var values [][]byte
	err := s.db.View(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			decode := decoders[string(name)]
			b := tx.Bucket(name)
			if decode == nil || b == nil {
				continue
			}
			err := b.ForEach(func(k, v []byte) error {
				if v == nil {
					return nil
				}
				if err := decode(v); err != nil {
					bad = append(bad, BadRecord{Bucket: string(name), Key: bytes.Clone(k), Reason: err.Error(), HostID: hostOfKey(string(name), k)})
					values = append(values, bytes.Clone(v))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || len(bad) == 0 {
		return nil, err
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		for i, r := range bad {
			if err := putQuarantined(tx, r.Bucket, r.Key, values[i], r.Reason, now); err != nil {
				return err
			}
			if err := tx.Bucket([]byte(r.Bucket)).Delete(r.Key); err != nil {
				return err
			}
		}
		return nil
	})
	return bad, err
}

// Quarantined lists the records Open (or CheckDeferred, for a large
// store) moved to quarantine because they did not decode, this start
// only. The manager reports them.
func (s *Store) Quarantined() []BadRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]BadRecord(nil), s.quarantined...)
}
