package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func openT(t *testing.T, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	s, err := Open(path, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	dev := Device{Name: "agg-lyon-1", State: "reachable", SysName: "agg-lyon-1", Polls: 3, Seen: t0}
	link := Link{ID: "agg-lyon-1:eth1--ce-s1:eth0", Kind: "access", Site: "S-0001",
		A: Endpoint{Device: "agg-lyon-1", Interface: "eth1", Status: "up"}, B: Endpoint{Device: "ce-s1", Interface: "eth0", Status: "down"},
		Sources: []string{"declared", "ifmib"}, State: "down", Since: t0}
	gone := Link{ID: "lldp:x", Kind: "observed", State: "up", Sources: []string{"lldp"}}
	s.PutDevice(dev)
	s.PutLink(link)
	s.PutLink(gone)
	for i := range 3 {
		// Two events in the same nanosecond must both survive.
		s.AddEvent(Event{Time: t0.Add(time.Duration(i/2) * time.Second), Kind: "link_down", Subject: fmt.Sprint(i)})
	}
	if got := s.Pending(); got != 6 {
		t.Fatalf("Pending = %d, want 6", got)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	s.DeleteLink("lldp:x")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openT(t, path, Options{Now: func() time.Time { return t0 }})
	snap, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(snap.Devices, []Device{dev}) {
		t.Errorf("devices = %+v, want %+v", snap.Devices, dev)
	}
	if !reflect.DeepEqual(snap.Links, []Link{link}) {
		t.Errorf("links = %+v, want only %+v (the deleted one must be gone)", snap.Links, link)
	}
	evs, err := s.Events(t0.Add(time.Second), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Subject != "2" {
		t.Errorf("Events(since t0+1s) = %+v, want only subject 2", evs)
	}
	evs, _ = s.Events(time.Time{}, 2)
	if len(evs) != 2 || evs[0].Subject != "0" || evs[1].Subject != "1" {
		t.Errorf("Events(limit 2) = %+v, want subjects 0, 1", evs)
	}
	last, _ := s.LastEvents(2)
	if len(last) != 2 || last[0].Subject != "1" || last[1].Subject != "2" {
		t.Errorf("LastEvents(2) = %+v, want subjects 1, 2", last)
	}
	if s.EventCount() != 3 {
		t.Errorf("EventCount = %d, want 3", s.EventCount())
	}
}

func TestRetention(t *testing.T) {
	for _, tc := range []struct {
		name      string
		history   time.Duration
		maxEvents int
		ages      []time.Duration // event age at flush time
		want      []string        // subjects kept
	}{
		{"by age", time.Hour, 100, []time.Duration{3 * time.Hour, 2 * time.Hour, 30 * time.Minute, 0}, []string{"2", "3"}},
		{"by count", 24 * time.Hour, 2, []time.Duration{4 * time.Minute, 3 * time.Minute, 2 * time.Minute, time.Minute}, []string{"2", "3"}},
		{"both", time.Hour, 1, []time.Duration{2 * time.Hour, 2 * time.Minute, time.Minute}, []string{"2"}},
		{"none pruned", time.Hour, 10, []time.Duration{2 * time.Minute, time.Minute}, []string{"0", "1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now := t0
			s := openT(t, filepath.Join(t.TempDir(), "v.db"), Options{History: tc.history, MaxEvents: tc.maxEvents, Now: func() time.Time { return now }})
			// One flush per event, to check pruning across batches too.
			for i, age := range tc.ages {
				s.AddEvent(Event{Time: now.Add(-age), Kind: "k", Subject: fmt.Sprint(i)})
				if err := s.Flush(); err != nil {
					t.Fatal(err)
				}
			}
			evs, err := s.Events(time.Time{}, 100)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				got = append(got, e.Subject)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("kept %v, want %v", got, tc.want)
			}
			if s.EventCount() != len(tc.want) {
				t.Errorf("EventCount = %d, want %d", s.EventCount(), len(tc.want))
			}
		})
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	openT(t, path, Options{})
	start := time.Now()
	_, err := Open(path, Options{Timeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
	// The holder is this test process: the message names it.
	want := fmt.Sprintf("database locked: %s is held by this vigie itself (pid %d) under another name: stop it, or give this vigie another file (agent.db or --db)", path, os.Getpid())
	if err.Error() != want {
		t.Errorf("error = %q\nwant    %q", err, want)
	}
	// Not a timing assert on speed: only that the timeout is honoured at all
	// rather than the call hanging forever.
	if time.Since(start) > time.Minute {
		t.Errorf("second Open took %v", time.Since(start))
	}
}

// refused checks that Open refuses the file with want and leaves it
// byte for byte as it was.
func refused(t *testing.T, path string, want error, mention string) {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(path, Options{Timeout: time.Second})
	if err == nil {
		_ = s.Close()
		t.Fatalf("Open(%s) succeeded, want %v", path, want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("Open: %v, want %v", err, want)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), mention) {
		t.Errorf("error %q should name the file and say %q", err, mention)
	}
	after, _ := os.ReadFile(path)
	if !bytes.Equal(before, after) {
		t.Errorf("Open rewrote the refused file")
	}
}

func TestRefusesForeignFiles(t *testing.T) {
	for _, tc := range []struct {
		name    string
		build   func(t *testing.T, path string)
		want    error
		mention string
	}{
		{"not bbolt", func(t *testing.T, path string) {
			_ = os.WriteFile(path, bytes.Repeat([]byte("this is a text file, not a database\n"), 400), 0o600)
		}, ErrCorrupt, "--db another file"},
		{"other bbolt app", func(t *testing.T, path string) {
			rawBolt(t, path, func(tx *bolt.Tx) error {
				b, _ := tx.CreateBucket([]byte("widgets"))
				return b.Put([]byte("k"), []byte("v"))
			})
		}, ErrForeign, "widgets"},
		{"wrong magic", func(t *testing.T, path string) {
			rawBolt(t, path, func(tx *bolt.Tx) error {
				b, _ := tx.CreateBucket(bucketMeta)
				return b.Put(keyMagic, []byte("someone-else"))
			})
		}, ErrForeign, "someone-else"},
		{"newer schema", func(t *testing.T, path string) {
			rawBolt(t, path, func(tx *bolt.Tx) error {
				b, _ := tx.CreateBucket(bucketMeta)
				_ = b.Put(keyMagic, magic)
				return putSchema(b, SchemaVersion+1)
			})
		}, ErrNewerSchema, "newer vigie"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.db")
			tc.build(t, path)
			refused(t, path, tc.want, tc.mention)
		})
	}
}

func TestRefusesCorruptStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 500 {
		s.PutLink(Link{ID: fmt.Sprintf("link-%04d", i), State: "up", Sources: []string{"declared"}})
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	var root uint64
	_ = s.db.View(func(tx *bolt.Tx) error {
		root = uint64(tx.Bucket(bucketLinks).Root())
		return nil
	})
	pageSize := s.db.Info().PageSize
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if root == 0 {
		t.Fatal("links bucket is inline; the test needs a page of its own to damage")
	}
	// Damage the links bucket's root page: what a torn write on a disk
	// without barriers, or a bad sector, leaves behind.
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0xA5}, 64), int64(root)*int64(pageSize)); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
	refused(t, path, ErrCorrupt, "consistency check")
}

// rawBolt builds a bbolt file the way another program (or an older vigie)
// would have.
func rawBolt(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMigrations(t *testing.T) {
	devJSON := []byte(`{"name":"agg-1","state":"reachable","polls":7}`)
	linkJSON := []byte(`{"id":"a:1--b:1","kind":"backbone","a":{"device":"a"},"b":{"device":"b"},"sources":["declared"],"state":"up"}`)
	for _, tc := range []struct {
		name       string
		build      func(tx *bolt.Tx) error
		wantEvents []string
	}{
		{"v0 without schema key or events", func(tx *bolt.Tx) error {
			m, _ := tx.CreateBucket(bucketMeta)
			_ = m.Put(keyMagic, magic)
			d, _ := tx.CreateBucket(bucketDevices)
			_ = d.Put([]byte("agg-1"), devJSON)
			l, _ := tx.CreateBucket(bucketLinks)
			return l.Put([]byte("a:1--b:1"), linkJSON)
		}, nil},
		{"v1 with 8-byte event keys", func(tx *bolt.Tx) error {
			m, _ := tx.CreateBucket(bucketMeta)
			_ = m.Put(keyMagic, magic)
			_ = putSchema(m, 1)
			d, _ := tx.CreateBucket(bucketDevices)
			_ = d.Put([]byte("agg-1"), devJSON)
			l, _ := tx.CreateBucket(bucketLinks)
			_ = l.Put([]byte("a:1--b:1"), linkJSON)
			e, _ := tx.CreateBucket(bucketEvents)
			for i, subj := range []string{"first", "second"} {
				k := eventKey(t0.Add(time.Duration(i)*time.Second).UnixNano(), 0)[:8]
				_ = e.Put(k, fmt.Appendf(nil, `{"time":%q,"kind":"link_down","subject":%q}`, t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), subj))
			}
			return nil
		}, []string{"first", "second"}},
		{"v2 without the availability bucket", func(tx *bolt.Tx) error {
			m, _ := tx.CreateBucket(bucketMeta)
			_ = m.Put(keyMagic, magic)
			_ = putSchema(m, 2)
			d, _ := tx.CreateBucket(bucketDevices)
			_ = d.Put([]byte("agg-1"), devJSON)
			l, _ := tx.CreateBucket(bucketLinks)
			_ = l.Put([]byte("a:1--b:1"), linkJSON)
			e, _ := tx.CreateBucket(bucketEvents)
			return e.Put(eventKey(t0.UnixNano(), 1), fmt.Appendf(nil, `{"time":%q,"kind":"link_down","subject":"first"}`, t0.Format(time.RFC3339Nano)))
		}, []string{"first"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "old.db")
			rawBolt(t, path, tc.build)
			s := openT(t, path, Options{Now: func() time.Time { return t0 }})
			var version int
			_ = s.db.View(func(tx *bolt.Tx) error {
				version, _ = readSchema(tx.Bucket(bucketMeta))
				return nil
			})
			if version != SchemaVersion {
				t.Errorf("schema after open = %d, want %d", version, SchemaVersion)
			}
			// The migrated file takes availability intervals.
			s.PutInterval(Interval{Site: "s1", Start: t0, State: AvailNominal})
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			if n, err := s.AvailabilityCount(); n != 1 || err != nil {
				t.Errorf("%d intervals after one put in the migrated file (%v)", n, err)
			}
			snap, err := s.Load()
			if err != nil {
				t.Fatal(err)
			}
			if len(snap.Devices) != 1 || snap.Devices[0].Polls != 7 || len(snap.Links) != 1 || snap.Links[0].State != "up" {
				t.Errorf("data after migration = %+v", snap)
			}
			evs, err := s.Events(time.Time{}, 10)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				got = append(got, e.Subject)
			}
			if !reflect.DeepEqual(got, tc.wantEvents) {
				t.Errorf("events after migration = %v, want %v", got, tc.wantEvents)
			}
			// The migrated file takes new events with 16-byte keys, after the old ones.
			s.AddEvent(Event{Time: t0.Add(time.Minute), Kind: "k", Subject: "new"})
			if err := s.Flush(); err != nil {
				t.Fatal(err)
			}
			evs, _ = s.Events(time.Time{}, 10)
			if len(evs) != len(tc.wantEvents)+1 || evs[len(evs)-1].Subject != "new" {
				t.Errorf("events after a write = %+v", evs)
			}
		})
	}
}

