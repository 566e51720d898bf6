package trap

// The packet path: everything a datagram goes through, from the source
// check to the poll it triggers. It runs in the read loop only.

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/ber"
)

// Results: the result label of vigie_snmp_notifications_total.
const (
	resultAccepted      = "accepted"
	resultUnknownSource = "unknown_source"
	resultRateLimited   = "rate_limited"
	resultMalformed     = "malformed"
	resultWrongVersion  = "wrong_version"
	resultBadCommunity  = "bad_community"
	resultUnknownUser   = "unknown_user"
	resultAuthFailure   = "auth_failure"
	resultDecryption    = "decryption_failure"
	resultNotNotif      = "not_a_notification"
	resultDiscovery     = "engine_discovery"
)

var results = []string{resultAccepted, resultUnknownSource, resultRateLimited, resultMalformed, resultWrongVersion,
	resultBadCommunity, resultUnknownUser, resultAuthFailure, resultDecryption, resultNotNotif, resultDiscovery}

// usmStatsUnknownEngineIDs.0 (SNMP-USM-MIB), the varbind of the report
// that answers engine discovery.
const oidUsmStatsUnknownEngineIDs = ".1.3.6.1.6.3.15.1.1.4.0"

// handle takes one datagram from from, received at now, and returns its
// result (also counted). A panic of the decoder is recovered and counted
// as malformed: bytes from the network never stop the receiver.
func (r *Receiver) handle(pkt []byte, from netip.AddrPort, now time.Time) (result string) {
	var src *source
	defer func() {
		if p := recover(); p != nil {
			result = resultMalformed
			r.logDrop(src, from, result, fmt.Sprintf("decoder panic recovered: %v", p), now)
		}
		r.m.results[result].Inc()
	}()
	cfg := r.cfg.Load()
	if cfg != nil {
		src = cfg.sources[from.Addr().Unmap()]
	}
	if src == nil {
		r.logDrop(nil, from, resultUnknownSource, "not the management address of an inventory device", now)
		return resultUnknownSource
	}
	if !src.bucket.allow(now, r.opts.Rate, r.opts.Burst) {
		r.logDrop(src, from, resultRateLimited, fmt.Sprintf("more than %g notifications a second (burst %g)", r.opts.Rate, r.opts.Burst), now)
		return resultRateLimited
	}
	p, result, detail := r.decode(src, pkt, from)
	if p == nil {
		if result != resultDiscovery {
			r.logDrop(src, from, result, detail, now)
		}
		return result
	}
	n := classify(p)
	r.m.received[n.typ].Inc()
	if p.PDUType == gosnmp.InformRequest {
		r.acknowledge(p, from)
	}
	tr := cfg.poll(src.device)
	r.m.polls[tr].Inc()
	args := []any{"device", src.device, "type", n.typ, "trap_oid", n.trapOID, "poll", tr}
	if n.ifIndex > 0 {
		args = append(args, "ifindex", n.ifIndex)
	}
	r.log.Debug("SNMP notification", args...)
	return resultAccepted
}

// decode checks pkt against src's credentials and decodes it: the packet,
// or nil with the result and what to log.
func (r *Receiver) decode(src *source, pkt []byte, from netip.AddrPort) (*gosnmp.SnmpPacket, string, string) {
	h, err := peek(pkt)
	if err != nil {
		return nil, resultMalformed, err.Error()
	}
	var p *gosnmp.SnmpPacket
	switch h.version {
	case gosnmp.Version1, gosnmp.Version2c:
		if src.version != "2c" {
			return nil, resultWrongVersion, fmt.Sprintf("SNMP%s notification from a device whose profile is v%s", h.version, src.version)
		}
		if subtle.ConstantTimeCompare(h.community, src.community) != 1 {
			return nil, resultBadCommunity, "community differs from the device's profile"
		}
		g := gosnmp.GoSNMP{Version: h.version}
		if p, err = g.UnmarshalTrap(pkt, false); err != nil {
			return nil, resultMalformed, err.Error()
		}
	case gosnmp.Version3:
		if h.discovery {
			return nil, r.answerDiscovery(pkt, from), ""
		}
		if src.version != "3" {
			return nil, resultWrongVersion, fmt.Sprintf("SNMPv3 notification from a device whose profile is v%s", src.version)
		}
		if h.user != src.user {
			return nil, resultUnknownUser, fmt.Sprintf("user %q is not the device profile's", h.user)
		}
		if h.flags&gosnmp.AuthPriv < src.level {
			return nil, resultAuthFailure, fmt.Sprintf("security level %s below the profile's %s", h.flags&gosnmp.AuthPriv, src.level)
		}
		if p, err = src.v3.UnmarshalTrap(pkt, true); err != nil {
			switch {
			case strings.Contains(err.Error(), "not authentic"):
				return nil, resultAuthFailure, "authentication failed (wrong auth password or protocol)"
			case h.flags&gosnmp.AuthPriv == gosnmp.AuthPriv:
				// Authentic, so the bytes are the device's: what does not
				// decode after decryption was encrypted with another key.
				return nil, resultDecryption, "authentic but does not decrypt (wrong privacy password or protocol): " + err.Error()
			}
			return nil, resultMalformed, err.Error()
		}
	default:
		return nil, resultMalformed, fmt.Sprintf("SNMP version %d", h.version)
	}
	switch p.PDUType {
	case gosnmp.Trap, gosnmp.SNMPv2Trap, gosnmp.InformRequest:
		return p, "", ""
	}
	return nil, resultNotNotif, fmt.Sprintf("%s PDU sent to the notification port", p.PDUType)
}

