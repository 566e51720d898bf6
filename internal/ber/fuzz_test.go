package ber

import (
	"bytes"
	"testing"
)

// FuzzDecode walks arbitrary input as nested BER elements and checks each
// decoder against the encoder: whatever ReadTLV accepts lies inside the
// input and re-encodes to the same tag and content, an accepted INTEGER or
// unsigned value round-trips, and an accepted OID re-encodes to exactly
// its input (the decoder refuses every non-minimal form).
func FuzzDecode(f *testing.F) {
	// The seeds in testdata/fuzz/FuzzDecode are an SNMPv2c GetResponse, an
	// OID over 127 octets and malformed elements.
	var e Encoder
	var arcs []uint32
	f.Fuzz(func(t *testing.T, data []byte) {
		walk(t, data, &e, &arcs, 0)
	})
}

func walk(t *testing.T, b []byte, e *Encoder, arcs *[]uint32, depth int) {
	for len(b) > 0 {
		tag, c, rest, err := ReadTLV(b)
		if err != nil {
			return
		}
		if len(c)+len(rest) > len(b)-2 || !bytes.Contains(b, c) {
			t.Fatalf("element % x: content and rest are not inside the input", b)
		}
		e.B = e.B[:0]
		e.Bytes(tag, c)
		if tag2, c2, rest2, err := ReadTLV(e.B); err != nil || tag2 != tag || !bytes.Equal(c2, c) || len(rest2) != 0 {
			t.Fatalf("element %#x % x re-encoded as % x: %v", tag, c, e.B, err)
		}
		switch {
		case tag&0x20 != 0 && depth < 8: // constructed
			walk(t, c, e, arcs, depth+1)
		case tag == TagOID:
			var err error
			if *arcs, err = AppendOIDArcs((*arcs)[:0], c); err != nil {
				break
			}
			if len(*arcs) < 2 || len(*arcs) > MaxOIDArcs {
				t.Fatalf("OID % x decoded to %d sub-identifiers", c, len(*arcs))
			}
			if got := AppendOIDContent(nil, *arcs); !bytes.Equal(got, c) {
				t.Fatalf("OID % x decoded to %v, re-encoded as % x", c, *arcs, got)
			}
			e.B = e.B[:0]
			e.OID(*arcs)
			if c2, _, err := Expect(e.B, TagOID); err != nil || !bytes.Equal(c2, c) {
				t.Fatalf("OID %v encoded as % x: %v", *arcs, e.B, err)
			}
		case tag == TagInteger:
			v, err := ParseInt(c)
			if err != nil {
				break
			}
			e.B = e.B[:0]
			e.Int(TagInteger, v)
			if v2, _, err := ReadInt(e.B); err != nil || v2 != v || len(e.B)-2 > len(c) {
				t.Fatalf("INTEGER % x (%d) encoded as % x: %d, %v", c, v, e.B, v2, err)
			}
		case tag >= 0x41 && tag <= 0x47:
			u, err := ParseUint(c)
			if err != nil {
				break
			}
			e.B = e.B[:0]
			e.Uint(tag, u)
			if u2, err := ParseUint(e.B[2:]); err != nil || u2 != u || len(e.B)-2 > min(len(c)+1, 9) {
				t.Fatalf("unsigned % x (%d) encoded as % x: %d, %v", c, u, e.B, u2, err)
			}
		}
		b = rest
	}
}
