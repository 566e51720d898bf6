// Package demo is `vigie demo`: a simulated RIE (package sim) generated in
// process, its SNMP agents and BGP speakers listening on loopback
// addresses, and a vigie daemon polling and peering with them. It lives
// apart from package daemon so that the daemon that runs in production
// knows nothing of the simulator.
package demo

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/vigie-rie/vigie/daemon"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/bgpsim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// Options configures an embedded simulated RIE. Zero fields take
// DefaultOptions' values.
type Options struct {
	// Sites is the size of the simulated RIE (default 300).
	Sites int
	// Seed makes the RIE and its faults reproducible.
	Seed uint64
	// Interval is the poll interval of every role (default 10 s, so that a
	// newcomer sees changes quickly; production defaults are 30-60 s).
	Interval time.Duration
	// Faults, when set, breaks a few things at start so that the demo shows
	// degraded and isolated sites: access links down and an unreachable
	// aggregation router.
	Faults bool
	// BGP starts simulated BGP speakers (route reflectors, internet edges,
	// PFS routers, package sim/bgpsim) and peers vigie's route monitor with
	// them, so that the BGP metrics and panels show data.
	BGP bool
	// Daemon configures the vigie under demonstration.
	Daemon daemon.Options
}

// DefaultOptions returns the defaults New gives the zero fields of its
// Options: a 300-site RIE polled every 10 s.
func DefaultOptions() Options {
	return Options{Sites: 300, Interval: 10 * time.Second}
}

// setDefaults fills the zero fields of o from DefaultOptions; negative
// values take the default too, as they always have.
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.Sites <= 0 {
		o.Sites = d.Sites
	}
	if o.Interval <= 0 {
		o.Interval = d.Interval
	}
}

// Demo is vigie polling an in-process simulated RIE.
type Demo struct {
	Inventory *inventory.Inventory
	Agent     *snmpagent.Agent
	// BGP is the simulated BGP fleet (nil without Options.BGP); its
	// controls are also served under /sim/bgp/.
	BGP    *bgpsim.Fleet
	Daemon *daemon.Daemon
	// Broken lists, in words, what Faults broke.
	Broken []string
}

// New generates a simulated RIE, opens its SNMP agents on loopback
// addresses and builds the daemon that polls them. Start it with Run.
func New(opts Options) (*Demo, error) {
	opts.setDefaults()
	logger := opts.Daemon.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	inv := sim.Generate(sim.GenerateOptions{Sites: opts.Sites, Seed: opts.Seed})
	for _, r := range inventory.Roles {
		inv.Polling.Intervals[r] = opts.Interval
	}
	// In-process, the simulator's secrets are known: no environment needed.
	for i := range inv.Profiles {
		p := &inv.Profiles[i]
		p.Community = inventory.NewSecret(sim.DefaultCommunity, "demo")
		p.AuthPassword = inventory.NewSecret(sim.DefaultAuthPassword, "demo")
		p.PrivPassword = inventory.NewSecret(sim.DefaultPrivPassword, "demo")
	}
	demo := &Demo{Inventory: inv}
	aopts := snmpagent.Options{Seed: opts.Seed, Logger: logger.With("component", "sim")}
	if opts.BGP {
		// The speakers listen before the daemon starts, so that the
		// monitor's first connection (1-2 s after start) finds them.
		fleet, err := bgpsim.New(inv, bgpsim.Options{Logger: logger.With("component", "sim-bgp")})
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		demo.BGP = fleet
		// Each speaker's BGP4-MIB shows its session with vigie, as a real
		// router's does: without it, vigie's reconciliation reports every
		// session it has as missing from the router.
		aopts.BGPSessions = func(device string) []snmpagent.BGPSession {
			ss := fleet.Sessions(device)
			if len(ss) == 0 {
				return nil
			}
			out := make([]snmpagent.BGPSession, len(ss))
			for i, s := range ss {
				out[i] = snmpagent.BGPSession{Local: s.Local, Remote: s.Remote, RemoteAS: s.RemoteAS, RemoteID: s.RemoteID, Since: s.Since}
			}
			return out
		}
	}
	if err := demo.build(inv, opts, aopts); err != nil {
		if demo.BGP != nil {
			demo.BGP.Close()
		}
		return nil, err
	}
	return demo, nil
}

