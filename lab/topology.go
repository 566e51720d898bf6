// This file reads the subset of containerlab's topology file (*.clab.yml)
// that vigie-lab runs: name, mgmt, topology.defaults/kinds/groups/nodes with
// their binds, exec, env and labels, and links as endpoint pairs. A planner's
// file that containerlab deploys is read unchanged; what vigie-lab adds
// (impairments, shared-risk groups, the internet flag) lives in link vars,
// which containerlab accepts and ignores.

package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Topology is a loaded containerlab topology, with every node's settings
// resolved (defaults < kind < group < node, as containerlab does) and every
// bind source made absolute.
type Topology struct {
	// Name is the lab's name; every namespace and the state directory are
	// named after it, so that `down` finds leftovers by name alone.
	Name string
	// File is the absolute path of the topology file.
	File string
	// Dir is the topology file's directory, the base of relative binds.
	Dir string
	// MgmtSubnet is the management network, which exists only inside the
	// lab's namespaces (default 172.31.255.0/24).
	MgmtSubnet netip.Prefix
	// Nodes in a stable order (by name).
	Nodes []*Node
	Links []*Link

	byName map[string]*Node
}

// Node is one lab node with its settings resolved.
type Node struct {
	Name  string
	Kind  string
	Image string
	Group string
	// Binds maps a path inside the node (as containerlab mounts it) to the
	// absolute host file that backs it.
	Binds map[string]string
	// Exec lists shell commands run inside the node once its links are wired.
	Exec   []string
	Env    map[string]string
	Labels map[string]string
	// MgmtAddr is the node's address on the management network.
	MgmtAddr netip.Addr
	// Index is the node's position in Topology.Nodes.
	Index int

	// SubstitutedFrom is the node's kind in the file when -substitute
	// runs it as a linux node ("" otherwise).
	SubstitutedFrom string

	vrfs      []VRF      // from the vigie.vrf.NAME labels (kernel.go)
	netnsVRFs []NetnsVRF // from the vigie.netns-vrf.NAME labels (netnsvrf.go)
}

// errKind marks a node of a kind vigie-lab cannot run itself.
var errKind = errors.New("not a kind vigie-lab runs")

// Role returns the node's "vigie.role" label ("" if none): "internet" marks
// an upstream stand-in whose links the internet-cut scenario removes.
func (n *Node) Role() string { return n.Labels["vigie.role"] }

// Endpoint is one end of a link: a node and an interface name inside it.
type Endpoint struct {
	Node      string
	Interface string
}

func (e Endpoint) String() string { return e.Node + ":" + e.Interface }

// Impairment is a netem setting applied on both ends of a link, in the
// spirit of `containerlab tools netem set`, but declared in the topology
// file (containerlab issue #1398).
type Impairment struct {
	Delay  time.Duration
	Jitter time.Duration
	// Loss is a percentage (0-100).
	Loss float64
	// RateKbit limits the bandwidth (0 = unlimited).
	RateKbit uint64
}

// IsZero reports whether the impairment changes nothing.
func (i Impairment) IsZero() bool { return i == Impairment{} }

// Link is a point-to-point veth link between two node interfaces.
type Link struct {
	A, B Endpoint
	// SRLGs are the shared-risk groups the link belongs to (link var "srlg").
	SRLGs []string
	// Internet marks a link that rides or reaches the public internet (link
	// var "internet: true"); the internet-cut scenario removes it.
	Internet bool
	// Netem is the impairment declared on the link (link var "netem").
	Netem Impairment
	// Technology is the link's medium for vigie's inventory (link var
	// "technology": fibre, ftth, adsl, 4g, satellite, transoceanic; "" =
	// fibre).
	Technology string
	// Index is the link's position in the file, used to name things.
	Index int
}

func (l *Link) String() string { return l.A.String() + " <-> " + l.B.String() }

// Has reports whether e is one of the link's ends.
func (l *Link) Has(e Endpoint) bool { return l.A == e || l.B == e }

// Node returns the named node, or nil.
func (t *Topology) Node(name string) *Node { return t.byName[name] }

// LinksOf returns the links with an end on the named node.
func (t *Topology) LinksOf(node string) []*Link {
	var out []*Link
	for _, l := range t.Links {
		if l.A.Node == node || l.B.Node == node {
			out = append(out, l)
		}
	}
	return out
}

