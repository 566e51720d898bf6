// Package store keeps vigie's live topology in a bbolt file so that a
// restarted vigie serves the last known topology at once, and keeps a
// bounded history of change events. Writes are staged in memory and
// committed in batches, one transaction (one fsync) per batch; a failed
// commit keeps the batch (bounded) and is retried by the next Flush, so a
// full disk never stops polling or serving.
package store

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Errors returned by Open; test with errors.Is.
var (
	// ErrLocked: another process (another vigie) holds the file's flock.
	ErrLocked = errors.New("database locked")
	// ErrCorrupt: the file is not a readable bbolt file, or fails its
	// consistency check.
	ErrCorrupt = errors.New("database corrupt")
	// ErrForeign: a valid bbolt file that is not a vigie store.
	ErrForeign = errors.New("not a vigie store")
	// ErrNewerSchema: the file was written by a newer vigie.
	ErrNewerSchema = errors.New("database schema newer than this vigie")
)

// Options tunes a Store. Zero fields take DefaultOptions' values.
type Options struct {
	// Timeout bounds the wait for the file lock (default 2 s): a second
	// vigie on the same file fails with ErrLocked instead of hanging.
	Timeout time.Duration
	// History is how long events are kept (default 30 days; inventory
	// Agent.History).
	History time.Duration
	// MaxEvents bounds the events kept whatever their age (default 100,000).
	MaxEvents int
	// AvailabilityRetention is how long site state intervals are kept
	// (default 396 days, 13 months; inventory agent.availability_retention).
	// Neither History nor MaxEvents applies to them.
	AvailabilityRetention time.Duration
	// MaxPendingEvents bounds the events held in memory while commits fail
	// (default 100,000); beyond it the oldest are dropped and counted.
	MaxPendingEvents int
	// Logger receives one line per distinct failure (default: discard).
	Logger *slog.Logger
	// Registerer receives the store's metrics (nil: not registered).
	Registerer prometheus.Registerer
	// Now is the clock used for retention (default time.Now). While the
	// store is open, ages are measured from Now at Open plus the time
	// elapsed since (monotonic with the real clock), so that a wall-clock
	// step does not prune history early: see retentionNow.
	Now func() time.Time
}

// DefaultAvailabilityRetention is 13 months (396 days): a year's report
// with the month before it for comparison.
const DefaultAvailabilityRetention = 396 * 24 * time.Hour

// DefaultOptions returns the production defaults, which Open gives the
// zero fields of its Options.
func DefaultOptions() Options {
	return Options{
		Timeout:          2 * time.Second,
		History:          30 * 24 * time.Hour,
		MaxEvents:        100_000,
		MaxPendingEvents: 100_000,

		AvailabilityRetention: DefaultAvailabilityRetention,
		Now:                   time.Now,
	}
}

// setDefaults fills the zero fields of o from DefaultOptions; negative
// values take the default too, as they always have.
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.History <= 0 {
		o.History = d.History
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = d.MaxEvents
	}
	if o.AvailabilityRetention <= 0 {
		o.AvailabilityRetention = d.AvailabilityRetention
	}
	if o.MaxPendingEvents <= 0 {
		o.MaxPendingEvents = d.MaxPendingEvents
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = d.Now
	}
}

// Store is an open topology store. Staging (Put*, AddEvent) and Flush are
// safe from any goroutine but are meant for the topology's single writer;
// Load and Events may run concurrently with them.
type Store struct {
	// db is replaced only by Flush (under mu) when the file was deleted;
	// readers take dbMu so that they never use a closed handle.
	dbMu   sync.RWMutex
	db     *bolt.DB
	opened os.FileInfo // the file db has open, to notice it deleted or replaced
	path   string
	opts   Options
	m      *metrics

	mu           sync.Mutex
	devices      map[string]Device
	links        map[string]Link
	deletedLinks map[string]struct{}
	events       []Event
	eventCount   int    // events in the file, kept in step by Flush
	failing      bool   // the last Flush failed: log recovery once
	fileProblem  string // the last problem with the file at path, logged once
	lastKey      int64  // time part of the newest event key: keys never go back
	// elapsed is the time since Open; a seam for the clock-step test.
	elapsed        func() time.Duration
	opened0        time.Time // opts.Now() at Open, with its monotonic reading
	beforeCommit   func() error
	droppedPending uint64

	// Availability history staged for the next Flush (avail.go), keyed by
	// the record key; the beat is zero when none is staged.
	intervals   map[string]Interval
	beat        time.Time
	availPruned time.Time
	readOnly    bool // OpenReadOnly: Close does not flush
}

