package store

import (
	"os"
	"path/filepath"
	"testing"
)

// TestHolds: which paths a reload may share the open store for.
func TestHolds(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vigie.db")
	s := openT(t, path, Options{})
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(path, link); err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	if err := os.WriteFile(other, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, path string
		want       bool
	}{
		{"its path", path, true},
		{"its path, spelt otherwise", filepath.Join(dir, ".", "vigie.db"), true},
		{"a symlink to it", link, true},
		{"another file", other, false},
		{"a missing file elsewhere", filepath.Join(dir, "missing.db"), false},
	} {
		if got := s.Holds(tc.path); got != tc.want {
			t.Errorf("%s: Holds(%s) = %v, want %v", tc.name, tc.path, got, tc.want)
		}
	}
	// Replaced under vigie (an operator's restore): the reload opens the
	// new file. Deleted: still the store's, recreated at the next Flush.
	if err := os.Rename(other, path); err != nil {
		t.Fatal(err)
	}
	if s.Holds(path) {
		t.Error("Holds is true for a file put in the store's place")
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if !s.Holds(path) {
		t.Error("Holds is false for the store's own path, deleted")
	}
}
