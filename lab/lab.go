// Package lab runs a containerlab topology of kind: linux FRR routers
// without containers: one network namespace per node, a veth per link, a
// management network that exists only inside the lab's namespaces, and each
// node's FRR, net-snmp snmpd and lldpd started from the host's Debian
// packages with the node's bound configuration files. vigie, running in the
// lab's mgmt namespace, then discovers the lab over SNMP exactly as it does
// the RIE; Cut and Restore play failures (links, nodes, shared-risk groups,
// the internet) so that planners compare what the network does with what
// vigie predicted.
//
// A Go test drives it as:
//
//	l, err := lab.Up(ctx, "lab/mini/mini.clab.yml", lab.Options{})
//	t.Cleanup(func() { l.Down(context.Background()) })
//	l.Cut(ctx, lab.Target{Kind: lab.CutLink, Name: "r1:eth1"})
//	l.MgmtDo(func() error { /* open sockets here: they live in the lab */ })
//
// Everything the lab makes is named after the lab (namespaces "vlab-NAME-*",
// state under /run/vigie-lab/NAME, FRR pathspaces "vlab-NAME-*"), so Down
// finds and removes it by name alone, after a crash or a killed Up.
package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Options say how a lab is run. Zero fields take DefaultOptions' values.
type Options struct {
	// StateRoot holds one state directory per lab (default DefaultStateRoot).
	StateRoot string
	// Logger receives one structured line per phase and per failure
	// (default: discard).
	Logger *slog.Logger
	// Progress receives human progress lines, one per node as it becomes
	// ready (nil = none).
	Progress io.Writer
	// ReadyTimeout bounds the wait for BGP sessions and LLDP neighbours
	// (default 90s).
	ReadyTimeout time.Duration
	// Parallel bounds how many nodes start their daemons at once (default 4:
	// the start of FRR is CPU-bound and the machines are small).
	Parallel int
	// KeepOnFailure leaves a lab that failed to come up in place for
	// inspection, instead of taking it down.
	KeepOnFailure bool
	// Substitute runs the nodes of some kinds (vendor NOS images) as
	// linux nodes: "nokia_srlinux" -> "linux" (see LoadTopologySubstituting).
	Substitute map[string]string
}

// DefaultOptions returns the defaults that Open, Up and Down give the zero
// fields of their Options.
func DefaultOptions() Options {
	return Options{
		StateRoot:    DefaultStateRoot,
		ReadyTimeout: 90 * time.Second,
		Parallel:     4,
	}
}

// setDefaults fills the zero fields of o from DefaultOptions. Only a zero
// ReadyTimeout takes the default, as it always has (a negative one is
// kept); a negative Parallel takes it too. A nil Logger discards.
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.StateRoot == "" {
		o.StateRoot = d.StateRoot
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ReadyTimeout == 0 {
		o.ReadyTimeout = d.ReadyTimeout
	}
	if o.Parallel <= 0 {
		o.Parallel = d.Parallel
	}
}

// Lab is a running lab: its topology, where its state lives, and the
// operations on it.
type Lab struct {
	Topo *Topology
	opts Options
	dir  string
	// Phases records how long each phase of Up took, for the log and tests.
	Phases []Phase
	// Warnings lists what Up could not do but did not need to (impairments
	// on a kernel without netem).
	Warnings []string
}

// Phase is one timed step of Up.
type Phase struct {
	Name     string
	Duration time.Duration
}

// StateDir returns the lab's state directory (pid files, logs, cuts).
func (l *Lab) StateDir() string { return l.dir }

// MgmtNetns returns the name of the lab's management namespace.
func (l *Lab) MgmtNetns() string { return MgmtNetns(l.Topo.Name) }

// MgmtAddr returns a node's management address (the one vigie polls), or
// the zero address for an unknown node.
func (l *Lab) MgmtAddr(node string) netip.Addr {
	if n := l.Topo.Node(node); n != nil {
		return n.MgmtAddr
	}
	return netip.Addr{}
}

