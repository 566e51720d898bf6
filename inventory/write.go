package inventory

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Write writes inv as a configuration file that Parse accepts, in the schema
// of docs/configuration.md: Parse(Write(x)) gives back x (but for the Line
// fields) for any x that Parse returned. Secrets are written as their
// references, never their values; a secret with a value and no reference is
// an error, since writing it would either leak or lose it. Devices, access
// links, links and interconnects take one flow-style line each, so a full RIE
// (14,000 sites, 20,000 devices) stays a file of a few megabytes that diffs
// line by line.
func Write(w io.Writer, inv *Inventory) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	e := &writer{w: bw}
	e.inventory(inv)
	if e.err != nil {
		return e.err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("inventory: write: %w", err)
	}
	return nil
}

// writer builds the YAML text; the first error (of the inventory or of the
// underlying writer) stops it.
type writer struct {
	w   *bufio.Writer
	err error
	buf []byte // one line, reused
}

func (e *writer) fail(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("inventory: write: "+format, args...)
	}
}

// line writes the line under construction.
func (e *writer) line() {
	e.buf = append(e.buf, '\n')
	if _, err := e.w.Write(e.buf); err != nil && e.err == nil {
		e.err = fmt.Errorf("inventory: write: %w", err)
	}
	e.buf = e.buf[:0]
}

func (e *writer) raw(s string) { e.buf = append(e.buf, s...) }

func (e *writer) scalar(s string) { e.buf = appendScalar(e.buf, s) }

// kv writes "key: value" inside a flow mapping, with a separator unless it
// is the first pair.
func (e *writer) kv(first *bool, key, value string) {
	if !*first {
		e.buf = append(e.buf, ", "...)
	}
	*first = false
	e.buf = append(e.buf, key...)
	e.buf = append(e.buf, ": "...)
	e.buf = appendScalar(e.buf, value)
}

// kvTrue writes "key: true" (flags are written only when set).
func (e *writer) kvTrue(first *bool, key string) {
	if !*first {
		e.buf = append(e.buf, ", "...)
	}
	*first = false
	e.buf = append(e.buf, key...)
	e.buf = append(e.buf, ": true"...)
}

// kvOpt writes a pair only when value is not empty.
func (e *writer) kvOpt(first *bool, key, value string) {
	if value != "" {
		e.kv(first, key, value)
	}
}

func (e *writer) kvList(first *bool, key string, values []string) {
	if len(values) == 0 {
		return
	}
	if !*first {
		e.buf = append(e.buf, ", "...)
	}
	*first = false
	e.buf = append(e.buf, key...)
	e.buf = append(e.buf, ": "...)
	e.list(values)
}

func (e *writer) list(values []string) {
	e.buf = append(e.buf, '[')
	for i, v := range values {
		if i > 0 {
			e.buf = append(e.buf, ", "...)
		}
		e.buf = appendScalar(e.buf, v)
	}
	e.buf = append(e.buf, ']')
}

// field writes an indented block-style "key: value" line.
func (e *writer) field(indent, key, value string) {
	e.raw(indent)
	e.raw(key)
	e.raw(": ")
	e.scalar(value)
	e.line()
}

func (e *writer) secretFlow(first *bool, key string, s Secret) {
	if s.Ref == "" {
		if s.IsSet() {
			e.fail("%s has a value but no reference: build it with NewSecret(value, \"env:NAME\") or \"file:PATH\" so that it can be written without leaking", key)
		}
		return
	}
	kind, name, ok := strings.Cut(s.Ref, ":")
	if !ok || (kind != "env" && kind != "file") || name == "" {
		e.fail("%s has reference %q: it must be \"env:NAME\" or \"file:PATH\"", key, s.Ref)
		return
	}
	if !*first {
		e.buf = append(e.buf, ", "...)
	}
	*first = false
	e.raw(key)
	e.raw(": {")
	e.raw(kind)
	e.raw(": ")
	e.scalar(name)
	e.raw("}")
}