// Open opens (or creates) the store at path. It refuses, with an error that
// says what to do, a file locked by another vigie, a corrupt or foreign
// file, and a file from a newer vigie; it never rewrites such a file. An
// older vigie file is migrated to SchemaVersion.
func Open(path string, opts Options) (*Store, error) {
	opts.setDefaults()
	db, err := openBolt(path, opts.Timeout, false)
	if err != nil {
		return nil, err
	}
	s := &Store{
		db: db, path: path, opts: opts, m: newMetrics(opts.Registerer),
		devices: map[string]Device{}, links: map[string]Link{}, deletedLinks: map[string]struct{}{},
		intervals: map[string]Interval{},
	}
	s.opened0 = opts.Now()
	s.elapsed = func() time.Duration { return s.opts.Now().Sub(s.opened0) }
	if s.opened, err = os.Stat(path); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	if err := s.check(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := s.prepare(); err != nil {
		_ = db.Close()
		return nil, err
	}
	if err := db.View(func(tx *bolt.Tx) error {
		eb := tx.Bucket(bucketEvents)
		s.eventCount = eb.Stats().KeyN
		if k, _ := eb.Cursor().Last(); k != nil {
			s.lastKey = int64(binary.BigEndian.Uint64(k[:8]))
		}
		return nil
	}); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store %s: counting events: %w", path, err)
	}
	return s, nil
}

// openBolt opens the file, turning bbolt's failures into errors an
// operator can act on. bbolt may panic on a mangled file; that is a corrupt
// file too, not a crash of vigie.
func openBolt(path string, timeout time.Duration, readOnly bool) (db *bolt.DB, err error) {
	if err := checkShape(path); err != nil {
		return nil, err
	}
	// bbolt's file, so that a panic does not leave it open (and locked:
	// the next reload would find the file held by vigie itself).
	var file *os.File
	defer func() {
		if r := recover(); r != nil {
			if file != nil {
				_ = file.Close()
			}
			db, err = nil, fmt.Errorf("%w: %s cannot be read as a bbolt file (%v); move it aside or use --db another file (vigie never rewrites it)", ErrCorrupt, path, r)
		}
	}()
	db, err = bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, ReadOnly: readOnly,
		OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
			f, err := os.OpenFile(name, flag, perm)
			file = f
			return f, err
		}})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, berrors.ErrTimeout):
		who := "another process (another vigie?)"
		switch pid := lockHolder(path); {
		case pid == os.Getpid():
			who = fmt.Sprintf("this vigie itself (pid %d) under another name", pid)
		case pid > 0:
			who = fmt.Sprintf("another process, pid %d (another vigie?)", pid)
		}
		return nil, fmt.Errorf("%w: %s is held by %s: stop it, or give this vigie another file (agent.db or --db)", ErrLocked, path, who)
	case errors.Is(err, berrors.ErrInvalid), errors.Is(err, berrors.ErrChecksum), errors.Is(err, berrors.ErrVersionMismatch):
		return nil, fmt.Errorf("%w: %s is not a readable vigie store (%v); move it aside or use --db another file (vigie never rewrites it)", ErrCorrupt, path, err)
	case errors.Is(err, fs.ErrNotExist) && !isDir(filepath.Dir(path)):
		return nil, fmt.Errorf("store: cannot create %s: %w: create its directory, or use --db another file", path, unwrapPath(err))
	default:
		return nil, fmt.Errorf("store: cannot open %s for writing: %w: vigie writes its store there: check the file, its directory and the filesystem (permissions, lsattr, read-only mount), or use --db another file", path, unwrapPath(err))
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}

