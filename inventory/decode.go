// This file holds the machinery of the YAML walker: located problems, field
// paths that cost nothing until printed, alias expansion with a budget, and
// the scalar readers every section decoder uses.

package inventory

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// maxProblems bounds the problems kept from one file: past it, a generated
// file with one systematic mistake would print tens of thousands of lines
// that all say the same thing.
const maxProblems = 1000

// aliasBudget bounds how many nodes may be reached through YAML aliases, so
// that a "billion laughs" file cannot make the walker run for ever. A
// configuration written by hand or by Write never comes close.
const aliasBudget = 1_000_000

// pathElem is one step of a field path: a key, or an index when idx >= 0.
type pathElem struct {
	key string
	idx int
}

// fpath is the path of a field, e.g. sites[41].access[1].device. It is a
// value of fixed size so that building one per field allocates nothing; it
// is only formatted when a problem is reported. The schema is never deeper
// than its capacity.
type fpath struct {
	n  int
	el [6]pathElem
}

func (p fpath) k(key string) fpath {
	if p.n < len(p.el) {
		p.el[p.n] = pathElem{key: key, idx: -1}
		p.n++
	}
	return p
}

func (p fpath) i(i int) fpath {
	if p.n < len(p.el) {
		p.el[p.n] = pathElem{idx: i}
		p.n++
	}
	return p
}

func (p fpath) String() string {
	var b strings.Builder
	for _, e := range p.el[:p.n] {
		if e.idx >= 0 {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(e.idx))
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(e.key)
	}
	return b.String()
}

// decoder walks one parsed document into an Inventory, collecting every
// problem rather than stopping at the first.
type decoder struct {
	file string
	dir  string // the file's directory, for {file: PATH} secrets
	opts LoadOptions
	inv  *Inventory

	probs   []Problem
	dropped int
	// typos holds the fields an unknown key was probably meant to be, so that
	// "missing address" is not reported under "adress: did you mean address?".
	typos map[fpath]bool

	budget    int
	exhausted bool
	sizes     map[*yaml.Node]int
	null      yaml.Node

	// Lookups filled as sections are decoded, in dependency order.
	regions  map[string]int
	dcs      map[string]int
	pops     map[string]int
	profiles map[string]int
	devices  map[string]int

	// vrfs is nil without a vrfs: section; icPeerLines holds the line of
	// each interconnect's bgp_peer, by index.
	vrfs        map[string]int
	icPeerLines map[int]int
	// agents maps each management address and port to the device polled
	// there, so that a second device on it is refused.
	agents  map[netip.AddrPort]int
	siteIDs map[string]int // from the pre-scan of sites, so devices can name them
	sites   map[string]int

	// When the file is streamed (stream.go): its bytes, the lists whose
	// rest is parsed as they are walked, and whether a piece failed.
	data   []byte
	lazy   map[*yaml.Node]*lazyList
	broken bool
}

func (d *decoder) add(p Problem) {
	if len(d.probs) >= maxProblems {
		d.dropped++
		return
	}
	d.probs = append(d.probs, p)
}

func (d *decoder) errf(line int, p fpath, format string, args ...any) {
	d.add(Problem{File: d.file, Line: line, Field: p.String(), Msg: fmt.Sprintf(format, args...)})
}

// missing reports a required field that is absent, unless an unknown key
// next to it was already reported as its misspelling.
func (d *decoder) missing(line int, p fpath, format string, args ...any) {
	if d.typos[p] {
		return
	}
	d.errf(line, p, format, args...)
}

func (d *decoder) warnf(line int, p fpath, format string, args ...any) {
	d.add(Problem{File: d.file, Line: line, Field: p.String(), Msg: fmt.Sprintf(format, args...), Warning: true})
}

// deref follows aliases, charging the size of what they expand to against
// the alias budget. Past the budget it returns a null node, reported once.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		if n.Alias == nil || d.exhausted {
			return &d.null
		}
		d.budget -= d.size(n.Alias)
		if d.budget < 0 {
			d.exhausted = true
			d.errf(n.Line, fpath{}, "aliases expand to more than %d nodes: write the values out instead of nesting anchors", aliasBudget)
			return &d.null
		}
		n = n.Alias
	}
	if n == nil {
		return &d.null
	}
	return n
}

// size counts the nodes of a subtree, not following aliases (each alias is
// charged when it is itself followed).
func (d *decoder) size(n *yaml.Node) int {
	if s, ok := d.sizes[n]; ok {
		return s
	}
	s := 1
	for _, c := range n.Content {
		s += d.size(c)
	}
	if d.sizes == nil {
		d.sizes = make(map[*yaml.Node]int)
	}
	d.sizes[n] = s
	return s
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "nothing"
		}
		return strconv.Quote(n.Value)
	case yaml.DocumentNode:
		return "a document"
	}
	return "an unknown node"
}

