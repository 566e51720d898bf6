package ber

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

func TestInt(t *testing.T) {
	for _, c := range []struct {
		v    int64
		want []byte
	}{
		{0, []byte{2, 1, 0}},
		{127, []byte{2, 1, 0x7f}},
		{128, []byte{2, 2, 0, 0x80}},
		{-1, []byte{2, 1, 0xff}},
		{-128, []byte{2, 1, 0x80}},
		{-129, []byte{2, 2, 0xff, 0x7f}},
		{1<<31 - 1, []byte{2, 4, 0x7f, 0xff, 0xff, 0xff}},
		{-1 << 63, []byte{2, 8, 0x80, 0, 0, 0, 0, 0, 0, 0}},
		{1<<63 - 1, []byte{2, 8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	} {
		var e Encoder
		e.Int(TagInteger, c.v)
		if !bytes.Equal(e.B, c.want) {
			t.Errorf("Int(%d) = % x, want % x", c.v, e.B, c.want)
		}
		got, rest, err := ReadInt(e.B)
		if err != nil || got != c.v || len(rest) != 0 {
			t.Errorf("ReadInt(% x) = %d, % x, %v", e.B, got, rest, err)
		}
	}
}

func TestUint(t *testing.T) {
	for _, c := range []struct {
		v    uint64
		want []byte
	}{
		{0, []byte{0x41, 1, 0}},
		{127, []byte{0x41, 1, 0x7f}},
		{255, []byte{0x41, 2, 0, 0xff}},
		{1<<32 - 1, []byte{0x41, 5, 0, 0xff, 0xff, 0xff, 0xff}},
		{1<<63 - 1, []byte{0x41, 8, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
		{1<<64 - 1, []byte{0x41, 9, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}},
	} {
		var e Encoder
		e.Uint(0x41, c.v)
		if !bytes.Equal(e.B, c.want) {
			t.Errorf("Uint(%d) = % x, want % x", c.v, e.B, c.want)
		}
		got, err := ParseUint(e.B[2:])
		if err != nil || got != c.v {
			t.Errorf("ParseUint(% x) = %d, %v", e.B[2:], got, err)
		}
	}
}

// TestParseRejects lists the integers each parser refuses.
func TestParseRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		c    []byte
		uint bool
	}{
		{"empty INTEGER", nil, false},
		{"9-octet INTEGER", []byte{0, 1, 2, 3, 4, 5, 6, 7, 8}, false},
		{"empty unsigned", nil, true},
		{"10-octet unsigned", []byte{0, 0, 1, 2, 3, 4, 5, 6, 7, 8}, true},
		{"9-octet unsigned without a zero sign octet", []byte{1, 0, 0, 0, 0, 0, 0, 0, 0}, true},
	} {
		var err error
		if c.uint {
			_, err = ParseUint(c.c)
		} else {
			_, err = ParseInt(c.c)
		}
		if !errors.Is(err, ErrInteger) {
			t.Errorf("%s (% x): got %v, want %v", c.name, c.c, err, ErrInteger)
		}
	}
}

func TestReadTLV(t *testing.T) {
	for _, c := range []struct {
		name          string
		in            []byte
		tag           byte
		content, rest []byte
		err           error
	}{
		{"short form", []byte{0x04, 2, 'a', 'b', 0xff}, 0x04, []byte("ab"), []byte{0xff}, nil},
		{"empty content", []byte{0x05, 0}, 0x05, []byte{}, []byte{}, nil},
		{"long form, one octet", append([]byte{0x04, 0x81, 1}, 'x'), 0x04, []byte("x"), []byte{}, nil},
		{"long form, three octets", append([]byte{0x04, 0x83, 0, 0, 1}, 'x'), 0x04, []byte("x"), []byte{}, nil},
		{"empty", nil, 0, nil, nil, ErrTruncated},
		{"tag only", []byte{0x30}, 0, nil, nil, ErrTruncated},
		{"multi-byte tag", []byte{0x1f, 0x01, 0}, 0, nil, nil, ErrTag},
		{"indefinite length", []byte{0x30, 0x80, 0, 0}, 0, nil, nil, ErrLength},
		{"four length octets", []byte{0x04, 0x84, 0, 0, 0, 1, 'x'}, 0, nil, nil, ErrLength},
		{"length octets cut", []byte{0x04, 0x82, 0}, 0, nil, nil, ErrTruncated},
		{"content cut", []byte{0x04, 3, 'a', 'b'}, 0, nil, nil, ErrTruncated},
	} {
		tag, content, rest, err := ReadTLV(c.in)
		if !errors.Is(err, c.err) || tag != c.tag || !bytes.Equal(content, c.content) || !bytes.Equal(rest, c.rest) {
			t.Errorf("%s: ReadTLV(% x) = %#x, % x, % x, %v; want %#x, % x, % x, %v",
				c.name, c.in, tag, content, rest, err, c.tag, c.content, c.rest, c.err)
		}
	}
	if _, _, err := Expect([]byte{0x04, 0}, TagInteger); !errors.Is(err, ErrTag) {
		t.Errorf("Expect of an OCTET STRING as an INTEGER: got %v, want %v", err, ErrTag)
	}
}

func TestOIDRoundTrip(t *testing.T) {
	for _, oid := range [][]uint32{
		{1, 3, 6, 1, 2, 1, 1, 5, 0},
		{0, 39},
		{1, 0, 8802, 1, 1, 2, 1, 4, 1, 1, 9, 0, 3, 1},
		{2, 999, 1<<32 - 1, 0, 127, 128, 16383, 16384, 1<<21 - 1, 1 << 21, 1<<28 - 1, 1 << 28},
		{2, 1<<32 - 81}, // the largest first sub-identifier
		append([]uint32{1, 3}, slices.Repeat([]uint32{1<<32 - 1}, 40)...),  // over 127 octets: one length octet more
		append([]uint32{1, 3}, slices.Repeat([]uint32{1<<32 - 1}, 126)...), // over 255 octets: two
	} {
		for _, prefix := range []int{0, 3} { // encode after other elements, too
			e := Encoder{B: make([]byte, prefix)}
			e.OID(oid)
			tag, c, rest, err := ReadTLV(e.B[prefix:])
			if err != nil || tag != TagOID || len(rest) != 0 {
				t.Fatalf("oid %v encoded as % x: %v", oid, e.B, err)
			}
			got, err := AppendOIDArcs([]uint32{7}, c)
			if err != nil || !slices.Equal(got[1:], oid) || got[0] != 7 {
				t.Errorf("round trip of %v gave %v, %v", oid, got, err)
			}
			if n := len(c); len(e.B)-prefix != 2+n+min(n/128, 1)+min(n/256, 1) {
				t.Errorf("OID content of %d octets took %d octets (not minimal)", n, len(e.B)-prefix)
			}
		}
	}
}

func TestOIDRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		c    []byte
	}{
		{"empty", nil},
		{"unterminated", []byte{0x2b, 0x80}},
		{"non-minimal sub-identifier", []byte{0x2b, 0x80, 0x01}},
		{"non-minimal first sub-identifier", []byte{0x80, 0x2b}},
		{"sub-identifier above 2^32-1", []byte{0x2b, 0x90, 0x80, 0x80, 0x80, 0x00}},
		{"sub-identifier of six octets", []byte{0x2b, 0x90, 0x80, 0x80, 0x80, 0x80, 0x01}},
		{"129 sub-identifiers", append([]byte{0x2b}, make([]byte, 127)...)},
	} {
		got, err := AppendOIDArcs(nil, c.c)
		if !errors.Is(err, ErrOID) {
			t.Errorf("%s: AppendOIDArcs(% x) = %v, %v; want %v", c.name, c.c, got, err, ErrOID)
		}
	}
	// 128 sub-identifiers are the most accepted.
	if got, err := AppendOIDArcs(nil, append([]byte{0x2b}, make([]byte, 126)...)); err != nil || len(got) != MaxOIDArcs {
		t.Errorf("an OID of %d sub-identifiers: got %d, %v", MaxOIDArcs, len(got), err)
	}
}