// unwrapPath drops the *fs.PathError's repetition of the path the message
// already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// check runs bbolt's consistency check over the whole file, as bbolt's own
// crash tests do after a kill, so that a damaged file is refused at start
// rather than found at the first write.
func (s *Store) check() (err error) {
	// A page bbolt maps past the end of the file faults (SIGBUS). checkShape
	// refuses a file cut short before it is mapped; should one still get
	// through (cut while vigie starts), the fault is a refusal, not a crash.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %s faults while read (%v): it is damaged or was cut short: restore it from a backup, or move it aside (vigie never rewrites it)", ErrCorrupt, s.path, r)
		}
	}()
	var errs []string // on one line: the operator reads one line per failure
	err = s.db.View(func(tx *bolt.Tx) error {
		for e := range tx.Check() {
			if len(errs) < 5 {
				errs = append(errs, e.Error())
			}
		}
		return nil
	})
	if err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %s fails its consistency check (%s); restore it from a backup, or move it aside or use --db another file (vigie never rewrites it)", ErrCorrupt, s.path, strings.Join(errs, "; "))
	}
	return nil
}

// prepare initialises an empty file, refuses a foreign or newer one, and
// migrates an older one.
func (s *Store) prepare() error {
	var version int
	var fresh bool
	err := s.db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			var names []string
			_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				names = append(names, string(name))
				return nil
			})
			if len(names) > 0 {
				return fmt.Errorf("%w: %s is a bbolt file without vigie's meta bucket (it holds %q); use --db another file (vigie never rewrites it)", ErrForeign, s.path, names)
			}
			fresh = true
			return nil
		}
		if m := meta.Get(keyMagic); !bytes.Equal(m, magic) {
			return fmt.Errorf("%w: %s has a meta bucket whose magic is %q, not %q; use --db another file (vigie never rewrites it)", ErrForeign, s.path, m, magic)
		}
		v, err := readSchema(meta)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, s.path, err)
		}
		version = v
		return nil
	})
	if err != nil {
		return err
	}
	if fresh {
		return s.db.Update(func(tx *bolt.Tx) error {
			meta, err := tx.CreateBucket(bucketMeta)
			if err != nil {
				return err
			}
			if err := meta.Put(keyMagic, magic); err != nil {
				return err
			}
			for _, b := range [][]byte{bucketDevices, bucketLinks, bucketEvents, bucketAvail} {
				if _, err := tx.CreateBucket(b); err != nil {
					return err
				}
			}
			return putSchema(meta, SchemaVersion)
		})
	}
	if version > SchemaVersion {
		return fmt.Errorf("%w: %s has schema %d, this vigie knows up to %d; run the newer vigie or use --db another file", ErrNewerSchema, s.path, version, SchemaVersion)
	}
	for _, m := range migrations {
		if m.from < version {
			continue
		}
		if err := s.db.Update(func(tx *bolt.Tx) error {
			if err := m.run(tx); err != nil {
				return err
			}
			return putSchema(tx.Bucket(bucketMeta), m.from+1)
		}); err != nil {
			return fmt.Errorf("store %s: migrating schema %d to %d (%s): %w; the file is left at %d, restore a backup or use --db another file", s.path, m.from, m.from+1, m.what, err, m.from)
		}
		s.opts.Logger.Info("store migrated", "path", s.path, "from", m.from, "to", m.from+1, "what", m.what)
		version = m.from + 1
	}
	return nil
}

// Path returns the file the store writes.
func (s *Store) Path() string { return s.path }