// fields iterates the key/value pairs of a mapping, reporting a value that
// is not a mapping, keys that are not strings and repeated keys. Merge keys
// (<<: *anchor) are expanded, the mapping's own keys taking precedence. A
// null value reads as an empty mapping. It returns false when n is neither.
func (d *decoder) fields(n *yaml.Node, p fpath, what string, fn func(key string, k, v *yaml.Node)) bool {
	line := n.Line
	n = d.deref(n)
	if n.Kind != yaml.MappingNode {
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			return true
		}
		d.errf(line, p, "expected %s (key: value pairs), found %s", what, kindName(n))
		return false
	}
	c := n.Content
	merges := false
	for i := 0; i+1 < len(c); i += 2 {
		k, v := c[i], c[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errf(k.Line, p, "a key must be a plain word, found %s", kindName(d.deref(k)))
			continue
		}
		if k.Tag == "!!merge" {
			merges = true
			continue
		}
		dup := false
		for j := 0; j < i; j += 2 {
			if c[j].Kind == yaml.ScalarNode && c[j].Value == k.Value {
				d.errf(k.Line, p.k(k.Value), "key repeated (first at line %d): keep one", c[j].Line)
				dup = true
				break
			}
		}
		if dup {
			continue
		}
		fn(k.Value, k, v)
	}
	if merges {
		seen := map[string]bool{}
		for i := 0; i+1 < len(c); i += 2 {
			if c[i].Kind == yaml.ScalarNode && c[i].Tag != "!!merge" {
				seen[c[i].Value] = true
			}
		}
		for i := 0; i+1 < len(c); i += 2 {
			if c[i].Kind == yaml.ScalarNode && c[i].Tag == "!!merge" {
				d.merge(c[i+1], p, seen, fn, 0)
			}
		}
	}
	return true
}

// merge expands one merge key: a mapping, or a list of mappings where the
// first to give a key wins.
func (d *decoder) merge(v *yaml.Node, p fpath, seen map[string]bool, fn func(key string, k, v *yaml.Node), depth int) {
	line := v.Line
	v = d.deref(v)
	switch {
	case v.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(v.Content); i += 2 {
			k := v.Content[i]
			if k.Kind != yaml.ScalarNode {
				continue
			}
			if k.Tag == "!!merge" {
				if depth < 8 {
					d.merge(v.Content[i+1], p, seen, fn, depth+1)
				}
				continue
			}
			if !seen[k.Value] {
				seen[k.Value] = true
				fn(k.Value, k, v.Content[i+1])
			}
		}
	case v.Kind == yaml.SequenceNode && depth == 0:
		for _, item := range v.Content {
			d.merge(item, p, seen, fn, depth+1)
		}
	default:
		d.errf(line, p, "a merge key (<<) takes a mapping or a list of mappings, found %s", kindName(v))
	}
}

// unknown reports a key the schema does not have, naming the closest valid
// one when it is probably a typo.
func (d *decoder) unknown(k *yaml.Node, p fpath, valid []string) {
	if s := Closest(k.Value, valid); s != "" {
		if d.typos == nil {
			d.typos = make(map[fpath]bool)
		}
		d.typos[p.k(s)] = true
		d.errf(k.Line, p.k(k.Value), "unknown key (did you mean %q?)", s)
		return
	}
	d.errf(k.Line, p.k(k.Value), "unknown key: valid keys here are %s", strings.Join(valid, ", "))
}