// TestCloseShrinks checks that constructed lengths come out minimal for
// every length form, and that what follows the element is not disturbed.
func TestCloseShrinks(t *testing.T) {
	for _, n := range []int{0, 5, 125, 126, 127, 128, 252, 253, 255, 256, 1000, 40000} {
		var e Encoder
		s := e.Open(TagSequence)
		e.Bytes(TagOctetString, make([]byte, n))
		shrink := e.Close(s)
		e.Null(TagNull)
		tag, c, rest, err := ReadTLV(e.B)
		if err != nil || tag != TagSequence || !bytes.Equal(rest, []byte{TagNull, 0}) {
			t.Fatalf("sequence of a %d-octet string: % x, %v", n, rest, err)
		}
		inner, _, err := Expect(c, TagOctetString)
		if err != nil || len(inner) != n {
			t.Errorf("inner string of %d octets decoded as %d: %v", n, len(inner), err)
		}
		head := 2 + min(len(c)/128, 1) + min(len(c)/256, 1)
		if len(e.B)-2 != head+len(c) || shrink != 4-head {
			t.Errorf("sequence of %d content octets took %d octets, shrank by %d; want %d, %d",
				len(c), len(e.B)-2, shrink, head+len(c), 4-head)
		}
	}
}

func TestStringAndLength(t *testing.T) {
	for _, n := range []int{0, 127, 128, 255, 256, 65000} {
		var e Encoder
		e.String(TagOctetString, string(make([]byte, n)))
		c, rest, err := Expect(e.B, TagOctetString)
		if err != nil || len(c) != n || len(rest) != 0 {
			t.Errorf("string of %d octets decoded as %d, % x, %v", n, len(c), rest, err)
		}
	}
}

// TestNoAllocations checks the promise the hot paths of the collector and
// the agent rely on: decoding allocates nothing, and neither does encoding
// into a buffer with room.
func TestNoAllocations(t *testing.T) {
	oid := []uint32{1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6, 1<<32 - 1}
	long := append([]uint32{1, 3}, slices.Repeat([]uint32{1<<32 - 1}, 60)...)
	e := Encoder{B: make([]byte, 0, 4096)}
	arcs := make([]uint32, 0, MaxOIDArcs)
	allocs := testing.AllocsPerRun(100, func() {
		e.B = e.B[:0]
		s := e.Open(TagSequence)
		e.OID(oid)
		e.OID(long)
		e.Int(TagInteger, -12345)
		e.Uint(0x46, 1<<64-1)
		e.String(TagOctetString, "ge-0/0/1")
		e.Close(s)
		list, _, err := Expect(e.B, TagSequence)
		for err == nil && len(list) > 0 {
			var tag byte
			var c []byte
			tag, c, list, err = ReadTLV(list)
			switch tag {
			case TagOID:
				arcs, err = AppendOIDArcs(arcs[:0], c)
			case TagInteger:
				_, err = ParseInt(c)
			case 0x46:
				_, err = ParseUint(c)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("encoding and decoding allocated %.1f times per run, want 0", allocs)
	}
}
