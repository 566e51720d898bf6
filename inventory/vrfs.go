package inventory

// vrfs.go decodes the vrfs: section: the PFS virtual networks by name, each
// with the route distinguishers its routes carry. BGP paths hold an RD, not
// a name; this section is what lets the BGP series and the interconnect
// checks speak of "testa" instead of "65000:100". Route targets are not
// used: they are path attributes, and matching them would cost memory per
// path, where an RD is already in every VPN path's key.

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// VRF is one PFS virtual network.
type VRF struct {
	Name string
	// RDs are the route distinguishers of the VRF's routes (one per PE
	// when each PE uses its own, as type 1 RDs "192.0.2.1:100" do).
	RDs  []RD
	Line int
}

// RD is a route distinguisher in its 8-byte wire value (RFC 4364 section
// 4.2): type in the top 2 bytes, then administrator and assigned number.
type RD uint64

// ParseRD reads an RD as routers print it: "65000:100" (type 0, 2-byte AS
// and 4-byte number), "192.0.2.1:100" (type 1, IPv4 address and 2-byte
// number) or "4200000000:100" (type 2, 4-byte AS and 2-byte number; also
// "65000L:100").
func ParseRD(s string) (RD, error) {
	// The last colon: an IPv6 administrator is refused with a reason.
	i := strings.LastIndexByte(s, ':')
	admin, num := s[:max(i, 0)], s[i+1:]
	if i < 0 || admin == "" || num == "" {
		return 0, errors.New("an RD is ADMIN:NUMBER, such as 65000:100 or 192.0.2.1:100")
	}
	if a, err := netip.ParseAddr(admin); err == nil {
		if !a.Is4() {
			return 0, errors.New("the administrator of an address RD is an IPv4 address")
		}
		n, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			return 0, errors.New("the number of an address RD is 0..65535")
		}
		b := a.As4()
		return RD(1<<48 | uint64(binary.BigEndian.Uint32(b[:]))<<16 | n), nil
	}
	long := strings.HasSuffix(admin, "L")
	as, err := strconv.ParseUint(strings.TrimSuffix(admin, "L"), 10, 32)
	if err != nil {
		return 0, errors.New("the administrator of an RD is an AS number or an IPv4 address")
	}
	if as > 65535 || long {
		n, err := strconv.ParseUint(num, 10, 16)
		if err != nil {
			return 0, errors.New("the number of a 4-byte AS RD is 0..65535")
		}
		return RD(2<<48 | as<<16 | n), nil
	}
	n, err := strconv.ParseUint(num, 10, 32)
	if err != nil {
		return 0, errors.New("the number of a 2-byte AS RD is 0..4294967295")
	}
	return RD(as<<32 | n), nil
}

// String prints the RD as routers do.
func (r RD) String() string {
	switch r >> 48 {
	case 0:
		return strconv.FormatUint(uint64(r)>>32&0xffff, 10) + ":" + strconv.FormatUint(uint64(r)&0xffffffff, 10)
	case 1:
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], uint32(r>>16))
		return netip.AddrFrom4(b).String() + ":" + strconv.FormatUint(uint64(r)&0xffff, 10)
	case 2:
		return strconv.FormatUint(uint64(r)>>16&0xffffffff, 10) + ":" + strconv.FormatUint(uint64(r)&0xffff, 10)
	}
	return strconv.FormatUint(uint64(r), 16)
}

// VRF returns the declared VRF named name, or nil.
func (inv *Inventory) VRF(name string) *VRF {
	for i := range inv.VRFs {
		if inv.VRFs[i].Name == name {
			return &inv.VRFs[i]
		}
	}
	return nil
}

var vrfKeys = []string{"name", "rd"}

// vrfList decodes vrfs:. A name or an RD declared twice is an error: the
// name is a label value, and an RD in two VRFs would make its routes
// belong to both.
func (d *decoder) vrfList(n *yaml.Node, p fpath) {
	names := map[string]int{}
	rds := map[RD]string{}
	d.vrfs = names
	d.list(n, p, `[{name: testa, rd: ["65000:100"]}]`, func(i int, item *yaml.Node) {
		q := p.i(i)
		x := VRF{Line: item.Line}
		var hasName, hasRD bool
		type rdAt struct {
			line int
			p    fpath
		}
		var lines []rdAt
		ok := d.fields(item, q, "a VRF", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "name":
				x.Name, _ = d.name(v, r, "VRF name")
				hasName = true
			case "rd":
				hasRD = true
				d.list(v, r, `["65000:100", "192.0.2.1:100"]`, func(j int, it *yaml.Node) {
					s, ok := d.str(it, r.i(j))
					if !ok {
						return
					}
					rd, err := ParseRD(s)
					if err != nil {
						d.errf(it.Line, r.i(j), "invalid route distinguisher %q: %v", s, err)
						return
					}
					x.RDs = append(x.RDs, rd)
					lines = append(lines, rdAt{it.Line, r.i(j)})
				})
			default:
				d.unknown(k, q, vrfKeys)
			}
		})
		if !ok {
			return
		}
		if !hasName {
			d.missing(x.Line, q.k("name"), "missing name: the VRF's name as operators say it (testa, renater...), the vrf label of its BGP series")
			return
		}
		if !hasRD {
			d.missing(x.Line, q.k("rd"), "missing rd: list the route distinguishers of VRF %q's routes, e.g. rd: [\"65000:100\"]", x.Name)
		}
		for j, rd := range x.RDs {
			if other, dup := rds[rd]; dup {
				d.errf(lines[j].line, lines[j].p, "route distinguisher %s is already VRF %q's: an RD belongs to one VRF; remove it from one of them", rd, other)
				continue
			}
			rds[rd] = x.Name
		}
		if j, dup := names[x.Name]; dup {
			d.errf(x.Line, q.k("name"), "duplicate VRF %q (first declared at line %d): merge their rd lists", x.Name, d.inv.VRFs[j].Line)
			return
		}
		names[x.Name] = len(d.inv.VRFs)
		d.inv.VRFs = append(d.inv.VRFs, x)
	})
}
