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
	e.B = e.B[:0]
	m := e.Open(tagSequence)
	e.Int(tagInteger, versionV3)
	g := e.Open(tagSequence)
	e.Int(tagInteger, int64(r.msgID))
	e.Int(tagInteger, 65507)
	e.B = append(e.B, tagOctetString, 1, flags)
	e.Int(tagInteger, 3)
	e.Close(g)
	sp := e.Open(tagOctetString)
	us := e.Open(tagSequence)
	e.Bytes(tagOctetString, d.engineID)
	e.Int(tagInteger, int64(st.boots))
	e.Int(tagInteger, int64(etime))
	e.Bytes(tagOctetString, r.user)
	authPos := -1
	if flags&flagAuth != 0 {
		e.B = append(e.B, tagOctetString, byte(u.proto.trunc))
		authPos = len(e.B)
		e.B = append(e.B, zeroDigest[:u.proto.trunc]...)
	} else {
		e.B = append(e.B, tagOctetString, 0)
	}
	var salt [8]byte
	if flags&flagPriv != 0 {
		w.salt++
		binary.BigEndian.PutUint64(salt[:], w.salt)
		e.Bytes(tagOctetString, salt[:])
	} else {
		e.B = append(e.B, tagOctetString, 0)
	}
	shrink := e.Close(us)
	shrink += e.Close(sp)

	t := e
	if flags&flagPriv != 0 {
		t = &w.scoped
		t.B = t.B[:0]
	}
	sc := t.Open(tagSequence)
	t.Bytes(tagOctetString, d.engineID)
	if stat >= 0 {
		t.B = append(t.B, tagOctetString, 0)
		s := t.Open(pduReport)
		t.Int(tagInteger, int64(r.pdu.reqID))
		t.Int(tagInteger, 0)
		t.Int(tagInteger, 0)
		vl := t.Open(tagSequence)
		vb := t.Open(tagSequence)
		w.buf = append(append(w.buf[:0], oidUSMStats...), uint32(stat), 0)
		t.OID(w.buf)
		t.Uint(tagCounter32, uint64(a.usmStats[stat].Load()))
		t.Close(vb)
		t.Close(vl)
		t.Close(s)
	} else {
		t.Bytes(tagOctetString, r.ctxName)
		maxSize := a.opts.MaxMessageSize
		if r.maxSize > 0 && int(r.maxSize) < maxSize {
			maxSize = max(int(r.maxSize), 484)
		}
		overhead := len(e.B)
		if t != e {
			overhead += len(t.B) + 4
		}
		if !w.respond(&r.pdu, t, maxSize-overhead-8) {
			return nil, false
		}
	}
	t.Close(sc)
	if t != e {
		cfbIV(&w.iv, st.boots, etime, salt[:])
		e.B = append(e.B, tagOctetString)
		e.Length(len(t.B))
		off := len(e.B)
		e.B = append(e.B, t.B...)
		cfb128(k.priv, &w.iv, &w.ks, e.B[off:], e.B[off:], false)
	}
	shrink += e.Close(m)
	if authPos >= 0 {
		p := authPos - shrink
		w.hashFor(u.proto)
		mac := k.digest(w.hashes[u.proto.id], u.proto.trunc, e.B, w.digest[:])
		copy(e.B[p:p+u.proto.trunc], mac)
	}
	return e.B, true
}
