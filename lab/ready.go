// This file tells whether a lab is ready (every daemon running, every OSPF
// and IS-IS adjacency formed, every BGP session Established, every LLDP
// neighbour seen, the routes installed no longer changing) and reports
// each node's state.

package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// NodeStatus is what Status and WaitReady see on one node.
type NodeStatus struct {
	Node string
	// Daemons maps each daemon the node should run to whether it runs.
	Daemons map[string]bool
	// BGPPeers maps each configured BGP neighbour ("vrf/address") to its state.
	BGPPeers map[string]string
	// LLDPExpected lists the node's interfaces whose far end runs lldpd;
	// LLDPSeen maps an interface to the neighbour's system name.
	LLDPExpected []string
	LLDPSeen     map[string]string
	// OSPFPeers maps each OSPF neighbour ("IF/ROUTER-ID") to its state
	// ("Full/DR"); OSPFPending says what of OSPF has not converged.
	OSPFPeers   map[string]string
	OSPFPending []string
	// ISISPeers maps each IS-IS neighbour ("IF/SYSTEM") to its state;
	// ISISPending says what of IS-IS has not converged.
	ISISPeers   map[string]string
	ISISPending []string
	// ospfRouterID, ospfLSDB (area -> database fingerprint) and ospfAdj
	// (the router ID of each Full neighbour -> the adjacency's area) tell
	// WaitReady whether adjacent routers' databases agree.
	ospfRouterID string
	ospfLSDB     map[string]string
	ospfAdj      map[string]string
	// Routes counts the IPv4 routes in the node's FIB per protocol, and
	// RoutesTotal in all (-1: the node runs no FRR). The lab has converged
	// when no node's count changes between two samples.
	Routes      map[string]int
	RoutesTotal int
	// Err is why the node could not be queried ("" = fine).
	Err string
}

// Ready reports whether every daemon runs, every BGP session is
// Established and every expected LLDP neighbour is seen.
func (s NodeStatus) Ready() bool { return s.Err == "" && len(s.missing()) == 0 }

// missing lists what is not ready, for progress and timeout messages.
func (s NodeStatus) missing() []string {
	var out []string
	for _, d := range sortedKeys(s.Daemons) {
		if !s.Daemons[d] {
			out = append(out, d+" not running")
		}
	}
	out = append(out, s.OSPFPending...)
	out = append(out, s.ISISPending...)
	for _, p := range sortedKeys(s.BGPPeers) {
		if st := s.BGPPeers[p]; st != "Established" {
			out = append(out, "bgp "+p+" "+st)
		}
	}
	for _, ifn := range s.LLDPExpected {
		if _, ok := s.LLDPSeen[ifn]; !ok {
			out = append(out, "lldp "+ifn+" no neighbour")
		}
	}
	return out
}

// Summary is a one-line account of the node: "bgp 2/2 lldp 2/2" and
// what is missing.
func (s NodeStatus) Summary() string {
	if s.Err != "" {
		return "error: " + s.Err
	}
	est := 0
	for _, st := range s.BGPPeers {
		if st == "Established" {
			est++
		}
	}
	seen := 0
	for _, ifn := range s.LLDPExpected {
		if _, ok := s.LLDPSeen[ifn]; ok {
			seen++
		}
	}
	line := fmt.Sprintf("bgp %d/%d lldp %d/%d", est, len(s.BGPPeers), seen, len(s.LLDPExpected))
	// OSPF, IS-IS and routes only where the node runs them, so that a BGP
	// and LLDP node reads as before.
	if s.Daemons["ospfd"] {
		line += fmt.Sprintf(" ospf %d/%d", len(s.OSPFPeers)-countPrefix(s.OSPFPending, "ospf ", "/"), len(s.OSPFPeers))
	}
	if s.Daemons["isisd"] {
		line += fmt.Sprintf(" isis %d/%d", len(s.ISISPeers)-countPrefix(s.ISISPending, "isis ", "/"), len(s.ISISPeers))
	}
	if s.RoutesTotal > 0 && (s.Daemons["ospfd"] || s.Daemons["isisd"]) {
		line += fmt.Sprintf(" routes %d", s.RoutesTotal)
	}
	if m := s.missing(); len(m) > 0 {
		line += " (" + strings.Join(m, ", ") + ")"
	}
	return line
}

