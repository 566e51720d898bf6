// Package discover crawls a network's neighbour tables over SNMP: from a
// few seed addresses, it polls each device's system group, LLDP-MIB
// (lldpRemTable and lldpRemManAddrTable) and CISCO-CDP-MIB cache, and
// follows the management addresses the neighbours advertise, breadth
// first, bounded in devices, depth and time. It contacts only the seeds and
// addresses learnt from neighbours (it never scans a range), and of those
// only the ones Options.Allow admits. What it found is a Result; Proposal
// writes what of it an inventory lacks, as inventory YAML to review.
package discover

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// Options configures a crawl. Zero fields take DefaultOptions' values.
type Options struct {
	// Seeds are the first devices polled; a seed without a port is polled
	// at Port.
	Seeds []netip.AddrPort
	// Port is the SNMP port of the addresses learnt from neighbours
	// (which advertise an address, not a port). Default 161.
	Port uint16
	// Profile is the SNMP profile (credentials, timeout, retries,
	// max-repetitions) every device is polled with; ProfileName is the
	// name the proposal's devices give as snmp_profile.
	Profile *inventory.SNMPProfile
	// MaxRows bounds the rows read from one table of one device.
	// Default 10,000 (the inventory's polling.max_rows is the usual value).
	MaxRows int
	// MaxDevices bounds the addresses contacted, seeds included.
	// Default 100.
	MaxDevices int
	// MaxDepth bounds the hops from the seeds: the seeds are depth 0,
	// their neighbours 1. Default 3.
	MaxDepth int
	// Timeout bounds the whole crawl. Default 5 minutes.
	Timeout time.Duration
	// DeviceTimeout bounds the poll of one device, whatever its tables
	// hold. Default 30 s.
	DeviceTimeout time.Duration
	// Concurrency is the most devices polled at once. Default 4, at most
	// MaxConcurrency: a crawl runs beside production traffic and its
	// agents are the routers' control planes.
	Concurrency int
	// Allow restricts the learnt addresses that may be contacted to these
	// prefixes; empty allows any. Seeds are always contacted.
	Allow []netip.Prefix
	// Progress receives one line per device contacted (and per depth);
	// nil discards.
	Progress io.Writer
}

// MaxConcurrency is the ceiling of Options.Concurrency.
const MaxConcurrency = 32

// DefaultOptions returns the defaults of the zero fields of Options.
func DefaultOptions() Options {
	return Options{Port: 161, MaxRows: 10000, MaxDevices: 100, MaxDepth: 3, Timeout: 5 * time.Minute,
		DeviceTimeout: 30 * time.Second, Concurrency: 4}
}

func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.Port == 0 {
		o.Port = d.Port
	}
	if o.MaxRows <= 0 {
		o.MaxRows = d.MaxRows
	}
	if o.MaxDevices <= 0 {
		o.MaxDevices = d.MaxDevices
	}
	if o.MaxDepth < 0 {
		o.MaxDepth = d.MaxDepth
	}
	if o.Timeout <= 0 {
		o.Timeout = d.Timeout
	}
	if o.DeviceTimeout <= 0 {
		o.DeviceTimeout = d.DeviceTimeout
	}
	if o.Concurrency <= 0 {
		o.Concurrency = d.Concurrency
	}
	o.Concurrency = min(o.Concurrency, MaxConcurrency)
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// Device is one device the crawl reached.
type Device struct {
	// Name is its sysName (its address when sysName is empty).
	Name     string
	Address  netip.AddrPort
	SysName  string
	ObjectID string // sysObjectID
	Descr    string // sysDescr
	// Aliases are other addresses that answered with the same sysName.
	Aliases []netip.AddrPort
	Depth   int
	// Via says how the crawl learnt its address: "seed", or the device and
	// port whose neighbour table named it; AddressFrom where in that table
	// the address was (AddrFrom*), "" for a seed.
	Via         string
	AddressFrom string
	// Problems are the contained faults of its poll (a table cut, an OID
	// loop, values of the wrong type).
	Problems []string

	neighbors []neighbor
}

// neighbor is one row of a device's LLDP or CDP table: on the local port,
// the remote's name and port, and the addresses it advertises.
type neighbor struct {
	port, remote, remotePort string
	via                      string // "lldp" or "cdp"
	addrs                    []netip.Addr
	addrFrom                 string // AddrFrom*
}

// Where a neighbour's address comes from.
const (
	AddrFromLLDP      = "LLDP management address"
	AddrFromChassisID = "LLDP chassis id"
	AddrFromCDP       = "CDP cache address"
)

// Failure is an address that was contacted and did not answer usefully.
type Failure struct {
	Address netip.AddrPort
	Depth   int
	Via     string
	Reason  snmp.Reason
	Err     error
}