// Closest returns the candidate within a small edit distance of s, or "":
// the "did you mean" of a misspelt key, column or value.
func Closest(s string, candidates []string) string {
	best, bestD := "", 3
	if len(s) <= 3 {
		bestD = 2
	}
	for _, c := range candidates {
		if dist := editDistance(strings.ToLower(s), c); dist < bestD {
			best, bestD = c, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// scalar returns the node as a scalar, reporting anything else.
func (d *decoder) scalar(v *yaml.Node, p fpath, want string) (*yaml.Node, bool) {
	line := v.Line
	v = d.deref(v)
	if v.Kind != yaml.ScalarNode {
		d.errf(line, p, "expected %s, found %s", want, kindName(v))
		return nil, false
	}
	return v, true
}

// str reads a string; null reads as "".
func (d *decoder) str(v *yaml.Node, p fpath) (string, bool) {
	s, ok := d.scalar(v, p, "a string")
	if !ok {
		return "", false
	}
	if s.Tag == "!!null" {
		return "", true
	}
	return s.Value, true
}

// name reads a string that must be non-empty (an id, a reference).
func (d *decoder) name(v *yaml.Node, p fpath, what string) (string, bool) {
	s, ok := d.str(v, p)
	if !ok {
		return "", false
	}
	if strings.TrimSpace(s) == "" {
		d.errf(v.Line, p, "%s is empty: give a value or remove the key", what)
		return "", false
	}
	return s, true
}

func (d *decoder) boolean(v *yaml.Node, p fpath) (bool, bool) {
	s, ok := d.scalar(v, p, "true or false")
	if !ok {
		return false, false
	}
	switch s.Value {
	case "true", "True", "TRUE":
		return true, true
	case "false", "False", "FALSE":
		return false, true
	}
	d.errf(s.Line, p, "expected true or false, found %q", s.Value)
	return false, false
}

// integer reads a whole number in [lo, hi].
func (d *decoder) integer(v *yaml.Node, p fpath, lo, hi int64) (int64, bool) {
	s, ok := d.scalar(v, p, "a whole number")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s.Value, 0, 64)
	if err != nil || s.Tag == "!!str" {
		if u, uerr := strconv.ParseUint(s.Value, 0, 64); uerr == nil && s.Tag != "!!str" {
			d.errf(s.Line, p, "%d is too large: the maximum is %d", u, hi)
			return 0, false
		}
		d.errf(s.Line, p, "expected a whole number, found %q", s.Value)
		return 0, false
	}
	if n < 0 && lo >= 0 {
		d.errf(s.Line, p, "must not be negative (found %d)", n)
		return 0, false
	}
	if n < lo || n > hi {
		d.errf(s.Line, p, "%d is out of range: use a value from %d to %d", n, lo, hi)
		return 0, false
	}
	return n, true
}

// duration reads a Go duration ("60s", "1m30s") of at least lo.
func (d *decoder) duration(v *yaml.Node, p fpath, lo time.Duration, why string) (time.Duration, bool) {
	s, ok := d.scalar(v, p, "a duration such as 60s")
	if !ok {
		return 0, false
	}
	dur, err := time.ParseDuration(s.Value)
	if err != nil {
		if _, nerr := strconv.ParseFloat(s.Value, 64); nerr == nil {
			d.errf(s.Line, p, "duration %q has no unit: write e.g. %ss or %sms", s.Value, s.Value, s.Value)
		} else {
			d.errf(s.Line, p, "invalid duration %q: write a number and a unit, e.g. 60s, 5m, 1h30m", s.Value)
		}
		return 0, false
	}
	if dur < 0 {
		d.errf(s.Line, p, "must not be negative (found %s)", s.Value)
		return 0, false
	}
	if dur < lo {
		d.errf(s.Line, p, "%s is below the minimum of %s%s", s.Value, fmtDuration(lo), why)
		return 0, false
	}
	return dur, true
}

// enum reads one of a fixed set of words.
func (d *decoder) enum(v *yaml.Node, p fpath, what string, valid []string) (string, bool) {
	s, ok := d.str(v, p)
	if !ok {
		return "", false
	}
	for _, w := range valid {
		if s == w {
			return s, true
		}
	}
	hint := ""
	if c := Closest(s, valid); c != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", c)
	}
	d.errf(v.Line, p, "invalid %s %q%s: use one of %s", what, s, hint, strings.Join(valid, ", "))
	return "", false
}

// list calls fn for each item of a sequence.
func (d *decoder) list(v *yaml.Node, p fpath, example string, fn func(i int, item *yaml.Node)) {
	line := v.Line
	v = d.deref(v)
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return
	}
	if v.Kind != yaml.SequenceNode {
		d.errf(line, p, "expected a list, e.g. %s, found %s", example, kindName(v))
		return
	}
	d.items(v, func(i int, item *yaml.Node) {
		if d.exhausted {
			return // past the alias budget, walking on would only report noise
		}
		fn(i, item)
	})
}

// enums reads a list of words from valid (poll tables, BGP families); a
// wrong word is reported and left out, so the rest of the list still counts.
func (d *decoder) enums(v *yaml.Node, p fpath, example, what string, valid []string) []string {
	var out []string
	d.list(v, p, example, func(i int, item *yaml.Node) {
		if s, ok := d.enum(item, p.i(i), what, valid); ok {
			out = append(out, s)
		}
	})
	return out
}