// MgmtGateway is the mgmt namespace's own address on the management
// network: the source of vigie's polls and BGP sessions.
func (l *Lab) MgmtGateway() netip.Addr { return l.Topo.MgmtSubnet.Addr().Next() }

func (l *Lab) nodeRun(n *Node) *nodeRun {
	return &nodeRun{lab: l, node: n, ns: NodeNetns(l.Topo.Name, n.Name), dir: filepath.Join(l.dir, "nodes", n.Name)}
}

// Open returns the lab of a topology file without starting anything: for
// Status, Cut, Restore, Exec and Down on a lab that is already up.
func Open(file string, opts Options) (*Lab, error) {
	t, err := LoadTopologySubstituting(file, opts.Substitute)
	if err != nil {
		return nil, err
	}
	opts.setDefaults()
	return &Lab{Topo: t, opts: opts, dir: filepath.Join(opts.StateRoot, t.Name)}, nil
}

// Up wires the lab of a topology file, starts its daemons and waits until
// every BGP session is Established and every LLDP neighbour is seen. On
// failure the lab is taken down again unless opts.KeepOnFailure.
func Up(ctx context.Context, file string, opts Options) (*Lab, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("lab: vigie-lab needs root (network namespaces, veths): run it with sudo")
	}
	if err := CheckBinaries(); err != nil {
		return nil, err
	}
	l, err := Open(file, opts)
	if err != nil {
		return nil, err
	}
	if l.Topo.needsVRF() {
		k, err := ProbeKernel()
		if err == nil {
			err = k.VRF
		}
		if err != nil {
			return nil, fmt.Errorf("lab: %s asks for kernel VRFs (node labels %sNAME): %w: use a kernel with VRFs, or a design without them", l.Topo.Name, vrfLabel, err)
		}
	}
	for _, n := range l.Topo.Nodes {
		if n.SubstitutedFrom == "" {
			continue
		}
		if n.Binds[bindFRRDaemons] != "" && n.Binds[bindFRRConf] != "" {
			l.Warnings = append(l.Warnings, fmt.Sprintf("node %s (kind %s) runs as an FRR stand-in (-substitute)", n.Name, n.SubstitutedFrom))
		} else {
			l.Warnings = append(l.Warnings, fmt.Sprintf("node %s (kind %s) runs as a bare linux node: interfaces, no routing; bind an FRR daemons file and frr.conf to it for an FRR stand-in", n.Name, n.SubstitutedFrom))
		}
	}
	if left, _ := labNamespaces(l.Topo.Name); len(left) > 0 {
		return nil, fmt.Errorf("lab: %s already has namespaces (%s...): run `vigie-lab down %s` first", l.Topo.Name, left[0], file)
	}
	// State without namespaces is a crashed run's: clear it, so that no
	// stale pid file or cut carries over into the new lab.
	if err := Down(ctx, l.Topo.Name, l.opts); err != nil {
		return nil, err
	}
	if err := l.up(ctx); err != nil {
		l.opts.Logger.Error("lab up failed", "lab", l.Topo.Name, "err", err)
		if !l.opts.KeepOnFailure {
			if derr := l.Down(context.Background()); derr != nil {
				err = errors.Join(err, derr)
			}
		}
		return nil, err
	}
	return l, nil
}

func (l *Lab) phase(name string, start time.Time) {
	d := time.Since(start)
	l.Phases = append(l.Phases, Phase{Name: name, Duration: d})
	l.opts.Logger.Info("lab phase done", "lab", l.Topo.Name, "phase", name, "seconds", d.Seconds())
}

