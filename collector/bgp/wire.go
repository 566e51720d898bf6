package bgp

// wire.go reads protobuf messages in wire format without the generic
// unmarshaller: the few NLRI fields vigie needs from every path, with no
// allocation.

import "google.golang.org/protobuf/encoding/protowire"

// wireFields calls fn for each field of message m: v holds a varint's
// value, b a length-delimited field's bytes (a sub-slice of m); fields of
// other wire types are skipped. A later field of the same number replaces
// an earlier one, as in the generic unmarshaller. It fails on truncated or
// malformed input.
func wireFields(m []byte, fn func(n protowire.Number, t protowire.Type, v uint64, b []byte)) error {
	for len(m) > 0 {
		n, t, l := protowire.ConsumeTag(m)
		if l < 0 {
			return protowire.ParseError(l)
		}
		m = m[l:]
		switch t {
		case protowire.VarintType:
			v, l := protowire.ConsumeVarint(m)
			if l < 0 {
				return protowire.ParseError(l)
			}
			fn(n, t, v, nil)
			m = m[l:]
		case protowire.BytesType:
			b, l := protowire.ConsumeBytes(m)
			if l < 0 {
				return protowire.ParseError(l)
			}
			fn(n, t, 0, b)
			m = m[l:]
		default:
			l := protowire.ConsumeFieldValue(n, t, m)
			if l < 0 {
				return protowire.ParseError(l)
			}
			m = m[l:]
		}
	}
	return nil
}
