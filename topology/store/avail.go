package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Availability history: one record per site state interval, in its own
// bucket with its own retention (Options.AvailabilityRetention), so that
// the event caps (History, MaxEvents) never drop an interval.
var (
	bucketAvail  = []byte("availability")
	keyHeartbeat = []byte("heartbeat")
)

// Site states of an interval. Unobserved is vigie's own blind time: the
// daemon was stopped, or the site's devices had not been polled yet.
const (
	AvailUnobserved = "unobserved"
	AvailNominal    = "nominal"
	AvailDegraded   = "degraded"
	AvailIsolated   = "isolated"
)

// availStates is the on-disk code of each state (its index); append only.
var availStates = []string{AvailUnobserved, AvailNominal, AvailDegraded, AvailIsolated}

// Interval is one site's state from Start to End; a zero End is the open
// interval of the site's current state. Times have one-second resolution.
type Interval struct {
	Site  string
	Start time.Time
	End   time.Time
	State string
	// Cause is the root cause vigie named ("device:agg-1", "link:ID",
	// "internet"...); "" when none.
	Cause string
}

// availKey is the site id, a NUL, and the start as 4-byte big-endian unix
// seconds (good until 2106): a site's intervals sort in time order.
func availKey(site string, start time.Time) []byte {
	k := make([]byte, len(site)+5)
	copy(k, site)
	binary.BigEndian.PutUint32(k[len(site)+1:], uint32(start.Unix()))
	return k
}

// availValue is the state code, the length in seconds plus one as a uvarint
// (0 = still open), then the cause bytes: 3 bytes plus the cause for a
// typical interval.
func availValue(iv Interval) []byte {
	code := byte(0)
	for i, s := range availStates {
		if s == iv.State {
			code = byte(i)
		}
	}
	v := make([]byte, 1, 1+binary.MaxVarintLen64+len(iv.Cause))
	v[0] = code
	var d uint64
	if !iv.End.IsZero() {
		d = uint64(max(iv.End.Unix()-iv.Start.Unix(), 0)) + 1
	}
	v = binary.AppendUvarint(v, d)
	return append(v, iv.Cause...)
}

func decodeInterval(k, v []byte) (Interval, error) {
	i := len(k) - 5 // the time may hold NUL bytes: the separator is at a fixed place from the end
	if i < 1 || k[i] != 0 || len(v) < 2 {
		return Interval{}, fmt.Errorf("availability record %x: malformed key or value", k)
	}
	if int(v[0]) >= len(availStates) {
		return Interval{}, fmt.Errorf("availability record %x: unknown state code %d", k, v[0])
	}
	d, n := binary.Uvarint(v[1:])
	if n <= 0 {
		return Interval{}, fmt.Errorf("availability record %x: bad length", k)
	}
	iv := Interval{Site: string(k[:i]), Start: time.Unix(int64(binary.BigEndian.Uint32(k[i+1:])), 0).UTC(),
		State: availStates[v[0]], Cause: string(v[1+n:])}
	if d > 0 {
		iv.End = iv.Start.Add(time.Duration(d-1) * time.Second)
	}
	return iv, nil
}

// PutInterval stages an interval for the next Flush. A later put of the same
// site and start second replaces it: closing the open interval is putting it
// again with its End.
func (s *Store) PutInterval(iv Interval) {
	k := string(availKey(iv.Site, iv.Start))
	s.mu.Lock()
	s.intervals[k] = iv
	s.mu.Unlock()
}

// Beat stages the time up to which vigie observed the fleet. After a stop
// (clean or not) the open intervals are closed at the last beat written,
// and the time after it is unobserved.
func (s *Store) Beat(t time.Time) {
	s.mu.Lock()
	s.beat = t
	s.mu.Unlock()
}

// OpenIntervals returns the intervals left open by the previous run and the
// last beat it wrote (zero if none), to close them at a restart.
func (s *Store) OpenIntervals() ([]Interval, time.Time, error) {
	var out []Interval
	var beat time.Time
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketMeta).Get(keyHeartbeat); len(v) == 8 {
			beat = time.Unix(int64(binary.BigEndian.Uint64(v)), 0).UTC()
		}
		b := tx.Bucket(bucketAvail)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if len(v) >= 2 && v[1] == 0 { // length 0: open
				iv, err := decodeInterval(k, v)
				if err != nil {
					return err
				}
				out = append(out, iv)
			}
			return nil
		})
	})
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store %s: reading open availability intervals: %w", s.path, err)
	}
	return out, beat, nil
}

// ErrNoAvailability: the file predates the availability history (schema
// below 3) and was opened read-only, so it was not migrated.
var ErrNoAvailability = errors.New("no availability history in this store")