// build opens the SNMP agents, breaks what opts.Faults asks and builds the
// daemon; the BGP speakers, if any, are already listening.
func (demo *Demo) build(inv *inventory.Inventory, opts Options, aopts snmpagent.Options) error {
	agent, err := snmpagent.New(inv, aopts)
	if err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	if err := agent.Listen(); err != nil {
		return fmt.Errorf("simulator: %w", err)
	}
	sim.SetPort(inv, uint16(agent.Port()))
	demo.Agent = agent
	if opts.Faults {
		demo.Broken, err = breakSome(inv, agent, opts.Seed)
		if err != nil {
			return err
		}
	}
	dopts := opts.Daemon
	// The demo loads its configuration once: the reload status says so,
	// as `vigie run`'s does before any SIGHUP.
	dopts.ExtraCollectors = append(slices.Clone(dopts.ExtraCollectors), daemon.NewReloadStatus().Collectors()...)
	if dopts.Extra == nil {
		dopts.Extra = map[string]http.Handler{}
	}
	dopts.Extra["/sim/"] = agent.Handler()
	if dopts.DB == "" {
		dopts.DB = "-"
	}
	if demo.BGP != nil {
		// iBGP in the RIE's AS, as a route-reflector client would be; the
		// router id is a loopback address no simulated device uses (they
		// start at 127.1.0.1).
		inv.BGP = demo.BGP.Config(sim.RIEAS, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
		dopts.Extra["/sim/bgp/"] = demo.BGP.Handler()
		// What BGP announces follows the simulated links and power: a cut,
		// a router off or an access down withdraws what it would withdraw.
		agent.SetRouting(demo.BGP)
	}
	demo.Daemon, err = daemon.New(inv, dopts)
	return err
}

// breakSome takes a few access links down and makes one aggregation router
// unreachable, chosen from the seed.
func breakSome(inv *inventory.Inventory, agent *snmpagent.Agent, seed uint64) ([]string, error) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	var broken []string
	var aggs []string
	for _, d := range inv.Devices {
		if d.Role == inventory.RoleCollection && d.PoP != "" {
			aggs = append(aggs, d.Name)
		}
	}
	slices.Sort(aggs)
	if len(aggs) > 0 {
		name := aggs[rng.IntN(len(aggs))]
		if err := agent.SetFaults(name, snmpagent.Faults{Timeout: true}); err != nil {
			return nil, err
		}
		broken = append(broken, "aggregation router "+name+" stops answering")
	}
	for range 3 {
		s := &inv.Sites[rng.IntN(len(inv.Sites))]
		a := s.Access[rng.IntN(len(s.Access))]
		if a.Interface == "" {
			continue
		}
		if err := agent.SetLink(a.Device, a.Interface, false); err != nil {
			return nil, err
		}
		broken = append(broken, fmt.Sprintf("site %s: %s access %s:%s down", s.ID, a.Technology, a.Device, a.Interface))
	}
	return broken, nil
}

// Run serves the simulated fleet and runs the daemon until ctx is done.
func (d *Demo) Run(ctx context.Context) error {
	// The simulated network outlives the daemon: stopped first, vigie
	// closes its sessions itself, instead of logging the speakers' Cease
	// (administrative shutdown) as a fault on every Ctrl-C.
	simCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	agentDone := make(chan error, 1)
	go func() { agentDone <- d.Agent.Serve(simCtx) }()
	bgpDone := make(chan error, 1)
	if d.BGP != nil {
		go func() { bgpDone <- d.BGP.Run(simCtx) }()
	} else {
		bgpDone <- nil
	}
	err := d.Daemon.Run(ctx)
	cancel()
	if aerr := <-agentDone; err == nil {
		err = aerr
	}
	if berr := <-bgpDone; err == nil {
		err = berr
	}
	return err
}
