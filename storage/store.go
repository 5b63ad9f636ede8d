package storage

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterr "go.etcd.io/bbolt/errors"

	"restic-manager/internal/boltfile"
	"restic-manager/internal/boltmigrate"
)

// FileName is the store's file name inside the manager's data directory.
const FileName = "manager.db"

// Bucket names. Every bucket is created at open, in one transaction, so no
// code path has to ask whether one exists.
var (
	bucketMeta        = []byte("meta")            // schema version, global settings
	bucketHosts       = []byte("hosts")           // host id → Host (JSON)
	bucketHostTokens  = []byte("host_tokens")     // sha256(agent token) → host id
	bucketHostNodes   = []byte("host_nodes")      // tailnet stable node id → host id
	bucketEnrollToks  = []byte("enroll_tokens")   // sha256(enroll token) → EnrollToken (JSON)
	bucketEnrollments = []byte("enrollments")     // sha256(enroll token) ‖ agent id → host id
	bucketGroups      = []byte("source_groups")   // hk(host) ‖ name → SourceGroup (JSON)
	bucketSchedules   = []byte("schedules")       // hk(host) ‖ schedule id → Schedule (JSON)
	bucketMaint       = []byte("maintenance")     // host id → Maintenance (JSON)
	bucketJobs        = []byte("jobs")            // job id → Job (JSON)
	bucketHostJobs    = []byte("host_jobs")       // hk(host) ‖ created (BE ns) ‖ job id → nil: history, walks in time order
	bucketActive      = []byte("active_jobs")     // hk(host) ‖ job id → status: jobs not yet terminal
	bucketUndelivered = []byte("undelivered")     // hk(host) ‖ job id → nil: command.run sent, no command.result yet
	bucketLogs        = []byte("job_logs")        // jk(job) ‖ line seq (BE) → encoded LogLine; seq 2^64−1 holds the job's logTally
	bucketSnapshots   = []byte("snapshots")       // hk(host) ‖ time (BE ns) ‖ snapshot id → Snapshot (JSON)
	bucketRepoStats   = []byte("repo_stats")      // host id → RepoStats (JSON)
	bucketRepoSizes   = []byte("repo_sizes")      // hk(host) ‖ time (BE ns) → RepoSizePoint (JSON)
	bucketMarks       = []byte("marks")           // host id → high-water mark (BE uint64)
	bucketHostEvents  = []byte("host_events")     // hk(host) ‖ time (BE ns) ‖ seq (BE) → HostEvent (JSON)
	bucketFires       = []byte("fires")           // hk(host) ‖ scheduled_at (BE ns) ‖ seq (BE) → Fire (JSON)
	bucketHealth      = []byte("health")          // host id → health (JSON): last success, per-group last status
	bucketBackupSizes = []byte("backup_sizes")    // hk(host) ‖ snapshot id (short or full, as the summary said) → backupSize (JSON)
	bucketForgotten   = []byte("forgotten")       // hk(host) ‖ snapshot id → Snapshot (JSON) a newer list no longer has
	bucketFinished    = []byte("finished_jobs")   // log class ‖ finished (BE ns) ‖ job id → host id: logs in the order they expire
	bucketRemoved     = []byte("removed_hosts")   // host id → removed at (BE ns): history still being removed
	bucketCreated     = []byte("jobs_by_created") // created (BE ns) ‖ job id → host id: every host's jobs in time order

	allBuckets = [][]byte{
		bucketMeta, bucketHosts, bucketHostTokens, bucketHostNodes, bucketEnrollToks,
		bucketEnrollments, bucketGroups, bucketSchedules, bucketMaint, bucketJobs,
		bucketHostJobs, bucketActive, bucketUndelivered, bucketLogs, bucketSnapshots,
		bucketRepoStats, bucketRepoSizes, bucketMarks, bucketHostEvents, bucketFires,
		bucketHealth, bucketQuarantine, bucketBackupSizes, bucketForgotten, bucketFinished, bucketRemoved, bucketCreated,
		bucketNotifyChannels, bucketNotifyState, bucketNotifyOutbox,
	}

	keySchemaVersion  = []byte("schema_version")
	keySchedulesPause = []byte("schedules_paused_all")
)

