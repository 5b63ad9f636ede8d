package storage

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"restic-manager/protocol"
)

// SourceGroup is a named set of paths of one host, backed up together;
// its name is the snapshots' tag.
type SourceGroup struct {
	Name                string                   `json:"name"`
	Includes            []string                 `json:"includes"`
	Excludes            []string                 `json:"excludes,omitempty"`
	Retention           protocol.RetentionPolicy `json:"retention"`
	RetryMax            int                      `json:"retry_max"`
	RetryBackoffSeconds int                      `json:"retry_backoff_seconds"`
	PreHook             string                   `json:"pre_hook,omitempty"`
	PostHook            string                   `json:"post_hook,omitempty"`
}

// Wire is the group as schedule.set carries it.
func (g SourceGroup) Wire() protocol.SourceGroup {
	inc := append([]string{}, g.Includes...)
	exc := append([]string{}, g.Excludes...)
	return protocol.SourceGroup{Name: g.Name, Includes: inc, Excludes: exc, RetentionPolicy: g.Retention,
		RetryMax: g.RetryMax, RetryBackoffSeconds: g.RetryBackoffSeconds, PreHook: g.PreHook, PostHook: g.PostHook}
}

// Schedule is one cron entry of a host and the source groups (by name)
// each fire backs up.
type Schedule struct {
	ID       string   `json:"id"`
	CronExpr string   `json:"cron_expr"`
	Enabled  bool     `json:"enabled"`
	Groups   []string `json:"groups"`
}

// Maintenance is a host's prune, check and copy plan.
type Maintenance struct {
	PruneCron           string `json:"prune_cron,omitempty"`
	CheckCron           string `json:"check_cron,omitempty"`
	CheckReadDataSubset string `json:"check_read_data_subset,omitempty"`
	// CopyCron copies the repository into the host's second repository.
	CopyCron string `json:"copy_cron,omitempty"`
}

// IsEmpty reports whether no maintenance job is scheduled.
func (m Maintenance) IsEmpty() bool {
	return m.PruneCron == "" && m.CheckCron == "" && m.CopyCron == ""
}

// ErrInUse: a source group that a schedule still names.
var ErrInUse = errors.New("in use")

// ErrInvalid wraps every refusal of a malformed group or schedule.
var ErrInvalid = errors.New("invalid")

func groupKey(hostID, name string) []byte { return cat(hk(hostID), []byte(name)) }

// SourceGroups lists a host's groups by name.
func (s *Store) SourceGroups(hostID string) ([]SourceGroup, error) {
	var out []SourceGroup
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = listGroups(tx, hostID)
		return err
	})
	return out, err
}

func listGroups(tx *bolt.Tx, hostID string) ([]SourceGroup, error) {
	var out []SourceGroup
	b := tx.Bucket(bucketGroups)
	p := hk(hostID)
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		var g SourceGroup
		if err := getJSON(b, k, &g); err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// PutSourceGroup creates or replaces a group and bumps the host's schedule
// version. It returns the new version.
func (s *Store) PutSourceGroup(hostID string, g SourceGroup) (uint64, error) {
	if err := checkGroup(g); err != nil {
		return 0, err
	}
	var v uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := loadHost(tx, hostID); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bucketGroups), groupKey(hostID, g.Name), g); err != nil {
			return err
		}
		r, err := bumpVersion(tx, hostID)
		v = r.ScheduleVersion
		return err
	})
	return v, err
}

func checkGroup(g SourceGroup) error {
	var v []string
	var ve *protocol.ValidationError
	if err := protocol.ValidateGroupName(g.Name); errors.As(err, &ve) {
		v = append(v, ve.Field+": "+ve.Msg)
	}
	if len(g.Includes) == 0 {
		v = append(v, "includes: a group backs up at least one path")
	}
	for i, p := range g.Includes {
		if strings.TrimSpace(p) == "" {
			v = append(v, fmt.Sprintf("includes[%d]: is empty", i))
		}
	}
	for i, p := range g.Excludes {
		if strings.TrimSpace(p) == "" {
			v = append(v, fmt.Sprintf("excludes[%d]: is empty", i))
		}
	}
	if g.RetryMax < 0 || g.RetryBackoffSeconds < 0 {
		v = append(v, "retry_max/retry_backoff_seconds: must not be negative")
	}
	r := g.Retention
	if r.KeepLast < 0 || r.KeepHourly < 0 || r.KeepDaily < 0 || r.KeepWeekly < 0 || r.KeepMonthly < 0 || r.KeepYearly < 0 {
		v = append(v, "retention: keep-* counts must not be negative")
	}
	if len(v) > 0 {
		return fmt.Errorf("source group %q: %w: %s", g.Name, ErrInvalid, strings.Join(v, "; "))
	}
	return nil
}