func TestWriteErrorKeepsBatchAndRetries(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	s := openT(t, filepath.Join(t.TempDir(), "v.db"), Options{Registerer: reg, MaxPendingEvents: 3, Now: func() time.Time { return t0 }})
	diskFull := errors.New("no space left on device")
	s.beforeCommit = func() error { return diskFull }

	s.PutLink(Link{ID: "l1", State: "down"})
	for i := range 5 {
		s.AddEvent(Event{Time: t0.Add(time.Duration(i)), Kind: "k", Subject: fmt.Sprint(i)})
	}
	for range 2 {
		if err := s.Flush(); !errors.Is(err, diskFull) {
			t.Fatalf("Flush with a full disk: %v, want it to wrap the write error", err)
		}
	}
	if got := testutil.ToFloat64(s.m.writeErrors); got != 2 {
		t.Errorf("vigie_store_write_errors_total = %v, want 2", got)
	}
	if got := testutil.ToFloat64(s.m.dropped); got != 2 {
		t.Errorf("dropped events = %v, want 2 (bound of 3 pending)", got)
	}
	if got := s.Pending(); got != 4 {
		t.Errorf("Pending = %d, want 4 (1 link + 3 newest events)", got)
	}
	if snap, _ := s.Load(); len(snap.Links) != 0 {
		t.Errorf("a failed batch reached the file: %+v", snap.Links)
	}

	s.beforeCommit = nil // space freed
	if err := s.Flush(); err != nil {
		t.Fatalf("Flush after recovery: %v", err)
	}
	snap, _ := s.Load()
	evs, _ := s.Events(time.Time{}, 10)
	if len(snap.Links) != 1 || len(evs) != 3 || evs[0].Subject != "2" {
		t.Errorf("after recovery: links %+v, events %+v; want l1 and events 2..4", snap.Links, evs)
	}
	if s.Pending() != 0 {
		t.Errorf("Pending after recovery = %d", s.Pending())
	}
	if n, err := testutil.GatherAndCount(reg, "vigie_store_write_errors_total", "vigie_store_batch_duration_seconds"); err != nil || n != 2 {
		t.Errorf("registered store metrics = %d (%v), want 2", n, err)
	}
}

