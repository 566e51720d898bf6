package snmpagent

// This file is the agent's lean BER codec: just what SNMP messages use
// (single-byte tags, definite lengths), decoding into slices of the
// request buffer and encoding into a reused buffer, with no allocation on
// the hot path.

import (
	"errors"
)

// BER and SNMP tags.
const (
	tagInteger     = 0x02
	tagOctetString = 0x04
	tagNull        = 0x05
	tagOID         = 0x06
	tagSequence    = 0x30
	tagIPAddress   = 0x40
	tagCounter32   = 0x41
	tagGauge32     = 0x42
	tagTimeTicks   = 0x43
	tagCounter64   = 0x46

	tagNoSuchObject   = 0x80
	tagNoSuchInstance = 0x81
	tagEndOfMibView   = 0x82

	pduGet      = 0xa0
	pduGetNext  = 0xa1
	pduResponse = 0xa2
	pduSet      = 0xa3
	pduGetBulk  = 0xa5
	pduReport   = 0xa8
)

// SNMP error-status values (RFC 3416).
const (
	errNoError     = 0
	errTooBig      = 1
	errNotWritable = 17
)

// maxOIDArcs bounds the arcs of one decoded OID (RFC 2578 allows 128).
const maxOIDArcs = 128

var (
	errTruncated = errors.New("ber: truncated or inconsistent length")
	errTag       = errors.New("ber: unexpected tag")
	errLength    = errors.New("ber: unsupported length form")
	errInteger   = errors.New("ber: integer out of range")
	errOID       = errors.New("ber: malformed object identifier")
)

// readTLV splits b into its first element's tag and content, and the rest.
func readTLV(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errTruncated
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, errTag // multi-byte tags are not SNMP
	}
	n := int(b[1])
	i := 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return 0, nil, nil, errLength // indefinite or > 16 MiB
		}
		if len(b) < 2+k {
			return 0, nil, nil, errTruncated
		}
		n = 0
		for j := range k {
			n = n<<8 | int(b[2+j])
		}
		i += k
	}
	if n > len(b)-i {
		return 0, nil, nil, errTruncated
	}
	return tag, b[i : i+n], b[i+n:], nil
}

// expect reads one element that must carry tag want.
func expect(b []byte, want byte) (content, rest []byte, err error) {
	tag, content, rest, err := readTLV(b)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, errTag
	}
	return content, rest, nil
}

