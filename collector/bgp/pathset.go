package bgp

// pathset.go is the set of paths one peer holds, in the fewest bytes per
// path: it is the only per-path memory vigie keeps (GoBGP's Adj-RIB-In
// holds the rest), so at 600,000 paths every byte of key counts. A path is
// keyed by family, route distinguisher, prefix and ADD-PATH identifier,
// as before; only the layout changes: IPv4 prefixes without an RD (nearly
// every path) take a 12-byte key instead of a 48-byte one.

import "encoding/binary"

// v4Key is an IPv4 prefix without route distinguisher.
type v4Key struct {
	addr   uint32
	pathID uint32
	bits   uint8
	fam    family
}

// v4RDKey is an IPv4 prefix with a route distinguisher (VPNv4).
type v4RDKey struct {
	rd     uint64
	addr   uint32
	pathID uint32
	bits   uint8
	fam    family
}

// v6Key is an IPv6 prefix, with its route distinguisher (0 for unicast).
type v6Key struct {
	rd     uint64
	hi, lo uint64
	pathID uint32
	bits   uint8
	fam    family
}

// pathSet holds one peer's paths. Paths with a route distinguisher also
// record whether they were counted in the rdOverflow bucket; unicast paths
// never are (their RD is 0).
type pathSet struct {
	v4   map[v4Key]struct{}
	v4RD map[v4RDKey]bool
	v6   map[v6Key]bool
}

func newPathSet() pathSet {
	return pathSet{v4: map[v4Key]struct{}{}, v4RD: map[v4RDKey]bool{}, v6: map[v6Key]bool{}}
}

// len is the number of paths held.
func (s *pathSet) len() int { return len(s.v4) + len(s.v4RD) + len(s.v6) }

func keyV4(r *route) v4Key {
	a := r.prefix.Addr().As4()
	return v4Key{addr: binary.BigEndian.Uint32(a[:]), pathID: r.pathID, bits: uint8(r.prefix.Bits()), fam: r.fam}
}

func keyV4RD(r *route) v4RDKey {
	a := r.prefix.Addr().As4()
	return v4RDKey{rd: r.rd, addr: binary.BigEndian.Uint32(a[:]), pathID: r.pathID, bits: uint8(r.prefix.Bits()), fam: r.fam}
}

func keyV6(r *route) v6Key {
	a := r.prefix.Addr().As16()
	return v6Key{rd: r.rd, hi: binary.BigEndian.Uint64(a[:8]), lo: binary.BigEndian.Uint64(a[8:]),
		pathID: r.pathID, bits: uint8(r.prefix.Bits()), fam: r.fam}
}

// is4 reports whether the route's prefix is an IPv4 one (decode unmaps
// IPv4-mapped addresses, so this is the address's own length).
func is4(r *route) bool { return r.prefix.Addr().Is4() }

// get reports whether the path is held and, if so, whether it was counted
// in the overflow bucket.
func (s *pathSet) get(r *route) (over, held bool) {
	switch {
	case !is4(r):
		over, held = s.v6[keyV6(r)]
	case r.rd != 0:
		over, held = s.v4RD[keyV4RD(r)]
	default:
		_, held = s.v4[keyV4(r)]
	}
	return over, held
}

// add records a path not held yet.
func (s *pathSet) add(r *route, over bool) {
	switch {
	case !is4(r):
		s.v6[keyV6(r)] = over
	case r.rd != 0:
		s.v4RD[keyV4RD(r)] = over
	default:
		s.v4[keyV4(r)] = struct{}{}
	}
}

// del forgets a path.
func (s *pathSet) del(r *route) {
	switch {
	case !is4(r):
		delete(s.v6, keyV6(r))
	case r.rd != 0:
		delete(s.v4RD, keyV4RD(r))
	default:
		delete(s.v4, keyV4(r))
	}
}
