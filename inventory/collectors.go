// This file decodes and writes the "collectors:" section: which regional
// collector (`vigie collect --collector NAME`) polls which regions, PoPs and
// devices when vigie runs distributed (docs/distributed.md). Without the
// section vigie runs on one box and the section means nothing.

package inventory

import (
	"regexp"
	"slices"

	"gopkg.in/yaml.v3"
)

// CollectorShare is one regional collector and what it polls. A device is
// polled by the collector that names it, else the one that names its PoP,
// else the one that names its region (CollectorOf).
type CollectorShare struct {
	// Name is the collector's name: its NATS subjects
	// (vigie.obs.NAME.>) and its credentials carry it.
	Name    string
	Regions []string
	PoPs    []string
	Devices []string
	// BGP says this collector runs the bgp: section's sessions (near the
	// route reflectors); the central then opens none and serves what the
	// collector publishes. At most one collector has it.
	BGP bool
	// Witnesses are the collectors that vouch for this one's devices while
	// the central has lost it: each probes them (one SNMP Get each) and
	// reports those it still reaches (docs/distributed.md, "Witnesses").
	Witnesses []string
	// JetStreamDomain is the JetStream domain of the NATS leaf node the
	// collector publishes to, overseas: the leaf keeps its observations on
	// its own disk while the cable is down, and the centrals' stream sources
	// them from there when it is back ("" = the centrals' own NATS).
	JetStreamDomain string
	Line            int
}

// collectorName is what a collector's name may hold: it is a NATS subject
// token and a label value.
var collectorName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidCollectorName reports whether s can name a collector.
func ValidCollectorName(s string) bool { return collectorName.MatchString(s) }

var collectorKeys = []string{"name", "regions", "pops", "devices", "bgp", "witnesses", "jetstream_domain"}

// token decodes a name that is also a NATS subject token (a collector's, a
// JetStream domain's): "" with one problem when it cannot be one.
func (d *decoder) token(v *yaml.Node, p fpath, what, why string) string {
	s, ok := d.name(v, p, what)
	if !ok {
		return ""
	}
	if !ValidCollectorName(s) {
		d.errf(v.Line, p, "%s %q: use lower-case letters, digits, '-' and '_' (%s), e.g. reunion", what, s, why)
		return ""
	}
	return s
}

// witnessRef is a witness named by a collector, checked once every
// collector is known (a witness may be declared after the collector it
// vouches for).
type witnessRef struct {
	name, of string
	line     int
	p        fpath
}

// collectorList decodes collectors:. It runs after regions, PoPs and
// devices, which it names. A region, PoP or device given to two collectors
// is an error: each device has exactly one poller.
func (d *decoder) collectorList(n *yaml.Node, p fpath) {
	names := map[string]int{}
	bgpBy := ""
	owner := map[string]string{} // "region:ara" -> collector
	var witnesses []witnessRef
	d.list(n, p, "[{name: mainland, regions: [ara, idf]}, {name: reunion, regions: [reu]}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		c := CollectorShare{Line: item.Line}
		start := len(witnesses) // this collector's witnesses come after
		ok := d.fields(item, q, "a collector", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "name":
				c.Name = d.token(v, r, "collector name", "it is a NATS subject token")
			case "regions":
				c.Regions = d.refs(v, r, "region", d.regions, "unknown region %q: name a region declared under regions:")
			case "pops":
				c.PoPs = d.refs(v, r, "PoP", d.pops, "unknown PoP %q: name a PoP declared under pops:")
			case "devices":
				c.Devices = d.refs(v, r, "device", d.devices, "unknown device %q: name a device declared under devices:")
			case "bgp":
				c.BGP, _ = d.boolean(v, r)
			case "jetstream_domain":
				c.JetStreamDomain = d.token(v, r, "jetstream_domain", "as in the leaf node's nats-server jetstream { domain: ... }")
			case "witnesses":
				d.list(v, r, "[reunion-b]", func(i int, item *yaml.Node) {
					if s, ok := d.name(item, r.i(i), "witness"); ok {
						witnesses = append(witnesses, witnessRef{name: s, line: item.Line, p: r.i(i)})
					}
				})
			default:
				d.unknown(k, q, collectorKeys)
			}
		})
		if !ok {
			return
		}
		if c.Name == "" {
			d.missing(c.Line, q.k("name"), "missing name: name the collector as its `vigie collect --collector NAME` does")
			return
		}
		if first, dup := names[c.Name]; dup {
			d.errf(c.Line, q.k("name"), "duplicate collector %q (first declared at line %d): give each collector its own name", c.Name, first)
			return
		}
		names[c.Name] = c.Line
		if c.BGP {
			switch {
			case len(d.inv.BGP.Peers) == 0:
				d.errf(c.Line, q.k("bgp"), "collector %q has bgp: true but the inventory's bgp: section has no peers: declare the sessions under bgp:, or remove bgp: true", c.Name)
			case bgpBy != "":
				d.errf(c.Line, q.k("bgp"), "collectors %q and %q both have bgp: true: one collector runs the BGP sessions (two would open each session twice)", bgpBy, c.Name)
			default:
				bgpBy = c.Name
			}
		}
		for i := start; i < len(witnesses); i++ {
			witnesses[i].of = c.Name
		}
		if len(c.Regions)+len(c.PoPs)+len(c.Devices) == 0 {
			d.errf(c.Line, q, "collector %q polls nothing: list the regions, pops or devices it polls", c.Name)
			return
		}
		for _, x := range []struct {
			kind string
			ids  []string
		}{{"region", c.Regions}, {"PoP", c.PoPs}, {"device", c.Devices}} {
			for _, id := range x.ids {
				key := x.kind + ":" + id
				if other, taken := owner[key]; taken {
					d.errf(c.Line, q, "%s %q is given to collectors %q and %q: give it to one (each device has one poller)", x.kind, id, other, c.Name)
					continue
				}
				owner[key] = c.Name
			}
		}
		d.inv.Collectors = append(d.inv.Collectors, c)
	})
	// Witnesses name collectors, possibly declared further down. Two
	// collectors may vouch for each other: each watches the other's
	// heartbeats, nothing loops.
	for _, w := range witnesses {
		if w.of == "" {
			continue // the collector itself was refused
		}
		switch {
		case w.name == w.of:
			d.errf(w.line, w.p, "collector %q is its own witness: a witness must be another collector, one that reaches %s's devices by another path", w.of, w.of)
		case names[w.name] == 0:
			d.errf(w.line, w.p, "unknown witness %q: name a collector declared under collectors:", w.name)
		default:
			c := d.inv.Collector(w.of)
			if c == nil {
				continue
			}
			if slices.Contains(c.Witnesses, w.name) {
				d.errf(w.line, w.p, "witness %q listed twice for collector %q: list it once", w.name, w.of)
				continue
			}
			c.Witnesses = append(c.Witnesses, w.name)
		}
	}
}

