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

	"restic-manager/internal/boltfile"
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
	keyDamageReport       = []byte("damage_report")
)

// Journal is the open journal file. It is safe for concurrent use.
type Journal struct {
	db        *bolt.DB
	path      string
	notify    chan struct{}
	agentID   string
	restarted []string
	damage    *Damage
	lastAcked atomic.Uint64 // mirrors meta last_acked_seq

	closeOnce sync.Once
}

// Damage says that Open found the journal file damaged and started a new
// one.
type Damage struct {
	// MovedTo is where the damaged file now is (journal.db.damaged-<time>).
	MovedTo string
	// Cause is what was wrong with it.
	Cause error
}

// Report is the notice the agent logs and sends to its host's log.
func (d *Damage) Report() string {
	return fmt.Sprintf("the agent's journal was damaged (%v) and was moved aside to %s; the agent started with an empty journal "+
		"(queued jobs and events it had not sent yet are in the damaged file) and takes its configuration and schedules from the manager again",
		d.Cause, d.MovedTo)
}

// openTimeout bounds waiting for bbolt's file lock: another agent on the
// same state directory holds it.
const openTimeout = 2 * time.Second

// errInUse is returned when another restic-agent holds the journal.
var errInUse = errors.New("in use by another restic-agent (one state directory per agent)")

// Open opens (or creates) the journal in stateDir, checks every page and
// record, migrates it, and closes out the previous life: a job found
// running is finished `failed` with protocol.ErrAgentRestarted (its
// job.finished journaled, exit_code -1) and the repository is marked for a
// stale-lock unlock before the next job. Queued jobs stay queued.
//
// A damaged file (a page that fails bbolt's check, a panic or fault while
// reading it, a record that does not decode) is moved aside as
// journal.db.damaged-<time> and a new, empty journal is created: Damage
// says so, and DamageReport keeps the notice until the manager has it.
// Nothing else (the file in use, a newer schema, a full disk) moves it.
func Open(stateDir string) (*Journal, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, fmt.Errorf("journal: create state dir: %w", err)
	}
	path := filepath.Join(stateDir, FileName)
	j, err := openFile(path)
	if err == nil || !boltfile.IsDamage(err) {
		return j, err
	}
	moved, merr := boltfile.MoveAside(path, time.Now())
	if merr != nil {
		return nil, fmt.Errorf("journal %s is damaged (%v), and %w", path, err, merr)
	}
	j, err2 := openFile(path)
	if err2 != nil {
		return nil, fmt.Errorf("journal %s was damaged (%v) and moved aside to %s, but a new one could not be created: %w", path, err, moved, err2)
	}
	j.damage = &Damage{MovedTo: moved, Cause: err}
	if err := j.setDamageReport(j.damage.Report()); err != nil {
		j.Close()
		return nil, err
	}
	return j, nil
}

func openFile(path string) (*Journal, error) {
	db, err := boltfile.Open(path, 0o600, &bolt.Options{Timeout: openTimeout})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("journal %s is %w", path, errInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("journal: open %s: %w", path, err)
	}
	j := &Journal{db: db, path: path, notify: make(chan struct{}, 1)}
	if err := boltfile.Check(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: check %s: %w", path, err)
	}
	if err := checkRecords(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("journal: check %s: %w", path, err)
	}
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

// Damage is set when Open found the journal damaged and started a new one
// (nil otherwise).
func (j *Journal) Damage() *Damage { return j.damage }

// RestartedJobs lists the jobs Open found running and finished as failed.
func (j *Journal) RestartedJobs() []string { return append([]string(nil), j.restarted...) }

func (j *Journal) closeOutPreviousLife() error {
	// Read first: a start with nothing to close out writes nothing, so an
	// agent whose disk is full still starts (and can say so).
	needed := false
	err := j.db.View(func(tx *bolt.Tx) error {
		states, err := jobsTx(tx)
		for _, s := range states {
			needed = needed || s.Status == protocol.StatusRunning
		}
		needed = needed || tx.Bucket(bucketDone).Stats().KeyN > maxDone
		j.agentID = string(tx.Bucket(bucketMeta).Get(keyAgentID))
		j.lastAcked.Store(getU64(tx.Bucket(bucketMeta), keyLastAcked))
		return err
	})
	if err != nil || !needed {
		return err
	}
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

// DamageReport is the notice of a damaged journal that the manager has
// not been told about yet ("" when none): it outlives a restart before the
// agent reconnects.
func (j *Journal) DamageReport() string {
	var r string
	_ = j.db.View(func(tx *bolt.Tx) error {
		r = string(tx.Bucket(bucketMeta).Get(keyDamageReport))
		return nil
	})
	return r
}

func (j *Journal) setDamageReport(r string) error {
	return j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Put(keyDamageReport, []byte(r)) })
}

// ClearDamageReport forgets the notice once the manager has it.
func (j *Journal) ClearDamageReport() error {
	return j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketMeta).Delete(keyDamageReport) })
}

// SetEnrolled records that the manager approved this agent: from then on
// the enrollment token is never sent again, even over the tailnet, where
// the manager issues no agent token (the node is the identity).
func (j *Journal) SetEnrolled() error {
	return j.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyEnrolled, []byte{1})
	})
}
