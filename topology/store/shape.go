// This file refuses a store file that bbolt must not map: a directory, a
// file that is not bbolt's, or one cut short (a copy interrupted, a disk
// that filled during a restore, a filesystem repair). bbolt maps the file
// and reads its pages in place: a page past the end of a truncated file is
// a SIGBUS, which kills the process, so the file's size is checked against
// what its meta page says before bbolt ever opens it.

package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"io/fs"
	"os"
	"slices"
)

// bbolt's on-disk layout (go.etcd.io/bbolt/internal/common: Page, Meta):
// every page starts with a 16-byte header (page id, flags, count,
// overflow: 8, 2, 2 and 4 bytes); pages 0 and 1 are meta pages
// holding, after the header, magic, version, page size, flags (4 bytes
// each), the root bucket (root page id, sequence), the freelist page id,
// the high-water mark (pages in use), the transaction id and an FNV-64a
// checksum of the fields before it (8 bytes each), in the machine's byte
// order.
const (
	boltPageHeader  = 16
	boltMetaSize    = 64
	boltMetaSummed  = 56 // bytes covered by the checksum
	boltMagic       = 0xED0CDAED
	boltVersion     = 2
	boltMinPageSize = 1024
	boltMaxPageSize = 1 << 24 // bbolt itself looks no further for meta 1

	// Page types (the header's flags).
	boltBranchPage   = 0x01
	boltLeafPage     = 0x02
	boltFreelistPage = 0x10
)

// boltMeta is one decoded meta page.
type boltMeta struct {
	pageSize uint32
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages 0..pgid-1 are in use
	txid     uint64
}

// decodeMeta reads the meta at the start of page buf; the error says what
// is wrong with it.
func decodeMeta(buf []byte) (boltMeta, error) {
	if len(buf) < boltPageHeader+boltMetaSize {
		return boltMeta{}, errors.New("too short")
	}
	b := buf[boltPageHeader : boltPageHeader+boltMetaSize]
	ne := binary.NativeEndian
	switch {
	case ne.Uint32(b[0:]) != boltMagic:
		return boltMeta{}, errors.New("no bbolt magic number")
	case ne.Uint32(b[4:]) != boltVersion:
		return boltMeta{}, fmt.Errorf("bbolt format version %d, want %d", ne.Uint32(b[4:]), boltVersion)
	}
	h := fnv.New64a()
	h.Write(b[:boltMetaSummed])
	if h.Sum64() != ne.Uint64(b[boltMetaSummed:]) {
		return boltMeta{}, errors.New("bad checksum")
	}
	m := boltMeta{pageSize: ne.Uint32(b[8:]), root: ne.Uint64(b[16:]), freelist: ne.Uint64(b[32:]),
		pgid: ne.Uint64(b[40:]), txid: ne.Uint64(b[48:])}
	if m.pageSize < boltMinPageSize || m.pageSize > boltMaxPageSize || m.pageSize&(m.pageSize-1) != 0 {
		return boltMeta{}, fmt.Errorf("page size %d", m.pageSize)
	}
	return m, nil
}