// parseInt decodes a two's-complement INTEGER of at most 64 bits.
func parseInt(c []byte) (int64, error) {
	if len(c) == 0 || len(c) > 8 {
		return 0, errInteger
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// readInt reads an INTEGER element that must fit in 32 bits.
func readInt(b []byte) (int32, []byte, error) {
	c, rest, err := expect(b, tagInteger)
	if err != nil {
		return 0, nil, err
	}
	v, err := parseInt(c)
	if err != nil || v < -1<<31 || v > 1<<31-1 {
		return 0, nil, errInteger
	}
	return int32(v), rest, nil
}

// parseOID decodes OID content into dst (reused), returning the arcs.
func parseOID(c []byte, dst []uint32) ([]uint32, error) {
	dst = dst[:0]
	if len(c) == 0 {
		return dst, errOID
	}
	var v uint64
	first := true
	for i, x := range c {
		if v == 0 && x == 0x80 {
			return dst, errOID // non-minimal encoding
		}
		v = v<<7 | uint64(x&0x7f)
		if v > 1<<32-1 {
			return dst, errOID
		}
		if x&0x80 != 0 {
			if i == len(c)-1 {
				return dst, errOID
			}
			continue
		}
		if len(dst) >= maxOIDArcs {
			return dst, errOID
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

// encoder appends BER to a reused buffer. Constructed elements are opened
// with a 3-byte length placeholder and shrunk to the minimal length form
// when closed, so that encoding runs forward in one pass.
type encoder struct {
	b []byte
}

// open starts a constructed element and returns the offset of its content.
func (e *encoder) open(tag byte) int {
	e.b = append(e.b, tag, 0x82, 0, 0)
	return len(e.b)
}

// close ends the constructed element whose content starts at start and
// returns how many bytes its content moved back (0, 1 or 2).
func (e *encoder) close(start int) int {
	n := len(e.b) - start
	switch {
	case n < 0x80:
		e.b[start-3] = byte(n)
		copy(e.b[start-2:], e.b[start:])
		e.b = e.b[:len(e.b)-2]
		return 2
	case n < 0x100:
		e.b[start-3] = 0x81
		e.b[start-2] = byte(n)
		copy(e.b[start-1:], e.b[start:])
		e.b = e.b[:len(e.b)-1]
		return 1
	default:
		// Messages are bounded by UDP's 65,507 bytes: two length bytes suffice.
		e.b[start-2] = byte(n >> 8)
		e.b[start-1] = byte(n)
		return 0
	}
}

func (e *encoder) length(n int) {
	switch {
	case n < 0x80:
		e.b = append(e.b, byte(n))
	case n < 0x100:
		e.b = append(e.b, 0x81, byte(n))
	default:
		e.b = append(e.b, 0x82, byte(n>>8), byte(n))
	}
}

// int appends a minimal two's-complement INTEGER (or another tag with the
// same encoding).
func (e *encoder) int(tag byte, v int64) {
	n := 1
	for x := v; x > 127 || x < -128; x >>= 8 {
		n++
	}
	e.b = append(e.b, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		e.b = append(e.b, byte(v>>(8*i)))
	}
}

// uint appends an unsigned value (Counter32, Gauge32, TimeTicks, Counter64).
func (e *encoder) uint(tag byte, v uint64) {
	n := 1
	for x := v; x > 127; x >>= 8 {
		n++
	}
	e.b = append(e.b, tag, byte(n))
	for i := n - 1; i >= 0; i-- {
		if i >= 8 {
			e.b = append(e.b, 0)
			continue
		}
		e.b = append(e.b, byte(v>>(8*i)))
	}
}

func (e *encoder) bytes(tag byte, v []byte) {
	e.b = append(e.b, tag)
	e.length(len(v))
	e.b = append(e.b, v...)
}

func (e *encoder) string(tag byte, v string) {
	e.b = append(e.b, tag)
	e.length(len(v))
	e.b = append(e.b, v...)
}

func (e *encoder) null(tag byte) { e.b = append(e.b, tag, 0) }

// oid appends an OBJECT IDENTIFIER.
func (e *encoder) oid(arcs []uint32) {
	e.b = append(e.b, tagOID, 0)
	at := len(e.b)
	if len(arcs) < 2 {
		e.b = append(e.b, 0)
	} else {
		e.arc(arcs[0]*40 + arcs[1])
		for _, a := range arcs[2:] {
			e.arc(a)
		}
	}
	n := len(e.b) - at
	e.b[at-1] = byte(n)
	if n >= 0x80 {
		// A rare OID of 128 bytes or more needs a long-form length.
		body := append([]byte(nil), e.b[at:]...)
		e.b = e.b[:at-1]
		e.length(n)
		e.b = append(e.b, body...)
	}
}

func (e *encoder) arc(a uint32) {
	switch {
	case a < 1<<7:
		e.b = append(e.b, byte(a))
	case a < 1<<14:
		e.b = append(e.b, byte(a>>7)|0x80, byte(a&0x7f))
	case a < 1<<21:
		e.b = append(e.b, byte(a>>14)|0x80, byte(a>>7)|0x80, byte(a&0x7f))
	case a < 1<<28:
		e.b = append(e.b, byte(a>>21)|0x80, byte(a>>14)|0x80, byte(a>>7)|0x80, byte(a&0x7f))
	default:
		e.b = append(e.b, byte(a>>28)|0x80, byte(a>>21)|0x80, byte(a>>14)|0x80, byte(a>>7)|0x80, byte(a&0x7f))
	}
}
