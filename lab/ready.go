// This file tells whether a lab is ready (every BGP session Established,
// every LLDP neighbour seen) and reports each node's state.

package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"path/filepath"
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
	if m := s.missing(); len(m) > 0 {
		line += " (" + strings.Join(m, ", ") + ")"
	}
	return line
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

// WaitReady waits until every node is ready, writing one progress line per
// node as it becomes so. On timeout the error names, per node, what is
// not ready.
func (l *Lab) WaitReady(ctx context.Context, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	start := time.Now()
	ready := map[string]bool{}
	var last []NodeStatus
	for {
		pending := make([]*Node, 0, len(l.Topo.Nodes))
		for _, n := range l.Topo.Nodes {
			if !ready[n.Name] {
				pending = append(pending, n)
			}
		}
		last = last[:0]
		var mu sync.Mutex
		var wg sync.WaitGroup
		sem := make(chan struct{}, l.opts.Parallel)
		for _, n := range pending {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				s := l.nodeRun(n).status(ctx)
				mu.Lock()
				defer mu.Unlock()
				if s.Ready() {
					ready[n.Name] = true
					l.progress("%-12s ready after %4.1fs: %s", n.Name, time.Since(start).Seconds(), s.Summary())
				} else {
					last = append(last, s)
				}
			}()
		}
		wg.Wait()
		if len(ready) == len(l.Topo.Nodes) {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			sort.Slice(last, func(i, j int) bool { return last[i].Node < last[j].Node })
			var b strings.Builder
			fmt.Fprintf(&b, "lab: %s not ready after %s (%d of %d nodes ready):", l.Topo.Name, timeout, len(ready), len(l.Topo.Nodes))
			for _, s := range last {
				fmt.Fprintf(&b, "\n  %s: %s", s.Node, s.Summary())
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

func (l *Lab) progress(format string, args ...any) {
	if l.opts.Progress != nil {
		fmt.Fprintf(l.opts.Progress, format+"\n", args...)
	}
}

// status queries one node: daemons by pid file, BGP through vtysh, LLDP
// through lldpcli.
func (r *nodeRun) status(ctx context.Context) NodeStatus {
	s := NodeStatus{Node: r.node.Name, Daemons: map[string]bool{}, BGPPeers: map[string]string{}, LLDPSeen: map[string]string{}}
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
		if s.Daemons["bgpd"] {
			if err := r.bgpStatus(ctx, &s); err != nil {
				s.Err = err.Error()
				return s
			}
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

func (r *nodeRun) bgpStatus(ctx context.Context, s *NodeStatus) error {
	out, err := r.lab.Vtysh(ctx, r.node.Name, "show bgp vrf all summary json")
	if err != nil {
		return err
	}
	return parseBGPSummary(out, r.lab.Topo.MgmtSubnet, s.BGPPeers)
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