// checkShape refuses, before bbolt opens it, a path bbolt cannot use
// safely. A missing or empty file is fine: bbolt creates and initialises
// it. It reads the file and never writes it.
func checkShape(path string) error {
	const never = "(vigie never rewrites it)"
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("store: cannot read %s: %w: check the path and its permissions, or use --db another file", path, err)
	case fi.IsDir():
		return fmt.Errorf("store: %s is a directory: give the path of a file (agent.db in the inventory, or --db), e.g. %s/vigie.db", path, path)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("store: %s is not a regular file (%s): give the path of a file (agent.db in the inventory, or --db)", path, fi.Mode().Type())
	case fi.Size() == 0:
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("store: cannot read %s: %w: check its permissions, or use --db another file", path, err)
	}
	defer f.Close()
	size := fi.Size()
	notBolt := func(why error) error {
		return fmt.Errorf("%w: %s is not a bbolt file (%v): is agent.db (or --db) the right path? Move the file aside or use --db another file %s",
			ErrCorrupt, path, why, never)
	}
	page := make([]byte, 4096)
	n, err := f.ReadAt(page, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("store: cannot read %s: %w", path, err)
	}
	// As bbolt does: meta 0 gives the page size; when it is damaged, meta
	// 1 is looked for at each possible page size.
	meta0, err0 := decodeMeta(page[:n])
	pageSize := int64(meta0.pageSize)
	if err0 != nil {
		for ps := int64(boltMinPageSize); ps <= boltMaxPageSize && ps+boltPageHeader+boltMetaSize <= size; ps *= 2 {
			n, err := f.ReadAt(page, ps)
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("store: cannot read %s: %w", path, err)
			}
			if m, err := decodeMeta(page[:n]); err == nil && int64(m.pageSize) == ps {
				pageSize = ps
				break
			}
		}
		if pageSize == 0 {
			return notBolt(fmt.Errorf("neither meta page is valid: %v", err0))
		}
	}
	truncated := func(want int64) error {
		return fmt.Errorf("%w: %s is truncated: bbolt needs %d bytes (%d pages of %d) but the file has %d; it was cut short (interrupted copy, full disk, filesystem repair): restore it from a backup, or move it aside so that vigie starts a new one %s",
			ErrCorrupt, path, want, want/pageSize, pageSize, size, never)
	}
	if size < 2*pageSize {
		return truncated(2 * pageSize)
	}
	n, err = f.ReadAt(page[:min(int64(len(page)), pageSize)], pageSize)
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("store: cannot read %s: %w", path, err)
	}
	meta1, err1 := decodeMeta(page[:n])
	// bbolt uses the valid meta of the highest transaction.
	var m boltMeta
	switch {
	case err0 == nil && (err1 != nil || meta0.txid >= meta1.txid):
		m = meta0
	case err1 == nil:
		m = meta1
	default:
		return notBolt(fmt.Errorf("neither meta page is valid: %v; %v", err0, err1))
	}
	if int64(m.pageSize) != pageSize {
		return notBolt(fmt.Errorf("meta pages disagree on the page size (%d, %d)", pageSize, m.pageSize))
	}
	if m.pgid < 2 || m.pgid > uint64(1<<62)/uint64(pageSize) || m.root >= m.pgid ||
		(m.freelist >= m.pgid && m.freelist != ^uint64(0)) {
		return fmt.Errorf("%w: %s has an impossible meta page (%d pages, root page %d, freelist page %d): restore it from a backup, or move it aside %s",
			ErrCorrupt, path, m.pgid, m.root, m.freelist, never)
	}
	if want := int64(m.pgid) * pageSize; size < want {
		return truncated(want)
	}
	// bbolt reads the freelist and the root page as it opens the file, and
	// panics (holding the file) on a page of the wrong type: check their
	// headers first.
	pageAt := func(id uint64, flags ...uint16) error {
		var h [boltPageHeader]byte
		if _, err := f.ReadAt(h[:], int64(id)*pageSize); err != nil {
			return fmt.Errorf("store: cannot read %s: %w", path, err)
		}
		ne := binary.NativeEndian
		if got := ne.Uint16(h[8:]); ne.Uint64(h[0:]) != id || !slices.Contains(flags, got) {
			return fmt.Errorf("%w: %s is damaged: page %d is not the page its meta page points to (id %d, type %#x): restore it from a backup, or move it aside %s",
				ErrCorrupt, path, id, ne.Uint64(h[0:]), got, never)
		}
		return nil
	}
	if m.freelist != ^uint64(0) {
		if err := pageAt(m.freelist, boltFreelistPage); err != nil {
			return err
		}
	}
	return pageAt(m.root, boltBranchPage, boltLeafPage)
}
