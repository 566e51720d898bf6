package discover

// proposal.go writes what a crawl found and an inventory lacks, in the
// inventory's own YAML shape (one flow-style line per device and per link,
// as docs/configuration.md shows them and GET /api/v1/inventory/proposal
// writes links), for a person to review and merge. It never writes the
// inventory itself.

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/inventory"
)

// RoleToReview is the role a proposed device is written with: not a role
// check-config accepts, so that a device merged without review is refused
// by name rather than polled under a guessed role.
const RoleToReview = "REVIEW"

// ProposalOptions says how Proposal writes.
type ProposalOptions struct {
	// Inventory is the inventory the devices and links are compared with
	// (nil: every one found is proposed); InventoryFile its path, named in
	// the header.
	Inventory     *inventory.Inventory
	InventoryFile string
	// Profile is the snmp_profile of the proposed devices.
	Profile string
	// All also writes the devices and links the inventory has, each
	// marked "# in the inventory": the whole network as the crawl saw it.
	All bool
}

// Proposal writes res as inventory YAML: devices: and links: entries for
// what the inventory lacks, and, as comments, the neighbours the crawl did
// not reach, the addresses that failed and the links to devices neither
// reached nor declared.
func Proposal(res *Result, o ProposalOptions) []byte {
	inv := o.Inventory
	known := newResolver(inv)
	// The inventory's name of each reached device, "" when it lacks it.
	invName := map[string]string{}
	for _, d := range res.Devices {
		if n, ok := known.byAddr[d.Address.Addr()]; ok {
			invName[d.Name] = n
			continue
		}
		for _, a := range d.Aliases {
			if n, ok := known.byAddr[a.Addr()]; ok {
				invName[d.Name] = n
				break
			}
		}
		if invName[d.Name] == "" {
			if n, ok := known.name(d.Name); ok {
				invName[d.Name] = n
			}
		}
	}
	// name maps a link end's device to the name the merged inventory
	// gives it; ok is false for a device neither reached nor declared.
	reached := map[string]bool{}
	for _, d := range res.Devices {
		reached[d.Name] = true
	}
	name := func(dev string) (string, bool) {
		if n := invName[dev]; n != "" {
			return n, true
		}
		if reached[dev] {
			return dev, true
		}
		return known.name(dev)
	}
	decl := newDeclared(inv)

	var b []byte
	b = fmt.Appendf(b, "# vigie discover: from %s at %s, %s.\n", joinAddrs(res.Seeds), res.Start.UTC().Format(time.RFC3339), Summary(res))
	if inv != nil && o.InventoryFile != "" {
		b = fmt.Appendf(b, "# What the network shows and %s lacks", o.InventoryFile)
	} else {
		b = append(b, "# What the network shows"...)
	}
	if o.All {
		b = append(b, " (and, marked \"in the inventory\", what it has)"...)
	}
	b = append(b, ".\n# Review every entry before adding it to the inventory: give each device its role and exactly one of\n"...)
	b = append(b, "# site, pop or datacentre (role: "+RoleToReview+" is refused by check-config until then), then run\n"...)
	b = append(b, "# vigie check-config and vigie inventory diff before the reload.\n"...)

	var devLines, linkLines, unreached []string
	for _, d := range res.Devices {
		n := invName[d.Name]
		if n != "" && !o.All {
			continue
		}
		var l []byte
		l = append(l, "  - {name: "...)
		if n != "" {
			l = strconv.AppendQuote(l, n)
		} else {
			l = strconv.AppendQuote(l, d.Name)
		}
		l = append(l, ", role: "+RoleToReview+", address: "...)
		l = strconv.AppendQuote(l, formatAddrPort(d.Address))
		if o.Profile != "" && o.Profile != inventory.DefaultProfileName {
			l = append(l, ", snmp_profile: "...)
			l = strconv.AppendQuote(l, o.Profile)
		}
		l = append(l, "}  # "...)
		if n != "" {
			l = append(l, "in the inventory"...)
			if at := known.addrOf[n]; at.IsValid() && at.Addr() != d.Address.Addr() {
				l = fmt.Appendf(l, " at %s", formatAddrPort(at))
			}
			l = append(l, "; "...)
		}
		l = append(l, deviceNote(d)...)
		devLines = append(devLines, string(l))
	}
	for _, k := range res.Links {
		a, aok := name(k.A.Device)
		bn, bok := name(k.B.Device)
		if !aok || !bok {
			unreached = append(unreached, fmt.Sprintf("#   - %s seen from %s:%s (%s)%s", k.B.Device, a, k.A.Interface,
				strings.Join(k.Via, " and "), skipNote(res, k.B.Device)))
			continue
		}
		in := decl.has(a, k.A, bn, k.B)
		if in && !o.All {
			continue
		}
		var l []byte
		l = append(l, "  - {a: "...)
		l = appendEnd(l, a, k.A.Interface)
		l = append(l, ", b: "...)
		l = appendEnd(l, bn, k.B.Interface)
		l = append(l, "}  # "...)
		if in {
			l = append(l, "in the inventory; "...)
		}
		l = fmt.Appendf(l, "seen by %s", strings.Join(k.Via, " and "))
		if k.BothEnds {
			l = append(l, " from both ends"...)
		} else {
			l = fmt.Appendf(l, " from %s only", a)
		}
		for _, e := range []End{k.A, k.B} {
			if e.Seen != "" {
				l = fmt.Appendf(l, "; %s:%s is %q to its neighbour", name1(name, e.Device), e.Interface, e.Seen)
			}
		}
		linkLines = append(linkLines, string(l))
	}
	if len(devLines) == 0 && len(linkLines) == 0 {
		b = append(b, "# Nothing to add: the inventory has every device and link the crawl found.\n"...)
	}
	if len(devLines) > 0 {
		b = append(b, "\ndevices:\n"...)
		for _, l := range devLines {
			b = append(b, l...)
			b = append(b, '\n')
		}
	}
	if len(linkLines) > 0 {
		b = append(b, "\nlinks:\n"...)
		for _, l := range linkLines {
			b = append(b, l...)
			b = append(b, '\n')
		}
	}
	if len(unreached) > 0 {
		slices.Sort(unreached)
		unreached = slices.Compact(unreached)
		b = append(b, "\n# Neighbours neither reached nor in the inventory (their links need them declared first):\n"...)
		for _, l := range unreached {
			b = append(b, l...)
			b = append(b, '\n')
		}
	}
	if len(res.Failures) > 0 {
		b = append(b, "\n# Addresses that did not answer (check the profile's credentials, and that SNMP is allowed from here):\n"...)
		for _, f := range res.Failures {
			b = fmt.Appendf(b, "#   - %s (%s, via %s): %s\n", formatAddrPort(f.Address), reasonWord(f.Reason), f.Via, oneLine(f.Err))
		}
	}
	return b
}