func (e *writer) inventory(inv *Inventory) {
	e.raw("# vigie configuration (schema: docs/configuration.md)")
	e.line()

	e.raw("agent:")
	e.line()
	e.field("  ", "listen", inv.Agent.Listen)
	if inv.Agent.DB != "" {
		e.field("  ", "db", inv.Agent.DB)
	}
	e.field("  ", "history", fmtDuration(inv.Agent.History))
	if inv.Agent.MaxLLDPNeighbors != 0 {
		e.field("  ", "max_lldp_neighbors", strconv.Itoa(inv.Agent.MaxLLDPNeighbors))
	}
	if inv.Agent.MaxDeviceEvents != 0 {
		e.field("  ", "max_device_events_per_minute", strconv.Itoa(inv.Agent.MaxDeviceEvents))
	}
	if inv.Agent.AvailabilityRetention != 0 {
		e.field("  ", "availability_retention", fmtDuration(inv.Agent.AvailabilityRetention))
	}

	pl := inv.Polling
	e.raw("polling:")
	e.line()
	e.raw("  intervals: {")
	first := true
	for _, r := range sortedRoles(pl.Intervals) {
		e.kv(&first, string(r), fmtDuration(pl.Intervals[r]))
	}
	e.raw("}")
	e.line()
	e.field("  ", "workers", strconv.Itoa(pl.Workers))
	e.field("  ", "max_backoff", fmtDuration(pl.MaxBackoff))
	e.field("  ", "max_rows", strconv.Itoa(pl.MaxRows))
	e.raw("  tables: ")
	e.list(pl.Tables)
	e.line()

	e.section("snmp_profiles", len(inv.Profiles))
	for _, p := range inv.Profiles {
		e.profile(p)
	}

	e.section("regions", len(inv.Regions))
	regionOverseas := make(map[string]bool, len(inv.Regions))
	for _, r := range inv.Regions {
		regionOverseas[r.ID] = r.Overseas
		e.raw("  - {")
		first := true
		e.kv(&first, "id", r.ID)
		e.kvOpt(&first, "name", r.Name)
		if r.Overseas {
			e.kvTrue(&first, "overseas")
		}
		e.raw("}")
		e.line()
	}
	e.section("datacentres", len(inv.Datacentres))
	for _, x := range inv.Datacentres {
		e.place(x.ID, x.Name, x.Region, x.Address)
	}
	e.section("pops", len(inv.PoPs))
	for _, x := range inv.PoPs {
		e.place(x.ID, x.Name, x.Region, x.Address)
	}

	e.section("devices", len(inv.Devices))
	for i := range inv.Devices {
		e.device(&inv.Devices[i])
	}

	e.section("sites", len(inv.Sites))
	for i := range inv.Sites {
		e.site(&inv.Sites[i], regionOverseas)
	}

	e.section("links", len(inv.Links))
	for i := range inv.Links {
		e.link(&inv.Links[i])
	}

	e.section("vrfs", len(inv.VRFs))
	for _, v := range inv.VRFs {
		e.raw("  - {")
		first := true
		e.kv(&first, "name", v.Name)
		rds := make([]string, len(v.RDs))
		for i, rd := range v.RDs {
			rds[i] = rd.String()
		}
		e.kvList(&first, "rd", rds)
		e.raw("}")
		e.line()
	}

	e.section("interconnects", len(inv.Interconnects))
	for _, x := range inv.Interconnects {
		e.raw("  - {")
		first := true
		e.kv(&first, "id", x.ID)
		e.kvOpt(&first, "name", x.Name)
		e.kv(&first, "kind", string(x.Kind))
		e.kv(&first, "device", x.Device)
		e.kvOpt(&first, "interface", x.Interface)
		e.kvOpt(&first, "vrf", x.VRF)
		e.kvList(&first, "srlgs", x.SRLGs)
		e.kvPrefixes(&first, "prefixes", x.Prefixes)
		if x.BGPPeer.IsValid() {
			e.kv(&first, "bgp_peer", x.BGPPeer.String())
		}
		e.raw("}")
		e.line()
	}

	e.bgp(&inv.BGP)
	e.maintenance(inv.Maintenance)
	e.collectors(inv.Collectors)
}

func sortedRoles(m map[Role]time.Duration) []Role {
	out := make([]Role, 0, len(m))
	for _, r := range Roles {
		if _, ok := m[r]; ok {
			out = append(out, r)
		}
	}
	var extra []Role
	for r := range m {
		if !slices.Contains(Roles, r) {
			extra = append(extra, r)
		}
	}
	slices.Sort(extra)
	return append(out, extra...)
}

func (e *writer) section(name string, n int) {
	if n == 0 {
		return
	}
	e.raw(name)
	e.raw(":")
	e.line()
}

