package store

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// TestFileDeletedOrReplaced: what the store does when its file is removed
// or swapped under a running vigie. A deleted file is recreated at the next
// Flush with everything committed before plus the batch; a replaced file is
// left alone and reported; a vanished directory keeps the batch in memory
// until it is back.
func TestFileDeletedOrReplaced(t *testing.T) {
	tests := []struct {
		name string
		// mangle acts on the store's directory and file while it is open;
		// heal undoes what makes the store unable to write (nil: nothing).
		mangle, heal func(t *testing.T, dir, path string)
		wantLog      string
		wantFlushErr bool
		recreated    float64
		replaced     float64
		// wantAtPath: the file at path afterwards holds vigie's data (or,
		// for a replaced file, still the foreign content).
		wantAtPath bool
	}{
		{
			name:      "deleted",
			mangle:    func(t *testing.T, _, path string) { must(t, os.Remove(path)) },
			wantLog:   "store file was deleted while vigie ran; recreated from the open copy",
			recreated: 1, wantAtPath: true,
		},
		{
			name: "renamed away",
			mangle: func(t *testing.T, dir, path string) {
				must(t, os.Rename(path, filepath.Join(dir, "moved.db")))
			},
			wantLog: "recreated from the open copy", recreated: 1, wantAtPath: true,
		},
		{
			name: "replaced",
			mangle: func(t *testing.T, _, path string) {
				must(t, os.Remove(path))
				must(t, os.WriteFile(path, []byte("an operator's file"), 0o600))
			},
			wantLog: "replaced by another file", replaced: 1,
		},
		{
			name:    "directory gone, then back",
			mangle:  func(t *testing.T, dir, _ string) { must(t, os.RemoveAll(dir)) },
			heal:    func(t *testing.T, dir, _ string) { must(t, os.Mkdir(dir, 0o700)) },
			wantLog: "cannot be recreated", wantFlushErr: true, recreated: 1, wantAtPath: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "state")
			must(t, os.Mkdir(dir, 0o700))
			path := filepath.Join(dir, "vigie.db")
			var logs bytes.Buffer
			s := openT(t, path, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: func() time.Time { return t0 }})
			s.PutDevice(Device{Name: "before", Polls: 1})
			s.AddEvent(Event{Time: t0, Kind: "link_down", Subject: "before"})
			must(t, s.Flush())

			tc.mangle(t, dir, path)
			s.PutDevice(Device{Name: "after", Polls: 2})
			s.AddEvent(Event{Time: t0.Add(time.Second), Kind: "link_up", Subject: "after"})
			err := s.Flush()
			if (err != nil) != tc.wantFlushErr {
				t.Fatalf("Flush after %s: %v, want error %v", tc.name, err, tc.wantFlushErr)
			}
			if tc.wantFlushErr {
				if s.Pending() != 2 {
					t.Errorf("Pending = %d after a failed recreation, want the 2 changes kept", s.Pending())
				}
				if !strings.Contains(err.Error(), path) {
					t.Errorf("the error does not name the file: %v", err)
				}
				tc.heal(t, dir, path)
				must(t, s.Flush())
			}
			if !strings.Contains(logs.String(), tc.wantLog) || !strings.Contains(logs.String(), path) {
				t.Errorf("logs do not report %q naming %s:\n%s", tc.wantLog, path, logs.String())
			}
			if got := testutil.ToFloat64(s.m.recreated); got != tc.recreated {
				t.Errorf("vigie_store_file_recreated_total = %v, want %v", got, tc.recreated)
			}
			if got := testutil.ToFloat64(s.m.replaced); got != tc.replaced {
				t.Errorf("vigie_store_file_replaced = %v, want %v", got, tc.replaced)
			}
			// What the running store serves is everything, whatever happened.
			checkContent(t, s, "running store")
			// A second Flush after recovery finds the file in place: no
			// second recreation, no new log line.
			n := strings.Count(logs.String(), "\n")
			s.PutDevice(Device{Name: "later"})
			must(t, s.Flush())
			if testutil.ToFloat64(s.m.recreated) != tc.recreated || strings.Count(logs.String(), "\n") != n {
				t.Errorf("a Flush with the file in place logged or recreated again:\n%s", logs.String())
			}
			must(t, s.Close())

			if !tc.wantAtPath {
				b, err := os.ReadFile(path)
				if err != nil || string(b) != "an operator's file" {
					t.Errorf("the replacing file was touched: %q, %v", b, err)
				}
				return
			}
			// After a restart, the file at path holds what was written
			// before the deletion and after it.
			s2 := openT(t, path, Options{Now: func() time.Time { return t0 }})
			checkContent(t, s2, "reopened file")
			if _, err := os.Stat(path + ".recreate"); !os.IsNotExist(err) {
				t.Errorf("temporary file left beside the store: %v", err)
			}
		})
	}
}

