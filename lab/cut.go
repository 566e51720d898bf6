// This file plays failures on a running lab: a link, a node, a shared-risk
// group, the whole internet, or a named scenario made of several of them,
// and restores them. Cuts are recorded in the lab's state directory, so a
// later `vigie-lab restore` (another process) undoes exactly them.

package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/vishvananda/netlink"
	"gopkg.in/yaml.v3"
)

// CutKind says what a cut removes.
type CutKind string

// Cut kinds.
const (
	// CutLink takes down one link, named by either end ("r1:eth1").
	CutLink CutKind = "link"
	// CutNode takes down every interface of a node, its management one
	// included: the router is gone, for the network and for vigie.
	CutNode CutKind = "node"
	// CutSRLG takes down every link of a shared-risk group (link var srlg).
	CutSRLG CutKind = "srlg"
	// CutInternet takes down every link flagged internet and every link to
	// a node labelled vigie.role: internet (the PFAI upstream stand-ins).
	CutInternet CutKind = "internet"
)

// CutMode says how a link is taken down.
type CutMode string

// Cut modes.
const (
	// ModeDown sets both ends administratively down: the far end sees its
	// carrier go, LLDP forgets the neighbour and BGP drops at once.
	ModeDown CutMode = "down"
	// ModeLoss keeps the link up and drops every packet with netem (as
	// `containerlab tools netem set --loss 100`): the failure is seen only
	// when LLDP and BGP timers expire, as with a fault beyond the cable.
	// It needs the kernel's netem (CONFIG_NET_SCH_NETEM).
	ModeLoss CutMode = "loss"
)

// Target is one cut: a kind and, except for the internet, a name.
type Target struct {
	Kind CutKind
	Name string
	Mode CutMode // "" = ModeDown
}

func (t Target) String() string {
	s := string(t.Kind)
	if t.Name != "" {
		s += " " + t.Name
	}
	if t.Mode == ModeLoss {
		s += " (loss)"
	}
	return s
}

// ParseTarget reads a cut from words: "internet", "link r1:eth1",
// "node r1" or "srlg duct-1".
func ParseTarget(words []string) (Target, error) {
	if len(words) == 0 {
		return Target{}, errors.New("lab: say what to cut: internet, link NODE:IF, node NODE, srlg ID or scenario NAME")
	}
	k := CutKind(words[0])
	switch k {
	case CutInternet:
		if len(words) != 1 {
			return Target{}, errors.New("lab: `cut internet` takes no name")
		}
		return Target{Kind: k}, nil
	case CutLink, CutNode, CutSRLG:
		if len(words) != 2 {
			return Target{}, fmt.Errorf("lab: `cut %s` takes one name, e.g. %s", k, map[CutKind]string{CutLink: "link r1:eth1", CutNode: "node r1", CutSRLG: "srlg duct-1"}[k])
		}
		return Target{Kind: k, Name: words[1]}, nil
	}
	return Target{}, fmt.Errorf("lab: unknown cut %q: use internet, link NODE:IF, node NODE, srlg ID or scenario NAME", words[0])
}

