// This file applies link impairments on kernels without netem: random loss
// with an nftables rule (numgen random) and a bandwidth limit with the tbf
// qdisc, both present in kernels that lack CONFIG_NET_SCH_NETEM. netem
// stays the first choice where the kernel has it (it does delay and jitter
// too, which nothing else here can).

package lab

import (
	"errors"
	"fmt"
	"math"
	"os/exec"
	"regexp"
	"strings"

	"github.com/vishvananda/netlink"
)

// nftTable is the lab's nftables table in each node's namespace.
const nftTable = "vigielab"

// ErrNoNft is wrapped when loss without netem is asked on a machine
// without the nft program.
var ErrNoNft = errors.New("no nft program (Debian package nftables) for loss without netem")

var chainUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// nftChain names the chain of one purpose on one interface: "loss_eth1"
// for a declared loss, "cut_eth1" for a cut in mode loss.
func nftChain(purpose, ifname string) string {
	return purpose + "_" + chainUnsafe.ReplaceAllString(ifname, "_")
}

// nftRun runs an nft script inside a node's namespace.
func (l *Lab) nftRun(node, script string) error {
	nft, err := exec.LookPath("nft")
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoNft, err)
	}
	cmd := exec.Command(nft, "-f", "-")
	cmd.Env = daemonEnv()
	cmd.Stdin = strings.NewReader(script)
	if _, err := runIn(NodeNetns(l.Topo.Name, node), cmd); err != nil {
		return fmt.Errorf("nft in %s: %w", node, err)
	}
	return nil
}

// nftDrop drops pct percent (0.01 to 100) of the IP packets leaving an
// interface of a node, forwarded or its own, in a postrouting chain of its
// own; it replaces that chain's rule if it exists.
func (l *Lab) nftDrop(node, ifname, purpose string, pct float64) error {
	chain := nftChain(purpose, ifname)
	if err := l.nftDelete(node, chain); err != nil {
		return err
	}
	rule := fmt.Sprintf("oifname %q drop", ifname)
	if per10k := int(math.Round(pct * 100)); per10k < 10000 {
		rule = fmt.Sprintf("oifname %q numgen random mod 10000 < %d drop", ifname, per10k)
	}
	return l.nftRun(node, fmt.Sprintf("table inet %s {\n  chain %s {\n    type filter hook postrouting priority 0; policy accept;\n    %s\n  }\n}\n", nftTable, chain, rule))
}

// nftDelete removes a chain of the lab's table if it is there.
func (l *Lab) nftDelete(node, chain string) error {
	// nft 1.0.6 has no "destroy": create the table and chain if absent
	// (adding is idempotent), then flush and delete.
	return l.nftRun(node, fmt.Sprintf("table inet %s {\n  chain %s {\n    type filter hook postrouting priority 0; policy accept;\n  }\n}\nflush chain inet %s %s\ndelete chain inet %s %s\n",
		nftTable, chain, nftTable, chain, nftTable, chain))
}

// setTbf limits an interface's egress to kbit kbit/s with a tbf qdisc
// (burst 20 ms of the rate, at least 4,000 bytes; queue 400 ms).
func setTbf(h *netlink.Handle, ifname string, kbit uint64) error {
	lk, err := h.LinkByName(ifname)
	if err != nil {
		return err
	}
	rate := kbit * 1000 / 8 // bytes per second
	burst := uint32(max(rate/50, 4000))
	q := &netlink.Tbf{
		QdiscAttrs: netlink.QdiscAttrs{LinkIndex: lk.Attrs().Index, Handle: netlink.MakeHandle(1, 0), Parent: netlink.HANDLE_ROOT},
		Rate:       rate,
		Limit:      uint32(rate*400/1000) + burst,
		Buffer:     netlink.Xmittime(rate, burst),
	}
	return h.QdiscReplace(q)
}

// impairWithoutNetem applies what it can of an impairment on one end of a
// link, on a kernel without netem: loss with nftables, rate with tbf. It
// returns what it could not apply (delay and jitter), to be warned about.
func (l *Lab) impairWithoutNetem(h *netlink.Handle, node, ifname string, im Impairment) ([]string, error) {
	var skipped []string
	if im.Delay != 0 || im.Jitter != 0 {
		skipped = append(skipped, fmt.Sprintf("delay %s jitter %s (need netem)", im.Delay, im.Jitter))
	}
	if im.Loss > 0 {
		if err := l.nftDrop(node, ifname, "loss", im.Loss); err != nil {
			return skipped, fmt.Errorf("loss %g%% with nftables: %w", im.Loss, err)
		}
	}
	if im.RateKbit > 0 {
		if err := setTbf(h, ifname, im.RateKbit); err != nil {
			return skipped, fmt.Errorf("rate %d kbit/s with tbf: %w", im.RateKbit, err)
		}
	}
	return skipped, nil
}