func checkContent(t *testing.T, s *Store, what string) {
	t.Helper()
	snap, err := s.Load()
	must(t, err)
	names := map[string]bool{}
	for _, d := range snap.Devices {
		names[d.Name] = true
	}
	evs, err := s.Events(time.Time{}, 10)
	must(t, err)
	var subjects []string
	for _, e := range evs {
		subjects = append(subjects, e.Subject)
	}
	if !names["before"] || !names["after"] || fmt.Sprint(subjects) != "[before after]" {
		t.Errorf("%s: devices %v, events %v; want before and after of each", what, names, subjects)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestClockSteppedBack: an NTP step back must not file new events before
// older ones. LastEvents (which seeds the history after a restart) returns
// the events last written, each with the time it was stamped with.
func TestClockSteppedBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	s := openT(t, path, Options{Now: func() time.Time { return t0 }})
	s.AddEvent(Event{Time: t0, Kind: "k", Subject: "1"})
	s.AddEvent(Event{Time: t0.Add(time.Hour), Kind: "k", Subject: "2 (clock ahead)"})
	must(t, s.Flush())
	must(t, s.Close())
	// Restarted after the clock was stepped back by two hours: the newest
	// key is read from the file.
	s = openT(t, path, Options{Now: func() time.Time { return t0.Add(-time.Hour) }})
	back := t0.Add(-time.Hour)
	s.AddEvent(Event{Time: back, Kind: "k", Subject: "3 (after the step)"})
	must(t, s.Flush())
	s.AddEvent(Event{Time: back.Add(time.Second), Kind: "k", Subject: "4"})
	must(t, s.Flush())
	evs, err := s.LastEvents(2)
	must(t, err)
	if len(evs) != 2 || evs[0].Subject != "3 (after the step)" || evs[1].Subject != "4" {
		t.Fatalf("LastEvents(2) after a clock step back = %+v, want events 3 and 4", evs)
	}
	if !evs[0].Time.Equal(back) {
		t.Errorf("event 3 time = %v, want its own stamp %v", evs[0].Time, back)
	}
	all, err := s.Events(time.Time{}, 10)
	must(t, err)
	if len(all) != 4 {
		t.Errorf("Events = %d, want all 4 (none pruned by the step)", len(all))
	}
}

// TestClockSteppedForward: a wall clock stepped a year ahead while vigie
// runs (the monotonic clock says a minute passed) prunes nothing: retention
// measures ages from the wall clock at Open plus the monotonic time
// elapsed. After a restart, the wall clock is read again and applies.
func TestClockSteppedForward(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigie.db")
	wall := t0
	s := openT(t, path, Options{History: 24 * time.Hour, Now: func() time.Time { return wall }})
	s.elapsed = func() time.Duration { return time.Minute }
	for i := range 3 {
		s.AddEvent(Event{Time: t0.Add(time.Duration(i) * time.Second), Kind: "k", Subject: fmt.Sprint(i)})
	}
	must(t, s.Flush())
	wall = t0.AddDate(1, 0, 0) // NTP steps the wall clock a year ahead
	s.AddEvent(Event{Time: wall, Kind: "k", Subject: "after the step"})
	must(t, s.Flush())
	if n := s.EventCount(); n != 4 {
		t.Fatalf("EventCount after a step forward = %d, want 4: the step pruned the history", n)
	}
	must(t, s.Close())
	s = openT(t, path, Options{History: 24 * time.Hour, Now: func() time.Time { return wall }})
	s.AddEvent(Event{Time: wall.Add(time.Second), Kind: "k", Subject: "after the restart"})
	must(t, s.Flush())
	if n := s.EventCount(); n != 2 {
		t.Errorf("EventCount after a restart a year later = %d, want 2 (the year-old events pruned)", n)
	}
}
