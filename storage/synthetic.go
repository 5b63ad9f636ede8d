package storage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// SyntheticHistory describes a store full of made-up history: years of a
// fleet written in seconds, for the benchmarks that measure what a big
// store costs (BenchmarkColdStart in desktop/hub). WriteSyntheticHistory
// lays it out exactly as ingest would have, summaries and indexes
// included, but writes it straight into bbolt in large sorted
// transactions instead of event by event.
type SyntheticHistory struct {
	Hosts       int
	JobsPerHost int
	// LinesPerJob is each job's log length; the newest job of the first
	// host has LongLogLines instead (when set).
	LinesPerJob  int
	LongLogLines int
	// Groups is how many source groups each host backs up.
	Groups int
	// Now is when the newest job ran; jobs are spread evenly over the
	// year before it.
	Now time.Time
}

// SyntheticStore names what a generated store holds.
type SyntheticStore struct {
	HostIDs []string
	// LongJobID is the job with LongLogLines lines.
	LongJobID string
	Jobs      int
	LogLines  int
}

// syntheticLine is a typical line of restic backup --verbose output.
const syntheticLine = "new       /home/user/documents/projects/report-000000.odt, saved in 0.012s (41.2 KiB added)"

// WriteSyntheticHistory creates the store at path (which must not exist)
// holding spec's history. Every ~10th host's latest backup failed and
// every ~20th host has a backup running, so the dashboard has something
// to show.
func WriteSyntheticHistory(path string, spec SyntheticHistory) (SyntheticStore, error) {
	var out SyntheticStore
	if _, err := os.Stat(path); err == nil {
		return out, fmt.Errorf("synthetic history: %s exists", path)
	}
	s, err := Open(path, &Options{NoSync: true})
	if err != nil {
		return out, err
	}
	// Growing the file fsyncs by default; this file is synced once at the end.
	s.db.NoGrowSync = true
	g := &generator{s: s, spec: spec, out: &out}
	err = g.run()
	if err == nil {
		err = s.db.Sync()
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(path)
	}
	return out, err
}

type generator struct {
	s    *Store
	spec SyntheticHistory
	out  *SyntheticStore
	tx   *bolt.Tx
	puts int
}

// begin opens a write transaction unless one is open.
func (g *generator) begin() error {
	if g.tx != nil {
		return nil
	}
	var err error
	if g.tx, err = g.s.db.Begin(true); err != nil {
		return err
	}
	// As ingest writes them: each job's lines only grow at its end.
	g.tx.Bucket(bucketLogs).FillPercent = 0.9
	return nil
}

// put writes in transactions of about 200,000 keys.
func (g *generator) put(bucket, k, v []byte) error {
	if err := g.begin(); err != nil {
		return err
	}
	if err := g.tx.Bucket(bucket).Put(k, v); err != nil {
		return err
	}
	if g.puts++; g.puts%200_000 == 0 {
		return g.commit()
	}
	return nil
}

func (g *generator) commit() error {
	if g.tx == nil {
		return nil
	}
	err := g.tx.Commit()
	g.tx = nil
	return err
}

func (g *generator) putJSON(bucket, k []byte, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return g.put(bucket, k, raw)
}

// syntheticID is a UUIDv7-shaped id whose order is its time's order, like
// the agents' job ids.
func syntheticID(t time.Time, n int) string {
	ms := uint64(t.UnixMilli())
	return fmt.Sprintf("%08x-%04x-7%03x-8%03x-%012x", ms>>16, ms&0xffff, (n>>12)&0xfff, n&0xfff, uint64(n))
}

