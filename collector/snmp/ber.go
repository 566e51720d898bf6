package snmp

// The lean SNMPv2c codec: vigie encodes its own Get and GetBulk requests and
// decodes GetResponse messages straight into varbinds that hold
// sub-identifiers and raw values, without gosnmp's per-varbind OID string,
// byte slice and boxed value. It is strict on purpose (single-byte tags,
// definite lengths, minimal integers, known value types): whatever it
// refuses is handed to gosnmp's decoder (exchange.go), so that an answer
// gosnmp used to accept is still accepted.

import (
	"errors"

	"github.com/gosnmp/gosnmp"
)

// BER and SNMP tags used by the codec.
const (
	tagInteger  = 0x02
	tagOctetStr = 0x04
	tagNull     = 0x05
	tagOID      = 0x06
	tagSequence = 0x30

	pduGet         = 0xa0
	pduGetResponse = 0xa2
	pduGetBulk     = 0xa5
)

// maxOIDArcs bounds the sub-identifiers of one OID (RFC 2578 section 3.5).
const maxOIDArcs = 128

var (
	errBERTruncated = errors.New("ber: truncated or inconsistent length")
	errBERTag       = errors.New("ber: unexpected tag")
	errBERLength    = errors.New("ber: unsupported length form")
	errBERInteger   = errors.New("ber: integer out of range")
	errBEROID       = errors.New("ber: malformed object identifier")
	errBERVersion   = errors.New("ber: not an SNMPv2c GetResponse")
)

// varbind is one variable binding of an answer. oid and val alias buffers
// the session reuses for the next answer: a decoder that keeps bytes copies
// them.
type varbind struct {
	oid []uint32
	// name is oid in dotted form when gosnmp decoded the answer (v3), so
	// that the next request can hand it back without formatting it.
	name string
	typ  gosnmp.Asn1BER
	// num is the value of INTEGER (two's complement bits), Counter32,
	// Gauge32, TimeTicks, Counter64 and Uinteger32.
	num uint64
	// val is the content of OCTET STRING, IpAddress, Opaque, BIT STRING,
	// NsapAddress and OBJECT IDENTIFIER values.
	val []byte
}

// response is one decoded GetResponse.
type response struct {
	requestID uint32
	errStatus gosnmp.SNMPError
	errIndex  int
	vars      []varbind
}

// readTLV splits b into its first element's tag and content, and the rest.
func readTLV(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errBERTruncated
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, errBERTag // multi-byte tags are not SNMP
	}
	n, i := int(b[1]), 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 3 {
			return 0, nil, nil, errBERLength // indefinite, or more than a datagram
		}
		if len(b) < 2+k {
			return 0, nil, nil, errBERTruncated
		}
		n = 0
		for j := range k {
			n = n<<8 | int(b[2+j])
		}
		i += k
	}
	if n > len(b)-i {
		return 0, nil, nil, errBERTruncated
	}
	return tag, b[i : i+n], b[i+n:], nil
}

func expectTLV(b []byte, want byte) (content, rest []byte, err error) {
	tag, content, rest, err := readTLV(b)
	if err != nil {
		return nil, nil, err
	}
	if tag != want {
		return nil, nil, errBERTag
	}
	return content, rest, nil
}