// DeleteSourceGroup removes a group no schedule names.
func (s *Store) DeleteSourceGroup(hostID, name string) (uint64, error) {
	var v uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketGroups)
		if b.Get(groupKey(hostID, name)) == nil {
			return fmt.Errorf("source group %q: %w", name, ErrNotFound)
		}
		scheds, err := listSchedules(tx, hostID)
		if err != nil {
			return err
		}
		for _, sc := range scheds {
			for _, g := range sc.Groups {
				if g == name {
					return fmt.Errorf("source group %q: %w by schedule %q (%s); remove it there first", name, ErrInUse, sc.ID, sc.CronExpr)
				}
			}
		}
		if err := b.Delete(groupKey(hostID, name)); err != nil {
			return err
		}
		r, err := bumpVersion(tx, hostID)
		v = r.ScheduleVersion
		return err
	})
	return v, err
}

// Schedules lists a host's schedules by id.
func (s *Store) Schedules(hostID string) ([]Schedule, error) {
	var out []Schedule
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		out, err = listSchedules(tx, hostID)
		return err
	})
	return out, err
}

func listSchedules(tx *bolt.Tx, hostID string) ([]Schedule, error) {
	var out []Schedule
	b := tx.Bucket(bucketSchedules)
	p := hk(hostID)
	c := b.Cursor()
	for k, _ := c.Seek(p); k != nil && hasPrefix(k, p); k, _ = c.Next() {
		var sc Schedule
		if err := getJSON(b, k, &sc); err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

// PutSchedule creates (empty ID: one is assigned) or replaces a schedule.
// Every group it names must exist; a schedule with no group is refused.
// The cron expression is checked by the caller (desktop/hub). It returns
// the stored schedule and the host's new schedule version.
func (s *Store) PutSchedule(hostID string, sc Schedule) (Schedule, uint64, error) {
	if len(sc.Groups) == 0 {
		return sc, 0, fmt.Errorf("schedule: %w: groups: a schedule backs up at least one source group", ErrInvalid)
	}
	if strings.TrimSpace(sc.CronExpr) == "" {
		return sc, 0, fmt.Errorf("schedule: %w: cron_expr: is required", ErrInvalid)
	}
	if sc.ID == "" {
		sc.ID = protocol.NewID()
	}
	if strings.HasPrefix(sc.ID, "maintenance:") {
		return sc, 0, fmt.Errorf("schedule: %w: id: the maintenance: prefix is reserved", ErrInvalid)
	}
	seen := map[string]bool{}
	for _, g := range sc.Groups {
		if seen[g] {
			return sc, 0, fmt.Errorf("schedule: %w: groups: %q is listed twice", ErrInvalid, g)
		}
		seen[g] = true
	}
	var v uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := loadHost(tx, hostID); err != nil {
			return err
		}
		for _, g := range sc.Groups {
			if tx.Bucket(bucketGroups).Get(groupKey(hostID, g)) == nil {
				return fmt.Errorf("schedule: %w: groups: source group %q does not exist on this host", ErrInvalid, g)
			}
		}
		if err := putJSON(tx.Bucket(bucketSchedules), cat(hk(hostID), []byte(sc.ID)), sc); err != nil {
			return err
		}
		r, err := bumpVersion(tx, hostID)
		v = r.ScheduleVersion
		return err
	})
	return sc, v, err
}

// DeleteSchedule removes a schedule.
func (s *Store) DeleteSchedule(hostID, id string) (uint64, error) {
	var v uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSchedules)
		k := cat(hk(hostID), []byte(id))
		if b.Get(k) == nil {
			return fmt.Errorf("schedule %q: %w", id, ErrNotFound)
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		r, err := bumpVersion(tx, hostID)
		v = r.ScheduleVersion
		return err
	})
	return v, err
}

// Maintenance returns a host's maintenance plan (zero when none is set).
func (s *Store) Maintenance(hostID string) (Maintenance, error) {
	var m Maintenance
	err := s.db.View(func(tx *bolt.Tx) error {
		err := getJSON(tx.Bucket(bucketMaint), []byte(hostID), &m)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		return err
	})
	return m, err
}

// SetMaintenance replaces a host's maintenance plan (cron expressions are
// checked by the caller) and bumps its schedule version.
func (s *Store) SetMaintenance(hostID string, m Maintenance) (uint64, error) {
	if m.CheckReadDataSubset != "" {
		if err := protocol.ValidateReadDataSubset(m.CheckReadDataSubset); err != nil {
			return 0, fmt.Errorf("maintenance: %w: check_read_data_subset: %v", ErrInvalid, err)
		}
	}
	var v uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		if _, err := loadHost(tx, hostID); err != nil {
			return err
		}
		if err := putJSON(tx.Bucket(bucketMaint), []byte(hostID), m); err != nil {
			return err
		}
		r, err := bumpVersion(tx, hostID)
		v = r.ScheduleVersion
		return err
	})
	return v, err
}

