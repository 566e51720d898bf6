package snmp

// One request and its answer. SNMPv2c goes through vigie's own exchange
// (lean codec, request ids, retries, timeouts); SNMPv3 through gosnmp,
// which owns USM (discovery, time window, keys, encryption), and whose
// answers are converted to the same varbinds.

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/ber"
)

// request sends one Get (pdu pduGet) or GetBulk (pduGetBulk) of oids and
// returns the answer, valid until the next request of the session. Errors
// are already wrapped for classify.
//
// names, when not nil, holds oids in dotted form where known ("" where
// not): gosnmp (v3) takes OIDs as strings, and the walk keeps the ones
// gosnmp gave it.
func (s *session) request(ctx context.Context, t *Target, pdu byte, nonRepeaters, maxRepetitions int, oids [][]uint32, names []string) (*response, error) {
	if s.v3 {
		if s.usm.AuthoritativeEngineID == "" {
			// Before gosnmp would: see discover.go.
			if err := s.discover(ctx, t); err != nil {
				return nil, err
			}
		}
		return s.requestGosnmp(pdu, nonRepeaters, maxRepetitions, oids, names)
	}
	r, err := s.requestV2c(ctx, t, pdu, nonRepeaters, maxRepetitions, oids)
	if err != nil {
		return nil, wrapErr(err)
	}
	return r, nil
}

// requestV2c is gosnmp's exchange, kept to what a poll needs: each attempt
// (1 + t.Retries) draws a new request id and waits t.Timeout (or less, up to
// ctx's deadline); an answer to any attempt of this request is accepted,
// others (late answers of an earlier request, another device's) are
// skipped; an answer that cannot be decoded ends the attempt, as in gosnmp,
// so that a device that keeps sending garbage is reported as malformed
// rather than timed out.
func (s *session) requestV2c(ctx context.Context, t *Target, pdu byte, nonRepeaters, maxRepetitions int, oids [][]uint32) (*response, error) {
	s.ids = s.ids[:0]
	var last error
	for attempt := 0; attempt <= t.Retries; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		deadline := time.Now().Add(t.Timeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		// Both directions: gosnmp (v3) leaves its own write deadline on
		// the session's socket.
		if err := s.conn.SetDeadline(deadline); err != nil {
			return nil, err
		}
		// The poll's cancel hook may have fired before the deadline above
		// replaced its own.
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s.reqID = (s.reqID + 1) & 0x7fffffff
		if s.reqID == 0 {
			s.reqID = 1
		}
		s.ids = append(s.ids, s.reqID)
		s.tx = appendRequest(s.tx[:0], s.community, pdu, s.reqID, nonRepeaters, maxRepetitions, oids)
		if _, err := s.conn.Write(s.tx); err != nil {
			last = err
			continue
		}
		s.requests++
		for {
			n, err := s.conn.Read(s.rx)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					if cerr := ctx.Err(); cerr != nil {
						return nil, cerr
					}
					last = fmt.Errorf("%w (%d requests of %v)", ErrTimeout, attempt+1, t.Timeout)
					break
				}
				return nil, fmt.Errorf("read the answer: %w", err)
			}
			r, err := s.decode(s.rx[:n])
			if err != nil {
				last = err
				break
			}
			if !s.ours(r.requestID) {
				continue
			}
			return r, nil
		}
	}
	return nil, last
}

func (s *session) ours(id uint32) bool {
	for _, x := range s.ids {
		if x == id {
			return true
		}
	}
	return false
}

// decode reads a v2c answer with the lean codec, or with gosnmp's decoder
// when the lean one refuses it (or when the session is told to, for the
// comparison tests). A panic in gosnmp is recovered and reported.
func (s *session) decode(msg []byte) (*response, error) {
	r := &s.resp
	if !s.gosnmpOnly {
		var err error
		if s.arena, err = decodeResponse(msg, r, s.arena); err == nil {
			return r, nil
		}
	}
	return s.decodeGosnmp(msg)
}

func (s *session) decodeGosnmp(msg []byte) (r *response, err error) {
	defer func() {
		if e := recover(); e != nil {
			r, err = nil, fmt.Errorf("%w: gosnmp: %v", errDecodePanic, e)
		}
	}()
	// SnmpDecodePacket reads the message as the receiver's version: it must
	// be v2c here, whatever the session polls.
	s.dec.Version = gosnmp.Version2c
	pkt, err := s.dec.SnmpDecodePacket(msg)
	if err != nil {
		return nil, fmt.Errorf("%w (%w)", ErrMalformed, err)
	}
	if pkt.PDUType != gosnmp.GetResponse {
		return nil, fmt.Errorf("%w: answer is a %v, not a GetResponse", ErrMalformed, pkt.PDUType)
	}
	return s.fromGosnmp(pkt)
}

// requestGosnmp runs the request through gosnmp (SNMPv3).
func (s *session) requestGosnmp(pdu byte, nonRepeaters, maxRepetitions int, oids [][]uint32, names []string) (*response, error) {
	s.names = s.names[:0]
	for i, o := range oids {
		if i < len(names) && names[i] != "" {
			s.names = append(s.names, names[i])
			continue
		}
		s.names = append(s.names, oidText(o))
	}
	var pkt *gosnmp.SnmpPacket
	var err error
	if pdu == pduGet {
		pkt, err = s.gs.Get(s.names)
	} else {
		pkt, err = s.gs.GetBulk(s.names, uint8(nonRepeaters), uint32(maxRepetitions))
	}
	if err != nil {
		return nil, wrapErr(err)
	}
	return s.fromGosnmp(pkt)
}

// fromGosnmp converts gosnmp's answer into the session's response.
func (s *session) fromGosnmp(pkt *gosnmp.SnmpPacket) (*response, error) {
	r := &s.resp
	r.requestID, r.errStatus, r.errIndex = pkt.RequestID, pkt.Error, int(pkt.ErrorIndex)
	r.vars = r.vars[:0]
	// Names first, into the arena; varbinds slice it once it stops growing.
	s.arena, s.ends = s.arena[:0], s.ends[:0]
	for i := range pkt.Variables {
		var ok bool
		if s.arena, ok = appendDotted(s.arena, pkt.Variables[i].Name); !ok {
			return nil, fmt.Errorf("%w: OID %q", ErrMalformed, pkt.Variables[i].Name)
		}
		s.ends = append(s.ends, len(s.arena))
	}
	at := 0
	for i := range pkt.Variables {
		p := &pkt.Variables[i]
		end := s.ends[i]
		v := varbind{oid: s.arena[at:end:end], name: p.Name, typ: p.Type}
		at = end
		switch x := p.Value.(type) {
		case int:
			v.num = uint64(int64(x))
		case uint:
			v.num = uint64(x)
		case uint32:
			v.num = uint64(x)
		case uint64:
			v.num = x
		case []byte:
			v.val = x
		case string:
			switch p.Type {
			case gosnmp.IPAddress:
				if a, err := netip.ParseAddr(x); err == nil {
					v.val = a.AsSlice()
				}
			case gosnmp.ObjectIdentifier:
				if o, ok := appendDotted(nil, x); ok {
					v.val = ber.AppendOIDContent(nil, o)
				}
			default:
				v.val = []byte(x)
			}
		}
		r.vars = append(r.vars, v)
	}
	return r, nil
}