// TestReadOnlyOldAndHeld: a report opens a v2 file without migrating it
// (no history: ErrNoAvailability) and is refused in one line while another
// handle holds the file.
func TestReadOnlyOldAndHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.db")
	rawBolt(t, path, func(tx *bolt.Tx) error {
		m, _ := tx.CreateBucket(bucketMeta)
		_ = m.Put(keyMagic, magic)
		for _, b := range [][]byte{bucketDevices, bucketLinks, bucketEvents} {
			_, _ = tx.CreateBucket(b)
		}
		return putSchema(m, 2)
	})
	ro, err := OpenReadOnly(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if err := ro.Intervals(time.Unix(0, 0), time.Now(), func(Interval) error { return nil }); !errors.Is(err, ErrNoAvailability) {
		t.Errorf("Intervals on a v2 file = %v, want ErrNoAvailability", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	var version int
	rawBolt(t, path, func(tx *bolt.Tx) error { version, _ = readSchema(tx.Bucket(bucketMeta)); return nil })
	if version != 2 {
		t.Errorf("schema %d after a read-only open, want 2 (untouched)", version)
	}
	s := openT(t, path, Options{})
	_, err = OpenReadOnly(path, 200*time.Millisecond)
	if !errors.Is(err, ErrLocked) || strings.Contains(err.Error(), "\n") {
		t.Errorf("read-only open of a held file = %v, want one line wrapping ErrLocked", err)
	}
	_ = s
}

// TestIntervalsWindow: a window's read returns exactly the intervals that
// overlap it, site by site, whatever the sites' names (one a prefix of
// another) and whatever precedes the window.
func TestIntervalsWindow(t *testing.T) {
	s := openT(t, filepath.Join(t.TempDir(), "v.db"), Options{Now: func() time.Time { return t0 }})
	var all []Interval
	for i, site := range []string{"s1", "s10", "s2", "s3"} {
		at := t0
		for j := range 40 {
			iv := Interval{Site: site, Start: at, End: at.Add(time.Duration(10+i+j) * time.Minute), State: availStates[1+j%3]}
			if j == 39 && site != "s3" {
				iv.End = time.Time{} // open
			}
			all = append(all, iv)
			s.PutInterval(iv)
			at = iv.End
		}
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, w := range [][2]time.Duration{{0, 48 * time.Hour}, {-time.Hour, 0}, {time.Hour, 2 * time.Hour},
		{95 * time.Minute, 95*time.Minute + time.Second}, {10 * time.Hour, 11 * time.Hour}, {-time.Hour, time.Minute}} {
		from, to := t0.Add(w[0]), t0.Add(w[1])
		var want, got []Interval
		for _, iv := range all {
			if iv.Start.Before(to) && (iv.End.IsZero() || iv.End.After(from)) {
				want = append(want, iv)
			}
		}
		if err := s.Intervals(from, to, func(iv Interval) error { got = append(got, iv); return nil }); err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Errorf("window %v: %d intervals, want %d", w, len(got), len(want))
			continue
		}
		for i := range want {
			if got[i].Site != want[i].Site || !got[i].Start.Equal(want[i].Start) || !got[i].End.Equal(want[i].End) || got[i].State != want[i].State {
				t.Errorf("window %v: interval %d = %+v, want %+v", w, i, got[i], want[i])
				break
			}
		}
	}
}