func (g *generator) run() error {
	sp := g.spec
	if sp.Hosts <= 0 || sp.JobsPerHost <= 0 {
		return errors.New("synthetic history: hosts and jobs per host must be positive")
	}
	sp.Groups = max(sp.Groups, 1)
	if sp.Now.IsZero() {
		sp.Now = time.Now().UTC()
	}
	first := sp.Now.AddDate(-1, 0, 0)
	step := sp.Now.Sub(first) / time.Duration(sp.JobsPerHost)
	hosts := make([]hostRecord, sp.Hosts)
	healths := make([]health, sp.Hosts)
	for i := range hosts {
		id := syntheticID(first.Add(-time.Hour), 1_000_000+i)
		hosts[i] = hostRecord{Host: Host{ID: id, Status: HostApproved, ScheduleVersion: 1, AckedScheduleVersion: 1,
			HostInfo:  HostInfo{Hostname: fmt.Sprintf("pc%04d", i), OS: "linux", Arch: "amd64", AgentVersion: "synthetic", ResticVersion: "0.14.0", Timezone: "UTC"},
			FirstSeen: first.Add(-time.Hour), LastSeen: sp.Now}}
		healths[i].Groups = map[string]GroupHealth{}
		g.out.HostIDs = append(g.out.HostIDs, id)
	}
	// Jobs in time order (so in id order: the jobs and job_logs buckets
	// are written as appends), host by host within each step.
	line := []byte(syntheticLine)
	n := 0
	for i := 0; i < sp.JobsPerHost; i++ {
		for h := range hosts {
			host := &hosts[h]
			at := first.Add(time.Duration(i)*step + time.Duration(h)*step/time.Duration(sp.Hosts))
			n++
			j := Job{ID: syntheticID(at, n), HostID: host.ID, Kind: protocol.KindBackup, Origin: OriginSchedule, ScheduleID: "nightly",
				Tag: "group-" + strconv.Itoa(i%sp.Groups), Status: protocol.StatusSucceeded, CreatedAt: at}
			switch {
			case i%50 == 49:
				j.Kind, j.Tag = protocol.KindForget, ""
			case i%97 == 13:
				j.Kind, j.Tag = protocol.KindCheck, ""
			}
			last := i >= sp.JobsPerHost-sp.Groups
			switch {
			case last && h%20 == 7 && i == sp.JobsPerHost-1:
				j.Status = protocol.StatusRunning
			case (last && h%10 == 3) || i%37 == 5:
				j.Status = protocol.StatusFailed
			case i%211 == 17:
				j.Status = protocol.StatusCancelled
			}
			started := at
			j.StartedAt = &started
			if j.Status != protocol.StatusRunning {
				fin, code := at.Add(3*time.Minute), 0
				j.FinishedAt, j.ExitCode = &fin, &code
				if j.Status != protocol.StatusSucceeded {
					code = 1
					j.Error = "Fatal: unable to open repository: connection refused"
				} else if j.Kind == protocol.KindBackup {
					j.Stats = json.RawMessage(`{"snapshot_id":"` + fmt.Sprintf("%064x", n) + `","files_new":12,"files_changed":40,"files_unmodified":90211,"dirs_new":1,"dirs_changed":8,"data_added":4123456,"total_files_processed":90263,"total_bytes_processed":48123456789,"total_duration":92.5}`)
				}
			}
			lines := sp.LinesPerJob
			if h == 0 && i == sp.JobsPerHost-1 && sp.LongLogLines > 0 {
				lines, g.out.LongJobID = sp.LongLogLines, j.ID
			}
			if err := g.job(&j, lines, line); err != nil {
				return err
			}
			if j.Terminal() && j.Kind == protocol.KindBackup {
				healths[h].note(&j)
			}
			g.out.Jobs++
			g.out.LogLines += lines
		}
	}
	if err := g.commit(); err != nil {
		return err
	}
	// host_jobs in key order (host by host) over the same timeline: out
	// of order, every put would shift a growing node.
	for h := range hosts {
		for i := 0; i < sp.JobsPerHost; i++ {
			at := first.Add(time.Duration(i)*step + time.Duration(h)*step/time.Duration(sp.Hosts))
			if err := g.put(bucketHostJobs, historyKey(hosts[h].ID, at, syntheticID(at, i*sp.Hosts+h+1)), nil); err != nil {
				return err
			}
		}
	}
	for h := range hosts {
		if err := g.host(&hosts[h], &healths[h], sp, first); err != nil {
			return err
		}
	}
	return g.commit()
}

// job writes a job, its log, and its index entries.
func (g *generator) job(j *Job, lines int, line []byte) error {
	if err := g.putJSON(bucketJobs, []byte(j.ID), j); err != nil {
		return err
	}
	if err := g.put(bucketCreated, createdKey(j), []byte(j.HostID)); err != nil {
		return err
	}
	if j.Terminal() {
		if err := g.put(bucketFinished, finishedKey(j), []byte(j.HostID)); err != nil {
			return err
		}
	} else if err := g.put(bucketActive, cat(hk(j.HostID), []byte(j.ID)), []byte(j.Status)); err != nil {
		return err
	}
	for seq := 1; seq <= lines; seq++ {
		v := make([]byte, 9+len(line))
		copy(v, u64(uint64(j.CreatedAt.Add(time.Duration(seq)*time.Millisecond).UnixNano())))
		v[8] = 'o'
		copy(v[9:], line)
		if err := g.put(bucketLogs, logKey(j.ID, uint64(seq)), v); err != nil {
			return err
		}
	}
	if lines == 0 {
		return nil
	}
	t := logTally{lines: uint64(lines), bytes: uint64(lines * len(line))}
	return g.put(bucketLogs, logKey(j.ID, tallySeq), t.encode())
}

// host writes a host's row, summary, groups, mark, events and snapshots.
func (g *generator) host(r *hostRecord, hl *health, sp SyntheticHistory, first time.Time) error {
	if err := g.putJSON(bucketHosts, []byte(r.ID), r); err != nil {
		return err
	}
	if err := g.putJSON(bucketHealth, []byte(r.ID), hl); err != nil {
		return err
	}
	if err := g.put(bucketMarks, []byte(r.ID), u64(uint64(sp.JobsPerHost*(sp.LinesPerJob+2)))); err != nil {
		return err
	}
	for i := range sp.Groups {
		name := "group-" + strconv.Itoa(i)
		if err := g.putJSON(bucketGroups, groupKey(r.ID, name), SourceGroup{Name: name, Includes: []string{"/home/" + name}}); err != nil {
			return err
		}
	}
	for i := range 50 {
		if err := g.begin(); err != nil {
			return err
		}
		seq, err := g.tx.Bucket(bucketHostEvents).NextSequence()
		if err != nil {
			return err
		}
		at := first.Add(time.Duration(i) * 7 * 24 * time.Hour)
		if err := g.putJSON(bucketHostEvents, cat(hk(r.ID), timeKey(at), u64(seq)), HostEvent{Time: at, Kind: EventConnection, Message: "connected via tcp from 10.0.0.1:50000 (agent synthetic, restic 0.14.0)"}); err != nil {
			return err
		}
	}
	for i := range 30 {
		at := sp.Now.AddDate(0, 0, -i)
		size := uint64(48_000_000_000 + i)
		sn := Snapshot{ID: fmt.Sprintf("%064x", i+1), Time: at, Hostname: r.Hostname, Paths: []string{"/home/group-0"}, Tags: []string{"group-0"}, SizeBytes: &size}
		if err := g.putJSON(bucketSnapshots, snapshotKey(r.ID, &sn), &sn); err != nil {
			return err
		}
	}
	return nil
}
