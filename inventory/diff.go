// This file compares two inventories: what loading the new one would
// change, so that an import or a hand edit is reviewed before SIGHUP.

package inventory

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Change is one difference between two inventories: a thing (a site, one of
// its accesses, a device, a link...) added, removed or changed.
type Change struct {
	// Kind is what the thing is: "site", "access", "device", "link"...
	Kind string `json:"kind"`
	// ID names it: a site id, "SITE/ROUTER:IFNAME" for an access, a
	// device's name, "A:IF--B:IF" for a link.
	ID string `json:"id"`
	// Change is "added", "removed", "changed", and for the changes a review
	// must not miss: "moved" (an access landing elsewhere), "re-addressed"
	// (a device polled at another address).
	Change string `json:"change"`
	// OldLine and NewLine are where the thing is declared (0: absent or
	// built in code).
	OldLine int `json:"old_line,omitempty"`
	NewLine int `json:"new_line,omitempty"`
	// Fields are the changed fields, for "changed", "moved" and
	// "re-addressed".
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one field's old and new value, as the file writes it. A
// secret's value is never shown: only that it changed, or its reference.
type FieldChange struct {
	Field string `json:"field"`
	Old   string `json:"old"`
	New   string `json:"new"`
	// same is what is compared when it is not the value shown: a secret's
	// reference and value, never printed.
	same string
}

// Diff returns what loading next instead of prev would change, in the
// file's section order then by id. Both must be loaded (Load or Parse).
func Diff(prev, next *Inventory) []Change {
	var out []Change
	for _, section := range sections {
		out = append(out, diffThings(section.kind, section.things(prev), section.things(next))...)
	}
	return out
}

// thing is one comparable element of an inventory: its identity, where it
// is declared, and its fields in a fixed order.
type thing struct {
	id     string
	line   int
	fields []FieldChange // Old unused: field name and value
}

func (t *thing) set(field, value string) {
	t.fields = append(t.fields, FieldChange{Field: field, New: value, same: value})
}

// setSecret shows where a secret comes from, never its value; an inline
// value that changed shows as "(inline, changed)".
func (t *thing) setSecret(field string, s Secret) {
	shown := s.Ref
	if shown == "" && s.IsSet() {
		shown = "(inline)"
	}
	same := s.Ref // what the file says; the values behind it are the machine's
	if same == "" {
		same = "\x00" + s.Value()
	}
	t.fields = append(t.fields, FieldChange{Field: field, New: shown, same: same})
}

var sections = []struct {
	kind   string
	things func(*Inventory) []thing
}{
	{"agent", agentThings},
	{"polling", pollingThings},
	{"snmp_profile", profileThings},
	{"region", regionThings},
	{"datacentre", datacentreThings},
	{"pop", popThings},
	{"device", deviceThings},
	{"site", siteThings},
	{"access", accessThings},
	{"link", linkThings},
	{"vrf", vrfThings},
	{"interconnect", interconnectThings},
	{"bgp", bgpThings},
	{"bgp_peer", peerThings},
	{"maintenance", maintenanceThings},
	{"collector", collectorThings},
}

func diffThings(kind string, prev, next []thing) []Change {
	old := make(map[string]*thing, len(prev))
	for i := range prev {
		old[prev[i].id] = &prev[i]
	}
	var out []Change
	seen := make(map[string]bool, len(next))
	for i := range next {
		n := &next[i]
		seen[n.id] = true
		o, ok := old[n.id]
		if !ok {
			out = append(out, Change{Kind: kind, ID: n.id, Change: "added", NewLine: n.line})
			continue
		}
		var fields []FieldChange
		for j, f := range n.fields {
			if j >= len(o.fields) || o.fields[j].same == f.same {
				continue
			}
			c := FieldChange{Field: f.Field, Old: o.fields[j].New, New: f.New}
			if c.Old == c.New {
				c.New += ", changed" // a secret's value: shown as changed, never printed
			}
			fields = append(fields, c)
		}
		if len(fields) == 0 {
			continue
		}
		out = append(out, Change{Kind: kind, ID: n.id, Change: changeWord(kind, fields),
			OldLine: o.line, NewLine: n.line, Fields: fields})
	}
	for i := range prev {
		if !seen[prev[i].id] {
			out = append(out, Change{Kind: kind, ID: prev[i].id, Change: "removed", OldLine: prev[i].line})
		}
	}
	slices.SortStableFunc(out, func(a, b Change) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// changeWord names a change after its most consequential field.
func changeWord(kind string, fields []FieldChange) string {
	for _, f := range fields {
		switch {
		case kind == "access" && (f.Field == "device" || f.Field == "interface"):
			return "moved"
		case kind == "device" && f.Field == "address":
			return "re-addressed"
		}
	}
	// A device polled by another collector: both collectors are to reload.
	for _, f := range fields {
		if kind == "device" && f.Field == "collector" {
			return "moved"
		}
	}
	return "changed"
}

func agentThings(inv *Inventory) []thing {
	a := inv.Agent
	t := thing{id: "agent"}
	t.set("listen", a.Listen)
	t.set("db", a.DB)
	t.set("history", fmtDuration(a.History))
	t.set("max_lldp_neighbors", strconv.Itoa(a.MaxLLDPNeighbors))
	t.set("max_device_events_per_minute", strconv.Itoa(a.MaxDeviceEvents))
	return []thing{t}
}

func pollingThings(inv *Inventory) []thing {
	p := inv.Polling
	t := thing{id: "polling"}
	for _, r := range Roles {
		t.set("intervals."+string(r), fmtDuration(p.Intervals[r]))
	}
	t.set("workers", strconv.Itoa(p.Workers))
	t.set("max_backoff", fmtDuration(p.MaxBackoff))
	t.set("max_rows", strconv.Itoa(p.MaxRows))
	t.set("tables", list(p.Tables))
	return []thing{t}
}

func profileThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Profiles))
	for _, p := range inv.Profiles {
		t := thing{id: p.Name, line: p.Line}
		t.set("version", string(p.Version))
		t.setSecret("community", p.Community)
		t.set("username", p.Username)
		t.set("auth_protocol", p.AuthProtocol)
		t.setSecret("auth_password", p.AuthPassword)
		t.set("priv_protocol", p.PrivProtocol)
		t.setSecret("priv_password", p.PrivPassword)
		t.set("timeout", fmtDuration(p.Timeout))
		t.set("retries", strconv.Itoa(p.Retries))
		t.set("max_repetitions", strconv.Itoa(p.MaxRepetitions))
		out = append(out, t)
	}
	return out
}

func regionThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Regions))
	for _, r := range inv.Regions {
		t := thing{id: r.ID, line: r.Line}
		t.set("name", r.Name)
		t.set("overseas", strconv.FormatBool(r.Overseas))
		out = append(out, t)
	}
	return out
}

func datacentreThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Datacentres))
	for _, x := range inv.Datacentres {
		out = append(out, placeThing(x.ID, x.Name, x.Region, x.Address, x.Line))
	}
	return out
}

func popThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.PoPs))
	for _, x := range inv.PoPs {
		out = append(out, placeThing(x.ID, x.Name, x.Region, x.Address, x.Line))
	}
	return out
}

// placeThing is what datacentres and PoPs share.
func placeThing(id, name, region, address string, line int) thing {
	t := thing{id: id, line: line}
	t.set("name", name)
	t.set("region", region)
	t.set("address", address)
	return t
}

func deviceThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Devices))
	var collector func(*Device) string
	if len(inv.Collectors) > 0 {
		collector = collectorOf(inv)
	}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		t := thing{id: d.Name, line: d.Line}
		t.set("role", string(d.Role))
		t.set("address", formatAddrPort(d.Address))
		t.set("site", d.Site)
		t.set("pop", d.PoP)
		t.set("datacentre", d.Datacentre)
		t.set("snmp_profile", d.Profile)
		// Last, and only with a collectors: section: diffThings compares
		// the fields both sides have, so that adding or removing the whole
		// section (every device from one box to collectors, or back) shows
		// as the collectors added or removed, not as every device moved.
		if collector != nil {
			t.set("collector", collector(d))
		}
		out = append(out, t)
	}
	return out
}

func siteThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Sites))
	for i := range inv.Sites {
		s := &inv.Sites[i]
		t := thing{id: s.ID, line: s.Line}
		t.set("name", s.Name)
		t.set("region", s.Region)
		t.set("overseas", strconv.FormatBool(s.Overseas))
		t.set("protection", s.Protection.String())
		t.set("prefixes", prefixList(s.Prefixes))
		t.set("address", s.Address)
		t.set("commune", s.Commune)
		t.set("department", s.Department)
		t.set("ministry", s.Ministry)
		t.set("contact", s.Contact)
		coords := ""
		if s.HasCoords {
			coords = strconv.FormatFloat(s.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(s.Lon, 'f', -1, 64)
		}
		t.set("lat,lon", coords)
		t.set("accesses", strconv.Itoa(len(s.Access)))
		out = append(out, t)
	}
	return out
}

// accessThings names each access by its site and the CE end it leaves
// from, which a move to another aggregation router keeps; two accesses
// from one CE interface (or from one CE with no interface named) are told
// apart by their order.
func accessThings(inv *Inventory) []thing {
	var out []thing
	for i := range inv.Sites {
		s := &inv.Sites[i]
		n := map[string]int{}
		for _, a := range s.Access {
			id := s.ID + "/" + a.Router
			if a.RouterInterface != "" {
				id += ":" + a.RouterInterface
			}
			if n[id]++; n[id] > 1 {
				id += "#" + strconv.Itoa(n[id])
			}
			t := thing{id: id, line: a.Line}
			t.set("device", a.Device)
			t.set("interface", a.Interface)
			t.set("technology", string(a.Technology))
			t.set("srlgs", list(a.SRLGs))
			t.set("via_internet", strconv.FormatBool(a.ViaInternet))
			t.set("operator", a.Operator)
			t.set("circuit", a.Circuit)
			out = append(out, t)
		}
	}
	return out
}