// Endpoints returns the interfaces a cut takes down, sorted.
func (t *Topology) Endpoints(c Target) ([]Endpoint, error) {
	var out []Endpoint
	addLink := func(l *Link) { out = append(out, l.A, l.B) }
	switch c.Kind {
	case CutLink:
		node, ifn, ok := strings.Cut(c.Name, ":")
		if !ok {
			return nil, fmt.Errorf("lab: link %q: name it by one end, NODE:INTERFACE", c.Name)
		}
		e := Endpoint{Node: node, Interface: ifn}
		for _, l := range t.Links {
			if l.Has(e) {
				addLink(l)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("lab: no link has the end %s in %s", e, t.Name)
		}
	case CutNode:
		if t.Node(c.Name) == nil {
			return nil, fmt.Errorf("lab: no node %q in %s", c.Name, t.Name)
		}
		out = append(out, Endpoint{Node: c.Name, Interface: mgmtIface})
		for _, l := range t.LinksOf(c.Name) {
			if l.A.Node == c.Name {
				out = append(out, l.A)
			} else {
				out = append(out, l.B)
			}
		}
	case CutSRLG:
		for _, l := range t.Links {
			if slices.Contains(l.SRLGs, c.Name) {
				addLink(l)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("lab: no link of %s is in the shared-risk group %q (link var srlg)", t.Name, c.Name)
		}
	case CutInternet:
		for _, l := range t.Links {
			if l.Internet || t.Node(l.A.Node).Role() == "internet" || t.Node(l.B.Node).Role() == "internet" {
				addLink(l)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("lab: %s has no internet link (link var internet: true, or a node labelled vigie.role: internet)", t.Name)
		}
	default:
		return nil, fmt.Errorf("lab: unknown cut kind %q", c.Kind)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return slices.Compact(out), nil
}

// cutRecord is what the state directory remembers of one cut.
type cutRecord struct {
	Target    string     `json:"target"`
	Kind      CutKind    `json:"kind"`
	Name      string     `json:"name"`
	Mode      CutMode    `json:"mode"`
	Endpoints []Endpoint `json:"endpoints"`
}

func (l *Lab) cutsFile() string { return filepath.Join(l.dir, "cuts.json") }

// Cuts returns the cuts in force, oldest first.
func (l *Lab) Cuts() ([]Target, error) {
	recs, err := l.readCuts()
	out := make([]Target, len(recs))
	for i, r := range recs {
		out[i] = Target{Kind: r.Kind, Name: r.Name, Mode: r.Mode}
	}
	return out, err
}

func (l *Lab) readCuts() ([]cutRecord, error) {
	b, err := os.ReadFile(l.cutsFile())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var recs []cutRecord
	if err := json.Unmarshal(b, &recs); err != nil {
		return nil, fmt.Errorf("lab: %s is damaged (%w): `vigie-lab restore` then re-cut", l.cutsFile(), err)
	}
	return recs, nil
}

func (l *Lab) writeCuts(recs []cutRecord) error {
	if recs == nil {
		recs = []cutRecord{}
	}
	b, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	tmp := l.cutsFile() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, l.cutsFile())
}

// Cut plays a failure and records it.
func (l *Lab) Cut(ctx context.Context, c Target) error {
	if c.Mode == "" {
		c.Mode = ModeDown
	}
	if c.Mode != ModeDown && c.Mode != ModeLoss {
		return fmt.Errorf("lab: unknown cut mode %q: use down or loss", c.Mode)
	}
	eps, err := l.Topo.Endpoints(c)
	if err != nil {
		return err
	}
	if c.Mode == ModeLoss {
		// Ask the kernel first, so that a cut is never half applied:
		// netem where the kernel has it, else a drop rule of nftables.
		k, err := ProbeKernel()
		if err == nil {
			err = k.Netem
		}
		if err != nil {
			if _, nerr := exec.LookPath("nft"); nerr != nil {
				return fmt.Errorf("lab: cut %s: %w, and %w: install nftables, cut with mode down (-mode down), or run the lab on a kernel with netem", c, err, ErrNoNft)
			}
		}
	}
	if _, err := os.Stat(l.dir); err != nil {
		return fmt.Errorf("lab: %s is not up (no %s): run `vigie-lab up` first", l.Topo.Name, l.dir)
	}
	recs, err := l.readCuts()
	if err != nil {
		return err
	}
	start := time.Now()
	for _, e := range eps {
		mode := c.Mode
		if e.Interface == mgmtIface {
			mode = ModeDown // a dead router does not answer SNMP either
		}
		if err := l.setEndpoint(e, mode, false); err != nil {
			return err
		}
	}
	recs = append(recs, cutRecord{Target: c.String(), Kind: c.Kind, Name: c.Name, Mode: c.Mode, Endpoints: eps})
	l.opts.Logger.Info("lab cut", "lab", l.Topo.Name, "target", c.String(), "interfaces", len(eps))
	if err := l.writeCuts(recs); err != nil {
		return err
	}
	l.progress("cut %s: %s, %s, in %s", c, l.Topo.describeEndpoints(eps), modeSet(c.Mode, false), time.Since(start).Round(time.Millisecond))
	return nil
}

// Restore undoes cuts: the one given, or every cut when c is nil. An
// interface that another remaining cut also covers stays down.
func (l *Lab) Restore(ctx context.Context, c *Target) error {
	recs, err := l.readCuts()
	if err != nil {
		return err
	}
	var undo, keep []cutRecord
	for _, r := range recs {
		if c == nil || (r.Kind == c.Kind && r.Name == c.Name) {
			undo = append(undo, r)
		} else {
			keep = append(keep, r)
		}
	}
	if c != nil && len(undo) == 0 {
		return fmt.Errorf("lab: %s is not cut (cuts in force: %d)", c, len(recs))
	}
	still := map[Endpoint]bool{}
	for _, r := range keep {
		for _, e := range r.Endpoints {
			still[e] = true
		}
	}
	var errs []error
	for _, r := range undo {
		start := time.Now()
		var done, kept []Endpoint
		for _, e := range r.Endpoints {
			if still[e] {
				kept = append(kept, e)
				continue
			}
			done = append(done, e)
			mode := r.Mode
			if e.Interface == mgmtIface {
				mode = ModeDown
			}
			if err := l.setEndpoint(e, mode, true); err != nil {
				errs = append(errs, err)
			}
		}
		l.opts.Logger.Info("lab restore", "lab", l.Topo.Name, "target", r.Target)
		line := fmt.Sprintf("restored %s: %s, %s, in %s", r.Target, l.Topo.describeEndpoints(done), modeSet(r.Mode, true), time.Since(start).Round(time.Millisecond))
		if len(kept) > 0 {
			line += fmt.Sprintf("; still cut by another cut: %s", l.Topo.describeEndpoints(kept))
		}
		l.progress("%s", line)
	}
	if len(undo) == 0 {
		l.progress("nothing to restore: no cut in force")
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return l.writeCuts(keep)
}

// modeSet says what a cut (or its restore) set on the interfaces.
func modeSet(m CutMode, restore bool) string {
	switch {
	case m == ModeLoss && restore:
		return "100% loss removed (declared impairments kept)"
	case m == ModeLoss:
		return "100% loss set (netem, or nftables without it), links left up (management interfaces set down)"
	case restore:
		return "set administratively up"
	}
	return "set administratively down"
}

// describeEndpoints names interfaces as links ("a:eth1 <-> b:eth2") where
// both ends are listed, else one by one: "2 links (a:eth1 <-> b:eth2,
// ...), 1 interface (c:eth0)".
func (t *Topology) describeEndpoints(eps []Endpoint) string {
	in := map[Endpoint]bool{}
	for _, e := range eps {
		in[e] = true
	}
	var links, single []string
	used := map[Endpoint]bool{}
	for _, lk := range t.Links {
		if in[lk.A] && in[lk.B] {
			links = append(links, lk.String())
			used[lk.A], used[lk.B] = true, true
		}
	}
	for _, e := range eps {
		if !used[e] {
			single = append(single, e.String())
		}
	}
	var parts []string
	if len(links) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", len(links), plural(len(links), "link", "links"), strings.Join(links, ", ")))
	}
	if len(single) > 0 {
		parts = append(parts, fmt.Sprintf("%d %s (%s)", len(single), plural(len(single), "interface", "interfaces"), strings.Join(single, ", ")))
	}
	if len(parts) == 0 {
		return "no interface"
	}
	return strings.Join(parts, " and ")
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// setEndpoint takes one interface down (or brings it back) in a mode.
func (l *Lab) setEndpoint(e Endpoint, mode CutMode, restore bool) error {
	h, ns, err := handleAt(NodeNetns(l.Topo.Name, e.Node))
	if err != nil {
		return err
	}
	defer ns.Close()
	defer h.Close()
	lk, err := h.LinkByName(e.Interface)
	if err != nil {
		return fmt.Errorf("lab: %s: %w", e, err)
	}
	switch {
	case mode == ModeDown && !restore:
		err = h.LinkSetDown(lk)
	case mode == ModeDown:
		err = h.LinkSetUp(lk)
	case !hasNetem() && !restore:
		err = l.nftDrop(e.Node, e.Interface, "cut", 100)
	case !hasNetem():
		err = l.nftDelete(e.Node, nftChain("cut", e.Interface))
	case !restore:
		err = netemError(setNetem(h, e.Interface, Impairment{Loss: 100}))
	default:
		err = netemError(clearNetem(h, e.Interface, l.declaredNetem(e)))
	}
	if err != nil {
		return fmt.Errorf("lab: %s: %w", e, err)
	}
	return nil
}

func (l *Lab) declaredNetem(e Endpoint) Impairment {
	for _, lk := range l.Topo.Links {
		if lk.Has(e) {
			return lk.Netem
		}
	}
	return Impairment{}
}

// InterfaceUp reports whether a node's interface is administratively up
// and has its carrier, as the node's IF-MIB would say.
func (l *Lab) InterfaceUp(e Endpoint) (bool, error) {
	h, ns, err := handleAt(NodeNetns(l.Topo.Name, e.Node))
	if err != nil {
		return false, err
	}
	defer ns.Close()
	defer h.Close()
	lk, err := h.LinkByName(e.Interface)
	if err != nil {
		return false, err
	}
	return lk.Attrs().OperState == netlink.OperUp, nil
}

// Scenario is a named list of cuts, from a scenario file.
type Scenario struct {
	Name        string
	Description string
	Cuts        []Target
}

// LoadScenarios reads a scenario file:
//
//	scenarios:
//	  internet-cut:
//	    description: the PFAI lose their upstreams
//	    cuts: [internet]
//	  paris-duct:
//	    cuts: ["srlg duct-paris-12", "node agg-lyon"]
func LoadScenarios(path string) (map[string]Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("lab: scenarios: %w", err)
	}
	var f struct {
		Scenarios map[string]struct {
			Description string   `yaml:"description"`
			Cuts        []string `yaml:"cuts"`
			Mode        CutMode  `yaml:"mode"`
		} `yaml:"scenarios"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("lab: %s: %w", path, err)
	}
	out := map[string]Scenario{}
	for name, s := range f.Scenarios {
		sc := Scenario{Name: name, Description: s.Description}
		if len(s.Cuts) == 0 {
			return nil, fmt.Errorf("lab: %s: scenario %s has no cuts", path, name)
		}
		for _, c := range s.Cuts {
			t, err := ParseTarget(strings.Fields(c))
			if err != nil {
				return nil, fmt.Errorf("lab: %s: scenario %s: %w", path, name, err)
			}
			t.Mode = s.Mode
			sc.Cuts = append(sc.Cuts, t)
		}
		out[name] = sc
	}
	return out, nil
}

// Play applies every cut of a scenario, stopping at the first error.
func (l *Lab) Play(ctx context.Context, s Scenario) error {
	for _, c := range s.Cuts {
		if err := l.Cut(ctx, c); err != nil {
			return fmt.Errorf("lab: scenario %s: %w", s.Name, err)
		}
	}
	return nil
}
