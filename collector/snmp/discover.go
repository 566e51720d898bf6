package snmp

// SNMPv3 engine discovery (RFC 3414 section 4) and key localisation, done
// by vigie before a device's first v3 request rather than inside gosnmp.
//
// gosnmp discovers the engine itself when it has none, and then localises
// the privacy key for AES with the Reeder extension, which hashes a
// further 1 MiB per engine (in 16,384 allocations) to extend a key that
// AES-128 then cuts back to its first 16 octets: the localised key itself.
// Over the RIE's ~2,000 v3 devices that was 3.9 GB allocated in the first
// minute, three quarters of everything the daemon allocated at start-up.
// Here the probe and its Report go through the session's socket, encoded
// and decoded by gosnmp, and the keys are localised from the master keys
// gosnmp caches per password (one 1 MiB hash per password, not per engine).

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/gosnmp/gosnmp"
)

// quiet is gosnmp's logger for the probes vigie encodes and decodes with
// it: none.
var quiet gosnmp.Logger

// discover learns t's engine (id, boots, time) into the session's USM
// block, with its localised keys, as gosnmp's own discovery would: one
// unauthenticated probe per attempt (1 + t.Retries), each waiting
// t.Timeout. Errors are wrapped for classify.
func (s *session) discover(ctx context.Context, t *Target) error {
	s.ids = s.ids[:0]
	var last error
	for attempt := 0; attempt <= t.Retries; attempt++ {
		if err := ctx.Err(); err != nil {
			return wrapErr(err)
		}
		deadline := time.Now().Add(t.Timeout)
		if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
			deadline = d
		}
		if err := s.conn.SetDeadline(deadline); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return wrapErr(err)
		}
		s.reqID = (s.reqID + 1) & 0x7fffffff
		if s.reqID == 0 {
			s.reqID = 1
		}
		s.ids = append(s.ids, s.reqID)
		probe := &gosnmp.SnmpPacket{
			Version: gosnmp.Version3, MsgFlags: gosnmp.Reportable | gosnmp.NoAuthNoPriv,
			SecurityModel: gosnmp.UserSecurityModel, SecurityParameters: &gosnmp.UsmSecurityParameters{Logger: quiet},
			PDUType: gosnmp.GetRequest, MsgID: s.reqID, RequestID: s.reqID, Logger: quiet,
		}
		msg, err := probe.MarshalMsg()
		if err != nil {
			return fmt.Errorf("encode the SNMPv3 engine discovery probe: %w", err)
		}
		if _, err := s.conn.Write(msg); err != nil {
			last = err
			continue
		}
		s.requests++
		for {
			n, err := s.conn.Read(s.rx)
			if err != nil {
				if errors.Is(err, os.ErrDeadlineExceeded) {
					if cerr := ctx.Err(); cerr != nil {
						return wrapErr(cerr)
					}
					last = fmt.Errorf("%w (%d SNMPv3 engine discovery requests of %v)", ErrTimeout, attempt+1, t.Timeout)
					break
				}
				return wrapErr(fmt.Errorf("read the engine discovery answer: %w", err))
			}
			usm, id, err := s.decodeReport(s.rx[:n])
			if err != nil {
				last = err
				break
			}
			if !s.ours(id) {
				continue
			}
			// RFC 3411 section 5: an engine id has 5 to 32 octets.
			if l := len(usm.AuthoritativeEngineID); l < 5 || l > 32 {
				return fmt.Errorf("%w (engine discovery answer has an invalid authoritative engine ID of %d octets)", ErrAuth, l)
			}
			return s.learnEngine(t, usm)
		}
	}
	return last
}

// decodeReport decodes the agent's answer to a discovery probe and returns
// its USM parameters and msgID. A panic in gosnmp is recovered.
func (s *session) decodeReport(msg []byte) (usm *gosnmp.UsmSecurityParameters, id uint32, err error) {
	defer func() {
		if e := recover(); e != nil {
			usm, err = nil, fmt.Errorf("%w: gosnmp: %v", errDecodePanic, e)
		}
	}()
	dec := &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel,
		SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: s.usm.UserName, Logger: quiet}, Logger: quiet, Context: context.Background()}
	pkt, err := dec.SnmpDecodePacket(msg)
	if err != nil {
		return nil, 0, fmt.Errorf("%w (engine discovery answer: %w)", ErrMalformed, err)
	}
	usm, ok := pkt.SecurityParameters.(*gosnmp.UsmSecurityParameters)
	if !ok || pkt.Version != gosnmp.Version3 {
		return nil, 0, fmt.Errorf("%w: the engine discovery answer is not an SNMPv3 USM message", ErrMalformed)
	}
	return usm, pkt.MsgID, nil
}

// learnEngine loads the engine of a discovery answer into the session's
// USM block, with the keys localised for it, as gosnmp's discovery leaves
// them.
func (s *session) learnEngine(t *Target, from *gosnmp.UsmSecurityParameters) error {
	u := s.usm
	u.AuthoritativeEngineID = from.AuthoritativeEngineID
	u.AuthoritativeEngineBoots = from.AuthoritativeEngineBoots
	u.AuthoritativeEngineTime = from.AuthoritativeEngineTime
	if s.gs.ContextEngineID == "" {
		s.gs.ContextEngineID = from.AuthoritativeEngineID
	}
	auth, priv, err := localKeys(t.AuthProtocol, u.AuthenticationPassphrase, t.PrivProtocol, u.PrivacyPassphrase, u.AuthoritativeEngineID)
	if err != nil {
		return fmt.Errorf("%w (localise the keys for engine %x: %w)", ErrAuth, u.AuthoritativeEngineID, err)
	}
	u.SecretKey, u.PrivacyKey = auth, priv
	return nil
}

// localKeys returns the authentication and privacy keys localised for
// engineID, as gosnmp's UsmSecurityParameters.InitSecurityKeys does. For
// AES (128) the privacy key is the first 16 octets of the privacy
// password's localised key (RFC 3826 section 1.2.1, and what gosnmp's
// Reeder extension keeps): it is computed as a DES key is, without the
// extension. Other protocols go through gosnmp unchanged.
func localKeys(ap gosnmp.SnmpV3AuthProtocol, authPass string, pp gosnmp.SnmpV3PrivProtocol, privPass, engineID string) (auth, priv []byte, err error) {
	k := &gosnmp.UsmSecurityParameters{AuthenticationProtocol: ap, AuthenticationPassphrase: authPass,
		PrivacyProtocol: pp, PrivacyPassphrase: privPass, AuthoritativeEngineID: engineID}
	if pp == gosnmp.AES {
		k.PrivacyProtocol = gosnmp.DES
	}
	if err := k.InitSecurityKeys(); err != nil {
		return nil, nil, err
	}
	if pp == gosnmp.AES {
		if len(k.PrivacyKey) < 16 {
			return nil, nil, fmt.Errorf("privacy key of %d octets for AES-128", len(k.PrivacyKey))
		}
		k.PrivacyKey = k.PrivacyKey[:16:16]
	}
	return k.SecretKey, k.PrivacyKey, nil
}