func (l *Lab) up(ctx context.Context) error {
	t := l.Topo
	start := time.Now()
	if err := os.MkdirAll(filepath.Join(l.dir, "nodes"), 0o755); err != nil {
		return fmt.Errorf("lab: state directory: %w", err)
	}
	// Remember the file, so that `down NAME` and `status` work from the name.
	if err := os.WriteFile(filepath.Join(l.dir, "topology"), []byte(t.File+"\n"), 0o644); err != nil {
		return err
	}
	if err := l.wireMgmt(); err != nil {
		return err
	}
	for _, n := range t.Nodes {
		if err := l.wireNode(n); err != nil {
			return err
		}
	}
	for _, lk := range t.Links {
		if err := l.wireLink(lk); err != nil {
			return err
		}
	}
	for _, n := range t.Nodes {
		if err := l.wireVRFs(n); err != nil {
			return err
		}
		if err := l.wireNetnsVRFs(n); err != nil {
			return err
		}
	}
	l.phase("wire", start)

	start = time.Now()
	for _, n := range t.Nodes {
		for _, c := range n.Exec {
			cmd := exec.CommandContext(ctx, "/bin/sh", "-c", c)
			cmd.Env = daemonEnv()
			if _, err := runIn(NodeNetns(t.Name, n.Name), cmd); err != nil {
				return fmt.Errorf("lab: node %s: exec %q: %w", n.Name, c, err)
			}
		}
	}
	l.phase("exec", start)

	start = time.Now()
	if err := l.eachNode(ctx, func(r *nodeRun) error { return r.start(ctx) }); err != nil {
		return err
	}
	l.phase("daemons", start)

	start = time.Now()
	if err := l.WaitReady(ctx, l.opts.ReadyTimeout); err != nil {
		return err
	}
	l.phase("converge", start)
	return nil
}

// eachNode runs fn for every node, at most opts.Parallel at once, and
// returns every error.
func (l *Lab) eachNode(ctx context.Context, fn func(*nodeRun) error) error {
	sem := make(chan struct{}, l.opts.Parallel)
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, n := range l.Topo.Nodes {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func(r *nodeRun) {
			defer func() { <-sem; wg.Done() }()
			if err := fn(r); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}(l.nodeRun(n))
	}
	wg.Wait()
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// handleAt opens a netlink handle inside a named namespace.
func handleAt(name string) (*netlink.Handle, netns.NsHandle, error) {
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, netns.None(), fmt.Errorf("lab: namespace %s: %w", name, err)
	}
	h, err := netlink.NewHandleAt(ns)
	if err != nil {
		ns.Close()
		return nil, netns.None(), fmt.Errorf("lab: netlink in %s: %w", name, err)
	}
	return h, ns, nil
}

func linkUp(h *netlink.Handle, name string) error {
	lk, err := h.LinkByName(name)
	if err != nil {
		return err
	}
	return h.LinkSetUp(lk)
}

// wireMgmt makes the mgmt namespace with its bridge, which holds the mgmt
// network's first address: the agent under test polls from there.
func (l *Lab) wireMgmt() error {
	name := MgmtNetns(l.Topo.Name)
	ns, err := createNetns(name)
	if err != nil {
		return err
	}
	ns.Close()
	h, ns, err := handleAt(name)
	if err != nil {
		return err
	}
	defer ns.Close()
	defer h.Close()
	if err := linkUp(h, "lo"); err != nil {
		return fmt.Errorf("lab: %s: lo up: %w", name, err)
	}
	br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: mgmtBridge}}
	if err := h.LinkAdd(br); err != nil {
		return fmt.Errorf("lab: %s: bridge: %w", name, err)
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: l.MgmtGateway().AsSlice(), Mask: net.CIDRMask(l.Topo.MgmtSubnet.Bits(), 32)}}
	if err := h.AddrAdd(br, addr); err != nil {
		return fmt.Errorf("lab: %s: bridge address: %w", name, err)
	}
	return h.LinkSetUp(br)
}