// Errors callers compare with errors.Is.
var (
	ErrNotFound = errors.New("not found")
	// ErrNewerDatabase: the file was written by a newer restic-manager.
	ErrNewerDatabase = errors.New("database is newer than this restic-manager")
	// ErrLocked: another process holds the file.
	ErrLocked = errors.New("database is in use by another process")
	// ErrDamaged is wrapped by *DamagedError.
	ErrDamaged = errors.New("database file is damaged")
)

// DamagedError reports a store file that failed to open, failed its page
// check, or panicked bbolt. The file was moved aside to MovedTo (never
// overwritten) and every record still readable was copied into a new file
// at Path: opening Path again opens that salvaged store. Its message is
// meant for the UI as is.
type DamagedError struct {
	Path    string
	MovedTo string
	Cause   error
	// Kept counts the records copied, per bucket.
	Kept map[string]int
	// Unreadable says which buckets (or parts of them) could not be read.
	Unreadable []string
	// Quarantined are records that were read but did not decode; they are
	// in the new file's quarantine, not in their buckets.
	Quarantined []BadRecord
	// SalvageErr is set when writing the new file failed; what was written
	// before it is in the new file.
	SalvageErr error
}

func (e *DamagedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the database %s was damaged (%v); it was moved aside to %s", e.Path, e.Cause, e.MovedTo)
	if e.Kept == nil {
		b.WriteString(". Restore a backup of the file, or re-enroll the hosts")
		return b.String()
	}
	fmt.Fprintf(&b, ", and what could still be read was copied into a new database: %s", e.salvageSummary())
	if len(e.Unreadable) > 0 {
		fmt.Fprintf(&b, ". Could not be read: %s", strings.Join(e.Unreadable, "; "))
	}
	if len(e.Quarantined) > 0 {
		what := make([]string, len(e.Quarantined))
		for i, q := range e.Quarantined {
			what[i] = q.String()
		}
		fmt.Fprintf(&b, ". Read but not understood, kept in quarantine: %s", strings.Join(what, "; "))
	}
	if e.SalvageErr != nil {
		fmt.Fprintf(&b, ". Writing the new database failed part-way (%v)", e.SalvageErr)
	}
	if len(e.Unreadable) > 0 || len(e.Quarantined) > 0 || e.SalvageErr != nil {
		b.WriteString(". Hosts that were lost must enroll again; agents that kept their enrollment token do so by themselves")
	}
	return b.String()
}

func (e *DamagedError) Unwrap() []error { return []error{ErrDamaged, e.Cause} }

// Options tune Open. The zero value is right for production.
type Options struct {
	// NoSync skips fsync (benchmark baselines and tests only; a crash may
	// lose the last commits).
	NoSync bool
	// SkipCheck skips the page consistency check. The check reads the
	// whole file once: before Open returns for a file up to
	// CheckAtOpenMax, in CheckDeferred for a larger one.
	SkipCheck bool
	// LockTimeout bounds the wait for another process's file lock
	// (default 2 s).
	LockTimeout time.Duration
	// Now stamps the damaged file's new name (default time.Now).
	Now func() time.Time

	// checkAtOpenMax replaces CheckAtOpenMax (tests).
	checkAtOpenMax int64
	// compactMinSize replaces CompactMinSize (tests); compactHook is
	// called after each key the compaction copies (tests: a failure or a
	// kill half way).
	compactMinSize int64
	compactHook    func(copied int) error
}

// Store is the open database. Its methods are safe for concurrent use;
// bbolt serialises writers.
type Store struct {
	db    *bolt.DB
	path  string
	notes *rejectionNotes // rejections already logged on their hosts (ApplyBatch)
	// quarantined are the records Open or CheckDeferred moved to
	// quarantine (under mu).
	mu          sync.Mutex
	quarantined []BadRecord
	// compaction is what Open's compaction did (nil: it did not run).
	compaction *CompactionReport
	// checkPending: Open left the page check to CheckDeferred.
	checkPending atomic.Bool
	// sweepSlot hands a sweep's deletes to the next ApplyBatch.
	sweepSlot sweepSlot
}

// OpenDir opens (or creates) FileName inside dir, creating dir (0700) if
// needed.
func OpenDir(dir string, opts *Options) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	return Open(filepath.Join(dir, FileName), opts)
}