func (e *writer) profile(p SNMPProfile) {
	e.raw("  - name: ")
	e.scalar(p.Name)
	e.line()
	e.field("    ", "version", string(p.Version))
	for _, s := range []struct {
		key string
		sec Secret
		val string
	}{
		{key: "community", sec: p.Community},
		{key: "username", val: p.Username},
		{key: "auth_protocol", val: p.AuthProtocol},
		{key: "auth_password", sec: p.AuthPassword},
		{key: "priv_protocol", val: p.PrivProtocol},
		{key: "priv_password", sec: p.PrivPassword},
	} {
		if s.sec.Ref != "" || s.sec.IsSet() {
			e.raw("    ")
			first := true
			e.secretFlow(&first, s.key, s.sec)
			e.line()
		} else if s.val != "" {
			e.field("    ", s.key, s.val)
		}
	}
	e.field("    ", "timeout", fmtDuration(p.Timeout))
	e.field("    ", "retries", strconv.Itoa(p.Retries))
	e.field("    ", "max_repetitions", strconv.Itoa(p.MaxRepetitions))
}

func (e *writer) place(id, name, region, address string) {
	e.raw("  - {")
	first := true
	e.kv(&first, "id", id)
	e.kvOpt(&first, "name", name)
	e.kv(&first, "region", region)
	e.kvOpt(&first, "address", address)
	e.raw("}")
	e.line()
}

func (e *writer) device(x *Device) {
	e.raw("  - {")
	first := true
	e.kv(&first, "name", x.Name)
	e.kv(&first, "role", string(x.Role))
	e.kvOpt(&first, "site", x.Site)
	e.kvOpt(&first, "pop", x.PoP)
	e.kvOpt(&first, "datacentre", x.Datacentre)
	e.kv(&first, "address", formatAddrPort(x.Address))
	if x.Profile != DefaultProfileName {
		e.kv(&first, "snmp_profile", x.Profile)
	}
	e.raw("}")
	e.line()
}

func formatAddrPort(ap netip.AddrPort) string {
	if !ap.IsValid() {
		return ""
	}
	if ap.Port() == 161 {
		return ap.Addr().String()
	}
	return ap.String()
}

func (e *writer) site(s *Site, regionOverseas map[string]bool) {
	e.raw("  - id: ")
	e.scalar(s.ID)
	e.line()
	if s.Name != "" {
		e.field("    ", "name", s.Name)
	}
	e.field("    ", "region", s.Region)
	// The site's overseas flag follows its region unless written.
	if ro, ok := regionOverseas[s.Region]; (ok && ro != s.Overseas) || (!ok && s.Overseas) {
		e.field("    ", "overseas", strconv.FormatBool(s.Overseas))
	}
	name := ""
	for w, p := range ProtectionNames {
		if p == s.Protection {
			name = w
		}
	}
	if name == "" {
		e.fail("site %q: protection %d is not a level (0 to 4)", s.ID, int(s.Protection))
	}
	e.field("    ", "protection", name)
	for _, f := range [...]struct{ key, value string }{
		{"address", s.Address}, {"commune", s.Commune}, {"department", s.Department},
		{"ministry", s.Ministry}, {"contact", s.Contact},
	} {
		if f.value != "" {
			e.field("    ", f.key, f.value)
		}
	}
	if s.HasCoords {
		// Numbers, written plain: a quoted "-20.8" would read as a string.
		e.raw("    lat: " + strconv.FormatFloat(s.Lat, 'f', -1, 64))
		e.line()
		e.raw("    lon: " + strconv.FormatFloat(s.Lon, 'f', -1, 64))
		e.line()
	}
	if len(s.Prefixes) > 0 {
		e.raw("    prefixes: [")
		for i, p := range s.Prefixes {
			if i > 0 {
				e.raw(", ")
			}
			e.scalar(p.String())
		}
		e.raw("]")
		e.line()
	}
	e.raw("    access:")
	e.line()
	for _, a := range s.Access {
		e.raw("      - {")
		first := true
		e.kv(&first, "technology", string(a.Technology))
		e.kv(&first, "router", a.Router)
		e.kvOpt(&first, "router_interface", a.RouterInterface)
		e.kv(&first, "device", a.Device)
		e.kvOpt(&first, "interface", a.Interface)
		e.kvList(&first, "srlgs", a.SRLGs)
		if a.ViaInternet {
			e.kvTrue(&first, "via_internet")
		}
		e.kvOpt(&first, "operator", a.Operator)
		e.kvOpt(&first, "circuit", a.Circuit)
		e.raw("}")
		e.line()
	}
}