// wireNode makes a node's namespace and its management veth: eth0 in the
// node, its peer on the mgmt bridge.
func (l *Lab) wireNode(n *Node) error {
	name := NodeNetns(l.Topo.Name, n.Name)
	ns, err := createNetns(name)
	if err != nil {
		return err
	}
	ns.Close()
	h, ns, err := handleAt(name)
	if err != nil {
		return err
	}
	defer ns.Close()
	defer h.Close()
	if err := linkUp(h, "lo"); err != nil {
		return fmt.Errorf("lab: %s: lo up: %w", name, err)
	}
	mh, mns, err := handleAt(MgmtNetns(l.Topo.Name))
	if err != nil {
		return err
	}
	defer mns.Close()
	defer mh.Close()
	peer := fmt.Sprintf("n%d", n.Index)
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: mgmtIface}, PeerName: peer, PeerNamespace: netlink.NsFd(mns)}
	if err := h.LinkAdd(veth); err != nil {
		return fmt.Errorf("lab: node %s: management veth: %w", n.Name, err)
	}
	br, err := mh.LinkByName(mgmtBridge)
	if err != nil {
		return err
	}
	p, err := mh.LinkByName(peer)
	if err != nil {
		return err
	}
	if err := mh.LinkSetMaster(p, br); err != nil {
		return err
	}
	if err := mh.LinkSetUp(p); err != nil {
		return err
	}
	e0, err := h.LinkByName(mgmtIface)
	if err != nil {
		return err
	}
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: n.MgmtAddr.AsSlice(), Mask: net.CIDRMask(l.Topo.MgmtSubnet.Bits(), 32)}}
	if err := h.AddrAdd(e0, addr); err != nil {
		return fmt.Errorf("lab: node %s: management address: %w", n.Name, err)
	}
	if err := h.LinkSetUp(e0); err != nil {
		return err
	}
	// Routers forward; only inside their own namespace, never the host's.
	if n.Binds[bindFRRDaemons] != "" {
		if err := writeSysctl(name, "net.ipv4.ip_forward", "1"); err != nil {
			return err
		}
	}
	return nil
}

// wireLink makes the veth of a link directly inside the two nodes'
// namespaces, with the names the configurations use: nothing of the lab's
// ever appears in the host's namespace.
func (l *Lab) wireLink(lk *Link) error {
	ha, nsa, err := handleAt(NodeNetns(l.Topo.Name, lk.A.Node))
	if err != nil {
		return err
	}
	defer nsa.Close()
	defer ha.Close()
	hb, nsb, err := handleAt(NodeNetns(l.Topo.Name, lk.B.Node))
	if err != nil {
		return err
	}
	defer nsb.Close()
	defer hb.Close()
	veth := &netlink.Veth{LinkAttrs: netlink.LinkAttrs{Name: lk.A.Interface}, PeerName: lk.B.Interface, PeerNamespace: netlink.NsFd(nsb)}
	if err := ha.LinkAdd(veth); err != nil {
		return fmt.Errorf("lab: link %s: %w", lk, err)
	}
	sides := []struct {
		h         *netlink.Handle
		node, if_ string
	}{{ha, lk.A.Node, lk.A.Interface}, {hb, lk.B.Node, lk.B.Interface}}
	for _, side := range sides {
		if err := linkUp(side.h, side.if_); err != nil {
			return fmt.Errorf("lab: link %s: up %s: %w", lk, side.if_, err)
		}
	}
	if lk.Netem.IsZero() {
		return nil
	}
	for i, side := range sides {
		if hasNetem() {
			if err := setNetem(side.h, side.if_, lk.Netem); err != nil {
				l.warn(lk, fmt.Sprintf("link %s: impairment not applied: %v", lk, netemError(err)), err)
				return nil
			}
			continue
		}
		// No netem: loss with nftables, rate with tbf; delay and jitter
		// cannot be had, said once per link.
		skipped, err := l.impairWithoutNetem(side.h, side.node, side.if_, lk.Netem)
		if err != nil {
			l.warn(lk, fmt.Sprintf("link %s: impairment not applied on %s:%s: %v", lk, side.node, side.if_, err), err)
			return nil
		}
		if len(skipped) > 0 && i == 0 {
			l.warn(lk, fmt.Sprintf("link %s: %s not applied: %v; loss and rate are applied with nftables and tbf", lk, strings.Join(skipped, ", "), ErrNoNetem), nil)
		}
	}
	return nil
}

