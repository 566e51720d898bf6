package store

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// populated writes a store of a few hundred pages at path and returns its
// bytes, page size and the bytes in use (bbolt's high-water mark: the file
// may be longer, bbolt grows it ahead).
func populated(t *testing.T, path string) ([]byte, int, int) {
	t.Helper()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3000 {
		s.PutLink(Link{ID: fmt.Sprintf("link-%05d", i), State: "up", Sources: []string{"declared"}, Site: "S-0001"})
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	pageSize := s.db.Info().PageSize
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m0, err0 := decodeMeta(b)
	m1, err1 := decodeMeta(b[pageSize:])
	if err0 != nil || err1 != nil {
		t.Fatalf("decoding the meta pages of a good file: %v, %v", err0, err1)
	}
	inUse := int(max(m0.pgid, m1.pgid)) * pageSize
	if inUse < 16*pageSize {
		t.Fatalf("the populated store uses %d bytes: too few pages to cut", inUse)
	}
	return b, pageSize, inUse
}

// TestRefusesDamagedShape: a file cut short, foreign bytes or damaged meta
// pages are refused before bbolt maps the file (a truncated file would
// otherwise be a SIGBUS, which kills the test binary: the test passing at
// all is part of the proof), with an error naming the file and the next
// step, and the file left as it was. A damaged first meta page alone is
// not fatal: bbolt uses the second, and so does the check.
func TestRefusesDamagedShape(t *testing.T) {
	good, pageSize, inUse := populated(t, filepath.Join(t.TempDir(), "good.db"))
	random := make([]byte, 64<<10)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range random {
		random[i] = byte(r.UintN(256))
	}
	m, err := decodeMeta(good[pageSize:])
	if m0, err0 := decodeMeta(good); err != nil || (err0 == nil && m0.txid > m.txid) {
		m = m0
	}
	overwrite := func(page uint64) []byte {
		b := bytes.Clone(good)
		copy(b[int(page)*pageSize:], bytes.Repeat([]byte{0xA5}, pageSize))
		return b
	}
	smash := func(off int) []byte {
		b := bytes.Clone(good)
		copy(b[off+16:], bytes.Repeat([]byte{0xA5}, 64))
		return b
	}
	for _, tc := range []struct {
		name    string
		content []byte
		mention string // "" = opens fine
	}{
		{"half the pages cut off", good[:inUse/2], "is truncated"},
		{"last page in use cut off", good[:inUse-pageSize], "is truncated"},
		{"cut mid-page", good[:inUse-pageSize/2], "is truncated"},
		{"cut to its meta pages", good[:2*pageSize], "is truncated"},
		{"cut inside the first page", good[:pageSize/2], "is truncated"},
		{"cut after the pages in use", good[:inUse], ""},
		{"random bytes", random, "is not a bbolt file"},
		{"text", bytes.Repeat([]byte("agent:\n  db: /var/lib/vigie/vigie.db\n"), 1000), "is not a bbolt file"},
		{"both meta pages smashed", func() []byte { b := smash(0); copy(b[pageSize+16:], make([]byte, 64)); return b }(), "is not a bbolt file"},
		{"first meta page damaged", smash(0), ""},
		{"freelist page overwritten", overwrite(m.freelist), "is damaged: page"},
		{"root page overwritten", overwrite(m.root), "is damaged: page"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "vigie.db")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if tc.mention == "" {
				s, err := Open(path, Options{})
				if err != nil {
					t.Fatalf("Open: %v, want the file opened", err)
				}
				_ = s.Close()
				return
			}
			refused(t, path, ErrCorrupt, tc.mention)
		})
	}
}

// TestRefusesUnusablePaths: a directory, a missing directory, a path where
// nothing can be created: one error naming the path and what to do.
func TestRefusesUnusablePaths(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		path, mention string
	}{
		{dir, "is a directory"},
		{filepath.Join(dir, "missing", "vigie.db"), "create its directory"},
		// sysfs refuses to create files, even to root.
		{"/sys/vigie-test.db", "cannot open /sys/vigie-test.db for writing"},
	} {
		s, err := Open(tc.path, Options{})
		if err == nil {
			_ = s.Close()
			t.Errorf("Open(%s) succeeded", tc.path)
			continue
		}
		if !bytes.Contains([]byte(err.Error()), []byte(tc.path)) || !bytes.Contains([]byte(err.Error()), []byte(tc.mention)) {
			t.Errorf("Open(%s): %v\nwant the path and %q", tc.path, err, tc.mention)
		}
	}
}
