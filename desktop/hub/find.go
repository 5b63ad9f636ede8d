package hub

// The Find dialog's logic: one find job per chosen host, and a results
// model that groups their matches by path, with every version of each
// (host, snapshot, size), read from the jobs' event lines as they arrive.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"restic-manager/protocol"
	"restic-manager/storage"
)

// FindVersion is one version of a found path: the file as one snapshot of
// one host holds it.
type FindVersion struct {
	HostID   string
	HostName string
	// SnapshotID is the snapshot's full id; ShortID its first 8 digits.
	SnapshotID string
	ShortID    string
	// SnapshotTime is when the snapshot was taken; zero while the
	// manager's snapshot list of the host does not have it yet.
	SnapshotTime time.Time
	Size         uint64
	Mtime        time.Time
}

// FindPath is one path found, with every version of it, newest snapshot
// first.
type FindPath struct {
	Path string
	// Type is restic's node type (file, dir, symlink, …) as the first
	// match read of the path had it.
	Type     string
	Versions []FindVersion
}

// FindHost is one host's find job.
type FindHost struct {
	HostID   string
	HostName string
	JobID    string
	// Status is the job's (queued, running, succeeded, failed,
	// cancelled); Error says why it failed.
	Status string
	Error  string
	// Matches counts the matches read so far; once the job succeeded,
	// SnapshotsSearched and TotalMatches are its stats (TotalMatches
	// counts also the matches past the agent's per-job log cap).
	Matches           int
	SnapshotsSearched int
	TotalMatches      int
	// NotKept is how many lines the agent did not keep (its per-job cap):
	// Paths lack about that many matches of this host.
	NotKept int
}

// Done reports whether the host's job has ended.
func (f FindHost) Done() bool { return protocol.IsTerminal(f.Status) }

// FindResults is what a search has found so far.
type FindResults struct {
	Pattern    string
	IgnoreCase bool
	// Hosts are the searched hosts, by name.
	Hosts []FindHost
	// Paths are the matches grouped by path, sorted by path.
	Paths []FindPath
	// Done: every host's job has ended.
	Done bool
}

// Versions counts the versions found, over every path.
func (r FindResults) Versions() int {
	n := 0
	for _, p := range r.Paths {
		n += len(p.Versions)
	}
	return n
}

// FindSearch is one search over several hosts: its jobs and the matches
// read from them so far. Its methods are safe for concurrent use; Results
// reads only what is new in the store since the last call.
type FindSearch struct {
	h          *Hub
	pattern    string
	ignoreCase bool

	mu     sync.Mutex
	jobs   []*findJob
	byPath map[string]*FindPath
	times  map[string]map[string]time.Time // host → snapshot id → time
}

type findJob struct {
	host  FindHost
	next  uint64 // the next log line to read
	stats bool   // stats read
}

// Find starts one find job per host (hostIDs; none means every approved
// host) for pattern, as restic find matches it ("*.odt",
// "/home/anna/Documents/report*"), and returns the search. A host that is
// offline gets its job when it connects. The pattern is checked as the
// agents will check it.
func (h *Hub) Find(hostIDs []string, pattern string, ignoreCase bool) (*FindSearch, error) {
	spec := &protocol.FindSpec{Pattern: pattern, IgnoreCase: ignoreCase}
	if err := (&protocol.CommandRun{JobID: "check", Kind: protocol.KindFind, Find: spec}).Validate(); err != nil {
		return nil, fmt.Errorf("find: %w: %v", ErrInvalid, err)
	}
	var hosts []storage.Host
	if len(hostIDs) == 0 {
		all, err := h.store.Hosts()
		if err != nil {
			return nil, err
		}
		for _, host := range all {
			if host.Status == storage.HostApproved {
				hosts = append(hosts, host)
			}
		}
		if len(hosts) == 0 {
			return nil, fmt.Errorf("find: %w: no approved host to search", ErrInvalid)
		}
	} else {
		seen := map[string]bool{}
		for _, id := range hostIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			host, err := h.actionable(id)
			if err != nil {
				return nil, fmt.Errorf("find: %w", err)
			}
			hosts = append(hosts, host)
		}
	}
	s := h.newFindSearch(pattern, ignoreCase)
	for _, host := range hosts {
		cmd := &protocol.CommandRun{JobID: protocol.NewID(), Kind: protocol.KindFind, Find: spec}
		id, err := h.startJob(host, cmd, storage.OriginOperator)
		if err != nil {
			s.Cancel()
			return nil, fmt.Errorf("find on %s: %w", host.DisplayName(), err)
		}
		s.jobs = append(s.jobs, &findJob{host: FindHost{HostID: host.ID, HostName: host.DisplayName(), JobID: id, Status: protocol.StatusQueued}, next: 1})
	}
	s.sortHosts()
	return s, nil
}

