// This file runs a node's VRFs as network namespaces, FRR's netns VRF
// backend (zebra -n): it needs no CONFIG_NET_VRF, which kernels without
// VRF devices (this project's machines) lack.

package lab

import (
	"fmt"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
)

// netnsVRFLabel is the prefix of the node labels that ask for netns VRFs:
// "vigie.netns-vrf.NAME: IF[,IF...]" makes a namespace for the VRF NAME,
// gives it a macvlan named IF on each listed link interface, and starts the
// node's zebra with -n. The node's frr.conf names the VRF NAME ("vrf NAME",
// "interface IF vrf NAME", "router bgp AS vrf NAME"): vigie-lab rewrites
// NAME to the namespace's name when it installs the file, since FRR names
// a netns VRF after its namespace and the lab's namespaces carry its prefix.
//
// The link interface itself stays in the node's namespace, so that the
// node's snmpd still reports it in IF-MIB and a cut of the link still
// downs it; the macvlan on it, in the VRF's namespace, carries the VRF's
// addresses and goes down with it.
const netnsVRFLabel = "vigie.netns-vrf."

// frrVRFNameMax is FRR's longest VRF name (VRF_NAMSIZ 36, with its NUL).
const frrVRFNameMax = 35

// NetnsVRF is a VRF a node asks for with a vigie.netns-vrf.NAME label.
type NetnsVRF struct {
	Name       string   // as the node's frr.conf names it
	Netns      string   // the namespace, and FRR's name for the VRF
	Interfaces []string // link interfaces the VRF has a macvlan on
}

// NetnsVRFs returns the netns VRFs the node's labels ask for, by name.
func (n *Node) NetnsVRFs() []NetnsVRF { return n.netnsVRFs }

// netnsVRFNetns is the namespace of a node's netns VRF.
func netnsVRFNetns(lab, node, vrf string) string { return NodeNetns(lab, node) + "-" + vrf }

