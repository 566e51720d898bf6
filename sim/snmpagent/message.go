package snmpagent

// This file decodes SNMP requests (v2c and v3 USM) into a request value
// whose byte fields are slices of the received datagram.

import (
	"errors"

	"github.com/vigie-rie/vigie/internal/ber"
)

// SNMP message versions on the wire.
const (
	versionV2c = 1
	versionV3  = 3
)

// msgFlags bits (RFC 3412).
const (
	flagAuth       = 0x01
	flagPriv       = 0x02
	flagReportable = 0x04
)

var (
	errVersion  = errors.New("snmp: unsupported version")
	errSecModel = errors.New("snmp: unsupported security model")
	errPDU      = errors.New("snmp: unsupported PDU type")
)

// request is one decoded SNMP request. Byte slices point into the datagram.
type request struct {
	version   int32
	community []byte

	// SNMPv3 header and USM security parameters.
	msgID      int32
	maxSize    int32
	flags      byte
	engineID   []byte
	boots      int32
	time       int32
	user       []byte
	authParams []byte
	privParams []byte
	// authOff is the offset of authParams in the whole message, zeroed to
	// check the digest.
	authOff int

	ctxEngineID []byte
	ctxName     []byte
	// encrypted is the encrypted scoped PDU when flagPriv is set.
	encrypted []byte

	pdu pdu
}

// pdu is a decoded request PDU; its varbinds are left encoded.
type pdu struct {
	typ   byte
	reqID int32
	// errStatus and errIndex are non-repeaters and max-repetitions in a GetBulk.
	errStatus int32
	errIndex  int32
	varbinds  []byte
}

// decodeMessage decodes msg into r. For an encrypted SNMPv3 message the
// PDU is left in r.encrypted for the USM to decrypt.
func decodeMessage(msg []byte, r *request) error {
	*r = request{}
	body, _, err := ber.Expect(msg, tagSequence)
	if err != nil {
		return err
	}
	if r.version, body, err = readInt(body); err != nil {
		return err
	}
	switch r.version {
	case versionV2c:
		if r.community, body, err = ber.Expect(body, tagOctetString); err != nil {
			return err
		}
		return decodePDU(body, &r.pdu)
	case versionV3:
		return decodeV3(msg, body, r)
	default:
		return errVersion
	}
}

func decodeV3(msg, body []byte, r *request) error {
	global, body, err := ber.Expect(body, tagSequence)
	if err != nil {
		return err
	}
	if r.msgID, global, err = readInt(global); err != nil {
		return err
	}
	if r.maxSize, global, err = readInt(global); err != nil {
		return err
	}
	flags, global, err := ber.Expect(global, tagOctetString)
	if err != nil {
		return err
	}
	if len(flags) != 1 {
		return ber.ErrTag
	}
	r.flags = flags[0]
	model, _, err := readInt(global)
	if err != nil {
		return err
	}
	if model != 3 {
		return errSecModel
	}
	sp, body, err := ber.Expect(body, tagOctetString)
	if err != nil {
		return err
	}
	usm, _, err := ber.Expect(sp, tagSequence)
	if err != nil {
		return err
	}
	if r.engineID, usm, err = ber.Expect(usm, tagOctetString); err != nil {
		return err
	}
	if r.boots, usm, err = readInt(usm); err != nil {
		return err
	}
	if r.time, usm, err = readInt(usm); err != nil {
		return err
	}
	if r.user, usm, err = ber.Expect(usm, tagOctetString); err != nil {
		return err
	}
	if r.authParams, usm, err = ber.Expect(usm, tagOctetString); err != nil {
		return err
	}
	r.authOff = cap(msg) - cap(r.authParams)
	if r.privParams, _, err = ber.Expect(usm, tagOctetString); err != nil {
		return err
	}
	if r.flags&flagPriv != 0 {
		r.encrypted, _, err = ber.Expect(body, tagOctetString)
		return err
	}
	return decodeScoped(body, r)
}

// decodeScoped decodes a plaintext ScopedPDU.
func decodeScoped(b []byte, r *request) error {
	sc, _, err := ber.Expect(b, tagSequence)
	if err != nil {
		return err
	}
	if r.ctxEngineID, sc, err = ber.Expect(sc, tagOctetString); err != nil {
		return err
	}
	if r.ctxName, sc, err = ber.Expect(sc, tagOctetString); err != nil {
		return err
	}
	return decodePDU(sc, &r.pdu)
}

func decodePDU(b []byte, p *pdu) error {
	tag, c, _, err := ber.ReadTLV(b)
	if err != nil {
		return err
	}
	switch tag {
	case pduGet, pduGetNext, pduGetBulk, pduSet:
	default:
		return errPDU
	}
	p.typ = tag
	if p.reqID, c, err = readInt(c); err != nil {
		return err
	}
	if p.errStatus, c, err = readInt(c); err != nil {
		return err
	}
	if p.errIndex, c, err = readInt(c); err != nil {
		return err
	}
	p.varbinds, _, err = ber.Expect(c, tagSequence)
	return err
}

// nextVarbind splits the first varbind off an encoded list, returning its
// OID content; the value is skipped (requests carry NULLs).
func nextVarbind(list []byte) (oid, rest []byte, err error) {
	vb, rest, err := ber.Expect(list, tagSequence)
	if err != nil {
		return nil, nil, err
	}
	oid, val, err := ber.Expect(vb, tagOID)
	if err != nil {
		return nil, nil, err
	}
	if _, _, _, err = ber.ReadTLV(val); err != nil {
		return nil, nil, err
	}
	return oid, rest, nil
}
