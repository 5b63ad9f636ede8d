package journal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"

	"restic-manager/protocol"
)

// FileName is the journal's file inside the state directory.
const FileName = "journal.db"

// Bucket names, all created at open.
var (
	bucketMeta   = []byte("meta")   // key → value, see the meta keys below
	bucketOutbox = []byte("outbox") // big-endian seq → envelope bytes
	bucketJobs   = []byte("jobs")   // job id → JobState JSON (queued or running)
	bucketDone   = []byte("done")   // job id → Outcome JSON (recently finished)
	bucketFires  = []byte("fires")  // schedule id → last fire time (RFC 3339)

	allBuckets = [][]byte{bucketMeta, bucketOutbox, bucketJobs, bucketDone, bucketFires}
)

// Meta keys.
var (
	keySchema             = []byte("schema_version")
	keyAgentID            = []byte("agent_id")
	keyNextSeq            = []byte("next_seq")
	keyLastAcked          = []byte("last_acked_seq")
	keyNextQueue          = []byte("next_queue")
	keyConfig             = []byte("config")
	keySchedules          = []byte("schedules")
	keySchedulesVersion   = []byte("schedules_version")
	keySchedulesAppliedAt = []byte("schedules_applied_at")
	keyUnlockNeeded       = []byte("unlock_needed")
	keyEnrolled           = []byte("enrolled")
)

// Journal is the open journal file. It is safe for concurrent use.
type Journal struct {
	db        *bolt.DB
	path      string
	notify    chan struct{}
	agentID   string
	restarted []string
	lastAcked atomic.Uint64 // mirrors meta last_acked_seq

	closeOnce sync.Once
}

// openTimeout bounds waiting for bbolt's file lock: another agent on the
// same state directory holds it.
const openTimeout = 2 * time.Second

// Open opens (or creates) the journal in stateDir, migrates it, and closes
// out the previous life: a job found running is finished `failed` with
// protocol.ErrAgentRestarted (its job.finished journaled, exit_code -1) and
// the repository is marked for a stale-lock unlock before the next job.
// Queued jobs stay queued.
func Open(stateDir string) (*Journal, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: create state dir: %w", err)
	}
	path := filepath.Join(stateDir, FileName)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: openTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("journal %s is in use by another restic-agent (one state directory per agent)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	j := &Journal{db: db, path: path, notify: make(chan struct{}, 1)}
	if err := j.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	if err := j.closeOutPreviousLife(); err != nil {
		db.Close()
		return nil, err
	}
	return j, nil
}

// Close closes the file.
func (j *Journal) Close() error {
	var err error
	j.closeOnce.Do(func() { err = j.db.Close() })
	return err
}

// Path is the journal file.
func (j *Journal) Path() string { return j.path }

// AgentID is the agent's random id, made when the journal was created.
func (j *Journal) AgentID() string { return j.agentID }

// RestartedJobs lists the jobs Open found running and finished as failed.
func (j *Journal) RestartedJobs() []string { return append([]string(nil), j.restarted...) }

func (j *Journal) closeOutPreviousLife() error {
	return j.db.Update(func(tx *bolt.Tx) error {
		j.agentID = string(tx.Bucket(bucketMeta).Get(keyAgentID))
		j.lastAcked.Store(getU64(tx.Bucket(bucketMeta), keyLastAcked))
		states, err := jobsTx(tx)
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		for _, s := range states {
			if s.Status != protocol.StatusRunning {
				continue
			}
			fin := &protocol.JobFinished{JobID: s.Run.JobID, Status: protocol.StatusFailed, ExitCode: -1,
				FinishedAt: now, Error: protocol.ErrAgentRestarted}
			if _, err := appendTx(tx, fin); err != nil {
				return err
			}
			if err := tx.Bucket(bucketMeta).Put(keyUnlockNeeded, []byte{1}); err != nil {
				return err
			}
			j.restarted = append(j.restarted, s.Run.JobID)
		}
		return pruneDone(tx)
	})
}

func be(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func getU64(b *bolt.Bucket, key []byte) uint64 {
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func putU64(b *bolt.Bucket, key []byte, n uint64) error { return b.Put(key, be(n)) }

// UnlockNeeded reports whether the repository may hold a stale lock of a
// restic that was killed, so the next job must run `restic unlock` first.
func (j *Journal) UnlockNeeded() (bool, error) {
	var need bool
	err := j.db.View(func(tx *bolt.Tx) error {
		need = len(tx.Bucket(bucketMeta).Get(keyUnlockNeeded)) > 0
		return nil
	})
	return need, err
}

// SetUnlockNeeded records (or clears) that a stale-lock unlock is due.
func (j *Journal) SetUnlockNeeded(need bool) error {
	return j.db.Update(func(tx *bolt.Tx) error {
		if need {
			return tx.Bucket(bucketMeta).Put(keyUnlockNeeded, []byte{1})
		}
		return tx.Bucket(bucketMeta).Delete(keyUnlockNeeded)
	})
}

// Enrolled reports whether the manager has ever approved this agent (see
// SetEnrolled).
func (j *Journal) Enrolled() (bool, error) {
	var ok bool
	err := j.db.View(func(tx *bolt.Tx) error {
		ok = len(tx.Bucket(bucketMeta).Get(keyEnrolled)) > 0
		return nil
	})
	return ok, err
}

// SetEnrolled records that the manager approved this agent: from then on
// the enrollment token is never sent again, even over the tailnet, where
// the manager issues no agent token (the node is the identity).
func (j *Journal) SetEnrolled() error {
	return j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyEnrolled, []byte{1})
	})
}
