package store

import (
	"encoding/binary"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// The bucket layout is documented in docs/store.md; keep both in step.
var (
	bucketMeta    = []byte("meta")
	bucketDevices = []byte("devices")
	bucketLinks   = []byte("links")
	bucketEvents  = []byte("events")

	keyMagic  = []byte("magic")
	keySchema = []byte("schema")

	// magic identifies a vigie topology store; a bbolt file without it is
	// someone else's and is never touched.
	magic = []byte("vigie-topology-store")
)

// SchemaVersion is the layout this vigie writes. Older files are migrated
// on open, one step at a time, each step in its own transaction; newer ones
// are refused.
const SchemaVersion = 3

// migration moves a file from version from to from+1. It runs inside one
// read-write transaction, so a crash mid-migration leaves the old version.
type migration struct {
	from int
	what string
	run  func(tx *bolt.Tx) error
}

// migrations is the path from every older layout to SchemaVersion.
//
//	v0: meta with the magic but no schema key; devices and links buckets; no
//	    events (the first prototype kept no history).
//	v1: events bucket keyed by the 8-byte big-endian unix nanos alone, so two
//	    events in the same nanosecond overwrote each other.
//	v2: event keys are unix nanos + an 8-byte sequence (unique, still in time
//	    order), and the schema key is always present.
//	v3: availability bucket: site state intervals with their own retention
//	    (avail.go), and the heartbeat key in meta.
var migrations = []migration{
	{from: 0, what: "add the events bucket", run: func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketDevices, bucketLinks, bucketEvents} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	}},
	{from: 1, what: "re-key events as nanos+sequence", run: func(tx *bolt.Tx) error {
		old := tx.Bucket(bucketEvents)
		if old == nil {
			_, err := tx.CreateBucket(bucketEvents)
			return err
		}
		type kv struct{ k, v []byte }
		var rows []kv
		if err := old.ForEach(func(k, v []byte) error {
			if len(k) != 8 {
				return fmt.Errorf("v1 event key %x is %d bytes, want 8", k, len(k))
			}
			rows = append(rows, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
			return nil
		}); err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketEvents); err != nil {
			return err
		}
		nb, err := tx.CreateBucket(bucketEvents)
		if err != nil {
			return err
		}
		for _, r := range rows {
			seq, err := nb.NextSequence()
			if err != nil {
				return err
			}
			if err := nb.Put(eventKey(int64(binary.BigEndian.Uint64(r.k)), seq), r.v); err != nil {
				return err
			}
		}
		return nil
	}},
	{from: 2, what: "add the availability bucket", run: func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketAvail)
		return err
	}},
}

// eventKey is the 16-byte key of an event: big-endian unix nanos, then a
// big-endian sequence, so that a cursor walks events in time order and two
// events of the same nanosecond both survive.
func eventKey(nanos int64, seq uint64) []byte {
	k := make([]byte, 16)
	binary.BigEndian.PutUint64(k[:8], uint64(nanos))
	binary.BigEndian.PutUint64(k[8:], seq)
	return k
}

func putSchema(meta *bolt.Bucket, v int) error {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(v))
	return meta.Put(keySchema, b[:])
}

// readSchema returns the file's schema version: 0 when the key is absent
// (the v0 layout had none).
func readSchema(meta *bolt.Bucket) (int, error) {
	v := meta.Get(keySchema)
	if v == nil {
		return 0, nil
	}
	if len(v) != 4 {
		return 0, fmt.Errorf("schema key is %d bytes, want 4", len(v))
	}
	return int(binary.BigEndian.Uint32(v)), nil
}