// OpenFind is the search of find jobs started earlier (from the job
// history): their pattern is the first job's.
func (h *Hub) OpenFind(jobIDs []string) (*FindSearch, error) {
	if len(jobIDs) == 0 {
		return nil, fmt.Errorf("open find: %w: no job", ErrInvalid)
	}
	var s *FindSearch
	for _, id := range jobIDs {
		j, err := h.store.Job(id)
		if err != nil {
			return nil, err
		}
		if j.Kind != protocol.KindFind {
			return nil, fmt.Errorf("open find: job %s: %w: it is a %s job", id, ErrInvalid, j.Kind)
		}
		if s == nil {
			var cmd protocol.CommandRun
			if err := json.Unmarshal(j.Command, &cmd); err != nil || cmd.Find == nil {
				return nil, fmt.Errorf("open find: job %s: %w: no pattern stored", id, ErrInvalid)
			}
			s = h.newFindSearch(cmd.Find.Pattern, cmd.Find.IgnoreCase)
		}
		name := j.HostID
		if host, err := h.store.Host(j.HostID); err == nil {
			name = host.DisplayName()
		}
		s.jobs = append(s.jobs, &findJob{host: FindHost{HostID: j.HostID, HostName: name, JobID: id, Status: j.Status}, next: 1})
	}
	s.sortHosts()
	return s, nil
}

func (h *Hub) newFindSearch(pattern string, ignoreCase bool) *FindSearch {
	return &FindSearch{h: h, pattern: pattern, ignoreCase: ignoreCase, byPath: map[string]*FindPath{}, times: map[string]map[string]time.Time{}}
}

func (s *FindSearch) sortHosts() {
	slices.SortStableFunc(s.jobs, func(a, b *findJob) int { return strings.Compare(a.host.HostName, b.host.HostName) })
}

// JobIDs are the search's jobs, one per host.
func (s *FindSearch) JobIDs() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.jobs))
	for i, j := range s.jobs {
		out[i] = j.host.JobID
	}
	return out
}

// Concerns reports whether a change may change the results: a job or log
// change of one of its jobs, a new snapshot list of one of its hosts (the
// versions' times), or ChangeAll.
func (s *FindSearch) Concerns(c Change) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.jobs {
		switch c.Kind {
		case ChangeAll:
			return true
		case ChangeJob, ChangeJobLog:
			if c.JobID == j.host.JobID || c.JobID == "" && c.HostID == j.host.HostID {
				return true
			}
		case ChangeSnapshots:
			if c.HostID == j.host.HostID {
				return true
			}
		}
	}
	return false
}

// Results returns what the search has found so far, after reading the
// lines and job states that arrived since the last call.
func (s *FindSearch) Results() (FindResults, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, j := range s.jobs {
		if err := s.readJob(j); err != nil {
			return FindResults{}, err
		}
	}
	s.fillTimes()
	r := FindResults{Pattern: s.pattern, IgnoreCase: s.ignoreCase, Done: true}
	for _, j := range s.jobs {
		r.Hosts = append(r.Hosts, j.host)
		r.Done = r.Done && j.host.Done()
	}
	for _, p := range s.byPath {
		c := *p
		c.Versions = slices.Clone(p.Versions)
		slices.SortStableFunc(c.Versions, func(a, b FindVersion) int {
			if c := b.SnapshotTime.Compare(a.SnapshotTime); c != 0 {
				return c
			}
			if c := strings.Compare(a.HostName, b.HostName); c != 0 {
				return c
			}
			return strings.Compare(a.SnapshotID, b.SnapshotID)
		})
		r.Paths = append(r.Paths, c)
	}
	slices.SortFunc(r.Paths, func(a, b FindPath) int { return strings.Compare(a.Path, b.Path) })
	return r, nil
}