// JetStreamDomains returns, sorted, the JetStream domains of the leaf
// nodes the collectors publish to: those the centrals' stream sources.
func (inv *Inventory) JetStreamDomains() []string {
	var out []string
	for _, c := range inv.Collectors {
		if c.JetStreamDomain != "" && !slices.Contains(out, c.JetStreamDomain) {
			out = append(out, c.JetStreamDomain)
		}
	}
	slices.Sort(out)
	return out
}

// CollectorsIn returns the collectors that publish to the leaf node of
// JetStream domain: the subjects its own stream keeps.
func (inv *Inventory) CollectorsIn(domain string) []string {
	var out []string
	for _, c := range inv.Collectors {
		if domain != "" && c.JetStreamDomain == domain {
			out = append(out, c.Name)
		}
	}
	return out
}

// VouchesFor returns the collectors that name witness among their
// witnesses: those whose devices it probes while they are lost.
func (inv *Inventory) VouchesFor(witness string) []string {
	var out []string
	for _, c := range inv.Collectors {
		if slices.Contains(c.Witnesses, witness) {
			out = append(out, c.Name)
		}
	}
	return out
}

// CollectorOf returns the name of the collector that polls d: the one that
// names the device, else its PoP, else its region ("" when no collector
// covers it, or without a collectors: section).
func (inv *Inventory) CollectorOf(d *Device) string {
	if len(inv.Collectors) == 0 {
		return ""
	}
	for _, c := range inv.Collectors {
		if slices.Contains(c.Devices, d.Name) {
			return c.Name
		}
	}
	if d.PoP != "" {
		for _, c := range inv.Collectors {
			if slices.Contains(c.PoPs, d.PoP) {
				return c.Name
			}
		}
	}
	region := inv.DeviceRegion(d)
	for _, c := range inv.Collectors {
		if slices.Contains(c.Regions, region) {
			return c.Name
		}
	}
	return ""
}

// BGPCollector returns the name of the collector that runs the BGP
// sessions (bgp: true), "" when none does (the central runs them).
func (inv *Inventory) BGPCollector() string {
	for _, c := range inv.Collectors {
		if c.BGP {
			return c.Name
		}
	}
	return ""
}

// Collector returns the declared collector named name, or nil.
func (inv *Inventory) Collector(name string) *CollectorShare {
	for i := range inv.Collectors {
		if inv.Collectors[i].Name == name {
			return &inv.Collectors[i]
		}
	}
	return nil
}

// Share returns a copy of inv whose devices are only those collector name
// polls: what `vigie collect --collector NAME` polls. Its sites are only
// those its devices stand in or give access to, in slices of their own, so
// that a collector need not keep the whole RIE once it has its share (on
// 14,000 sites the share of a region is a tenth of it). The rest (links,
// PoPs, profiles) is shared with inv and must not be modified.
func (inv *Inventory) Share(name string) *Inventory {
	c := *inv
	c.Devices = nil
	mine := map[string]bool{}  // its devices' names
	where := map[string]bool{} // the sites they stand in
	for i := range inv.Devices {
		if d := &inv.Devices[i]; inv.CollectorOf(d) == name {
			c.Devices = append(c.Devices, *d)
			mine[d.Name] = true
			if d.Site != "" {
				where[d.Site] = true
			}
		}
	}
	c.Sites = nil
	for i := range inv.Sites {
		if s := &inv.Sites[i]; where[s.ID] || accessThrough(s, mine) {
			c.Sites = append(c.Sites, *s)
		}
	}
	c.Index()
	return &c
}

// accessThrough reports whether an access of s goes through one of the
// devices named in mine.
func accessThrough(s *Site, mine map[string]bool) bool {
	for _, a := range s.Access {
		if mine[a.Router] || mine[a.Device] {
			return true
		}
	}
	return false
}

// collectors writes the collectors section, one flow-style line each.
func (e *writer) collectors(cs []CollectorShare) {
	e.section("collectors", len(cs))
	for _, c := range cs {
		e.raw("  - {")
		first := true
		e.kv(&first, "name", c.Name)
		e.kvList(&first, "regions", c.Regions)
		e.kvList(&first, "pops", c.PoPs)
		e.kvList(&first, "devices", c.Devices)
		if c.BGP {
			e.kvTrue(&first, "bgp")
		}
		e.kvList(&first, "witnesses", c.Witnesses)
		if c.JetStreamDomain != "" {
			e.kv(&first, "jetstream_domain", c.JetStreamDomain)
		}
		e.raw("}")
		e.line()
	}
}