// countPrefix counts the pending items about one neighbour ("ospf IF/ID
// STATE"), as opposed to an interface without one.
func countPrefix(items []string, prefix, sep string) int {
	n := 0
	for _, it := range items {
		if rest, ok := strings.CutPrefix(it, prefix); ok {
			if w, _, _ := strings.Cut(rest, " "); strings.Contains(w, sep) {
				n++
			}
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// Status queries every node, at most opts.Parallel at once.
func (l *Lab) Status(ctx context.Context) []NodeStatus {
	out := make([]NodeStatus, len(l.Topo.Nodes))
	var wg sync.WaitGroup
	sem := make(chan struct{}, l.opts.Parallel)
	for i, n := range l.Topo.Nodes {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = l.nodeRun(n).status(ctx)
		}()
	}
	wg.Wait()
	return out
}

// routeSettle is how long every node's count of installed routes must
// stay the same, every node ready, before the lab is said converged. FRR
// runs SPF after a throttle of up to 5 s (`timers throttle spf 0 50 5000`)
// and an adjacency may be Full before the routes it brings are installed:
// two samples a second apart were seen to agree while a route was still
// missing.
const routeSettle = 5 * time.Second

// settleSamples is the fewest rounds that must agree within routeSettle.
const settleSamples = 3

// WaitReady waits until the lab has converged: every node ready (daemons,
// OSPF and IS-IS adjacencies, no OSPF SPF due, BGP sessions, LLDP
// neighbours), the databases of every two OSPF neighbours equal, and no
// node's count of installed routes changed over the last routeSettle,
// sampled every second, in at least settleSamples samples (a loaded
// machine may take longer than routeSettle for one round). It writes one progress line per node as it becomes ready
// and one when the lab has converged. On timeout the error says plainly
// that the lab did not converge within the timeout and, per node, which
// protocol is not there yet.
func (l *Lab) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	start := time.Now()
	ready := map[string]bool{}
	prev := map[string]int{}
	var settled time.Time // since when every node is ready and no count moved
	var samples int       // rounds since settled
	var moving, flooding []string
	for {
		// Every node each round, ready or not: a node ready early may
		// still be learning routes from the others.
		all := l.Status(ctx)
		now := time.Now()
		var pending []NodeStatus
		var moved []string
		for _, s := range all {
			if s.Ready() {
				if !ready[s.Node] {
					ready[s.Node] = true
					l.progress("%-12s ready after %4.1fs: %s", s.Node, now.Sub(start).Seconds(), s.Summary())
				}
			} else {
				pending = append(pending, s)
			}
			if p, ok := prev[s.Node]; !ok || p != s.RoutesTotal {
				moved = append(moved, fmt.Sprintf("%s %d->%d", s.Node, p, s.RoutesTotal))
			}
			prev[s.Node] = s.RoutesTotal
		}
		if len(moved) > 0 {
			moving = moved
		}
		flooding = lsdbDisagreements(all)
		if !settled.IsZero() {
			samples++
		}
		routing := slices.ContainsFunc(all, func(s NodeStatus) bool { return s.RoutesTotal >= 0 })
		switch {
		case len(pending) == 0 && !routing:
			// No node routes (bare nodes): nothing to settle.
			l.progress("converged after %.1fs: every node ready, no router", now.Sub(start).Seconds())
			return nil
		case len(pending) > 0 || len(moved) > 0 || len(flooding) > 0:
			settled, samples = time.Time{}, 0
		case settled.IsZero():
			settled, samples = now, 1
		case now.Sub(settled) >= routeSettle && samples >= settleSamples:
			l.progress("converged after %.1fs: %s", now.Sub(start).Seconds(), convergedSummary(all))
			return nil
		}
		if now.After(deadline) || ctx.Err() != nil {
			var b strings.Builder
			fmt.Fprintf(&b, "lab: %s did not converge within %s (%d of %d nodes ready):", l.Topo.Name, timeout, len(ready), len(l.Topo.Nodes))
			for _, s := range pending {
				fmt.Fprintf(&b, "\n  %s: %s", s.Node, s.Summary())
			}
			for _, f := range flooding {
				fmt.Fprintf(&b, "\n  %s", f)
			}
			if len(pending) == 0 && len(flooding) == 0 {
				fmt.Fprintf(&b, "\n  routes still changing (FIB routes, before->after): %s", strings.Join(moving, ", "))
			}
			b.WriteString("\n(see the daemons' logs under " + l.dir + "/nodes and /var/run/frr/" + nsPrefix(l.Topo.Name) + "*)")
			return fmt.Errorf("%s", b.String())
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// convergedSummary says what converged: adjacencies and sessions per
// protocol, and the routes installed.
func convergedSummary(all []NodeStatus) string {
	var ospf, isis, bgp, routes, lldp int
	for _, s := range all {
		ospf += len(s.OSPFPeers)
		isis += len(s.ISISPeers)
		bgp += len(s.BGPPeers)
		lldp += len(s.LLDPSeen)
		if s.RoutesTotal > 0 {
			routes += s.RoutesTotal
		}
	}
	var parts []string
	if ospf > 0 {
		parts = append(parts, fmt.Sprintf("%d OSPF adjacencies", ospf))
	}
	if isis > 0 {
		parts = append(parts, fmt.Sprintf("%d IS-IS adjacencies", isis))
	}
	if bgp > 0 {
		parts = append(parts, fmt.Sprintf("%d BGP sessions Established", bgp))
	}
	if lldp > 0 {
		parts = append(parts, fmt.Sprintf("%d LLDP neighbours", lldp))
	}
	parts = append(parts, fmt.Sprintf("%d routes installed, unchanged for %s", routes, routeSettle))
	return strings.Join(parts, ", ")
}

func (l *Lab) progress(format string, args ...any) {
	if l.opts.Progress != nil {
		fmt.Fprintf(l.opts.Progress, format+"\n", args...)
	}
}

// status queries one node: daemons by pid file, BGP through vtysh, LLDP
// through lldpcli.
func (r *nodeRun) status(ctx context.Context) NodeStatus {
	s := NodeStatus{Node: r.node.Name, Daemons: map[string]bool{}, BGPPeers: map[string]string{}, LLDPSeen: map[string]string{},
		OSPFPeers: map[string]string{}, ISISPeers: map[string]string{}, RoutesTotal: -1}
	if r.hasSnmpd() {
		s.Daemons["snmpd"] = pidAlive(filepath.Join(r.dir, "snmpd.pid"))
	}
	if r.hasLldpd() {
		s.Daemons["lldpd"] = pidAlive(filepath.Join(r.dir, "lldpd.pid"))
	}
	if r.hasFRR() {
		ds, err := parseDaemons(r.node.Binds[bindFRRDaemons])
		if err != nil {
			s.Err = err.Error()
			return s
		}
		for _, d := range ds {
			s.Daemons[d] = pidAlive(filepath.Join(frrRun, r.pathspace(), d+".pid"))
		}
		if err := r.frrStatus(ctx, &s); err != nil {
			s.Err = err.Error()
			return s
		}
	}
	if r.hasLldpd() {
		for _, lk := range r.lab.Topo.LinksOf(r.node.Name) {
			local, far := lk.A, lk.B
			if local.Node != r.node.Name {
				local, far = far, local
			}
			if fn := r.lab.Topo.Node(far.Node); fn != nil && fn.Binds[bindLldpd] != "" {
				s.LLDPExpected = append(s.LLDPExpected, local.Interface)
			}
		}
		sort.Strings(s.LLDPExpected)
		if s.Daemons["lldpd"] {
			if err := r.lldpStatus(ctx, &s); err != nil {
				s.Err = err.Error()
			}
		}
	}
	return s
}

func pidAlive(path string) bool {
	pid, err := strconv.Atoi(readTrim(path))
	return err == nil && pid > 1 && alive(pid)
}

// frrStatus asks FRR, in one vtysh call (a large lab polls every node
// every second: one process per node and round, not one per command), for
// the node's BGP sessions, OSPF and IS-IS adjacencies where it runs them,
// and the routes it has installed.
func (r *nodeRun) frrStatus(ctx context.Context, s *NodeStatus) error {
	igp, err := readIGP(r.node.Binds[bindFRRConf])
	if err != nil {
		return err
	}
	ospfExpect, isisExpect, err := r.expectedAdjacencies(igp)
	if err != nil {
		return err
	}
	bgp := s.Daemons["bgpd"]
	ospf := s.Daemons["ospfd"] && igp.OSPF
	isis := s.Daemons["isisd"] && igp.ISIS
	// JSON answers first, in this order; IS-IS's text last.
	var cmds []string
	if bgp {
		cmds = append(cmds, "show bgp vrf all summary json")
	}
	if ospf {
		cmds = append(cmds, "show ip ospf neighbor json", "show ip ospf interface json", "show ip ospf json")
	}
	cmds = append(cmds, "show ip route summary json")
	njson := len(cmds)
	if isis {
		cmds = append(cmds, "show isis neighbor")
	}
	out, err := r.lab.Vtysh(ctx, r.node.Name, cmds...)
	if err != nil {
		return err
	}
	parts, rest, err := splitJSON(out, njson)
	if err != nil {
		return fmt.Errorf("vtysh %s: %w", strings.Join(cmds, "; "), err)
	}
	if bgp {
		if err := parseBGPSummary(parts[0], r.lab.Topo.MgmtSubnet, s.BGPPeers); err != nil {
			return err
		}
		parts = parts[1:]
	}
	if ospf {
		if err := parseOSPF(parts[0], parts[1], ospfExpect, s); err != nil {
			return err
		}
		if err := parseOSPFProcess(parts[2], s); err != nil {
			return err
		}
		parts = parts[3:]
	}
	if s.Routes, s.RoutesTotal, err = parseRouteSummary(parts[0]); err != nil {
		return err
	}
	if isis {
		parseISISNeighbors(rest, isisExpect, s)
	}
	return nil
}

// splitJSON reads n JSON values one after the other (vtysh prints each
// command's answer in turn) and returns them and what follows.
func splitJSON(out []byte, n int) ([][]byte, []byte, error) {
	dec := json.NewDecoder(bytes.NewReader(out))
	parts := make([][]byte, 0, n)
	for range n {
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("answer %d of %d is no JSON: %w: %.200s", len(parts)+1, n, err, out)
		}
		parts = append(parts, v)
	}
	return parts, out[dec.InputOffset():], nil
}

// expectedAdjacencies returns the node's interfaces where an OSPF
// adjacency is expected (the link's far end runs ospfd) and where an IS-IS
// one is (both ends configure IS-IS on the link).
func (r *nodeRun) expectedAdjacencies(mine frrIGP) (ospf, isis []string, err error) {
	for _, lk := range r.lab.Topo.LinksOf(r.node.Name) {
		local, far := lk.A, lk.B
		if local.Node != r.node.Name {
			local, far = far, local
		}
		fn := r.lab.Topo.Node(far.Node)
		if fn == nil || fn.Binds[bindFRRDaemons] == "" || fn.Binds[bindFRRConf] == "" {
			continue
		}
		ds, err := parseDaemons(fn.Binds[bindFRRDaemons])
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: %w", fn.Name, err)
		}
		theirs, err := readIGP(fn.Binds[bindFRRConf])
		if err != nil {
			return nil, nil, fmt.Errorf("node %s: %w", fn.Name, err)
		}
		if mine.OSPF && theirs.OSPF && slices.Contains(ds, "ospfd") {
			ospf = append(ospf, local.Interface)
		}
		if mine.ISISIfaces[local.Interface] && slices.Contains(ds, "isisd") {
			if theirs.ISISIfaces[far.Interface] {
				isis = append(isis, local.Interface)
			}
		}
	}
	sort.Strings(ospf)
	sort.Strings(isis)
	return ospf, isis, nil
}

// parseBGPSummary reads FRR's `show bgp vrf all summary json` into peers,
// keyed "vrf/address". Sessions with the mgmt subnet are the agent under
// test's (vigie's BGP speaker): not the lab's to wait for.
func parseBGPSummary(out []byte, mgmt netip.Prefix, peers map[string]string) error {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(out, &doc); err != nil {
		return fmt.Errorf("vtysh gave no JSON: %w", err)
	}
	for vrf, raw := range doc {
		var afis map[string]json.RawMessage
		if json.Unmarshal(raw, &afis) != nil {
			continue
		}
		for _, araw := range afis {
			var afi struct {
				Peers map[string]struct {
					State string `json:"state"`
				} `json:"peers"`
			}
			if json.Unmarshal(araw, &afi) != nil {
				continue
			}
			for addr, p := range afi.Peers {
				if a, err := netip.ParseAddr(addr); err == nil && mgmt.Contains(a) {
					continue
				}
				key := vrf + "/" + addr
				// A session counts once, Established only if it is in every family.
				if old, ok := peers[key]; ok && old != "Established" {
					continue
				}
				peers[key] = p.State
			}
		}
	}
	return nil
}

func (r *nodeRun) lldpStatus(ctx context.Context, s *NodeStatus) error {
	cmd := exec.CommandContext(ctx, "/usr/sbin/lldpcli", "-u", r.lldpCtl(), "-f", "json0", "show", "neighbors")
	cmd.Env = daemonEnv()
	out, err := runIn(r.ns, cmd)
	if err != nil {
		return err
	}
	return parseLLDPNeighbors(out, s.LLDPSeen)
}

// parseLLDPNeighbors reads `lldpcli -f json0 show neighbors` (json0: the
// format whose shape does not change with the number of entries) into
// seen, interface -> the neighbour's system name.
func parseLLDPNeighbors(out []byte, seen map[string]string) error {
	var doc struct {
		LLDP []struct {
			Interface []struct {
				Name    string `json:"name"`
				Chassis []struct {
					Name []struct {
						Value string `json:"value"`
					} `json:"name"`
				} `json:"chassis"`
			} `json:"interface"`
		} `json:"lldp"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return fmt.Errorf("lldpcli gave no JSON: %w", err)
	}
	for _, l := range doc.LLDP {
		for _, ifc := range l.Interface {
			name := "?"
			if len(ifc.Chassis) > 0 && len(ifc.Chassis[0].Name) > 0 {
				name = ifc.Chassis[0].Name[0].Value
			}
			seen[ifc.Name] = name
		}
	}
	return nil
}
