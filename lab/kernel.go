// This file finds which optional kernel features the lab can use, by trying
// them in a throwaway namespace, and wires kernel VRFs on the nodes that
// ask for them. Neither netem nor VRF devices are needed to run a lab; the
// features that need them fail with an error naming what is missing.

package lab

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

var (
	// ErrNoNetem is wrapped by the errors of what needs the netem qdisc:
	// link impairments and cuts in mode loss.
	ErrNoNetem = errors.New("this kernel has no netem qdisc (CONFIG_NET_SCH_NETEM, module sch_netem)")
	// ErrNoVRF is wrapped by the errors of what needs VRF devices: the
	// vigie.vrf.NAME node labels.
	ErrNoVRF = errors.New("this kernel has no VRF devices (CONFIG_NET_VRF, module vrf)")
)

// KernelFeatures says which optional features the running kernel has: nil
// when the feature works, else why not (wrapping ErrNoNetem or ErrNoVRF
// when the kernel lacks it).
type KernelFeatures struct {
	Netem error
	VRF   error
}

// ProbeKernel tries each optional feature once, in a namespace of its own
// that nothing names and that disappears with its last handle: a netem
// qdisc on a veth and a VRF device. Modules load on demand as for any
// other user. It needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); the answer
// is kept for the life of the process.
func ProbeKernel() (KernelFeatures, error) { return probeOnce() }

var probeOnce = sync.OnceValues(probeKernel)

func probeKernel() (KernelFeatures, error) {
	ns, err := createNetns("")
	if err != nil {
		return KernelFeatures{}, err
	}
	defer ns.Close()
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		return KernelFeatures{}, fmt.Errorf("lab: netlink in the probe namespace: %w", err)
	}
	defer h.Close()
	var k KernelFeatures
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: "probe0"}, PeerName: "probe1"}
	if err := h.LinkAdd(veth); err != nil {
		return k, fmt.Errorf("lab: probe veth: %w", err)
	}
	k.Netem = netemError(setNetem(h, "probe0", Impairment{Loss: 100}))
	k.VRF = vrfError(h.LinkAdd(&netlink.Vrf{LinkAttrs: netlink.LinkAttrs{Name: "probevrf"}, Table: 4242}))
	return k, nil
}

// netemError maps the kernel's answer to adding a netem qdisc: ENOENT
// (no such qdisc kind) and EOPNOTSUPP mean no netem in this kernel.
func netemError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("%w: %v", ErrNoNetem, err)
	}
	return err
}

// vrfError maps the kernel's answer to adding a VRF device: EOPNOTSUPP (no
// such link kind) means no VRF in this kernel.
func vrfError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("%w: %v", ErrNoVRF, err)
	}
	return err
}

// vrfLabel is the prefix of the node labels that ask for kernel VRFs:
// "vigie.vrf.NAME: TABLE:IF[,IF...]" makes a VRF device NAME with routing
// table TABLE in the node and enslaves the listed interfaces to it, before
// the node's daemons start (as `ip link add NAME type vrf table TABLE`).
const vrfLabel = "vigie.vrf."

// VRF is a kernel VRF a node asks for with a vigie.vrf.NAME label.
type VRF struct {
	Name       string
	Table      uint32
	Interfaces []string
}

// VRFs returns the VRFs the node's labels ask for, sorted by name.
func (n *Node) VRFs() []VRF { return n.vrfs }

// parseVRFs reads the node's vigie.vrf.* labels; ifaces are the node's link
// interfaces, which are the only ones a VRF may take.
func parseVRFs(n *Node, ifaces []string) ([]VRF, error) {
	var out []VRF
	tables := map[uint32]string{}
	for k, v := range n.Labels {
		name, ok := strings.CutPrefix(k, vrfLabel)
		if !ok {
			continue
		}
		if name == "" || len(name) > 15 || strings.ContainsAny(name, "/: ") {
			return nil, fmt.Errorf("node %s: label %s: a VRF name is an interface name (1-15 characters, no '/', ':' or space)", n.Name, k)
		}
		ts, list, ok := strings.Cut(v, ":")
		t, err := strconv.ParseUint(ts, 10, 32)
		if !ok || err != nil || t == 0 || t == unix.RT_TABLE_MAIN || t == unix.RT_TABLE_LOCAL || t == unix.RT_TABLE_DEFAULT {
			return nil, fmt.Errorf("node %s: label %s: %q: write TABLE:IF[,IF...], TABLE a free routing table (not 0, 253, 254 or 255), e.g. \"100:eth3\"", n.Name, k, v)
		}
		if o, dup := tables[uint32(t)]; dup {
			return nil, fmt.Errorf("node %s: VRFs %s and %s share table %d: give each its own", n.Name, o, name, t)
		}
		tables[uint32(t)] = name
		vrf := VRF{Name: name, Table: uint32(t)}
		for _, i := range strings.Split(list, ",") {
			i = strings.TrimSpace(i)
			if i == mgmtIface || !slices.Contains(ifaces, i) {
				return nil, fmt.Errorf("node %s: label %s: %q is not one of the node's link interfaces %v", n.Name, k, i, ifaces)
			}
			vrf.Interfaces = append(vrf.Interfaces, i)
		}
		out = append(out, vrf)
	}
	slices.SortFunc(out, func(a, b VRF) int { return strings.Compare(a.Name, b.Name) })
	// An interface has one master.
	seen := map[string]string{}
	for _, v := range out {
		for _, i := range v.Interfaces {
			if o, dup := seen[i]; dup {
				return nil, fmt.Errorf("node %s: interface %s is in VRFs %s and %s", n.Name, i, o, v.Name)
			}
			seen[i] = v.Name
		}
	}
	return out, nil
}

// wireVRFs makes the node's VRF devices and enslaves their interfaces.
func (l *Lab) wireVRFs(n *Node) error {
	if len(n.vrfs) == 0 {
		return nil
	}
	h, ns, err := handleAt(NodeNetns(l.Topo.Name, n.Name))
	if err != nil {
		return err
	}
	defer ns.Close()
	defer h.Close()
	for _, v := range n.vrfs {
		dev := &netlink.Vrf{LinkAttrs: netlink.LinkAttrs{Name: v.Name}, Table: v.Table}
		if err := vrfError(h.LinkAdd(dev)); err != nil {
			return fmt.Errorf("lab: node %s: VRF %s: %w: use a kernel with VRFs, or drop the node's %s%s label", n.Name, v.Name, err, vrfLabel, v.Name)
		}
		lk, err := h.LinkByName(v.Name)
		if err != nil {
			return err
		}
		if err := h.LinkSetUp(lk); err != nil {
			return fmt.Errorf("lab: node %s: VRF %s up: %w", n.Name, v.Name, err)
		}
		for _, i := range v.Interfaces {
			il, err := h.LinkByName(i)
			if err != nil {
				return fmt.Errorf("lab: node %s: VRF %s: %s: %w", n.Name, v.Name, i, err)
			}
			if err := h.LinkSetMasterByIndex(il, lk.Attrs().Index); err != nil {
				return fmt.Errorf("lab: node %s: put %s in VRF %s: %w", n.Name, i, v.Name, err)
			}
		}
	}
	return nil
}

// needsVRF says whether any node asks for kernel VRFs.
func (t *Topology) needsVRF() bool {
	return slices.ContainsFunc(t.Nodes, func(n *Node) bool { return len(n.vrfs) > 0 })
}