func name1(name func(string) (string, bool), dev string) string {
	n, _ := name(dev)
	return n
}

// Summary is the one-line count of a crawl: devices reached, failed and
// skipped by reason.
func Summary(res *Result) string {
	s := fmt.Sprintf("%d device(s) reached, %d failed, %d skipped", len(res.Devices), len(res.Failures), len(res.Skipped))
	if c := res.SkipCounts(); len(c) > 0 {
		var parts []string
		for _, x := range c {
			parts = append(parts, x[1]+" "+x[0])
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	s += fmt.Sprintf(", %d link(s), in %.1fs", len(res.Links), res.Elapsed.Seconds())
	if res.TimedOut {
		s += ", stopped by --timeout"
	}
	return s
}

func skipNote(res *Result, dev string) string {
	for _, s := range res.Skipped {
		if s.Name == dev {
			if s.Address.IsValid() {
				return fmt.Sprintf(": not contacted at %s, %s", s.Address, s.Why)
			}
			return ": not contacted, " + s.Why
		}
	}
	return ""
}

func deviceNote(d *Device) string {
	var parts []string
	if d.ObjectID != "" {
		p := "sysObjectID " + d.ObjectID
		if v := Vendor(d.ObjectID); v != "" {
			p += " (" + v + ")"
		}
		parts = append(parts, p)
	}
	if d.Descr != "" {
		descr := d.Descr
		if len(descr) > 60 {
			descr = descr[:60] + "..."
		}
		parts = append(parts, strconv.Quote(oneLineText(descr)))
	}
	if d.Via == "seed" {
		parts = append(parts, "seed")
	} else {
		parts = append(parts, fmt.Sprintf("via %s (%s), depth %d", d.Via, d.AddressFrom, d.Depth))
	}
	if len(d.Aliases) > 0 {
		parts = append(parts, "also answers at "+joinAddrs(d.Aliases))
	}
	if len(d.Problems) > 0 {
		parts = append(parts, fmt.Sprintf("%d table problem(s)", len(d.Problems)))
	}
	return strings.Join(parts, "; ")
}

func oneLine(err error) string {
	if err == nil {
		return ""
	}
	return oneLineText(err.Error())
}

func oneLineText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

func joinAddrs(as []netip.AddrPort) string {
	parts := make([]string, len(as))
	for i, a := range as {
		parts[i] = formatAddrPort(a)
	}
	return strings.Join(parts, ", ")
}

// formatAddrPort writes an address as the inventory does: without the
// port when it is 161.
func formatAddrPort(a netip.AddrPort) string {
	if a.Port() == 161 {
		return a.Addr().String()
	}
	return a.String()
}

// appendEnd writes {device: D, interface: I} with quoted names, which YAML
// reads whatever they hold.
func appendEnd(b []byte, dev, iface string) []byte {
	b = append(b, "{device: "...)
	b = strconv.AppendQuote(b, dev)
	if iface != "" {
		b = append(b, ", interface: "...)
		b = strconv.AppendQuote(b, iface)
	}
	return append(b, '}')
}

// resolver finds inventory devices by address and by name, as the live
// topology maps an LLDP sysName: exact, case-insensitive, then the short
// name of an FQDN.
type resolver struct {
	byAddr map[netip.Addr]string
	addrOf map[string]netip.AddrPort
	exact  map[string]bool
	lower  map[string]string
}

func newResolver(inv *inventory.Inventory) *resolver {
	r := &resolver{byAddr: map[netip.Addr]string{}, addrOf: map[string]netip.AddrPort{}, exact: map[string]bool{}, lower: map[string]string{}}
	if inv == nil {
		return r
	}
	for _, d := range inv.Devices {
		if d.Address.IsValid() {
			r.byAddr[d.Address.Addr()] = d.Name
		}
		r.addrOf[d.Name] = d.Address
		r.exact[d.Name] = true
		r.lower[strings.ToLower(d.Name)] = d.Name
	}
	return r
}

func (r *resolver) name(s string) (string, bool) {
	if r.exact[s] {
		return s, true
	}
	low := strings.ToLower(s)
	if n, ok := r.lower[low]; ok {
		return n, true
	}
	if short, _, ok := strings.Cut(low, "."); ok {
		if n, ok := r.lower[short]; ok {
			return n, true
		}
	}
	return s, false
}

// declared holds the inventory's links, accesses and interconnects, to
// tell whether a link found is one of them.
type declared struct {
	pairs map[[2]string][][2]string // device pair (sorted) -> interface pairs, in the pair's order
	ics   map[[2]string]bool        // interconnect ends: device, interface
}

func newDeclared(inv *inventory.Inventory) *declared {
	d := &declared{pairs: map[[2]string][][2]string{}, ics: map[[2]string]bool{}}
	if inv == nil {
		return d
	}
	add := func(a, ai, b, bi string) {
		if b < a {
			a, ai, b, bi = b, bi, a, ai
		}
		k := [2]string{a, b}
		d.pairs[k] = append(d.pairs[k], [2]string{ai, bi})
	}
	for _, l := range inv.Links {
		add(l.A.Device, l.A.Interface, l.B.Device, l.B.Interface)
	}
	for _, s := range inv.Sites {
		for _, a := range s.Access {
			add(a.Router, a.RouterInterface, a.Device, a.Interface)
		}
	}
	for _, ic := range inv.Interconnects {
		d.ics[[2]string{ic.Device, ic.Interface}] = true
	}
	return d
}

// has reports whether the inventory declares the link between a's end ea
// and b's end eb: a link or access between the two devices whose declared
// interfaces are unnamed or match either name of the port, or an
// interconnect on either end's port.
func (d *declared) has(a string, ea End, b string, eb End) bool {
	if d.ics[[2]string{a, ea.Interface}] || d.ics[[2]string{b, eb.Interface}] {
		return true
	}
	if b < a {
		a, ea, b, eb = b, eb, a, ea
	}
	match := func(decl string, e End) bool {
		return decl == "" || decl == e.Interface || (e.Seen != "" && decl == e.Seen)
	}
	for _, p := range d.pairs[[2]string{a, b}] {
		if match(p[0], ea) && match(p[1], eb) {
			return true
		}
	}
	return false
}