// Close commits what is staged (best effort) and closes the file, which
// releases the lock.
func (s *Store) Close() error {
	var flushErr error
	if !s.readOnly {
		flushErr = s.Flush()
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store %s: closing: %w", s.path, err)
	}
	if flushErr != nil {
		return fmt.Errorf("store %s: last changes lost at close: %w", s.path, flushErr)
	}
	return nil
}

// Load reads the persisted devices and links, for serving at once after a
// restart.
func (s *Store) Load() (Snapshot, error) {
	var snap Snapshot
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		if err := tx.Bucket(bucketDevices).ForEach(func(k, v []byte) error {
			var d Device
			if err := json.Unmarshal(v, &d); err != nil {
				return fmt.Errorf("device %q: %w", k, err)
			}
			snap.Devices = append(snap.Devices, d)
			return nil
		}); err != nil {
			return err
		}
		return tx.Bucket(bucketLinks).ForEach(func(k, v []byte) error {
			var l Link
			if err := json.Unmarshal(v, &l); err != nil {
				return fmt.Errorf("link %q: %w", k, err)
			}
			snap.Links = append(snap.Links, l)
			return nil
		})
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("store %s: loading the topology: %w", s.path, err)
	}
	return snap, nil
}

// PutDevice stages a device's state for the next Flush; a later put of the
// same device replaces it, so staging is bounded by the fleet size.
func (s *Store) PutDevice(d Device) {
	s.mu.Lock()
	s.devices[d.Name] = d
	s.mu.Unlock()
}

// PutLink stages a link's state for the next Flush.
func (s *Store) PutLink(l Link) {
	s.mu.Lock()
	s.links[l.ID] = l
	delete(s.deletedLinks, l.ID)
	s.mu.Unlock()
}

// DeleteLink stages the removal of a link (an LLDP-only link that vanished).
func (s *Store) DeleteLink(id string) {
	s.mu.Lock()
	delete(s.links, id)
	s.deletedLinks[id] = struct{}{}
	s.mu.Unlock()
}

// AddEvent stages an event. While commits fail, at most MaxPendingEvents
// are held; the oldest are dropped beyond that and counted.
func (s *Store) AddEvent(e Event) {
	s.mu.Lock()
	if len(s.events) >= s.opts.MaxPendingEvents {
		n := len(s.events) - s.opts.MaxPendingEvents + 1
		s.events = append(s.events[:0], s.events[n:]...)
		s.droppedPending += uint64(n)
		s.m.dropped.Add(float64(n))
	}
	s.events = append(s.events, e)
	s.mu.Unlock()
}

// Pending returns how many staged changes wait for the next Flush.
func (s *Store) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.staged()
}

// staged counts the staged changes; mu held.
func (s *Store) staged() int {
	n := len(s.devices) + len(s.links) + len(s.deletedLinks) + len(s.events) + len(s.intervals)
	if !s.beat.IsZero() {
		n++
	}
	return n
}

