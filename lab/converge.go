// This file reads what FRR says of its interior routing (OSPF adjacencies,
// IS-IS adjacencies, the routes installed), so that `up` says "converged"
// only when the protocols the lab runs have converged as FRR reports them,
// not when the daemons merely run: on a broadcast link OSPF waits its dead
// interval (40 s by default) before it elects a DR and exchanges routes.

package lab

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// ospfIface is one interface of `show ip ospf interface json`.
type ospfIface struct {
	Enabled  bool   `json:"ospfEnabled"`
	Up       bool   `json:"ifUp"`
	State    string `json:"state"`
	Passive  bool   `json:"timerPassiveIface"`
	NbrCount int    `json:"nbrCount"`
	Area     string `json:"area"`
}

// parseOSPF reads FRR's `show ip ospf neighbor json` and
// `show ip ospf interface json` into s: every neighbour with its state
// (s.OSPFPeers, "IF/ROUTER-ID" -> "Full/DR"), and in s.OSPFPending what is
// not converged yet:
//   - a neighbour not Full, except 2-Way between two DROthers, which is
//     where such neighbours stay on a broadcast segment;
//   - an interface still in state Waiting (electing its DR);
//   - an active (not passive) OSPF interface among expect (links whose far
//     end runs ospfd) with no neighbour at all.
func parseOSPF(neighbors, ifaces []byte, expect []string, s *NodeStatus) error {
	var nd struct {
		Neighbors map[string][]struct {
			State     string `json:"nbrState"`
			OldState  string `json:"state"`
			IfaceName string `json:"ifaceName"`
		} `json:"neighbors"`
	}
	if err := json.Unmarshal(neighbors, &nd); err != nil {
		return fmt.Errorf("vtysh gave no JSON for `show ip ospf neighbor json`: %w", err)
	}
	var id struct {
		Interfaces map[string]ospfIface `json:"interfaces"`
	}
	if err := json.Unmarshal(ifaces, &id); err != nil {
		return fmt.Errorf("vtysh gave no JSON for `show ip ospf interface json`: %w", err)
	}
	for _, ifn := range sortedKeys(id.Interfaces) {
		if i := id.Interfaces[ifn]; i.Enabled && i.Up && i.State == "Waiting" {
			s.OSPFPending = append(s.OSPFPending, "ospf "+ifn+" electing its DR (Waiting)")
		}
	}
	for _, rid := range sortedKeys(nd.Neighbors) {
		for _, n := range nd.Neighbors[rid] {
			st := n.State
			if st == "" {
				st = n.OldState
			}
			// FRR names the interface "eth1:192.168.1.1".
			ifn, _, _ := strings.Cut(n.IfaceName, ":")
			key := ifn + "/" + rid
			s.OSPFPeers[key] = st
			full := strings.HasPrefix(st, "Full")
			twoWay := st == "2-Way/DROther" && id.Interfaces[ifn].State == "DROther"
			if !full && !twoWay {
				s.OSPFPending = append(s.OSPFPending, "ospf "+key+" "+st)
			}
			if full && id.Interfaces[ifn].Area != "" {
				if s.ospfAdj == nil {
					s.ospfAdj = map[string]string{}
				}
				s.ospfAdj[rid] = id.Interfaces[ifn].Area
			}
		}
	}
	for _, ifn := range expect {
		i, ok := id.Interfaces[ifn]
		if ok && i.Enabled && i.Up && !i.Passive && i.NbrCount == 0 {
			s.OSPFPending = append(s.OSPFPending, "ospf "+ifn+" no neighbour")
		}
	}
	return nil
}

