package bgp

import "testing"

// TestPathSet checks that the compact keys tell apart every path the old
// key (prefix, RD, path id, family) told apart, and keep the overflow flag.
func TestPathSet(t *testing.T) {
	paths := []struct {
		r    route
		over bool
	}{
		{r: route{fam: famIPv4, prefix: pfx("10.1.0.0/24")}},
		{r: route{fam: famIPv4, prefix: pfx("10.1.0.0/25")}},
		{r: route{fam: famIPv4, prefix: pfx("10.1.0.0/24"), pathID: 7}},
		{r: route{fam: famIPv4, prefix: pfx("10.1.0.0/24"), pathID: 1 << 31}},
		{r: route{fam: famIPv6, prefix: pfx("10.1.0.0/24")}}, // an unmapped ::ffff:10.1.0.0 NLRI
		{r: route{fam: famVPNv4, rd: 65000<<32 | 100, prefix: pfx("10.1.0.0/24")}},
		{r: route{fam: famVPNv4, rd: 65000<<32 | 101, prefix: pfx("10.1.0.0/24")}, over: true},
		{r: route{fam: famVPNv6, rd: 65000<<32 | 100, prefix: pfx("10.1.0.0/24")}},
		{r: route{fam: famIPv6, prefix: pfx("2001:db8::/32")}},
		{r: route{fam: famIPv6, prefix: pfx("2001:db8::/48")}},
		{r: route{fam: famIPv6, prefix: pfx("::ffff:10.1.0.0/120")}},
		{r: route{fam: famVPNv6, rd: 65000<<32 | 100, prefix: pfx("2001:db8::/32")}, over: true},
		{r: route{fam: famVPNv6, rd: 2<<48 | 65000<<16 | 100, prefix: pfx("2001:db8::/32")}},
	}
	s := newPathSet()
	for i, p := range paths {
		if _, held := s.get(&p.r); held {
			t.Fatalf("path %d %+v: held before it was added (collides with an earlier one)", i, p.r)
		}
		s.add(&p.r, p.over)
		if s.len() != i+1 {
			t.Fatalf("path %d %+v: %d paths held, want %d", i, p.r, s.len(), i+1)
		}
	}
	for i, p := range paths {
		over, held := s.get(&p.r)
		if !held || over != p.over {
			t.Errorf("path %d %+v: held %v over %v, want held, over %v", i, p.r, held, over, p.over)
		}
	}
	for i, p := range paths {
		s.del(&p.r)
		if _, held := s.get(&p.r); held || s.len() != len(paths)-i-1 {
			t.Fatalf("path %d %+v: still held after del, or %d paths left", i, p.r, s.len())
		}
	}
}