// warn records a warning of Up, said once to the user from Lab.Warnings.
func (l *Lab) warn(lk *Link, w string, err error) {
	l.Warnings = append(l.Warnings, w)
	l.opts.Logger.Warn("lab impairment", "lab", l.Topo.Name, "link", lk.String(), "warning", w, "err", err)
}

// hasNetem reports whether the kernel has the netem qdisc (probed once).
func hasNetem() bool {
	k, err := ProbeKernel()
	return err == nil && k.Netem == nil
}

// setNetem replaces the root qdisc of an interface with netem, as
// `containerlab tools netem set` does: each call replaces every impairment.
func setNetem(h *netlink.Handle, ifname string, im Impairment) error {
	lk, err := h.LinkByName(ifname)
	if err != nil {
		return err
	}
	attrs := netlink.QdiscAttrs{LinkIndex: lk.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT}
	q := netlink.NewNetem(attrs, netlink.NetemQdiscAttrs{
		Latency: uint32(im.Delay / time.Microsecond),
		Jitter:  uint32(im.Jitter / time.Microsecond),
		Loss:    float32(im.Loss),
		Rate64:  im.RateKbit * 1000 / 8,
	})
	return h.QdiscReplace(q)
}

// clearNetem puts back the declared impairment of an interface, or removes
// netem when none is declared.
func clearNetem(h *netlink.Handle, ifname string, declared Impairment) error {
	if !declared.IsZero() {
		return setNetem(h, ifname, declared)
	}
	lk, err := h.LinkByName(ifname)
	if err != nil {
		return err
	}
	qs, err := h.QdiscList(lk)
	if err != nil {
		return err
	}
	for _, q := range qs {
		if q.Type() == "netem" {
			if err := h.QdiscDel(q); err != nil && !errors.Is(err, unix.ENOENT) {
				return err
			}
		}
	}
	return nil
}

// MgmtDo runs fn with the calling thread inside the lab's mgmt namespace.
// Sockets opened by fn stay in that namespace after it returns: a test
// opens vigie's SNMP client or BGP listener here, then uses it normally.
func (l *Lab) MgmtDo(fn func() error) error { return inNetns(l.MgmtNetns(), fn) }

// MgmtStart starts cmd inside the mgmt namespace; the caller Waits for it.
func (l *Lab) MgmtStart(cmd *exec.Cmd) error { return startIn(l.MgmtNetns(), cmd) }

// NodeRun runs cmd inside a node's namespace, waits, and returns its
// combined output (e.g. vtysh -N PATHSPACE, see FRRPathspace).
func (l *Lab) NodeRun(node string, cmd *exec.Cmd) ([]byte, error) {
	if l.Topo.Node(node) == nil {
		return nil, fmt.Errorf("lab: no node %q in %s", node, l.Topo.Name)
	}
	return runIn(NodeNetns(l.Topo.Name, node), cmd)
}

// FRRPathspace returns the pathspace to give vtysh (-N) for a node.
func (l *Lab) FRRPathspace(node string) string { return frrPathspace(l.Topo.Name, node) }

// Vtysh runs FRR's vtysh commands on a node and returns the output.
func (l *Lab) Vtysh(ctx context.Context, node string, commands ...string) ([]byte, error) {
	args := []string{"-N", l.FRRPathspace(node)}
	for _, c := range commands {
		args = append(args, "-c", c)
	}
	cmd := exec.CommandContext(ctx, "/usr/bin/vtysh", args...)
	cmd.Env = daemonEnv()
	return l.NodeRun(node, cmd)
}

// readTrim reads a small state file (a pid, a path), trimmed; "" if absent.
func readTrim(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