// linkThings names a link by its two ends, in a fixed order so that a link
// written B to A is the same link.
func linkThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Links))
	n := map[string]int{}
	for _, l := range inv.Links {
		a, b := endText(l.A), endText(l.B)
		if b < a {
			a, b = b, a
		}
		id := a + "--" + b
		if n[id]++; n[id] > 1 {
			id += "#" + strconv.Itoa(n[id])
		}
		t := thing{id: id, line: l.Line}
		t.set("technology", string(l.Technology))
		t.set("srlgs", list(l.SRLGs))
		t.set("via_internet", strconv.FormatBool(l.ViaInternet))
		out = append(out, t)
	}
	return out
}

func endText(e Endpoint) string {
	if e.Interface == "" {
		return e.Device
	}
	return e.Device + ":" + e.Interface
}

func interconnectThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Interconnects))
	for _, x := range inv.Interconnects {
		t := thing{id: x.ID, line: x.Line}
		t.set("name", x.Name)
		t.set("kind", string(x.Kind))
		t.set("device", x.Device)
		t.set("interface", x.Interface)
		t.set("vrf", x.VRF)
		t.set("srlgs", list(x.SRLGs))
		t.set("prefixes", prefixList(x.Prefixes))
		t.set("bgp_peer", addrText(x.BGPPeer))
		out = append(out, t)
	}
	return out
}

func vrfThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.VRFs))
	for _, v := range inv.VRFs {
		t := thing{id: v.Name, line: v.Line}
		rds := make([]string, len(v.RDs))
		for i, rd := range v.RDs {
			rds[i] = rd.String()
		}
		t.set("rd", list(rds))
		out = append(out, t)
	}
	return out
}

func bgpThings(inv *Inventory) []thing {
	b := inv.BGP
	t := thing{id: "bgp", line: b.Line}
	t.set("local_as", strconv.FormatUint(uint64(b.LocalAS), 10))
	t.set("router_id", addrText(b.RouterID))
	t.set("listen_port", strconv.Itoa(b.ListenPort))
	t.set("canaries", prefixList(b.Canaries))
	t.set("route_settle", b.RouteSettle.String())
	return []thing{t}
}

func peerThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.BGP.Peers))
	for _, p := range inv.BGP.Peers {
		t := thing{id: addrText(p.Address), line: p.Line}
		t.set("device", p.Device)
		t.set("remote_as", strconv.FormatUint(uint64(p.RemoteAS), 10))
		t.set("local_address", addrText(p.LocalAddress))
		t.set("port", strconv.Itoa(p.Port))
		t.set("families", list(p.Families))
		t.setSecret("password", p.Password)
		t.set("max_prefixes", strconv.FormatUint(uint64(p.MaxPrefixes), 10))
		t.set("ttl_security", strconv.Itoa(p.TTLSecurity))
		t.set("add_path", strconv.FormatBool(p.AddPath))
		t.set("passive", strconv.FormatBool(p.Passive))
		out = append(out, t)
	}
	return out
}

func maintenanceThings(inv *Inventory) []thing {
	out := make([]thing, 0, len(inv.Maintenance))
	for _, m := range inv.Maintenance {
		t := thing{id: m.ID}
		t.set("start", m.Start.UTC().Format(time.RFC3339))
		t.set("end", m.End.UTC().Format(time.RFC3339))
		t.set("reason", m.Reason)
		t.set("sites", list(m.Sites))
		t.set("pops", list(m.PoPs))
		t.set("devices", list(m.Devices))
		t.set("srlgs", list(m.SRLGs))
		out = append(out, t)
	}
	return out
}

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func prefixList(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return list(s)
}

// list writes a set of words in a fixed order: a reordering is no change.
func list(xs []string) string {
	s := slices.Clone(xs)
	slices.Sort(s)
	return "[" + strings.Join(s, " ") + "]"
}

// DiffSummary counts the changes per kind and change, for the last line of
// a review: "3 changes: site: 1 added; access: 1 moved; device: 1 re-addressed".
func DiffSummary(changes []Change) string {
	if len(changes) == 0 {
		return "no changes"
	}
	type key struct{ kind, change string }
	n := map[key]int{}
	var order []key
	for _, c := range changes {
		k := key{c.Kind, c.Change}
		if n[k] == 0 {
			order = append(order, k)
		}
		n[k]++
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d change", len(changes))
	if len(changes) > 1 {
		b.WriteByte('s')
	}
	b.WriteString(":")
	for i, k := range order {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, " %d %s %s", n[k], k.kind, k.change)
	}
	return b.String()
}
