package snmp

// The lean SNMPv2c codec: vigie encodes its own Get and GetBulk requests and
// decodes GetResponse messages straight into varbinds that hold
// sub-identifiers and raw values, without gosnmp's per-varbind OID string,
// byte slice and boxed value. It is strict on purpose (internal/ber's
// single-byte tags, definite lengths and bounded integers and OIDs, plus
// known value types here): whatever it refuses is handed to gosnmp's
// decoder (exchange.go), so that an answer gosnmp used to accept is still
// accepted.

import (
	"errors"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/ber"
)

// PDU tags used by the codec.
const (
	pduGet         = 0xa0
	pduGetResponse = 0xa2
	pduGetBulk     = 0xa5
)

// maxOIDArcs bounds the sub-identifiers of one OID (RFC 2578 section 3.5).
const maxOIDArcs = ber.MaxOIDArcs

var errBERVersion = errors.New("ber: not an SNMPv2c GetResponse")

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

// decodeResponse decodes an SNMPv2c GetResponse message into r, reusing
// r.vars; the varbinds' sub-identifiers are appended to arena (returned,
// to be reused) and their values alias msg. It never panics; any message it
// does not fully understand is an error.
func decodeResponse(msg []byte, r *response, arena []uint32) ([]uint32, error) {
	r.vars = r.vars[:0]
	// A GetBulk answer's varbind (OID, value, headers) takes two octets or
	// more per sub-identifier: half the message's length is room enough
	// mostly. When it is not, append moves the arena and the varbinds
	// decoded so far keep the old array, which stays valid: sizing for the
	// worst case (two sub-identifiers per octet) made each session keep
	// 8 bytes per octet of its largest answer, 30 MB over 256 sessions.
	if cap(arena) < len(msg)/2 {
		arena = make([]uint32, 0, len(msg)/2)
	}
	arena = arena[:0]
	body, rest, err := ber.Expect(msg, ber.TagSequence)
	if err != nil {
		return arena, err
	}
	if len(rest) != 0 {
		return arena, ber.ErrTruncated
	}
	version, body, err := ber.ReadInt(body)
	if err != nil {
		return arena, err
	}
	if version != int64(gosnmp.Version2c) {
		return arena, errBERVersion
	}
	if _, body, err = ber.Expect(body, ber.TagOctetString); err != nil { // community
		return arena, err
	}
	pdu, rest, err := ber.Expect(body, pduGetResponse)
	if err != nil {
		return arena, err
	}
	if len(rest) != 0 {
		return arena, ber.ErrTruncated
	}
	id, pdu, err := ber.ReadInt(pdu)
	if err != nil {
		return arena, err
	}
	status, pdu, err := ber.ReadInt(pdu)
	if err != nil {
		return arena, err
	}
	index, pdu, err := ber.ReadInt(pdu)
	if err != nil {
		return arena, err
	}
	if id < 0 || id > 1<<32-1 || status < 0 || status > 255 || index < 0 || index > 1<<31-1 {
		return arena, ber.ErrInteger
	}
	r.requestID, r.errStatus, r.errIndex = uint32(id), gosnmp.SNMPError(status), int(index)
	list, rest, err := ber.Expect(pdu, ber.TagSequence)
	if err != nil {
		return arena, err
	}
	if len(rest) != 0 {
		return arena, ber.ErrTruncated
	}
	for len(list) > 0 {
		var vb, name []byte
		if vb, list, err = ber.Expect(list, ber.TagSequence); err != nil {
			return arena, err
		}
		if name, vb, err = ber.Expect(vb, ber.TagOID); err != nil {
			return arena, err
		}
		start := len(arena)
		if arena, err = ber.AppendOIDArcs(arena, name); err != nil {
			return arena, err
		}
		tag, val, rest, err := ber.ReadTLV(vb)
		if err != nil {
			return arena, err
		}
		if len(rest) != 0 {
			return arena, ber.ErrTruncated
		}
		v := varbind{oid: arena[start:len(arena):len(arena)], typ: gosnmp.Asn1BER(tag)}
		switch v.typ {
		case gosnmp.Integer:
			var n int64
			n, err = ber.ParseInt(val)
			v.num = uint64(n)
		case gosnmp.Counter32, gosnmp.Gauge32, gosnmp.Counter64:
			v.num, err = ber.ParseUint(val)
		case gosnmp.TimeTicks, gosnmp.Uinteger32:
			// gosnmp keeps the low 32 bits of these.
			v.num, err = ber.ParseUint(val)
			v.num = uint64(uint32(v.num))
		case gosnmp.OctetString, gosnmp.IPAddress, gosnmp.Opaque, gosnmp.BitString, gosnmp.NsapAddress:
			v.val = val
		case gosnmp.ObjectIdentifier:
			if len(val) == 0 {
				err = ber.ErrOID
			}
			v.val = val
		case gosnmp.Null, gosnmp.NoSuchObject, gosnmp.NoSuchInstance, gosnmp.EndOfMibView:
		default:
			err = ber.ErrTag
		}
		if err != nil {
			return arena, err
		}
		r.vars = append(r.vars, v)
	}
	return arena, nil
}

// appendRequest appends an SNMPv2c Get (pdu pduGet) or GetBulk (pduGetBulk)
// message asking for oids, each with a NULL value.
func appendRequest(b []byte, community string, pdu byte, requestID uint32, nonRepeaters, maxRepetitions int, oids [][]uint32) []byte {
	e := ber.Encoder{B: b}
	msg := e.Open(ber.TagSequence)
	e.Int(ber.TagInteger, int64(gosnmp.Version2c))
	e.String(ber.TagOctetString, community)
	p := e.Open(pdu)
	e.Int(ber.TagInteger, int64(requestID))
	e.Int(ber.TagInteger, int64(nonRepeaters)) // error-status in a Get
	e.Int(ber.TagInteger, int64(maxRepetitions))
	list := e.Open(ber.TagSequence)
	for _, o := range oids {
		vb := e.Open(ber.TagSequence)
		e.OID(o)
		e.Null(ber.TagNull)
		e.Close(vb)
	}
	e.Close(list)
	e.Close(p)
	e.Close(msg)
	return e.B
}