// parseOSPFProcess reads FRR's `show ip ospf json` into s: the router ID,
// a fingerprint of each area's link-state database (its number of LSAs and
// FRR's per-type checksum sums), and, in s.OSPFPending, an SPF run still
// due. Full adjacencies are not convergence: for seconds after a change the
// neighbours' databases differ (LSAs are re-originated at most every 5 s)
// and the SPF that installs the routes waits its throttle, while every
// adjacency stays Full and the route counts may not move.
func parseOSPFProcess(out []byte, s *NodeStatus) error {
	var doc struct {
		RouterID string                                `json:"routerId"`
		SPFDue   *int64                                `json:"spfTimerDueInMsecs"`
		Areas    map[string]map[string]json.RawMessage `json:"areas"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return fmt.Errorf("vtysh gave no JSON for `show ip ospf json`: %w", err)
	}
	s.ospfRouterID = doc.RouterID
	if doc.SPFDue != nil {
		s.OSPFPending = append(s.OSPFPending, fmt.Sprintf("ospf SPF due in %d ms", *doc.SPFDue))
	}
	for area, fields := range doc.Areas {
		// Every count and checksum FRR gives, whatever its release names
		// them: two synchronised databases agree on all of them.
		var parts []string
		for _, k := range sortedKeys(fields) {
			if k == "lsaNumber" || strings.HasSuffix(k, "Checksum") {
				parts = append(parts, k+"="+string(fields[k]))
			}
		}
		if s.ospfLSDB == nil {
			s.ospfLSDB = map[string]string{}
		}
		s.ospfLSDB[area] = strings.Join(parts, " ")
	}
	return nil
}

// lsdbDisagreements lists, for every pair of nodes with a Full OSPF
// adjacency, each area of that adjacency whose databases differ at the two
// ends: flooding has not finished there. Nodes in the same area number but
// not adjacent (two OSPF domains in one lab) are never compared.
func lsdbDisagreements(all []NodeStatus) []string {
	byID := map[string]int{}
	for i, s := range all {
		if s.ospfRouterID != "" {
			byID[s.ospfRouterID] = i
		}
	}
	var out []string
	for _, s := range all {
		for _, rid := range sortedKeys(s.ospfAdj) {
			j, ok := byID[rid]
			if !ok || all[j].Node <= s.Node {
				continue // not a lab node, or the pair seen from the other end
			}
			area, p := s.ospfAdj[rid], all[j]
			mine, theirs := s.ospfLSDB[area], p.ospfLSDB[area]
			if mine != "" && theirs != "" && mine != theirs {
				out = append(out, fmt.Sprintf("ospf area %s: the databases of %s (%s) and %s (%s) differ", area, s.Node, lsaCount(mine), p.Node, lsaCount(theirs)))
			}
		}
	}
	return out
}

// lsaCount reads "N LSAs" back from a database fingerprint.
func lsaCount(fp string) string {
	for _, f := range strings.Fields(fp) {
		if n, ok := strings.CutPrefix(f, "lsaNumber="); ok {
			return n + " LSAs"
		}
	}
	return "?"
}

// parseISISNeighbors reads FRR's `show isis neighbor` (the text form: its
// JSON form is not in every FRR release) into s.ISISPeers,
// "IF/SYSTEM" -> state (Up, Initializing, Down), and lists in
// s.ISISPending every neighbour not Up and every interface of expect (IS-IS
// at both ends of the link) with no neighbour.
func parseISISNeighbors(out []byte, expect []string, s *NodeStatus) {
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		// "  r2   eth1   2   Up   28   2020.2020.2020"
		if len(f) < 5 || f[0] == "System" {
			continue
		}
		switch f[3] {
		case "Up", "Initializing", "Down":
		default:
			continue
		}
		key := f[1] + "/" + f[0]
		s.ISISPeers[key] = f[3]
		seen[f[1]] = true
		if f[3] != "Up" {
			s.ISISPending = append(s.ISISPending, "isis "+key+" "+f[3])
		}
	}
	for _, ifn := range expect {
		if !seen[ifn] {
			s.ISISPending = append(s.ISISPending, "isis "+ifn+" no neighbour")
		}
	}
	sort.Strings(s.ISISPending)
}

// parseRouteSummary reads FRR's `show ip route summary json` and returns
// the routes in the FIB per protocol ("ospf" -> 3) and in all.
func parseRouteSummary(out []byte) (map[string]int, int, error) {
	var doc struct {
		Routes []struct {
			Type string `json:"type"`
			FIB  int    `json:"fib"`
		} `json:"routes"`
		TotalFIB int `json:"routesTotalFib"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return nil, 0, fmt.Errorf("vtysh gave no JSON for `show ip route summary json`: %w", err)
	}
	by := map[string]int{}
	for _, r := range doc.Routes {
		by[r.Type] += r.FIB
	}
	return by, doc.TotalFIB, nil
}

// frrIGP is what an FRR configuration says of its interior routing.
type frrIGP struct {
	// OSPF and ISIS: the configuration has `router ospf` / `router isis`
	// (without them FRR answers the show commands with no JSON).
	OSPF, ISIS bool
	// ISISIfaces are the interfaces with `ip router isis NAME`.
	ISISIfaces map[string]bool
}

// readIGP reads an FRR configuration for its interior routing.
func readIGP(conf string) (frrIGP, error) {
	b, err := os.ReadFile(conf)
	if err != nil {
		return frrIGP{}, err
	}
	g := frrIGP{ISISIfaces: map[string]bool{}}
	cur := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		top := len(f) > 0 && line[0] != ' ' && line[0] != '\t'
		switch {
		case top && len(f) >= 2 && f[0] == "interface":
			cur = f[1]
		case top:
			cur = ""
			g.OSPF = g.OSPF || (len(f) >= 2 && f[0] == "router" && f[1] == "ospf")
			g.ISIS = g.ISIS || (len(f) >= 2 && f[0] == "router" && f[1] == "isis")
		case cur != "" && len(f) >= 3 && f[0] == "ip" && f[1] == "router" && f[2] == "isis":
			g.ISISIfaces[cur] = true
		}
	}
	return g, sc.Err()
}
