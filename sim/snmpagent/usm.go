package snmpagent

// This file is the agent's side of the SNMPv3 User-based Security Model
// (RFC 3414): password-to-key and key localisation (cached per engine),
// HMAC digests of RFC 3414 and RFC 7860 (SHA-2), and AES-128 CFB privacy
// of RFC 3826.

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5" //nolint:gosec // HMAC-MD5-96 is part of RFC 3414; offered for old pollers only.
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"fmt"
	"hash"
	"strings"
)

// User is one SNMPv3 USM user every simulated device accepts, at
// authNoPriv or authPriv (privacy is AES-128 CFB when PrivPassword is set).
type User struct {
	Name string
	// AuthProtocol is MD5, SHA (HMAC-SHA-96), SHA224, SHA256, SHA384 or SHA512.
	AuthProtocol string
	AuthPassword string
	// PrivPassword enables AES-128 privacy ("" = authNoPriv only).
	PrivPassword string
}

// authProto is one HMAC authentication protocol.
type authProto struct {
	id      int
	newHash func() hash.Hash
	block   int // hash block size, for the HMAC pads
	trunc   int // digest length carried in msgAuthenticationParameters
}

// Protocol ids index the per-worker hash instances.
var authProtos = map[string]authProto{
	"MD5":    {0, md5.New, 64, 12},
	"SHA":    {1, sha1.New, 64, 12},
	"SHA1":   {1, sha1.New, 64, 12},
	"SHA224": {2, sha256.New224, 64, 16},
	"SHA256": {3, sha256.New, 64, 24},
	"SHA384": {4, sha512.New384, 128, 32},
	"SHA512": {5, sha512.New, 128, 48},
}

const numAuthProtos = 6

// user is a configured user with its master keys (RFC 3414 A.2: Ku),
// computed once at start; localisation per engine is cheap.
type user struct {
	name      string
	proto     authProto
	authKu    []byte
	privKu    []byte // nil when the user has no privacy
	nameBytes []byte
}

func newUser(u User) (user, error) {
	p, ok := authProtos[strings.ToUpper(u.AuthProtocol)]
	if !ok {
		return user{}, fmt.Errorf("snmpagent: user %q: unknown auth protocol %q (use MD5, SHA, SHA224, SHA256, SHA384 or SHA512)", u.Name, u.AuthProtocol)
	}
	if len(u.AuthPassword) < 8 || (u.PrivPassword != "" && len(u.PrivPassword) < 8) {
		return user{}, fmt.Errorf("snmpagent: user %q: passwords must have at least 8 characters (RFC 3414)", u.Name)
	}
	out := user{name: u.Name, proto: p, nameBytes: []byte(u.Name), authKu: passwordToKey(p.newHash(), u.AuthPassword)}
	if u.PrivPassword != "" {
		out.privKu = passwordToKey(p.newHash(), u.PrivPassword)
	}
	return out, nil
}

// passwordToKey hashes the password repeated over 1 MiB (RFC 3414 A.2).
func passwordToKey(h hash.Hash, password string) []byte {
	var buf [64]byte
	pw := []byte(password)
	j := 0
	for n := 0; n < 1<<20; n += len(buf) {
		for i := range buf {
			buf[i] = pw[j]
			j++
			if j == len(pw) {
				j = 0
			}
		}
		h.Write(buf[:])
	}
	return h.Sum(nil)
}

// localize derives a key for one engine: H(Ku || engineID || Ku).
func localize(h hash.Hash, ku, engineID []byte) []byte {
	h.Reset()
	h.Write(ku)
	h.Write(engineID)
	h.Write(ku)
	return h.Sum(nil)
}

// userKeys are one user's keys localised to one device's engine.
type userKeys struct {
	ipad, opad []byte
	priv       cipher.Block // nil without privacy
}

func newUserKeys(u *user, engineID []byte) userKeys {
	h := u.proto.newHash()
	kul := localize(h, u.authKu, engineID)
	k := userKeys{ipad: make([]byte, u.proto.block), opad: make([]byte, u.proto.block)}
	copy(k.ipad, kul)
	copy(k.opad, kul)
	for i := range k.ipad {
		k.ipad[i] ^= 0x36
		k.opad[i] ^= 0x5c
	}
	if u.privKu != nil {
		// RFC 3826: the AES-128 key is the first 16 bytes of the localised key.
		block, err := aes.NewCipher(localize(h, u.privKu, engineID)[:16])
		if err == nil {
			k.priv = block
		}
	}
	return k
}

// digest computes the truncated HMAC of msg into out with the worker's hash
// h of the user's protocol.
func (k *userKeys) digest(h hash.Hash, trunc int, msg, out []byte) []byte {
	h.Reset()
	h.Write(k.ipad)
	h.Write(msg)
	inner := h.Sum(out[:0])
	h.Reset()
	h.Write(k.opad)
	h.Write(inner)
	return h.Sum(out[:0])[:trunc]
}

// cfbIV builds the RFC 3826 IV: engineBoots, engineTime, then the salt.
func cfbIV(iv *[16]byte, boots, time int32, salt []byte) {
	binary.BigEndian.PutUint32(iv[0:], uint32(boots))
	binary.BigEndian.PutUint32(iv[4:], uint32(time))
	copy(iv[8:], salt)
}

// cfb128 en- or decrypts src into dst (same length) in AES CFB-128 mode,
// starting from iv (overwritten). It is written out so that no stream is
// allocated per message; iv and ks are the caller's reused buffers, since
// arrays handed to cipher.Block through its interface escape to the heap.
func cfb128(block cipher.Block, iv, ks *[16]byte, dst, src []byte, decrypt bool) {
	for len(src) > 0 {
		block.Encrypt(ks[:], iv[:])
		n := min(16, len(src))
		for i := range n {
			c := src[i]
			dst[i] = c ^ ks[i]
			if decrypt {
				iv[i] = c
			} else {
				iv[i] = dst[i]
			}
		}
		src, dst = src[n:], dst[n:]
	}
}

// USM statistics reported to a requester (RFC 3414 usmStats, 1.3.6.1.6.3.15.1.1.N.0).
const (
	usmUnsupportedSecLevels = 1
	usmNotInTimeWindows     = 2
	usmUnknownUserNames     = 3
	usmUnknownEngineIDs     = 4
	usmWrongDigests         = 5
	usmDecryptionErrors     = 6
	numUSMStats             = 7
)

// timeWindow is RFC 3414's 150-second window.
const timeWindow = 150