// parseInt64 decodes a two's-complement INTEGER of 1 to 8 octets.
func parseInt64(c []byte) (int64, error) {
	if len(c) == 0 || len(c) > 8 {
		return 0, errBERInteger
	}
	v := int64(int8(c[0]))
	for _, x := range c[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// parseUint64 decodes an unsigned value of 1 to 8 octets, or 9 whose first
// is a zero sign octet (Counter64 values of 2^63 and more).
func parseUint64(c []byte) (uint64, error) {
	if len(c) == 0 || len(c) > 9 || (len(c) == 9 && c[0] != 0) {
		return 0, errBERInteger
	}
	var v uint64
	for _, x := range c {
		v = v<<8 | uint64(x)
	}
	return v, nil
}

func readInt(b []byte) (int64, []byte, error) {
	c, rest, err := expectTLV(b, tagInteger)
	if err != nil {
		return 0, nil, err
	}
	v, err := parseInt64(c)
	return v, rest, err
}

// appendOIDArcs decodes OID content c, appending its sub-identifiers to dst.
func appendOIDArcs(dst []uint32, c []byte) ([]uint32, error) {
	if len(c) == 0 {
		return dst, errBEROID
	}
	start := len(dst)
	var v uint64
	first := true
	for i, x := range c {
		if v == 0 && x == 0x80 {
			return dst, errBEROID // non-minimal encoding
		}
		v = v<<7 | uint64(x&0x7f)
		if v > 1<<32-1 {
			return dst, errBEROID
		}
		if x&0x80 != 0 {
			if i == len(c)-1 {
				return dst, errBEROID
			}
			continue
		}
		if len(dst)-start >= maxOIDArcs {
			return dst, errBEROID
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

// decodeResponse decodes an SNMPv2c GetResponse message into r, reusing
// r.vars; the varbinds' sub-identifiers are appended to arena (returned,
// to be reused) and their values alias msg. It never panics; any message it
// does not fully understand is an error.
func decodeResponse(msg []byte, r *response, arena []uint32) ([]uint32, error) {
	r.vars = r.vars[:0]
	// Every sub-identifier takes at least one octet, the first two share
	// one: arena never grows while varbinds point into it.
	if cap(arena) < 2*len(msg) {
		arena = make([]uint32, 0, 2*len(msg))
	}
	arena = arena[:0]
	body, rest, err := expectTLV(msg, tagSequence)
	if err != nil {
		return arena, err
	}
	if len(rest) != 0 {
		return arena, errBERTruncated
	}
	version, body, err := readInt(body)
	if err != nil {
		return arena, err
	}
	if version != int64(gosnmp.Version2c) {
		return arena, errBERVersion
	}
	if _, body, err = expectTLV(body, tagOctetStr); err != nil { // community
		return arena, err
	}
	pdu, rest, err := expectTLV(body, pduGetResponse)
	if err != nil {
		return arena, err
	}
	if len(rest) != 0 {
		return arena, errBERTruncated
	}
	id, pdu, err := readInt(pdu)
	if err != nil {
		return arena, err
	}
	status, pdu, err := readInt(pdu)
	if err != nil {
		return arena, err
	}
	index, pdu, err := readInt(pdu)
	if err != nil {
		return arena, err
	}
	if id < 0 || id > 1<<32-1 || status < 0 || status > 255 || index < 0 || index > 1<<31-1 {
		return arena, errBERInteger
	}
	r.requestID, r.errStatus, r.errIndex = uint32(id), gosnmp.SNMPError(status), int(index)
	list, rest, err := expectTLV(pdu, tagSequence)
	if err != nil {
		return arena, err
	}
	if len(rest) != 0 {
		return arena, errBERTruncated
	}
	for len(list) > 0 {
		var vb, name []byte
		if vb, list, err = expectTLV(list, tagSequence); err != nil {
			return arena, err
		}
		if name, vb, err = expectTLV(vb, tagOID); err != nil {
			return arena, err
		}
		start := len(arena)
		if arena, err = appendOIDArcs(arena, name); err != nil {
			return arena, err
		}
		tag, val, rest, err := readTLV(vb)
		if err != nil {
			return arena, err
		}
		if len(rest) != 0 {
			return arena, errBERTruncated
		}
		v := varbind{oid: arena[start:len(arena):len(arena)], typ: gosnmp.Asn1BER(tag)}
		switch v.typ {
		case gosnmp.Integer:
			var n int64
			n, err = parseInt64(val)
			v.num = uint64(n)
		case gosnmp.Counter32, gosnmp.Gauge32, gosnmp.Counter64:
			v.num, err = parseUint64(val)
		case gosnmp.TimeTicks, gosnmp.Uinteger32:
			// gosnmp keeps the low 32 bits of these.
			v.num, err = parseUint64(val)
			v.num = uint64(uint32(v.num))
		case gosnmp.OctetString, gosnmp.IPAddress, gosnmp.Opaque, gosnmp.BitString, gosnmp.NsapAddress:
			v.val = val
		case gosnmp.ObjectIdentifier:
			if len(val) == 0 {
				err = errBEROID
			}
			v.val = val
		case gosnmp.Null, gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		default:
			err = errBERTag
		}
		if err != nil {
			return arena, err
		}
		r.vars = append(r.vars, v)
	}
	return arena, nil
}

// encoder appends BER to a reused buffer. Constructed elements are opened
// with a 3-octet length placeholder and shrunk to the minimal length form
// when closed, so that encoding runs forward in one pass.
type encoder struct {
	b []byte
}

// open starts a constructed element and returns the offset of its content.
func (e *encoder) open(tag byte) int {
	e.b = append(e.b, tag, 0x82, 0, 0)
	return len(e.b)
}

// close ends the constructed element whose content starts at start.
func (e *encoder) close(start int) {
	n := len(e.b) - start
	switch {
	case n < 0x80:
		e.b[start-3] = byte(n)
		copy(e.b[start-2:], e.b[start:])
		e.b = e.b[:len(e.b)-2]
	case n < 0x100:
		e.b[start-3] = 0x81
		e.b[start-2] = byte(n)
		copy(e.b[start-1:], e.b[start:])
		e.b = e.b[:len(e.b)-1]
	default:
		// A request is far below 64 KiB: two length octets suffice.
		e.b[start-2] = byte(n >> 8)
		e.b[start-1] = byte(n)
	}
}

// int appends a minimal two's-complement INTEGER.
func (e *encoder) int(v int64) {
	n := 1
	for x := v; x > 127 || x < -128; x >>= 8 {
		n++
	}
	e.b = append(e.b, tagInteger, byte(n))
	for i := n - 1; i >= 0; i-- {
		e.b = append(e.b, byte(v>>(8*i)))
	}
}

func (e *encoder) string(tag byte, s string) {
	e.b = append(e.b, tag)
	switch n := len(s); {
	case n < 0x80:
		e.b = append(e.b, byte(n))
	case n < 0x100:
		e.b = append(e.b, 0x81, byte(n))
	default:
		e.b = append(e.b, 0x82, byte(n>>8), byte(n))
	}
	e.b = append(e.b, s...)
}

// oid appends an OBJECT IDENTIFIER of at least two sub-identifiers.
func (e *encoder) oid(arcs []uint32) {
	at := e.open(tagOID)
	e.b = appendOIDContent(e.b, arcs)
	e.close(at)
}

// appendOIDContent appends the BER content of an OID (two or more
// sub-identifiers, the first at most 2).
func appendOIDContent(b []byte, arcs []uint32) []byte {
	if len(arcs) < 2 {
		return append(b, 0)
	}
	b = appendArc(b, uint64(arcs[0])*40+uint64(arcs[1]))
	for _, a := range arcs[2:] {
		b = appendArc(b, uint64(a))
	}
	return b
}

func appendArc(b []byte, v uint64) []byte {
	n := 1
	for x := v >> 7; x > 0; x >>= 7 {
		n++
	}
	for i := n - 1; i > 0; i-- {
		b = append(b, byte(v>>(7*i))|0x80)
	}
	return append(b, byte(v&0x7f))
}

// appendRequest appends an SNMPv2c Get (pdu pduGet) or GetBulk (pduGetBulk)
// message asking for oids, each with a NULL value.
func appendRequest(b []byte, community string, pdu byte, requestID uint32, nonRepeaters, maxRepetitions int, oids [][]uint32) []byte {
	e := encoder{b: b}
	msg := e.open(tagSequence)
	e.int(int64(gosnmp.Version2c))
	e.string(tagOctetStr, community)
	p := e.open(pdu)
	e.int(int64(requestID))
	e.int(int64(nonRepeaters)) // error-status in a Get
	e.int(int64(maxRepetitions))
	list := e.open(tagSequence)
	for _, o := range oids {
		vb := e.open(tagSequence)
		e.oid(o)
		e.b = append(e.b, tagNull, 0)
		e.close(vb)
	}
	e.close(list)
	e.close(p)
	e.close(msg)
	return e.b
}