// Skip is a neighbour the crawl did not contact, and why.
type Skip struct {
	// Name is the neighbour's name as its neighbour table gives it.
	Name    string
	Address netip.Addr // invalid when no usable address was advertised
	Via     string
	Why     string
}

// Why a neighbour is skipped: a small fixed set, counted in the summary.
const (
	SkipMaxDevices = "max-devices"
	SkipMaxDepth   = "max-depth"
	SkipTimeout    = "timeout"
	SkipNotAllowed = "not allowed (--allow)"
	SkipRefused    = "refused address"
	SkipNoAddress  = "no management address"
)

// Result is what a crawl found.
type Result struct {
	Devices  []*Device // in the order they were reached
	Failures []Failure
	Skipped  []Skip
	Links    []Link
	Seeds    []netip.AddrPort
	Start    time.Time
	Elapsed  time.Duration
	// TimedOut says the crawl hit Options.Timeout.
	TimedOut bool
}

// SkipCounts returns the skipped neighbours by reason, sorted by reason.
func (r *Result) SkipCounts() [][2]string {
	n := map[string]int{}
	for _, s := range r.Skipped {
		n[s.Why]++
	}
	var out [][2]string
	for _, why := range []string{SkipMaxDevices, SkipMaxDepth, SkipTimeout, SkipNotAllowed, SkipRefused, SkipNoAddress} {
		if n[why] > 0 {
			out = append(out, [2]string{why, fmt.Sprint(n[why])})
		}
	}
	return out
}

// ErrSeed is the error of a seed that may not be contacted.
var ErrSeed = errors.New("seed refused")

// candidate is an address to contact at some depth.
type candidate struct {
	addr  netip.AddrPort
	depth int
	via   string
	name  string // the name its neighbour table gave, "" for a seed
	from  string // AddrFrom*
}

// Crawl crawls from opts.Seeds and returns what it found. It fails only
// on bad options (no seed, a seed that may not be contacted, no profile);
// devices that fail are in Result.Failures and the crawl goes on.
func Crawl(ctx context.Context, opts Options) (*Result, error) {
	opts.setDefaults()
	if len(opts.Seeds) == 0 {
		return nil, fmt.Errorf("discover: no seed address: give at least one --seed")
	}
	if opts.Profile == nil {
		return nil, fmt.Errorf("discover: no SNMP profile")
	}
	opts.Seeds = slices.Clone(opts.Seeds) // the caller's are left as given
	loopSeeds := false
	for i, s := range opts.Seeds {
		if why := refused(s.Addr()); why != "" {
			return nil, fmt.Errorf("%w: %s is %s: give a device's management address", ErrSeed, s.Addr(), why)
		}
		if s.Port() == 0 {
			opts.Seeds[i] = netip.AddrPortFrom(s.Addr(), opts.Port)
		}
		loopSeeds = loopSeeds || s.Addr().IsLoopback()
	}
	// A target built once gives the profile's errors (no community, an
	// unknown protocol) before anything is sent.
	if _, err := target(opts, opts.Seeds[0]); err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()
	poller, err := snmp.NewPoller(snmp.Options{Sessions: opts.Concurrency})
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	defer poller.Close()

	c := &crawl{opts: opts, poller: poller, loopback: loopSeeds,
		res:     &Result{Seeds: slices.Clone(opts.Seeds), Start: time.Now()},
		tried:   map[netip.Addr]bool{},
		byName:  map[string]*Device{},
		planned: map[string]bool{}}
	layer := make([]candidate, 0, len(opts.Seeds))
	for _, s := range opts.Seeds {
		if !c.tried[s.Addr()] {
			c.tried[s.Addr()] = true
			layer = append(layer, candidate{addr: s, via: "seed"})
		}
	}
	for depth := 0; len(layer) > 0; depth++ {
		fmt.Fprintf(opts.Progress, "discover: depth %d: %d address(es) to contact\n", depth, len(layer))
		layer = c.layer(ctx, layer, depth)
	}
	// The poller's exchanges read until the same deadline, and their socket
	// timeouts can fire a moment before the context's own timer: a crawl
	// that ended at its deadline timed out either way.
	dl, _ := ctx.Deadline()
	c.res.TimedOut = errors.Is(context.Cause(ctx), context.DeadlineExceeded) || !time.Now().Before(dl.Add(-20*time.Millisecond))
	c.res.Elapsed = time.Since(c.res.Start)
	c.res.Links = links(c.res.Devices)
	return c.res, nil
}