// header is what peek reads of a message before any decoding by gosnmp.
type header struct {
	version   gosnmp.SnmpVersion
	community []byte
	// v3
	flags     gosnmp.SnmpV3MsgFlags
	user      string
	discovery bool
}

var errPeek = errors.New("not an SNMP message")

// peek reads the version and the credentials' fields: the community
// (v1/v2c), or the flags, user and engine ID (v3, RFC 3412 and 3414).
func peek(pkt []byte) (header, error) {
	var h header
	msg, rest, err := ber.Expect(pkt, ber.TagSequence)
	if err != nil || len(rest) != 0 {
		return h, fmt.Errorf("%w: message framing: %v", errPeek, err)
	}
	v, msg, err := ber.ReadInt(msg)
	if err != nil {
		return h, fmt.Errorf("%w: version: %v", errPeek, err)
	}
	switch v {
	case 0, 1:
		h.version = gosnmp.SnmpVersion(v)
		if h.community, _, err = ber.Expect(msg, ber.TagOctetString); err != nil {
			return h, fmt.Errorf("%w: community: %v", errPeek, err)
		}
		return h, nil
	case 3:
		h.version = gosnmp.Version3
	default:
		return h, fmt.Errorf("%w: version %d", errPeek, v)
	}
	global, msg, err := ber.Expect(msg, ber.TagSequence)
	if err != nil {
		return h, fmt.Errorf("%w: msgGlobalData: %v", errPeek, err)
	}
	if _, global, err = ber.ReadInt(global); err != nil { // msgID
		return h, fmt.Errorf("%w: msgID: %v", errPeek, err)
	}
	if _, global, err = ber.ReadInt(global); err != nil { // msgMaxSize
		return h, fmt.Errorf("%w: msgMaxSize: %v", errPeek, err)
	}
	flags, global, err := ber.Expect(global, ber.TagOctetString)
	if err != nil || len(flags) != 1 {
		return h, fmt.Errorf("%w: msgFlags", errPeek)
	}
	h.flags = gosnmp.SnmpV3MsgFlags(flags[0])
	model, _, err := ber.ReadInt(global)
	if err != nil || model != int64(gosnmp.UserSecurityModel) {
		return h, fmt.Errorf("%w: security model other than USM", errPeek)
	}
	sp, _, err := ber.Expect(msg, ber.TagOctetString)
	if err != nil {
		return h, fmt.Errorf("%w: msgSecurityParameters: %v", errPeek, err)
	}
	usm, _, err := ber.Expect(sp, ber.TagSequence)
	if err != nil {
		return h, fmt.Errorf("%w: UsmSecurityParameters: %v", errPeek, err)
	}
	engine, usm, err := ber.Expect(usm, ber.TagOctetString)
	if err != nil {
		return h, fmt.Errorf("%w: msgAuthoritativeEngineID: %v", errPeek, err)
	}
	if _, usm, err = ber.ReadInt(usm); err != nil {
		return h, fmt.Errorf("%w: msgAuthoritativeEngineBoots: %v", errPeek, err)
	}
	if _, usm, err = ber.ReadInt(usm); err != nil {
		return h, fmt.Errorf("%w: msgAuthoritativeEngineTime: %v", errPeek, err)
	}
	user, _, err := ber.Expect(usm, ber.TagOctetString)
	if err != nil {
		return h, fmt.Errorf("%w: msgUserName: %v", errPeek, err)
	}
	h.user = string(user)
	// Engine discovery (RFC 3414 section 4): reportable, noAuthNoPriv,
	// no user, no engine ID. What follows is checked when decoded.
	h.discovery = h.flags&gosnmp.Reportable != 0 && h.flags&gosnmp.AuthPriv == 0 && len(user) == 0 && len(engine) == 0
	return h, nil
}