// parseNetnsVRFs reads the node's vigie.netns-vrf.* labels; ifaces are the
// node's link interfaces, nodes every node's name (a VRF's namespace must
// not be another node's).
func parseNetnsVRFs(lab string, n *Node, ifaces, nodes []string) ([]NetnsVRF, error) {
	var out []NetnsVRF
	seen := map[string]string{}
	for k, v := range n.Labels {
		name, ok := strings.CutPrefix(k, netnsVRFLabel)
		if !ok {
			continue
		}
		if name == "" || strings.ContainsAny(name, "/ \t") || name == "default" {
			return nil, fmt.Errorf("node %s: label %s: a VRF name is a word (no '/' or space, not \"default\")", n.Name, k)
		}
		ns := netnsVRFNetns(lab, n.Name, name)
		if len(ns) > frrVRFNameMax {
			return nil, fmt.Errorf("node %s: label %s: the VRF's namespace %s is longer than FRR's %d characters for a VRF name: shorten the lab, node or VRF name", n.Name, k, ns, frrVRFNameMax)
		}
		if slices.Contains(nodes, n.Name+"-"+name) {
			return nil, fmt.Errorf("node %s: label %s: the VRF's namespace would be node %s-%s's: rename the VRF", n.Name, k, n.Name, name)
		}
		if _, kernel := n.Labels[vrfLabel+name]; kernel {
			return nil, fmt.Errorf("node %s: VRF %s is asked both as a kernel VRF (%s%s) and a netns VRF (%s): keep one", n.Name, name, vrfLabel, name, k)
		}
		vrf := NetnsVRF{Name: name, Netns: ns}
		for _, i := range strings.Split(v, ",") {
			i = strings.TrimSpace(i)
			if i == mgmtIface || !slices.Contains(ifaces, i) {
				return nil, fmt.Errorf("node %s: label %s: %q is not one of the node's link interfaces %v: write IF[,IF...], e.g. \"eth3\"", n.Name, k, i, ifaces)
			}
			if o, dup := seen[i]; dup {
				return nil, fmt.Errorf("node %s: interface %s is in VRFs %s and %s", n.Name, i, o, name)
			}
			seen[i] = name
			vrf.Interfaces = append(vrf.Interfaces, i)
		}
		out = append(out, vrf)
	}
	slices.SortFunc(out, func(a, b NetnsVRF) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// wireNetnsVRFs makes the node's VRF namespaces, each with its macvlans,
// once the node's links exist.
func (l *Lab) wireNetnsVRFs(n *Node) error {
	if len(n.netnsVRFs) == 0 {
		return nil
	}
	h, ns, err := handleAt(NodeNetns(l.Topo.Name, n.Name))
	if err != nil {
		return err
	}
	defer ns.Close()
	defer h.Close()
	for _, v := range n.netnsVRFs {
		vns, err := createNetns(v.Netns)
		if err != nil {
			return err
		}
		vns.Close()
		vh, vns, err := handleAt(v.Netns)
		if err != nil {
			return err
		}
		err = wireNetnsVRF(h, vh, int(vns), n.Name, v)
		vh.Close()
		vns.Close()
		if err != nil {
			return err
		}
		// The VRF routes between its own interfaces, as the node does.
		if err := writeSysctl(v.Netns, "net.ipv4.ip_forward", "1"); err != nil {
			return err
		}
	}
	return nil
}

func wireNetnsVRF(h, vh *netlink.Handle, vnsFd int, node string, v NetnsVRF) error {
	if err := linkUp(vh, "lo"); err != nil {
		return fmt.Errorf("lab: node %s: VRF %s: lo up: %w", node, v.Name, err)
	}
	for i, ifname := range v.Interfaces {
		lower, err := h.LinkByName(ifname)
		if err != nil {
			return fmt.Errorf("lab: node %s: VRF %s: %s: %w", node, v.Name, ifname, err)
		}
		// Made under a temporary name (the lower holds IF in the node),
		// moved, then named IF in the VRF's namespace.
		tmp := fmt.Sprintf("vrf%d", i)
		mv := &netlink.Macvlan{LinkAttrs: netlink.LinkAttrs{Name: tmp, ParentIndex: lower.Attrs().Index}, Mode: netlink.MACVLAN_MODE_BRIDGE}
		if err := h.LinkAdd(mv); err != nil {
			return fmt.Errorf("lab: node %s: VRF %s: macvlan on %s: %w (the kernel needs macvlan)", node, v.Name, ifname, err)
		}
		lk, err := h.LinkByName(tmp)
		if err != nil {
			return err
		}
		if err := h.LinkSetNsFd(lk, vnsFd); err != nil {
			return fmt.Errorf("lab: node %s: VRF %s: move %s's macvlan into %s: %w", node, v.Name, ifname, v.Netns, err)
		}
		lk, err = vh.LinkByName(tmp)
		if err != nil {
			return err
		}
		if err := vh.LinkSetName(lk, ifname); err != nil {
			return fmt.Errorf("lab: node %s: VRF %s: name %s's macvlan: %w", node, v.Name, ifname, err)
		}
		if err := vh.LinkSetUp(lk); err != nil {
			return fmt.Errorf("lab: node %s: VRF %s: %s up: %w", node, v.Name, ifname, err)
		}
	}
	return nil
}

// rewriteVRFNames renames the netns VRFs in an frr.conf: every "vrf NAME"
// (a whole word pair, wherever it is on a line) becomes "vrf NETNS".
func rewriteVRFNames(conf []byte, vrfs []NetnsVRF) []byte {
	if len(vrfs) == 0 {
		return conf
	}
	to := map[string]string{}
	for _, v := range vrfs {
		to[v.Name] = v.Netns
	}
	lines := strings.Split(string(conf), "\n")
	for i, line := range lines {
		trimmed := strings.TrimLeft(line, " \t")
		indent := line[:len(line)-len(trimmed)]
		words := strings.Split(trimmed, " ")
		changed := false
		for j := 0; j+1 < len(words); j++ {
			if words[j] == "vrf" {
				if ns, ok := to[words[j+1]]; ok {
					words[j+1] = ns
					changed = true
				}
			}
		}
		if changed {
			lines[i] = indent + strings.Join(words, " ")
		}
	}
	return []byte(strings.Join(lines, "\n"))
}