// Flush commits every staged change in one transaction, then prunes events
// older than History or beyond MaxEvents in that same transaction. On
// failure nothing is lost: the staged changes stay for the next Flush, the
// error is counted in vigie_store_write_errors_total and returned.
func (s *Store) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkFile(); err != nil {
		n := s.staged()
		s.m.writeErrors.Inc()
		s.m.pending.Set(float64(n))
		return fmt.Errorf("store %s: %d changes kept in memory, will retry: %w", s.path, n, err)
	}
	n := s.staged()
	if n == 0 {
		return nil
	}
	start := time.Now()
	added := 0
	pruned := 0
	lastKey := s.lastKey
	err := s.db.Update(func(tx *bolt.Tx) error {
		db, lb, eb := tx.Bucket(bucketDevices), tx.Bucket(bucketLinks), tx.Bucket(bucketEvents)
		for name, d := range s.devices {
			v, err := json.Marshal(d)
			if err != nil {
				return err
			}
			if err := db.Put([]byte(name), v); err != nil {
				return err
			}
		}
		for id := range s.deletedLinks {
			if err := lb.Delete([]byte(id)); err != nil {
				return err
			}
		}
		for id, l := range s.links {
			v, err := json.Marshal(l)
			if err != nil {
				return err
			}
			if err := lb.Put([]byte(id), v); err != nil {
				return err
			}
		}
		for _, e := range s.events {
			v, err := json.Marshal(e)
			if err != nil {
				return err
			}
			seq, err := eb.NextSequence()
			if err != nil {
				return err
			}
			// The key's time never goes back, so that a wall clock
			// stepped back (NTP) cannot file new events before older
			// ones: LastEvents after a restart returns the newest
			// written. The event keeps its own Time in the value.
			lastKey = max(lastKey, e.Time.UnixNano())
			if err := eb.Put(eventKey(lastKey, seq), v); err != nil {
				return err
			}
			added++
		}
		var err error
		pruned, err = s.prune(eb, s.eventCount+added)
		if err != nil {
			return err
		}
		if err := s.writeAvail(tx); err != nil {
			return err
		}
		if s.beforeCommit != nil {
			return s.beforeCommit()
		}
		return nil
	})
	s.m.batch.Observe(time.Since(start).Seconds())
	if err != nil {
		s.m.writeErrors.Inc()
		s.m.pending.Set(float64(n))
		if !s.failing {
			s.opts.Logger.Error("store write failed; changes kept in memory and retried",
				"path", s.path, "pending", n, "err", err)
		}
		s.failing = true
		return fmt.Errorf("store %s: committing %d changes (kept, will retry): %w; check free space and permissions", s.path, n, err)
	}
	if s.failing {
		s.opts.Logger.Info("store writes recovered", "path", s.path, "committed", n)
		s.failing = false
	}
	s.eventCount += added - pruned
	s.lastKey = lastKey
	clear(s.devices)
	clear(s.links)
	clear(s.deletedLinks)
	clear(s.intervals)
	s.beat = time.Time{}
	s.events = s.events[:0]
	s.m.pending.Set(0)
	return nil
}

// prune deletes, from the oldest, events older than History and events
// beyond MaxEvents. count is the number of events in the bucket.
func (s *Store) prune(eb *bolt.Bucket, count int) (int, error) {
	cutoff := s.retentionNow().Add(-s.opts.History).UnixNano()
	pruned := 0
	c := eb.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.First() {
		old := int64(binary.BigEndian.Uint64(k[:8])) < cutoff
		if !old && count-pruned <= s.opts.MaxEvents {
			break
		}
		if err := c.Delete(); err != nil {
			return pruned, err
		}
		pruned++
	}
	return pruned, nil
}

// retentionNow is the time event ages are measured against: the wall clock
// read at Open plus the time elapsed since. With the real clock, Sub uses
// Go's monotonic readings, so an NTP step while vigie runs neither prunes
// the history early (a step forward of more than History would otherwise
// empty it) nor keeps it longer (a step back); a restart reads the wall
// clock again.
func (s *Store) retentionNow() time.Time { return s.opened0.Add(s.elapsed()) }

// Events returns up to limit persisted events at or after since, oldest
// first. Staged events not yet flushed are not included.
func (s *Store) Events(since time.Time, limit int) ([]Event, error) {
	var out []Event
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		start := eventKey(since.UnixNano(), 0)
		if since.IsZero() {
			start = nil
		}
		var k, v []byte
		if start == nil {
			k, v = c.First()
		} else {
			k, v = c.Seek(start)
		}
		for ; k != nil && len(out) < limit; k, v = c.Next() {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("event %x: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: reading events: %w", s.path, err)
	}
	return out, nil
}

// LastEvents returns the newest n persisted events, oldest first, to seed
// the in-memory history after a restart.
func (s *Store) LastEvents(n int) ([]Event, error) {
	var out []Event
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketEvents).Cursor()
		for k, v := c.Last(); k != nil && len(out) < n; k, v = c.Prev() {
			var e Event
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("event %x: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: reading events: %w", s.path, err)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// EventCount returns the number of events in the file.
func (s *Store) EventCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.eventCount
}