// kvPrefixes writes a flow list of prefixes, nothing when there are none.
func (e *writer) kvPrefixes(first *bool, key string, ps []netip.Prefix) {
	if len(ps) == 0 {
		return
	}
	strs := make([]string, len(ps))
	for i, p := range ps {
		strs[i] = p.String()
	}
	e.kvList(first, key, strs)
}

func (e *writer) link(l *Link) {
	e.raw("  - {a: {")
	first := true
	e.kv(&first, "device", l.A.Device)
	e.kvOpt(&first, "interface", l.A.Interface)
	e.raw("}, b: {")
	first = true
	e.kv(&first, "device", l.B.Device)
	e.kvOpt(&first, "interface", l.B.Interface)
	e.raw("}")
	first = false
	e.kvOpt(&first, "technology", string(l.Technology))
	e.kvList(&first, "srlgs", l.SRLGs)
	if l.ViaInternet {
		e.kvTrue(&first, "via_internet")
	}
	e.raw("}")
	e.line()
}

func (e *writer) bgp(b *BGP) {
	if b.LocalAS == 0 && !b.RouterID.IsValid() && b.ListenPort == 0 && len(b.Peers) == 0 && len(b.Canaries) == 0 && b.RouteSettle == 0 {
		return
	}
	e.raw("bgp:")
	e.line()
	if b.LocalAS != 0 {
		e.field("  ", "local_as", strconv.FormatUint(uint64(b.LocalAS), 10))
	}
	if b.RouterID.IsValid() {
		e.field("  ", "router_id", b.RouterID.String())
	}
	if b.ListenPort != 0 {
		e.field("  ", "listen_port", strconv.Itoa(b.ListenPort))
	}
	if b.RouteSettle != 0 {
		e.field("  ", "route_settle", fmtDuration(b.RouteSettle))
	}
	if len(b.Canaries) > 0 {
		e.raw("  canaries: [")
		for i, p := range b.Canaries {
			if i > 0 {
				e.raw(", ")
			}
			e.scalar(p.String())
		}
		e.raw("]")
		e.line()
	}
	if len(b.Peers) == 0 {
		return
	}
	e.raw("  peers:")
	e.line()
	for _, p := range b.Peers {
		e.raw("    - {")
		first := true
		e.kv(&first, "device", p.Device)
		if p.Address.IsValid() {
			e.kv(&first, "address", p.Address.String())
		}
		e.kv(&first, "remote_as", strconv.FormatUint(uint64(p.RemoteAS), 10))
		if p.LocalAddress.IsValid() {
			e.kv(&first, "local_address", p.LocalAddress.String())
		}
		if p.Port != 0 && p.Port != 179 {
			e.kv(&first, "port", strconv.Itoa(p.Port))
		}
		e.kvList(&first, "families", p.Families)
		e.secretFlow(&first, "password", p.Password)
		if p.MaxPrefixes != 0 {
			e.kv(&first, "max_prefixes", strconv.FormatUint(uint64(p.MaxPrefixes), 10))
		}
		if p.TTLSecurity != 0 {
			e.kv(&first, "ttl_security", strconv.Itoa(p.TTLSecurity))
		}
		if p.AddPath {
			e.kvTrue(&first, "add_path")
		}
		if p.Passive {
			e.kvTrue(&first, "passive")
		}
		e.raw("}")
		e.line()
	}
}

// appendScalar appends s as a YAML scalar: plain when that is unambiguous
// in both block and flow context, double-quoted otherwise.
func appendScalar(b []byte, s string) []byte {
	if plainSafe(s) {
		return append(b, s...)
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return strconv.AppendQuote(b, s)
}

// plainSafe reports whether s can be written unquoted: only characters
// that mean nothing to YAML, a first character that starts no construct,
// and not a word YAML reads as null or a boolean.
func plainSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case (c == '.' || c == '-' || c == '+') && i > 0, c == '/':
		default:
			return false
		}
	}
	switch s {
	case "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE":
		return false
	}
	return true
}
