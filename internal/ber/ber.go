// Package ber is the small subset of ASN.1 BER that SNMP messages use,
// shared by the collector's lean SNMPv2c codec and the simulator's agent:
// single-byte tags, definite lengths of at most three octets, INTEGERs of
// at most 64 bits and OBJECT IDENTIFIERs of at most 128 sub-identifiers.
//
// Decoding never allocates: elements are slices of the input, OIDs are
// appended to the caller's []uint32. Encoding appends to a reused buffer.
// The decoder is strict on purpose; each caller decides what to do with
// what it refuses (the collector hands it to gosnmp, the agent drops it).
package ber

import "errors"

// Universal tags used by SNMP. The SNMP application tags (Counter32...)
// and PDU tags belong to the callers.
const (
	TagInteger     = 0x02
	TagOctetString = 0x04
	TagNull        = 0x05
	TagOID         = 0x06
	TagSequence    = 0x30
)

// MaxOIDArcs bounds the sub-identifiers of one decoded OID (RFC 2578
// section 3.5).
const MaxOIDArcs = 128

// Decoding errors. They name the rule the input broke; the caller knows
// which message it was reading and says so.
var (
	ErrTruncated = errors.New("ber: truncated or inconsistent length")
	ErrTag       = errors.New("ber: unexpected tag")
	ErrLength    = errors.New("ber: unsupported length form")
	ErrInteger   = errors.New("ber: integer out of range")
	ErrOID       = errors.New("ber: malformed object identifier")
)

// ReadTLV splits b into its first element's tag and content, and the rest.
func ReadTLV(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, ErrTruncated
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, ErrTag // multi-byte tags are not SNMP
	}
	n, i := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return 0, nil, nil, ErrLength // indefinite, or more than a datagram
		}
		if len(b) < 2+k {
			return 0, nil, nil, ErrTruncated
		}
		n = 0
		for j := range k {
			n = n<<8 | int(b[2+j])
		}
		i += k
	}
	if n > len(b)-i {
		return 0, nil, nil, ErrTruncated
	}
	return tag, b[i : i+n], b[i+n:], nil
}

// Expect reads one element that must carry tag want.
func Expect(b []byte, want byte) (content, rest []byte, err error) {
	tag, content, rest, err := ReadTLV(b)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, ErrTag
	}
	return content, rest, nil
}

