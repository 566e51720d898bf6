package snmpagent

// This file answers SNMPv3 messages: the USM checks of RFC 3414 section
// 3.2 in order (engine id, user, security level, digest, time window,
// decryption), each failure answered with its usmStats Report, then the
// response encoded, encrypted and authenticated.

import (
	"bytes"
	"crypto/hmac"
	"encoding/binary"
	"time"
)

var zeroDigest [48]byte

// keysFor returns the users' keys localised to d's engine, computing and
// caching them on first use (one hash per user and device).
func (a *Agent) keysFor(d *device) []userKeys {
	if k := d.keys.Load(); k != nil {
		return *k
	}
	ks := make([]userKeys, len(a.users))
	for i := range a.users {
		ks[i] = newUserKeys(&a.users[i], d.engineID)
	}
	d.keys.Store(&ks)
	return ks
}

func (w *worker) hashFor(p authProto) {
	if w.hashes[p.id] == nil {
		w.hashes[p.id] = p.newHash()
	}
}

func (w *worker) answerV3(d *device, st *state, pkt []byte, now time.Time) ([]byte, bool) {
	a := w.a
	r := &w.req
	etime := int32(max(now.Sub(st.boot), 0) / time.Second)
	if !bytes.Equal(r.engineID, d.engineID) {
		return w.report(d, st, etime, usmUnknownEngineIDs, 0, nil, nil)
	}
	ui := -1
	for i := range a.users {
		if bytes.Equal(a.users[i].nameBytes, r.user) {
			ui = i
			break
		}
	}
	if ui < 0 {
		return w.report(d, st, etime, usmUnknownUserNames, 0, nil, nil)
	}
	u := &a.users[ui]
	if r.flags&flagAuth == 0 || (r.flags&flagPriv != 0 && u.privKu == nil) {
		return w.report(d, st, etime, usmUnsupportedSecLevels, 0, nil, nil)
	}
	k := &a.keysFor(d)[ui]
	w.hashFor(u.proto)
	if len(r.authParams) != u.proto.trunc {
		return w.report(d, st, etime, usmWrongDigests, 0, nil, nil)
	}
	var got [48]byte
	copy(got[:], r.authParams)
	copy(pkt[r.authOff:r.authOff+u.proto.trunc], zeroDigest[:])
	want := k.digest(w.hashes[u.proto.id], u.proto.trunc, pkt, w.digest[:])
	if !hmac.Equal(want, got[:u.proto.trunc]) {
		return w.report(d, st, etime, usmWrongDigests, 0, nil, nil)
	}
	if r.boots != st.boots || r.boots == 1<<31-1 || abs32(r.time-etime) > timeWindow {
		// Sent authenticated so the requester can trust our boots and time.
		return w.report(d, st, etime, usmNotInTimeWindows, flagAuth, u, k)
	}
	if r.flags&flagPriv != 0 {
		if len(r.privParams) != 8 || k.priv == nil || len(r.encrypted) > len(w.plain) {
			return w.report(d, st, etime, usmDecryptionErrors, 0, nil, nil)
		}
		cfbIV(&w.iv, r.boots, r.time, r.privParams)
		plain := w.plain[:len(r.encrypted)]
		cfb128(k.priv, &w.iv, &w.ks, plain, r.encrypted, true)
		if err := decodeScoped(plain, r); err != nil {
			return w.report(d, st, etime, usmDecryptionErrors, 0, nil, nil)
		}
	}
	out, ok := w.encodeV3(d, st, etime, r.flags&(flagAuth|flagPriv), u, k, -1)
	if ok {
		a.stats.served(statV3, r.pdu.typ)
	}
	return out, ok
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

// report answers with the usmStats counter of a failed check, if the
// request asked for reports.
func (w *worker) report(d *device, st *state, etime int32, stat int, flags byte, u *user, k *userKeys) ([]byte, bool) {
	w.a.usmStats[stat].Add(1)
	if w.req.flags&flagReportable == 0 {
		w.a.stats.drop(dropUSM)
		return nil, false
	}
	w.a.stats.report(stat)
	return w.encodeV3(d, st, etime, flags, u, k, stat)
}

// encodeV3 encodes an SNMPv3 message: the response to w.req, or, when
// stat >= 0, a Report of that usmStats counter.
func (w *worker) encodeV3(d *device, st *state, etime int32, flags byte, u *user, k *userKeys, stat int) ([]byte, bool) {
	a := w.a
	r := &w.req
	e := &w.enc
	e.b = e.b[:0]
	m := e.open(tagSequence)
	e.int(tagInteger, versionV3)
	g := e.open(tagSequence)
	e.int(tagInteger, int64(r.msgID))
	e.int(tagInteger, 65507)
	e.b = append(e.b, tagOctetString, 1, flags)
	e.int(tagInteger, 3)
	e.close(g)
	sp := e.open(tagOctetString)
	us := e.open(tagSequence)
	e.bytes(tagOctetString, d.engineID)
	e.int(tagInteger, int64(st.boots))
	e.int(tagInteger, int64(etime))
	e.bytes(tagOctetString, r.user)
	authPos := -1
	if flags&flagAuth != 0 {
		e.b = append(e.b, tagOctetString, byte(u.proto.trunc))
		authPos = len(e.b)
		e.b = append(e.b, zeroDigest[:u.proto.trunc]...)
	} else {
		e.b = append(e.b, tagOctetString, 0)
	}
	var salt [8]byte
	if flags&flagPriv != 0 {
		w.salt++
		binary.BigEndian.PutUint64(salt[:], w.salt)
		e.bytes(tagOctetString, salt[:])
	} else {
		e.b = append(e.b, tagOctetString, 0)
	}
	shrink := e.close(us)
	shrink += e.close(sp)

	t := e
	if flags&flagPriv != 0 {
		t = &w.scoped
		t.b = t.b[:0]
	}
	sc := t.open(tagSequence)
	t.bytes(tagOctetString, d.engineID)
	if stat >= 0 {
		t.b = append(t.b, tagOctetString, 0)
		s := t.open(pduReport)
		t.int(tagInteger, int64(r.pdu.reqID))
		t.int(tagInteger, 0)
		t.int(tagInteger, 0)
		vl := t.open(tagSequence)
		vb := t.open(tagSequence)
		w.buf = append(append(w.buf[:0], oidUSMStats...), uint32(stat), 0)
		t.oid(w.buf)
		t.uint(tagCounter32, uint64(a.usmStats[stat].Load()))
		t.close(vb)
		t.close(vl)
		t.close(s)
	} else {
		t.bytes(tagOctetString, r.ctxName)
		maxSize := a.opts.MaxMessageSize
		if r.maxSize > 0 && int(r.maxSize) < maxSize {
			maxSize = max(int(r.maxSize), 484)
		}
		overhead := len(e.b)
		if t != e {
			overhead += len(t.b) + 4
		}
		if !w.respond(&r.pdu, t, maxSize-overhead-8) {
			return nil, false
		}
	}
	t.close(sc)
	if t != e {
		cfbIV(&w.iv, st.boots, etime, salt[:])
		e.b = append(e.b, tagOctetString)
		e.length(len(t.b))
		off := len(e.b)
		e.b = append(e.b, t.b...)
		cfb128(k.priv, &w.iv, &w.ks, e.b[off:], e.b[off:], false)
	}
	shrink += e.close(m)
	if authPos >= 0 {
		p := authPos - shrink
		w.hashFor(u.proto)
		mac := k.digest(w.hashes[u.proto.id], u.proto.trunc, e.b, w.digest[:])
		copy(e.b[p:p+u.proto.trunc], mac)
	}
	return e.b, true
}