// answerDiscovery answers an engine discovery request from a known device
// (an SNMPv3 inform's first step: the receiver is the authoritative engine)
// with a report carrying vigie's engine ID, boots and time.
func (r *Receiver) answerDiscovery(pkt []byte, from netip.AddrPort) string {
	g := gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel,
		SecurityParameters: &gosnmp.UsmSecurityParameters{}}
	probe, err := g.UnmarshalTrap(pkt, true)
	if err != nil || probe.PDUType != gosnmp.GetRequest || len(probe.Variables) != 0 {
		return resultMalformed
	}
	n := r.m.discoveries.Add(1)
	report := &gosnmp.SnmpPacket{
		Version: gosnmp.Version3, MsgFlags: gosnmp.NoAuthNoPriv, SecurityModel: gosnmp.UserSecurityModel,
		MsgID: probe.MsgID, RequestID: probe.RequestID, MsgMaxSize: 65507,
		ContextEngineID: string(r.opts.EngineID),
		SecurityParameters: &gosnmp.UsmSecurityParameters{AuthoritativeEngineID: string(r.opts.EngineID),
			AuthoritativeEngineBoots: 1, AuthoritativeEngineTime: uint32(time.Since(r.start) / time.Second)},
		PDUType:   gosnmp.Report,
		Variables: []gosnmp.SnmpPDU{{Name: oidUsmStatsUnknownEngineIDs, Type: gosnmp.Counter32, Value: n}},
	}
	if b, err := report.MarshalMsg(); err == nil {
		_ = r.send(b, from)
	}
	return resultDiscovery
}

// acknowledge answers an inform with a response carrying its varbinds
// (RFC 3416 section 4.2.7), with the same credentials.
func (r *Receiver) acknowledge(p *gosnmp.SnmpPacket, to netip.AddrPort) {
	p.PDUType = gosnmp.GetResponse
	p.Error, p.ErrorIndex = gosnmp.NoError, 0
	if p.Version == gosnmp.Version3 {
		// A response is not reportable (RFC 3412 section 7.1).
		p.MsgFlags &^= gosnmp.Reportable
		if p.MsgFlags&gosnmp.AuthPriv == gosnmp.AuthPriv {
			// A fresh salt: never reuse the sender's IV.
			if err := p.SecurityParameters.InitPacket(p); err != nil {
				r.m.ackFailures.Inc()
				return
			}
		}
	}
	b, err := p.MarshalMsg()
	if err == nil {
		err = r.send(b, to)
	}
	if err != nil {
		r.m.ackFailures.Inc()
		r.log.Warn("could not acknowledge an SNMP inform", "address", to.Addr(), "err", err)
		return
	}
	r.m.acks.Inc()
}

// logDrop logs a dropped notification once per source and result per
// LogEvery (unknown sources share one line).
func (r *Receiver) logDrop(src *source, from netip.AddrPort, result, detail string, now time.Time) {
	k := logKey{result: result}
	if src != nil {
		k.src = from.Addr()
	}
	if last, ok := r.logged[k]; ok && now.Sub(last) < r.opts.LogEvery {
		return
	}
	r.logged[k] = now
	args := []any{"result", result, "address", from.Addr(), "detail", detail}
	if src != nil {
		args = append(args, "device", src.device)
	}
	r.log.Warn("SNMP notification dropped (counted in vigie_snmp_notifications_total; next line for this source and reason in "+r.opts.LogEvery.String()+" at most)", args...)
}

// bucket is a token bucket: rate tokens a second, at most burst.
type bucket struct {
	tokens float64
	last   time.Time
}

func (b *bucket) allow(now time.Time, rate, burst float64) bool {
	if b.last.IsZero() {
		b.tokens = burst
	} else if d := now.Sub(b.last); d > 0 {
		b.tokens = min(burst, b.tokens+d.Seconds()*rate)
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