// The YAML shape of the file: only what vigie-lab uses; everything else in
// a valid containerlab file is ignored (the schema test checks validity).
type fileTopo struct {
	Name string `yaml:"name"`
	Mgmt struct {
		IPv4Subnet string `yaml:"ipv4-subnet"`
	} `yaml:"mgmt"`
	Topology struct {
		Defaults fileNode             `yaml:"defaults"`
		Kinds    map[string]fileNode  `yaml:"kinds"`
		Groups   map[string]fileNode  `yaml:"groups"`
		Nodes    map[string]*fileNode `yaml:"nodes"`
		Links    []fileLink           `yaml:"links"`
	} `yaml:"topology"`
}

type fileNode struct {
	Kind     string            `yaml:"kind"`
	Image    string            `yaml:"image"`
	Group    string            `yaml:"group"`
	Binds    []string          `yaml:"binds"`
	Exec     []string          `yaml:"exec"`
	Env      map[string]string `yaml:"env"`
	Labels   map[string]string `yaml:"labels"`
	MgmtIPv4 string            `yaml:"mgmt-ipv4"`
}

type fileLink struct {
	Endpoints []string `yaml:"endpoints"`
	Vars      struct {
		SRLG       []string `yaml:"srlg"`
		Internet   bool     `yaml:"internet"`
		Technology string   `yaml:"technology"`
		Netem      struct {
			Delay  string  `yaml:"delay"`
			Jitter string  `yaml:"jitter"`
			Loss   float64 `yaml:"loss"`
			Rate   uint64  `yaml:"rate"` // kbit/s, as containerlab's netem --rate
		} `yaml:"netem"`
	} `yaml:"vars"`
}

// defaultMgmtSubnet is used when the file's mgmt section gives none.
var defaultMgmtSubnet = netip.MustParsePrefix("172.31.255.0/24")

var (
	// Lab and node names become namespace and file names: keep them short
	// and plain (containerlab's own pattern, without the dots).
	nameRE  = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_-]*$`)
	ifaceRE = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9_.-]*$`)
)

// maxNameLen keeps "NAME-NODE" namespace names and their files readable;
// interface names inside nodes are bounded by the kernel's 15 bytes.
const maxNameLen = 40

// LoadTopology reads and checks a containerlab topology file. Errors name
// the file and what to change.
func LoadTopology(path string) (*Topology, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("lab: %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("lab: cannot read the topology (check the path): %w", err)
	}
	return ParseTopology(abs, data)
}

// ParseTopology is LoadTopology on bytes already read; path is the file's
// absolute path, the base of relative binds.
func ParseTopology(path string, data []byte) (*Topology, error) {
	return parseTopology(path, data, nil)
}

// LoadTopologySubstituting is LoadTopology where the nodes of the kinds
// in sub ("nokia_srlinux" -> "linux") run as linux nodes: FRR stand-ins
// when FRR's daemons and frr.conf are bound to them, bare nodes otherwise.
// Only "linux" may stand in.
func LoadTopologySubstituting(path string, sub map[string]string) (*Topology, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("lab: %s: %w", path, err)
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		return nil, fmt.Errorf("lab: cannot read the topology (check the path): %w", err)
	}
	for k, v := range sub {
		if v != "linux" {
			return nil, fmt.Errorf("lab: -substitute %s=%s: only linux stands in for another kind (%s=linux)", k, v, k)
		}
	}
	return parseTopology(abs, data, sub)
}

