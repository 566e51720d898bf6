package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/demo"
)

const demoUsage = `Usage: vigie demo [flags]

Runs vigie on an embedded simulated RIE, with no configuration: a generated
network of --sites sites (regions, overseas sites, aggregation PoPs, a
backbone with route reflectors, two datacentres, PFAI and PFS with TESTA,
RENATER and partners) whose every device answers SNMP at its own 127.x.y.z
address. vigie polls it, builds the topology, computes resilience and serves
the result. With --faults (the default) a few things are broken at start so
that degraded and isolated sites show up. With --bgp (the default) the
route reflectors, PFAI internet edges and PFS routers also speak BGP at their
addresses, and vigie's route monitor peers with them.

Break more while it runs, through the simulator's control endpoint:
  curl -X POST 'localhost:9742/sim/link/DEVICE?interface=IF&state=down'
  curl -X PUT localhost:9742/sim/faults/DEVICE -d '{"timeout": true}'
  curl -X POST localhost:9742/sim/reboot/DEVICE
  curl -X POST localhost:9742/sim/cuts/internet     (DELETE restores; also srlg:ID, pop:ID, device:NAME...)
  curl -X POST 'localhost:9742/sim/bgp/default/pfai-1?state=withdrawn'
  curl -X POST 'localhost:9742/sim/bgp/site/SITE?state=withdrawn'
  curl -X POST localhost:9742/sim/bgp/reset/rr-1

Examples:
  vigie demo
  vigie demo --sites 2000 --interval 30s --web.listen-address localhost:9800
`

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("demo", demoUsage, stderr)
	sites := fs.Int("sites", 300, "number of simulated sites (the real RIE has about 14,000)")
	seed := fs.Uint64("seed", 1, "seed of the simulated RIE and of its faults")
	interval := fs.Duration("interval", 10*time.Second, "poll interval of every device")
	faults := fs.Bool("faults", true, "break a few links and a router at start")
	withBGP := fs.Bool("bgp", true, "simulate the BGP speakers (route reflectors, internet edges, PFS) and peer with them")
	var sf serveFlags
	sf.register(fs, "localhost:9742")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if len(sf.listen) == 0 {
		sf.listen = listFlag{"localhost:9742"}
	}
	if sf.db == "" {
		sf.db = "-"
	}
	logger, err := sf.log.logger(stderr)
	if err != nil {
		return err
	}
	dopts, err := sf.options(logger)
	if err != nil {
		return err
	}
	start := time.Now()
	d, err := demo.New(demo.Options{Sites: *sites, Seed: *seed, Interval: *interval,
		Faults: *faults, BGP: *withBGP, Daemon: dopts})
	if err != nil {
		return err
	}
	url := "http://" + strings.Replace(sf.listen[0], "0.0.0.0", "localhost", 1)
	if strings.HasPrefix(sf.listen[0], ":") {
		url = "http://localhost" + sf.listen[0]
	}
	fmt.Fprintf(stdout, `vigie demo: simulated RIE of %d sites and %d devices, SNMP agents on 127.x.y.z port %d (ready in %s)
  metrics   %s/metrics          (try: curl -s %s/metrics | grep ^vigie_site_isolated)
  topology  %s/api/v1/topology
  events    %s/api/v1/events
  what-if   curl -s -X POST %s/api/v1/whatif -d '{"fail": ["internet"]}'
  simulator %s/sim/faults       (see vigie demo --help to break more)
`, len(d.Inventory.Sites), len(d.Inventory.Devices), d.Agent.Port(), time.Since(start).Round(time.Millisecond),
		url, url, url, url, url, url)
	if d.BGP != nil {
		fmt.Fprintf(stdout, "  bgp       %d simulated speakers on 127.x.y.z port %d  (try: curl -s %s/metrics | grep ^vigie_bgp_session_up)\n",
			len(d.BGP.Speakers()), d.BGP.Port(), url)
	}
	for _, b := range d.Broken {
		fmt.Fprintf(stdout, "  broken:   %s\n", b)
	}
	fmt.Fprintf(stdout, "Polling every %s; Ctrl-C to stop.\n", *interval)
	return d.Run(ctx)
}