// ParseInt decodes the content of a two's-complement INTEGER of 1 to 8
// octets.
func ParseInt(c []byte) (int64, error) {
	if len(c) == 0 || len(c) > 8 {
		return 0, ErrInteger
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// ParseUint decodes the content of an unsigned value (Counter32, Gauge32,
// TimeTicks, Counter64) of 1 to 8 octets, or 9 whose first is a zero sign
// octet (Counter64 values of 2^63 and more).
func ParseUint(c []byte) (uint64, error) {
	if len(c) == 0 || len(c) > 9 || (len(c) == 9 && c[0] != 0) {
		return 0, ErrInteger
	}
	var v uint64
	for _, x := range c {
		v = v<<8 | uint64(x)
	}
	return v, nil
}

// ReadInt reads an INTEGER element of at most 64 bits.
func ReadInt(b []byte) (int64, []byte, error) {
	c, rest, err := Expect(b, TagInteger)
	if err != nil {
		return 0, nil, err
	}
	v, err := ParseInt(c)
	return v, rest, err
}

// AppendOIDArcs decodes OID content c, appending its sub-identifiers to
// dst. It refuses an empty OID, a non-minimal or unterminated
// sub-identifier, one above 2^32-1, and more than MaxOIDArcs of them.
func AppendOIDArcs(dst []uint32, c []byte) ([]uint32, error) {
	if len(c) == 0 {
		return dst, ErrOID
	}
	start := len(dst)
	var v uint64
	first := true
	for i, x := range c {
		if v == 0 && x == 0x80 {
			return dst, ErrOID // non-minimal encoding
		}
		v = v<<7 | uint64(x&0x7f)
		if v > 1<<32-1 {
			return dst, ErrOID
		}
		if x&0x80 != 0 {
			if i == len(c)-1 {
				return dst, ErrOID
			}
			continue
		}
		if len(dst)-start >= MaxOIDArcs {
			return dst, ErrOID
		}
		if first {
			first = false
			switch {
			case v < 40:
				dst = append(dst, 0, uint32(v))
			case v < 80:
				dst = append(dst, 1, uint32(v-40))
			default:
				dst = append(dst, 2, uint32(v-80))
			}
		} else {
			dst = append(dst, uint32(v))
		}
		v = 0
	}
	return dst, nil
}

// AppendOIDContent appends the BER content of an OID of two or more
// sub-identifiers, the first at most 2; a shorter one is encoded as the
// single octet 0 (0.0).
func AppendOIDContent(b []byte, arcs []uint32) []byte {
	if len(arcs) < 2 {
		return append(b, 0)
	}
	b = appendArc(b, uint64(arcs[0])*40+uint64(arcs[1]))
	for _, a := range arcs[2:] {
		b = appendArc(b, uint64(a))
	}
	return b
}

// appendArc appends one base-128 sub-identifier. The unrolled cases cover
// every 32-bit one; only a first sub-identifier 2.x with x near 2^32 takes
// the loop.
func appendArc(b []byte, v uint64) []byte {
	switch {
	case v < 1<<7:
		return append(b, byte(v))
	case v < 1<<14:
		return append(b, byte(v>>7)|0x80, byte(v&0x7f))
	case v < 1<<21:
		return append(b, byte(v>>14)|0x80, byte(v>>7)|0x80, byte(v&0x7f))
	case v < 1<<28:
		return append(b, byte(v>>21)|0x80, byte(v>>14)|0x80, byte(v>>7)|0x80, byte(v&0x7f))
	}
	n := 1
	for x := v >> 7; x > 0; x >>= 7 {
		n++
	}
	for i := n - 1; i > 0; i-- {
		b = append(b, byte(v>>(7*i))|0x80)
	}
	return append(b, byte(v&0x7f))
}

// Encoder appends BER to a reused buffer B. Constructed elements are
// opened with a 3-octet length placeholder and shrunk to the minimal
// length form when closed, so that encoding runs forward in one pass.
// Messages are bounded by UDP's 65,507 octets: lengths take at most two
// octets.
type Encoder struct {
	B []byte
}

// Open starts a constructed element and returns the offset of its content.
func (e *Encoder) Open(tag byte) int {
	e.B = append(e.B, tag, 0x82, 0, 0)
	return len(e.B)
}

// Close ends the constructed element whose content starts at start and
// returns how many octets its content moved back (0, 1 or 2), for a caller
// that kept offsets into it.
func (e *Encoder) Close(start int) int {
	n := len(e.B) - start
	switch {
	case n < 0x80:
		e.B[start-3] = byte(n)
		copy(e.B[start-2:], e.B[start:])
		e.B = e.B[:len(e.B)-2]
		return 2
	case n < 0x100:
		e.B[start-3] = 0x81
		e.B[start-2] = byte(n)
		copy(e.B[start-1:], e.B[start:])
		e.B = e.B[:len(e.B)-1]
		return 1
	default:
		e.B[start-2] = byte(n >> 8)
		e.B[start-1] = byte(n)
		return 0
	}
}

// Length appends a minimal definite length.
func (e *Encoder) Length(n int) {
	switch {
	case n < 0x80:
		e.B = append(e.B, byte(n))
	case n < 0x100:
		e.B = append(e.B, 0x81, byte(n))
	default:
		e.B = append(e.B, 0x82, byte(n>>8), byte(n))
	}
}

// Int appends a minimal two's-complement INTEGER (or another tag with the
// same encoding).
func (e *Encoder) Int(tag byte, v int64) {
	n := 1
	for x := v; x > 127 || x < -128; x >>= 8 {
		n++
	}
	e.B = append(e.B, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		e.B = append(e.B, byte(v>>(8*i)))
	}
}

// Uint appends a minimal unsigned value (Counter32, Gauge32, TimeTicks,
// Counter64), with a zero sign octet when its top bit is set.
func (e *Encoder) Uint(tag byte, v uint64) {
	n := 1
	for x := v; x > 127; x >>= 8 {
		n++
	}
	e.B = append(e.B, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		if i >= 8 {
			e.B = append(e.B, 0)
			continue
		}
		e.B = append(e.B, byte(v>>(8*i)))
	}
}

// Bytes appends a primitive element holding v.
func (e *Encoder) Bytes(tag byte, v []byte) {
	e.B = append(e.B, tag)
	e.Length(len(v))
	e.B = append(e.B, v...)
}

// String appends a primitive element holding s.
func (e *Encoder) String(tag byte, s string) {
	e.B = append(e.B, tag)
	e.Length(len(s))
	e.B = append(e.B, s...)
}

// Null appends an empty element: NULL, or an SNMPv2 exception.
func (e *Encoder) Null(tag byte) { e.B = append(e.B, tag, 0) }

// OID appends an OBJECT IDENTIFIER (see AppendOIDContent).
func (e *Encoder) OID(arcs []uint32) {
	e.B = append(e.B, TagOID, 0)
	at := len(e.B)
	e.B = AppendOIDContent(e.B, arcs)
	n := len(e.B) - at
	if n < 0x80 {
		e.B[at-1] = byte(n)
		return
	}
	// A rare OID of 128 octets or more: move its content up to make room
	// for a long-form length, in place.
	k := 1
	if n >= 0x100 {
		k = 2
	}
	e.B = append(e.B, make([]byte, k)...)
	copy(e.B[at+k:], e.B[at:at+n])
	e.B = e.B[:at-1]
	e.Length(n)
	e.B = e.B[:at+k+n]
}