func parseTopology(path string, data []byte, sub map[string]string) (*Topology, error) {
	var f fileTopo
	if err := yaml.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("lab: %s: not a containerlab topology: %w", path, err)
	}
	t := &Topology{Name: f.Name, File: path, Dir: filepath.Dir(path), byName: map[string]*Node{}}
	if !nameRE.MatchString(t.Name) || len(t.Name) > 20 {
		return nil, fmt.Errorf("lab: %s: name %q: give the lab a short name (letters, digits, - and _, at most 20)", path, t.Name)
	}
	t.MgmtSubnet = defaultMgmtSubnet
	if s := f.Mgmt.IPv4Subnet; s != "" && s != "auto" {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is4() || p.Bits() > 29 {
			return nil, fmt.Errorf("lab: %s: mgmt.ipv4-subnet %q: write an IPv4 prefix of /29 or larger, e.g. 172.31.255.0/24", path, s)
		}
		if !p.Addr().IsPrivate() {
			return nil, fmt.Errorf("lab: %s: mgmt.ipv4-subnet %s is not a private range: the lab only uses private addresses", path, s)
		}
		t.MgmtSubnet = p.Masked()
	}
	if len(f.Topology.Nodes) == 0 {
		return nil, fmt.Errorf("lab: %s: topology.nodes is empty: declare at least one node", path)
	}
	names := make([]string, 0, len(f.Topology.Nodes))
	for n := range f.Topology.Nodes {
		names = append(names, n)
	}
	sort.Strings(names)
	// The gateway (.1) belongs to the mgmt namespace's bridge.
	next := t.MgmtSubnet.Addr().Next().Next()
	used := map[netip.Addr]string{t.MgmtSubnet.Addr().Next(): "the mgmt bridge"}
	vendor := map[string][]string{} // kind -> nodes vigie-lab cannot run
	for i, name := range names {
		if !nameRE.MatchString(name) || len(name) > maxNameLen || name == "mgmt" {
			return nil, fmt.Errorf("lab: %s: node name %q: use letters, digits, - and _ (at most %d, not \"mgmt\")", path, name, maxNameLen)
		}
		fn := f.Topology.Nodes[name]
		if fn == nil {
			fn = &fileNode{}
		}
		n, err := t.resolve(&f, name, fn)
		if errors.Is(err, errKind) {
			if sub[n.Kind] != "linux" {
				vendor[n.Kind] = append(vendor[n.Kind], name)
				continue
			}
			n.SubstitutedFrom, n.Kind = n.Kind, "linux"
		} else if err != nil {
			return nil, err
		}
		n.Index = i
		if fn.MgmtIPv4 != "" {
			a, err := netip.ParseAddr(fn.MgmtIPv4)
			if err != nil || !t.MgmtSubnet.Contains(a) {
				return nil, fmt.Errorf("lab: %s: node %s: mgmt-ipv4 %q is not an address in %s", path, name, fn.MgmtIPv4, t.MgmtSubnet)
			}
			n.MgmtAddr = a
		}
		t.Nodes = append(t.Nodes, n)
		t.byName[name] = n
	}
	if len(vendor) > 0 {
		var parts, subs []string
		for _, k := range sortedKeys(vendor) {
			parts = append(parts, fmt.Sprintf("%s (kind %s)", strings.Join(vendor[k], ", "), k))
			subs = append(subs, k+"=linux")
		}
		return nil, fmt.Errorf("lab: %s: vigie-lab runs kind: linux nodes only (FRR, snmpd and lldpd from the host's packages), not vendor NOS images: %s. "+
			"Suggested FRR stand-in: bind an FRR daemons file and frr.conf to each (as containerlab's own FRR example does, lab/testdata/frr01) and run with -substitute %s; "+
			"without them they run as bare linux nodes (interfaces, no routing)", path, strings.Join(parts, "; "), strings.Join(subs, ","))
	}
	// Explicit addresses first, then the others in name order, skipping them.
	for _, n := range t.Nodes {
		if n.MgmtAddr.IsValid() {
			if other, dup := used[n.MgmtAddr]; dup {
				return nil, fmt.Errorf("lab: %s: node %s: mgmt-ipv4 %s is already used by %s", path, n.Name, n.MgmtAddr, other)
			}
			used[n.MgmtAddr] = n.Name
		}
	}
	for _, n := range t.Nodes {
		if n.MgmtAddr.IsValid() {
			continue
		}
		for used[next] != "" {
			next = next.Next()
		}
		if !t.MgmtSubnet.Contains(next) || next == lastAddr(t.MgmtSubnet) {
			return nil, fmt.Errorf("lab: %s: mgmt.ipv4-subnet %s is too small for %d nodes", path, t.MgmtSubnet, len(t.Nodes))
		}
		n.MgmtAddr = next
		used[next] = n.Name
	}
	seen := map[Endpoint]int{}
	for i, fl := range f.Topology.Links {
		l, err := t.link(i, fl)
		if err != nil {
			return nil, fmt.Errorf("lab: %s: links[%d]: %w", path, i, err)
		}
		for _, e := range []Endpoint{l.A, l.B} {
			if j, dup := seen[e]; dup {
				return nil, fmt.Errorf("lab: %s: links[%d]: %s is already used by links[%d]: an interface has one link", path, i, e, j)
			}
			seen[e] = i
		}
		t.Links = append(t.Links, l)
	}
	for _, n := range t.Nodes {
		var ifaces []string
		for e := range seen {
			if e.Node == n.Name {
				ifaces = append(ifaces, e.Interface)
			}
		}
		sort.Strings(ifaces)
		vrfs, err := parseVRFs(n, ifaces)
		if err != nil {
			return nil, fmt.Errorf("lab: %s: %w", path, err)
		}
		n.vrfs = vrfs
		if n.netnsVRFs, err = parseNetnsVRFs(t.Name, n, ifaces, names); err != nil {
			return nil, fmt.Errorf("lab: %s: %w", path, err)
		}
	}
	return t, nil
}

