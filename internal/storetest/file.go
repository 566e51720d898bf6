package storetest

import (
	"encoding/binary"
	"fmt"
	"os"
	"testing"

	"github.com/vigie-rie/vigie/topology/store"
)

// Write writes at path a store of a few hundred pages, what a vigie that
// ran a while leaves, and returns the bytes bbolt uses in it (its
// high-water mark times the page size, read from the newer meta page) and
// the page size: a file cut below inUse lacks pages bbolt would read.
func Write(tb testing.TB, path string) (inUse, pageSize int64) {
	tb.Helper()
	s, err := store.Open(path, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 3000 {
		s.PutLink(store.Link{ID: fmt.Sprintf("link-%05d", i), State: "up", Sources: []string{"declared"}})
	}
	s.AddEvent(store.Event{Kind: "link_down", Subject: "link-00001"})
	if err := s.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	// bbolt's meta page (go.etcd.io/bbolt/internal/common.Meta), after a
	// 16-byte page header: page size at 8, high-water mark at 40, txid
	// at 48, in the machine's byte order.
	ne := binary.NativeEndian
	pageSize = int64(ne.Uint32(b[16+8:]))
	meta := b[16:]
	if ne.Uint64(b[pageSize+16+48:]) > ne.Uint64(b[16+48:]) {
		meta = b[pageSize+16:]
	}
	inUse = int64(ne.Uint64(meta[40:])) * pageSize
	if inUse < 16*pageSize || inUse > int64(len(b)) {
		tb.Fatalf("store %s: %d bytes in use of %d: not the store this helper means to write", path, inUse, len(b))
	}
	return inUse, pageSize
}
