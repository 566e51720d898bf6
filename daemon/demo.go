package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"slices"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/bgpsim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// DemoOptions configures an embedded simulated RIE.
type DemoOptions struct {
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
	Daemon Options
}

// Demo is vigie polling an in-process simulated RIE.
type Demo struct {
	Inventory *inventory.Inventory
	Agent     *snmpagent.Agent
	// BGP is the simulated BGP fleet (nil without DemoOptions.BGP); its
	// controls are also served under /sim/bgp/.
	BGP    *bgpsim.Fleet
	Daemon *Daemon
	// Broken lists, in words, what Faults broke.
	Broken []string
}

// NewDemo generates a simulated RIE, opens its SNMP agents on loopback
// addresses and builds the daemon that polls them. Start it with Run.
func NewDemo(opts DemoOptions) (*Demo, error) {
	if opts.Sites <= 0 {
		opts.Sites = 300
	}
	if opts.Interval <= 0 {
		opts.Interval = 10 * time.Second
	}
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
	agent, err := snmpagent.New(inv, snmpagent.Options{Seed: opts.Seed, Logger: logger.With("component", "sim")})
	if err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	if err := agent.Listen(); err != nil {
		return nil, fmt.Errorf("simulator: %w", err)
	}
	sim.SetPort(inv, uint16(agent.Port()))
	demo := &Demo{Inventory: inv, Agent: agent}
	if opts.Faults {
		demo.Broken, err = breakSome(inv, agent, opts.Seed)
		if err != nil {
			return nil, err
		}
	}
	dopts := opts.Daemon
	if dopts.Extra == nil {
		dopts.Extra = map[string]http.Handler{}
	}
	dopts.Extra["/sim/"] = agent.Handler()
	if dopts.DB == "" {
		dopts.DB = "-"
	}
	if opts.BGP {
		// The speakers listen before the daemon starts, so that the
		// monitor's first connection (1-2 s after start) finds them.
		demo.BGP, err = bgpsim.New(inv, bgpsim.Options{Logger: logger.With("component", "sim-bgp")})
		if err != nil {
			return nil, fmt.Errorf("simulator: %w", err)
		}
		// iBGP in the RIE's AS, as a route-reflector client would be; the
		// router id is a loopback address no simulated device uses (they
		// start at 127.1.0.1).
		inv.BGP = demo.BGP.Config(sim.RIEAS, netip.AddrFrom4([4]byte{127, 0, 0, 1}))
		dopts.Extra["/sim/bgp/"] = demo.BGP.Handler()
		// What BGP announces follows the simulated links and power: a cut,
		// a router off or an access down withdraws what it would withdraw.
		agent.SetRouting(demo.BGP)
	}
	demo.Daemon, err = New(inv, dopts)
	if err != nil {
		if demo.BGP != nil {
			demo.BGP.Close()
		}
		return nil, err
	}
	return demo, nil
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	agentDone := make(chan error, 1)
	go func() { agentDone <- d.Agent.Serve(ctx) }()
	bgpDone := make(chan error, 1)
	if d.BGP != nil {
		go func() { bgpDone <- d.BGP.Run(ctx) }()
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
