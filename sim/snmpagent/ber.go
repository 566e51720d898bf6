package snmpagent

// This file holds the agent's side of the wire format: the SNMP tags and
// values it speaks. The BER primitives (decoding into slices of the
// request buffer, encoding into a reused buffer, no allocation on the hot
// path) are internal/ber's, shared with the collector.

import "github.com/vigie-rie/vigie/internal/ber"

// BER and SNMP tags: a value's tag (value.tag) is one of these.
const (
	tagInteger     = ber.TagInteger
	tagOctetString = ber.TagOctetString
	tagNull        = ber.TagNull
	tagOID         = ber.TagOID
	tagSequence    = ber.TagSequence
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

// readInt reads an INTEGER element that must fit in 32 bits.
func readInt(b []byte) (int32, []byte, error) {
	v, rest, err := ber.ReadInt(b)
	if err != nil {
		return 0, nil, err
	}
	if v < -1<<31 || v > 1<<31-1 {
		return 0, nil, ber.ErrInteger
	}
	return int32(v), rest, nil
}