// ref reads the name of something declared elsewhere in the file (a site,
// PoP or datacentre) and reports it when ids does not hold it; msg names
// the section to declare it in, with %q for the name.
func (d *decoder) ref(v *yaml.Node, p fpath, what string, ids map[string]int, msg string) string {
	s, ok := d.name(v, p, what)
	if !ok {
		return ""
	}
	if _, found := ids[s]; !found {
		d.errf(v.Line, p, msg, s)
	}
	return s
}

// strs reads a list of non-empty strings (SRLGs).
func (d *decoder) strs(v *yaml.Node, p fpath, what string) []string {
	var out []string
	d.list(v, p, "[a, b]", func(i int, item *yaml.Node) {
		if s, ok := d.name(item, p.i(i), what); ok {
			out = append(out, s)
		}
	})
	return out
}

func (d *decoder) addr(v *yaml.Node, p fpath) (netip.Addr, bool) {
	s, ok := d.name(v, p, "address")
	if !ok {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		d.errf(v.Line, p, "invalid IP address %q: write e.g. 192.0.2.1 or 2001:db8::1 (no host names)", s)
		return netip.Addr{}, false
	}
	return a, true
}

// addrPort reads a management address, with port 161 when none is given.
func (d *decoder) addrPort(v *yaml.Node, p fpath) (netip.AddrPort, bool) {
	s, ok := d.name(v, p, "address")
	if !ok {
		return netip.AddrPort{}, false
	}
	// Most addresses have no port: try that first, as a failed parse
	// allocates its error.
	var ap netip.AddrPort
	if a, err := netip.ParseAddr(s); err == nil {
		ap = netip.AddrPortFrom(a, 161)
	} else {
		var perr error
		if ap, perr = netip.ParseAddrPort(s); perr != nil {
			d.errf(v.Line, p, "invalid address %q: write an IP address such as 192.0.2.1, 192.0.2.1:1161 or [2001:db8::1]:1161 (port 161 by default; no host names, so that polling does not depend on DNS)", s)
			return netip.AddrPort{}, false
		}
	}
	if ap.Port() == 0 {
		d.errf(v.Line, p, "port 0 in %q: give the agent's UDP port or leave it out for 161", s)
		return netip.AddrPort{}, false
	}
	if why := unpollable(ap.Addr()); why != "" {
		d.errf(v.Line, p, "%s cannot be polled: it is %s, not one device's address; give the device's management address", ap.Addr(), why)
		return netip.AddrPort{}, false
	}
	return ap, true
}

// unpollable says why no single SNMP agent can answer at a, or "" when one
// can. Loopback stays allowed: the simulator and lab agents live there. A
// subnet's own broadcast address is not knowable without its prefix, which
// the inventory does not give, so only the limited broadcast is refused.
func unpollable(a netip.Addr) string {
	a = a.Unmap()
	switch {
	case a.IsUnspecified():
		return "the unspecified address (\"any\" when listening)"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "the limited broadcast address"
	case a.IsMulticast():
		return "a multicast address (224.0.0.0/4, ff00::/8)"
	}
	return ""
}

func (d *decoder) prefix(v *yaml.Node, p fpath) (netip.Prefix, bool) {
	s, ok := d.name(v, p, "prefix")
	if !ok {
		return netip.Prefix{}, false
	}
	pf, err := netip.ParsePrefix(s)
	if err != nil {
		d.errf(v.Line, p, "invalid prefix %q: write an address and a length, e.g. 10.20.0.0/24", s)
		return netip.Prefix{}, false
	}
	if pf.Masked() != pf {
		d.errf(v.Line, p, "prefix %q has host bits set: write %s", s, pf.Masked())
		return netip.Prefix{}, false
	}
	return pf, true
}

func (d *decoder) prefixes(v *yaml.Node, p fpath) []netip.Prefix {
	var out []netip.Prefix
	d.list(v, p, "[10.20.0.0/24]", func(i int, item *yaml.Node) {
		if pf, ok := d.prefix(item, p.i(i)); ok {
			out = append(out, pf)
		}
	})
	return out
}

// fmtDuration prints a duration the way a person would write it in the
// file ("60s", "5m", "168h"), which time.Duration.String does not.
func fmtDuration(x time.Duration) string {
	switch {
	case x == 0:
		return "0s"
	case x%time.Hour == 0:
		return strconv.FormatInt(int64(x/time.Hour), 10) + "h"
	case x%time.Minute == 0 && x >= 5*time.Minute:
		return strconv.FormatInt(int64(x/time.Minute), 10) + "m"
	case x%time.Second == 0:
		return strconv.FormatInt(int64(x/time.Second), 10) + "s"
	case x%time.Millisecond == 0:
		return strconv.FormatInt(int64(x/time.Millisecond), 10) + "ms"
	}
	return x.String()
}

func words[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}