// Intervals calls fn, site by site and in time order within a site, for
// every interval that overlaps [from, to). Open intervals come with a zero
// End. It reads one consistent snapshot of the file, and per site only the
// keys from the interval open at from to the first at or after to: a week's
// report does not decode a year.
func (s *Store) Intervals(from, to time.Time, fn func(Interval) error) error {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketAvail)
		if b == nil {
			return ErrNoAvailability
		}
		c := b.Cursor()
		first, _ := c.First()
		for first != nil {
			if len(first) < 6 {
				return fmt.Errorf("availability record %x: malformed key", first)
			}
			site := append([]byte(nil), first[:len(first)-5]...)
			k, v := c.Seek(availKey(string(site), from))
			// The last interval starting before from may still be open
			// at from: start there when it is this site's.
			var pk, pv []byte
			if k == nil {
				pk, pv = c.Last()
			} else {
				pk, pv = c.Prev()
			}
			if pk != nil && sameSite(pk, site) {
				k, v = pk, pv
			} else if k != nil {
				k, v = c.Seek(availKey(string(site), from))
			}
			for ; k != nil && sameSite(k, site); k, v = c.Next() {
				iv, err := decodeInterval(k, v)
				if err != nil {
					return err
				}
				if !iv.Start.Before(to) {
					break
				}
				if !iv.End.IsZero() && !iv.End.After(from) {
					continue
				}
				if err := fn(iv); err != nil {
					return err
				}
			}
			first, _ = c.Seek(append(site, 1)) // just after every key of site
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %s: reading availability: %w", s.path, err)
	}
	return nil
}

// sameSite tells whether key k is one of site's intervals.
func sameSite(k, site []byte) bool {
	return len(k) == len(site)+5 && k[len(site)] == 0 && bytes.Equal(k[:len(site)], site)
}

// writeAvail commits the staged intervals and beat, and prunes, at most
// once a day (a walk of the whole bucket, ~2.4M records for the full RIE
// over 13 months; retention is counted in months), the intervals that
// ended before the retention.
func (s *Store) writeAvail(tx *bolt.Tx) error {
	b := tx.Bucket(bucketAvail)
	for k, iv := range s.intervals {
		if err := b.Put([]byte(k), availValue(iv)); err != nil {
			return err
		}
	}
	if !s.beat.IsZero() {
		var v [8]byte
		binary.BigEndian.PutUint64(v[:], uint64(s.beat.Unix()))
		if err := tx.Bucket(bucketMeta).Put(keyHeartbeat, v[:]); err != nil {
			return err
		}
	}
	now := s.retentionNow()
	if now.Sub(s.availPruned) < 24*time.Hour {
		return nil
	}
	cutoff := now.Add(-s.opts.AvailabilityRetention).Unix()
	var old [][]byte // deleting under a cursor may skip the next key
	if err := b.ForEach(func(k, v []byte) error {
		iv, err := decodeInterval(k, v)
		if err != nil {
			return err
		}
		if !iv.End.IsZero() && iv.End.Unix() < cutoff {
			old = append(old, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range old {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	s.availPruned = now
	return nil
}

// AvailabilityCount returns the number of interval records in the file.
func (s *Store) AvailabilityCount() (int, error) {
	n, _, err := s.AvailabilityStats()
	return n, err
}

// AvailabilityStats returns the number of interval records and the bytes
// their pages use in the file (bbolt's in-use leaf and branch bytes; the
// file itself grows in larger steps).
func (s *Store) AvailabilityStats() (records, bytes int, err error) {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	err = s.db.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketAvail); b != nil {
			st := b.Stats()
			records, bytes = st.KeyN, st.LeafInuse+st.BranchInuse
		}
		return nil
	})
	return records, bytes, err
}

// OpenReadOnly opens a store for reading only (reports on a stopped
// vigie's file): it takes a shared lock, so it fails with ErrLocked while a
// running vigie holds the file, and it never creates, migrates or writes.
// Only the reading methods (Intervals, OpenIntervals, Load, Events) may be
// used; Close releases the lock.
func OpenReadOnly(path string, timeout time.Duration) (*Store, error) {
	opts := Options{Timeout: timeout}
	opts.setDefaults()
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("store: %w: give the store file of a vigie (agent.db or --db)", err)
	}
	db, err := openBolt(path, opts.Timeout, true)
	if err != nil {
		return nil, err
	}
	s := &Store{db: db, path: path, opts: opts, readOnly: true}
	err = db.View(func(tx *bolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil || !bytes.Equal(meta.Get(keyMagic), magic) {
			return fmt.Errorf("%w: %s is not a vigie store; give the file of agent.db or --db", ErrForeign, path)
		}
		v, err := readSchema(meta)
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, path, err)
		}
		if v > SchemaVersion {
			return fmt.Errorf("%w: %s has schema %d, this vigie knows up to %d; use the newer vigie", ErrNewerSchema, path, v, SchemaVersion)
		}
		return nil
	})
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}