func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// resolve merges defaults, kind, group and node settings, the later winning:
// scalars are replaced, binds are merged by their path inside the node, env
// and labels by key. exec is taken from the most specific level that has
// one, as containerlab does.
func (t *Topology) resolve(f *fileTopo, name string, fn *fileNode) (*Node, error) {
	n := &Node{Name: name, Binds: map[string]string{}, Env: map[string]string{}, Labels: map[string]string{}}
	kind := fn.Kind
	group := fn.Group
	if group != "" {
		if _, ok := f.Topology.Groups[group]; !ok {
			return nil, fmt.Errorf("lab: %s: node %s: unknown group %q (declare it under topology.groups)", t.File, name, group)
		}
		if kind == "" {
			kind = f.Topology.Groups[group].Kind
		}
	}
	if kind == "" {
		kind = f.Topology.Defaults.Kind
	}
	levels := []fileNode{f.Topology.Defaults}
	if k, ok := f.Topology.Kinds[kind]; ok {
		levels = append(levels, k)
	}
	if group != "" {
		levels = append(levels, f.Topology.Groups[group])
	}
	levels = append(levels, *fn)
	for _, lv := range levels {
		if lv.Image != "" {
			n.Image = lv.Image
		}
		if len(lv.Exec) > 0 {
			n.Exec = slices.Clone(lv.Exec)
		}
		for _, b := range lv.Binds {
			src, dst, ok := strings.Cut(b, ":")
			if !ok || src == "" || dst == "" {
				return nil, fmt.Errorf("lab: %s: node %s: bind %q: write HOST_PATH:NODE_PATH", t.File, name, b)
			}
			dst, _, _ = strings.Cut(dst, ":") // drop ":ro" and the like
			if !filepath.IsAbs(src) {
				src = filepath.Join(t.Dir, src)
			}
			n.Binds[dst] = src
		}
		for k, v := range lv.Env {
			n.Env[k] = v
		}
		for k, v := range lv.Labels {
			n.Labels[k] = v
		}
	}
	n.Kind = kind
	n.Group = group
	if n.Kind != "linux" {
		// The caller lists every such node at once, or substitutes it.
		return n, fmt.Errorf("lab: %s: node %s: kind %q: %w", t.File, name, n.Kind, errKind)
	}
	for dst, src := range n.Binds {
		if _, err := os.Stat(src); err != nil {
			return nil, fmt.Errorf("lab: %s: node %s: bind of %s: %w", t.File, name, dst, err)
		}
	}
	return n, nil
}

func (t *Topology) link(i int, fl fileLink) (*Link, error) {
	if len(fl.Endpoints) != 2 {
		return nil, fmt.Errorf("give exactly two endpoints, e.g. [\"r1:eth1\", \"r2:eth1\"]")
	}
	l := &Link{Index: i, SRLGs: fl.Vars.SRLG, Internet: fl.Vars.Internet, Technology: fl.Vars.Technology}
	for j, s := range fl.Endpoints {
		node, ifname, ok := strings.Cut(s, ":")
		if !ok || t.byName[node] == nil {
			return nil, fmt.Errorf("endpoint %q: write NODE:INTERFACE with a declared node", s)
		}
		if !ifaceRE.MatchString(ifname) || len(ifname) > 15 || ifname == mgmtIface || ifname == "lo" {
			return nil, fmt.Errorf("endpoint %q: interface names have at most 15 letters, digits, '.', '-' or '_', and %s and lo are the lab's", s, mgmtIface)
		}
		e := Endpoint{Node: node, Interface: ifname}
		if j == 0 {
			l.A = e
		} else {
			l.B = e
		}
	}
	if l.A.Node == l.B.Node {
		return nil, fmt.Errorf("%s: both ends are on node %s: link two different nodes", l, l.A.Node)
	}
	ne := fl.Vars.Netem
	var err error
	if ne.Delay != "" {
		if l.Netem.Delay, err = time.ParseDuration(ne.Delay); err != nil || l.Netem.Delay < 0 {
			return nil, fmt.Errorf("vars.netem.delay %q: write a duration such as 20ms", ne.Delay)
		}
	}
	if ne.Jitter != "" {
		if l.Netem.Jitter, err = time.ParseDuration(ne.Jitter); err != nil || l.Netem.Jitter < 0 {
			return nil, fmt.Errorf("vars.netem.jitter %q: write a duration such as 2ms", ne.Jitter)
		}
	}
	if ne.Loss < 0 || ne.Loss > 100 {
		return nil, fmt.Errorf("vars.netem.loss %v: give a percentage from 0 to 100", ne.Loss)
	}
	l.Netem.Loss = ne.Loss
	l.Netem.RateKbit = ne.Rate
	return l, nil
}