// Open opens (or creates, mode 0600) the store at path, checks every page
// and record (a file over CheckAtOpenMax later, in CheckDeferred), applies
// pending migrations in one transaction, and compacts a file that is
// mostly free space (compact.go). A database newer than this code is
// refused (ErrNewerDatabase). A damaged file is moved aside, what is still
// readable is salvaged into a new file at path, and the outcome is
// reported as *DamagedError (open path again to use the salvaged store). A
// record that does not decode is moved to quarantine and listed by
// Quarantined; the rest loads.
func Open(path string, opts *Options) (*Store, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.LockTimeout == 0 {
		o.LockTimeout = 2 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	db, err := boltfile.Open(path, 0o600, boltOptions(&o))
	if err != nil {
		if errors.Is(err, bolterr.ErrTimeout) {
			return nil, fmt.Errorf("open %s: %w", path, ErrLocked)
		}
		if boltfile.IsDamage(err) {
			return nil, salvage(path, err, o.Now())
		}
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s := &Store{db: db, path: path, notes: newRejectionNotes()}
	switch {
	case o.SkipCheck:
	case checkAtOpen(path, &o):
		cerr := boltfile.Check(db)
		if cerr != nil {
			_ = db.Close()
			cerr = salvage(path, cerr, o.Now())
		}
		if err := clearCheckMark(path); err != nil && cerr == nil {
			_ = db.Close()
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		if cerr != nil {
			return nil, cerr
		}
		if s.quarantined, err = s.checkRecords(o.Now().UTC()); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("open %s: quarantine undecodable records: %w", path, err)
		}
	default:
		s.checkPending.Store(true) // CheckDeferred
	}
	if err := s.migrate(migrations); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.compactIfWasteful(&o); err != nil {
		return nil, err // the file is closed
	}
	return s, nil
}

// boltOptions are the bbolt options Open (and compaction's reopen) use.
func boltOptions(o *Options) *bolt.Options {
	return &bolt.Options{Timeout: o.LockTimeout, NoSync: o.NoSync, FreelistType: bolt.FreelistMapType}
}

// Close closes the file. Pending transactions finish first.
func (s *Store) Close() error { return s.db.Close() }

// Path is the file's path.
func (s *Store) Path() string { return s.path }

// Revision counts the write transactions committed to the file so far. It
// only grows; a refusal that must write nothing leaves it as it was.
func (s *Store) Revision() (uint64, error) {
	var id uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		id = uint64(tx.ID())
		return nil
	})
	return id, err
}

// SchemaVersion is the schema version the file is at.
func (s *Store) SchemaVersion() (int, error) {
	var v int
	err := s.db.View(func(tx *bolt.Tx) error {
		v = int(boltmigrate.Read(tx, bucketMeta, keySchemaVersion))
		return nil
	})
	return v, err
}

// --- keys and encoding helpers ---

// hk is a length-prefixed host id: a prefix no other host id can extend.
func hk(hostID string) []byte {
	b := make([]byte, 0, 1+len(hostID)+24)
	b = append(b, byte(len(hostID)))
	return append(b, hostID...)
}

// jk is a length-prefixed job id.
func jk(jobID string) []byte { return hk(jobID) }

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

func getU64(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}

// timeKey orders times before 1970 first too (offset binary of unix ns).
func timeKey(t time.Time) []byte {
	return u64(uint64(t.UnixNano()) ^ (1 << 63))
}

func cat(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	return b.Put(key, raw)
}

// getJSON decodes the value at key into v (json.Unmarshal copies, so v is
// safe after the transaction). It returns ErrNotFound when the key is absent.
func getJSON(b *bolt.Bucket, key []byte, v any) error {
	raw := b.Get(key)
	if raw == nil {
		return ErrNotFound
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("decode the value of %q: %w", key, err)
	}
	return nil
}

// deletePrefix removes every key that starts with prefix.
func deletePrefix(b *bolt.Bucket, prefix []byte) error {
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, _ = c.Seek(prefix) {
		if err := c.Delete(); err != nil {
			return err
		}
	}
	return nil
}

func hasPrefix(k, p []byte) bool { return len(k) >= len(p) && string(k[:len(p)]) == string(p) }
