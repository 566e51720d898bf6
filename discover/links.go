package discover

// links.go turns the reached devices' neighbour tables into links: one per
// cable, whether one end or both report it, by LLDP, CDP or both.

import (
	"cmp"
	"net/netip"
	"slices"
	"strings"
)

// End is one end of a link: a device and its interface. Seen is the
// interface's name as the other end's table gives it, when it differs
// (a port description rather than the ifName).
type End struct {
	Device    string
	Interface string
	Seen      string
}

// Link is a link between two devices seen in their neighbour tables. B's
// device may be a neighbour the crawl did not reach (Reached false).
type Link struct {
	A, B End
	// Via lists the protocols that showed it: "lldp", "cdp".
	Via []string
	// BothEnds says each end's table shows the other.
	BothEnds bool
	// Reached says both devices were reached by the crawl.
	Reached bool
}

// obs is one neighbour row: device a, on port ap, sees device b's port bp.
type obs struct {
	a, ap, b, bp string
	via          string
	used         bool
}

// links joins the devices' neighbour rows. A remote is named after the
// reached device it is (by its advertised address, then its name); rows
// from both ends of one cable are one link when they agree on either end's
// port name; a device's own name for its port wins over its neighbour's.
func links(devs []*Device) []Link {
	byAddr := map[netip.Addr]*Device{}
	byName := map[string]*Device{}
	for _, d := range devs {
		byAddr[d.Address.Addr()] = d
		for _, a := range d.Aliases {
			byAddr[a.Addr()] = d
		}
		byName[strings.ToLower(d.Name)] = d
	}
	resolve := func(n *neighbor) (string, bool) {
		for _, a := range n.addrs {
			if d := byAddr[a]; d != nil {
				return d.Name, true
			}
		}
		low := strings.ToLower(n.remote)
		if d := byName[low]; d != nil {
			return d.Name, true
		}
		if short, _, ok := strings.Cut(low, "."); ok {
			if d := byName[short]; d != nil {
				return d.Name, true
			}
		}
		return n.remote, false
	}
	// Rows by unordered device pair.
	type pairKey [2]string
	groups := map[pairKey][]*obs{}
	reached := map[string]bool{}
	var keys []pairKey
	for _, d := range devs {
		reached[d.Name] = true
		for i := range d.neighbors {
			n := &d.neighbors[i]
			b, _ := resolve(n)
			if b == "" || b == d.Name {
				continue
			}
			k := pairKey{d.Name, b}
			if k[1] < k[0] {
				k[0], k[1] = k[1], k[0]
			}
			if groups[k] == nil {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], &obs{a: d.Name, ap: n.port, b: b, bp: n.remotePort, via: n.via})
		}
	}
	var out []Link
	for _, k := range keys {
		rows := groups[k]
		var mine, theirs []*obs // seen from k[0], from k[1]
		for _, o := range rows {
			if o.a == k[0] {
				mine = append(mine, o)
			} else {
				theirs = append(theirs, o)
			}
		}
		// The same port's rows from LLDP and CDP are one.
		mine, theirs = sameSide(mine), sameSide(theirs)
		for _, m := range mine {
			for _, t := range theirs {
				if t.used || !(m.ap == t.bp || t.ap == m.bp) {
					continue
				}
				m.used, t.used = true, true
				out = append(out, Link{A: End{Device: m.a, Interface: m.ap, Seen: other(m.ap, t.bp)},
					B: End{Device: t.a, Interface: t.ap, Seen: other(t.ap, m.bp)}, Via: vias(m.via, t.via), BothEnds: true})
				break
			}
		}
		for _, o := range slices.Concat(mine, theirs) {
			if !o.used {
				out = append(out, Link{A: End{Device: o.a, Interface: o.ap}, B: End{Device: o.b, Interface: o.bp}, Via: vias(o.via)})
			}
		}
	}
	for i := range out {
		l := &out[i]
		l.Reached = reached[l.A.Device] && reached[l.B.Device]
		if l.Reached && cmpEnd(l.B, l.A) < 0 {
			l.A, l.B = l.B, l.A
		}
	}
	slices.SortStableFunc(out, func(x, y Link) int {
		return cmp.Or(cmpEnd(x.A, y.A), cmpEnd(x.B, y.B))
	})
	return out
}

// sameSide merges the rows of one device's port that name the same remote
// port (LLDP and CDP both running), joining their protocols.
func sameSide(rows []*obs) []*obs {
	out := rows[:0]
	for _, o := range rows {
		dup := false
		for _, p := range out {
			if p.ap == o.ap && p.bp == o.bp {
				p.via = strings.Join(vias(p.via, o.via), ",")
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, o)
		}
	}
	return out
}

func other(own, seen string) string {
	if own == seen {
		return ""
	}
	return seen
}

// vias returns the protocols named in words (each "lldp", "cdp" or a
// comma-separated list of them), sorted and once each.
func vias(words ...string) []string {
	var out []string
	for _, w := range words {
		for _, v := range strings.Split(w, ",") {
			if v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	slices.Sort(out)
	return out
}

func cmpEnd(x, y End) int {
	return cmp.Or(strings.Compare(x.Device, y.Device), strings.Compare(x.Interface, y.Interface))
}