// SetHostSchedulesPaused pauses or resumes one host's schedules (their
// enabled flags are kept) and bumps its schedule version.
func (s *Store) SetHostSchedulesPaused(hostID string, paused bool) (uint64, error) {
	var v uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, hostID)
		if err != nil {
			return err
		}
		r.Settings.SchedulesPaused = paused
		if err := saveHost(tx, r); err != nil {
			return err
		}
		r, err = bumpVersion(tx, hostID)
		v = r.ScheduleVersion
		return err
	})
	return v, err
}

// BumpScheduleVersion raises the host's schedule version to at least
// floor+1 (floor may be 0) and returns it. Used when an agent acks a
// version above ours (a rebuilt data dir): versions only grow on the agent.
func (s *Store) BumpScheduleVersion(hostID string, floor uint64) (uint64, error) {
	var v uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, hostID)
		if err != nil {
			return err
		}
		if r.ScheduleVersion < floor {
			r.ScheduleVersion = floor
			if err := saveHost(tx, r); err != nil {
				return err
			}
		}
		r, err = bumpVersion(tx, hostID)
		v = r.ScheduleVersion
		return err
	})
	return v, err
}

func bumpVersion(tx *bolt.Tx, hostID string) (hostRecord, error) {
	r, err := loadHost(tx, hostID)
	if err != nil {
		return r, err
	}
	// Versions travel as JSON numbers: past 2^53−1 they are refused on the
	// wire (and a uint64 would wrap to 0, below every applied set).
	if r.ScheduleVersion >= protocol.MaxSafeInteger {
		return r, fmt.Errorf("schedule version of host %s: %w: it is %d and cannot grow past 2^53−1", hostID, ErrInvalid, r.ScheduleVersion)
	}
	r.ScheduleVersion++
	return r, saveHost(tx, r)
}

// AckScheduleVersion records the version an agent confirmed (the highest
// wins).
func (s *Store) AckScheduleVersion(hostID string, version uint64, at time.Time) (Host, error) {
	return s.updateHost(hostID, func(r *hostRecord) error {
		if version > r.AckedScheduleVersion {
			r.AckedScheduleVersion = version
			r.ScheduleAckedAt = at
		}
		return nil
	})
}

// ScheduleSet resolves a host's schedules into the schedule.set it gets:
// each schedule with its full source groups, and the maintenance plan.
// When paused (globally or for the host) every entry goes out disabled and
// the maintenance plan is left out; the stored enabled flags are kept.
func (s *Store) ScheduleSet(hostID string) (protocol.ScheduleSet, error) {
	var set protocol.ScheduleSet
	err := s.db.View(func(tx *bolt.Tx) error {
		r, err := loadHost(tx, hostID)
		if err != nil {
			return err
		}
		paused := r.Settings.SchedulesPaused || string(tx.Bucket(bucketMeta).Get(keySchedulesPause)) == "1"
		groups, err := listGroups(tx, hostID)
		if err != nil {
			return err
		}
		byName := map[string]SourceGroup{}
		for _, g := range groups {
			byName[g.Name] = g
		}
		scheds, err := listSchedules(tx, hostID)
		if err != nil {
			return err
		}
		set.Version = r.ScheduleVersion
		set.Schedules = []protocol.Schedule{}
		for _, sc := range scheds {
			ws := protocol.Schedule{ID: sc.ID, CronExpr: sc.CronExpr, Enabled: sc.Enabled && !paused, SourceGroups: []protocol.SourceGroup{}}
			for _, name := range sc.Groups {
				g, ok := byName[name]
				if !ok {
					return fmt.Errorf("schedule %q names source group %q, which no longer exists", sc.ID, name)
				}
				ws.SourceGroups = append(ws.SourceGroups, g.Wire())
			}
			set.Schedules = append(set.Schedules, ws)
		}
		sort.Slice(set.Schedules, func(i, j int) bool { return set.Schedules[i].ID < set.Schedules[j].ID })
		var m Maintenance
		if err := getJSON(tx.Bucket(bucketMaint), []byte(hostID), &m); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		if r.Settings.CopyURL == "" {
			m.CopyCron = "" // nothing to copy into
		}
		if !paused && !m.IsEmpty() {
			set.Maintenance = &protocol.Maintenance{PruneCron: m.PruneCron, CheckCron: m.CheckCron, CheckReadDataSubset: m.CheckReadDataSubset,
				CopyCron: m.CopyCron}
		}
		return nil
	})
	return set, err
}