// readJob reads a job's state and its log lines from j.next on.
func (s *FindSearch) readJob(j *findJob) error {
	job, err := s.h.store.Job(j.host.JobID)
	if errors.Is(err, ErrNotFound) {
		return nil // removed with its host
	}
	if err != nil {
		return err
	}
	j.host.Status, j.host.Error = job.Status, job.Error
	const page = 5000
	for {
		lines, err := s.h.store.JobLog(j.host.JobID, j.next, page)
		if err != nil {
			return fmt.Errorf("find results of job %s: %w", j.host.JobID, err)
		}
		for _, l := range lines {
			j.next = l.Seq + 1
			switch l.Stream {
			case protocol.StreamEvent:
				s.addMatch(j, l.Payload)
			case protocol.StreamStderr:
				if n, ok := notKeptLines(l.Payload); ok {
					j.host.NotKept += n
				}
			}
		}
		if len(lines) < page {
			break
		}
	}
	if job.Status == protocol.StatusSucceeded && !j.stats && len(job.Stats) > 0 {
		var st protocol.FindStats
		if json.Unmarshal(job.Stats, &st) == nil {
			j.host.SnapshotsSearched, j.host.TotalMatches = st.SnapshotsSearched, st.Matches
			j.stats = true
		}
	}
	return nil
}

func (s *FindSearch) addMatch(j *findJob, payload string) {
	var m protocol.FindMatch
	if err := json.Unmarshal([]byte(payload), &m); err != nil || m.Path == "" || m.SnapshotID == "" {
		return // not a match line (an older agent's, or damaged)
	}
	j.host.Matches++
	p := s.byPath[m.Path]
	if p == nil {
		p = &FindPath{Path: m.Path, Type: m.Type}
		s.byPath[m.Path] = p
	}
	short := m.SnapshotID
	if len(short) > 8 {
		short = short[:8]
	}
	p.Versions = append(p.Versions, FindVersion{HostID: j.host.HostID, HostName: j.host.HostName, SnapshotID: m.SnapshotID,
		ShortID: short, Size: m.Size, Mtime: m.Mtime})
}

// fillTimes sets the snapshot time of every version that lacks one, from
// the hosts' snapshot lists (read again only for a host with a version
// whose snapshot is not known yet).
func (s *FindSearch) fillTimes() {
	stale := map[string]bool{}
	for _, p := range s.byPath {
		for _, v := range p.Versions {
			if _, ok := s.times[v.HostID][v.SnapshotID]; !ok {
				stale[v.HostID] = true
			}
		}
	}
	for hostID := range stale {
		snaps, err := s.h.store.Snapshots(hostID)
		if err != nil {
			continue
		}
		m := map[string]time.Time{}
		for _, sn := range snaps {
			m[sn.ID] = sn.Time
		}
		s.times[hostID] = m
	}
	for _, p := range s.byPath {
		for i := range p.Versions {
			v := &p.Versions[i]
			if t, ok := s.times[v.HostID][v.SnapshotID]; ok {
				v.SnapshotTime = t
			}
		}
	}
}

// Watch calls fn with the results now and after every change that
// concerns the search, until ctx is done or every job has ended (the last
// call has Done set). fn runs on Watch's goroutine: a UI hands it to its
// own thread (fyne.Do). Watch returns when it stops.
func (s *FindSearch) Watch(ctx context.Context, fn func(FindResults, error)) {
	changes, cancel := s.h.Subscribe()
	defer cancel()
	for {
		r, err := s.Results()
		fn(r, err)
		if err != nil || r.Done {
			return
		}
		for waiting := true; waiting; {
			select {
			case <-ctx.Done():
				return
			case c, ok := <-changes:
				if !ok {
					return
				}
				waiting = !s.Concerns(c)
			}
		}
	}
}

// Cancel asks every host whose job has not ended to cancel it; an offline
// host's queued job stays queued (it ends cancelled when the agent hears
// of it). It returns the first error.
func (s *FindSearch) Cancel() error {
	var first error
	for _, id := range s.JobIDs() {
		if err := s.h.CancelJob(id); err != nil && first == nil {
			first = err
		}
	}
	return first
}