// crawl is one crawl's state, owned by Crawl's goroutine: the pollers'
// goroutines only fill their own slot of a layer's results.
type crawl struct {
	opts      Options
	poller    *snmp.Poller
	loopback  bool // the seeds are loopback addresses: so may learnt ones be
	res       *Result
	contacted int
	tried     map[netip.Addr]bool
	byName    map[string]*Device // lower-case sysName
	// planned holds the lower-case names of the neighbours already queued,
	// so that a name seen from both ends of a link is queued once.
	planned map[string]bool
}

// layer polls one depth's candidates, Options.Concurrency at a time, and
// returns the next depth's. Results are applied in the candidates' order,
// so that a crawl's output does not depend on which poll ended first.
func (c *crawl) layer(ctx context.Context, cands []candidate, depth int) []candidate {
	slices.SortStableFunc(cands, func(a, b candidate) int { return a.addr.Compare(b.addr) })
	n := len(cands)
	if room := c.opts.MaxDevices - c.contacted; n > room {
		for _, k := range cands[max(room, 0):] {
			c.skip(k, k.addr.Addr(), SkipMaxDevices)
		}
		n = max(room, 0)
	}
	polls := make([]*snmp.Poll, n)
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(c.opts.Concurrency, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				polls[i] = c.poll(ctx, cands[i])
			}
		}()
	}
	sent := 0
	for i := 0; i < n && ctx.Err() == nil; i++ {
		select {
		case work <- i:
			sent++
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	c.contacted += sent
	for _, k := range cands[sent:n] {
		c.skip(k, k.addr.Addr(), SkipTimeout)
	}
	var next []candidate
	for i := range sent {
		next = c.apply(cands[i], polls[i], depth, next)
	}
	return next
}

func (c *crawl) skip(k candidate, a netip.Addr, why string) {
	name := k.name
	if name == "" {
		name = a.String()
	}
	c.res.Skipped = append(c.res.Skipped, Skip{Name: name, Address: a, Via: k.via, Why: why})
}

// target is the poll target of one address.
func target(opts Options, a netip.AddrPort) (*snmp.Target, error) {
	d := &inventory.Device{Name: a.String(), Address: a, Profile: opts.Profile.Name}
	t, err := snmp.NewTarget(d, opts.Profile, inventory.Polling{MaxRows: opts.MaxRows})
	if err != nil {
		return nil, err
	}
	// Interfaces name the local ports of agents whose LLDP tables number
	// them only, and the CDP cache's.
	t.Tables = snmp.TableInterfaces | snmp.TableLLDP | snmp.TableNeighborAddrs
	return t, nil
}

// poll polls one candidate under the device deadline.
func (c *crawl) poll(ctx context.Context, k candidate) *snmp.Poll {
	t, err := target(c.opts, k.addr)
	if err != nil {
		return &snmp.Poll{Err: err, Reason: snmp.ReasonOther}
	}
	ctx, cancel := context.WithTimeout(ctx, c.opts.DeviceTimeout)
	defer cancel()
	return c.poller.Poll(ctx, t, snmp.NewDeviceState())
}

// apply records one poll and appends the neighbours to contact next.
func (c *crawl) apply(k candidate, p *snmp.Poll, depth int, next []candidate) []candidate {
	out := c.opts.Progress
	if p.Err != nil {
		c.res.Failures = append(c.res.Failures, Failure{Address: k.addr, Depth: depth, Via: k.via, Reason: p.Reason, Err: p.Err})
		fmt.Fprintf(out, "discover: %s: no answer (%s), skipped: %v\n", k.addr, reasonWord(p.Reason), p.Err)
		return next
	}
	name := strings.TrimSpace(p.System.Name)
	if name == "" {
		name = k.addr.Addr().String()
	}
	if d := c.byName[strings.ToLower(name)]; d != nil {
		// A second address of a device already reached: its neighbours
		// are the same.
		d.Aliases = append(d.Aliases, k.addr)
		fmt.Fprintf(out, "discover: %s: %s again (reached at %s)\n", k.addr, d.Name, d.Address)
		return next
	}
	d := &Device{Name: name, Address: k.addr, SysName: p.System.Name, ObjectID: p.System.ObjectID,
		Descr: p.System.Descr, Depth: depth, Via: k.via, AddressFrom: k.from}
	for _, pr := range p.Problems {
		d.Problems = append(d.Problems, pr.Table+": "+pr.Detail)
	}
	d.neighbors = neighbors(p)
	c.res.Devices = append(c.res.Devices, d)
	c.byName[strings.ToLower(name)] = d
	c.planned[strings.ToLower(name)] = true
	fmt.Fprintf(out, "discover: %s: %s, %d neighbour(s)%s\n", k.addr, name, len(d.neighbors), problemsNote(d.Problems))
	for _, n := range d.neighbors {
		key := strings.ToLower(n.remote)
		if n.remote != "" && (c.byName[key] != nil || c.planned[key]) {
			continue
		}
		from := candidate{depth: depth + 1, via: d.Name + ":" + n.port, name: n.remote, from: n.addrFrom}
		a, why := c.pick(n.addrs)
		switch {
		case why != "":
			c.skip(from, a, why)
		case depth+1 > c.opts.MaxDepth:
			c.skip(from, a, SkipMaxDepth)
		case c.tried[a]:
			// Contacted already (it may have failed): once is enough.
			continue
		default:
			c.tried[a] = true
			from.addr = netip.AddrPortFrom(a, c.opts.Port)
			next = append(next, from)
		}
		if n.remote != "" {
			c.planned[key] = true
		}
	}
	return next
}

// pick chooses the address to contact among those a neighbour advertises:
// the first one that may be contacted (IPv4 first). why says why none
// may, with the address refused.
func (c *crawl) pick(addrs []netip.Addr) (a netip.Addr, why string) {
	if len(addrs) == 0 {
		return netip.Addr{}, SkipNoAddress
	}
	sorted := slices.Clone(addrs)
	slices.SortStableFunc(sorted, func(x, y netip.Addr) int {
		switch {
		case x.Is4() && !y.Is4():
			return -1
		case y.Is4() && !x.Is4():
			return 1
		}
		return 0
	})
	why = SkipNoAddress
	for _, x := range sorted {
		w := refused(x)
		if w == "" && x.IsLoopback() && !c.loopback {
			w = "loopback (the seeds are not)"
		}
		if w != "" {
			a, why = x, SkipRefused
			continue
		}
		if !c.allowed(x) {
			a, why = x, SkipNotAllowed
			continue
		}
		return x, ""
	}
	return a, why
}

func (c *crawl) allowed(a netip.Addr) bool {
	if len(c.opts.Allow) == 0 {
		return true
	}
	for _, p := range c.opts.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// refused says why an address is never contacted ("" when it may be):
// a crawl follows what devices say, and a device (or whoever forges its
// LLDP frames) must not make it send SNMP to a group or to every host.
func refused(a netip.Addr) string {
	switch {
	case !a.IsValid():
		return "not an address"
	case a.IsUnspecified():
		return "unspecified"
	case a.IsMulticast():
		return "multicast"
	case a.Is4() && a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return "broadcast"
	case a.IsLinkLocalUnicast():
		return "link-local (no zone to reach it by)"
	}
	return ""
}

// neighbors reads a poll's LLDP and CDP tables.
func neighbors(p *snmp.Poll) []neighbor {
	out := make([]neighbor, 0, len(p.LLDP)+len(p.CDP))
	for _, n := range p.LLDP {
		remote := n.SysName
		if remote == "" {
			remote = n.ChassisID
		}
		rp := n.PortDescr
		if rp == "" {
			rp = n.PortID
		}
		port := n.LocalPort
		if port == "" {
			port = fmt.Sprint(n.LocalPortNum)
		}
		out = append(out, neighbor{port: port, remote: remote, remotePort: rp, via: "lldp"})
	}
	for _, m := range p.LLDPManAddrs {
		if m.Neighbor >= 0 && m.Neighbor < len(p.LLDP) {
			nb := &out[m.Neighbor]
			nb.addrs = append(nb.addrs, m.Addr.Unmap())
			nb.addrFrom = AddrFromLLDP
		}
	}
	// Without lldpRemManAddrTable, a chassis id of subtype networkAddress
	// is the neighbour's address.
	for i, n := range p.LLDP {
		if len(out[i].addrs) == 0 {
			if a, err := netip.ParseAddr(n.ChassisID); err == nil {
				out[i].addrs = append(out[i].addrs, a.Unmap())
				out[i].addrFrom = AddrFromChassisID
			}
		}
	}
	for _, n := range p.CDP {
		port := n.LocalPort
		if port == "" {
			port = fmt.Sprint(n.IfIndex)
		}
		nb := neighbor{port: port, remote: snmp.CDPHostname(n.DeviceID), remotePort: n.Port, via: "cdp"}
		if n.Address.IsValid() {
			nb.addrs = []netip.Addr{n.Address.Unmap()}
			nb.addrFrom = AddrFromCDP
		}
		out = append(out, nb)
	}
	return out
}

func problemsNote(ps []string) string {
	if len(ps) == 0 {
		return ""
	}
	return fmt.Sprintf(" (%d table problem(s): %s)", len(ps), strings.Join(ps, "; "))
}

func reasonWord(r snmp.Reason) string {
	if r == snmp.ReasonNone {
		return "error"
	}
	return string(r)
}
