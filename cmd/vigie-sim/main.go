// Command vigie-sim is vigie's fleet simulator: it generates a realistic
// RIE inventory and serves every device of it as an SNMP agent at its own
// loopback address, with faults injected at run time. It is what `vigie
// demo`, the collector's tests and its benchmarks run against.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

const usage = `vigie-sim: a simulated RIE for vigie.

Usage:
  vigie-sim generate --out DIR [--sites N] [--seed S] [--port P] [--v3-fraction F]
      Writes DIR/vigie.yml (the inventory: regions, PoPs, backbone, PFAI, PFS,
      N sites with their access links, about 1.4 devices per site) and
      DIR/sim.env (mode 0600) with the VIGIE_SIM_* credentials it refers to.
      The same seed and options always give the same file.

  vigie-sim serve [--sites N] [--seed S] [--port P] [--control 127.0.0.1:PORT]
      Generates the same inventory in memory and serves every device as an
      SNMPv2c/v3 agent at its own 127.x.y.z address on UDP port P, until
      interrupted. Faults are set over HTTP on the control address:
        curl -X PUT -d '{"timeout":true}' http://127.0.0.1:9743/faults/agg-idf-01-1
        curl -X POST 'http://127.0.0.1:9743/link/ce-s00001-1?interface=eth1&state=down'
        curl -X POST http://127.0.0.1:9743/reboot/bb-lyon
        curl -X POST 'http://127.0.0.1:9743/power/agg-idf-01-1?state=off'
        curl http://127.0.0.1:9743/devices/bb-lyon     curl http://127.0.0.1:9743/metrics
      See docs/simulator.md.

  vigie-sim cut [--control ADDR|URL] ITEM...
  vigie-sim restore [--control ADDR|URL] ITEM... | --all
  vigie-sim cuts [--control ADDR|URL]
      Cuts an item against a running serve (or vigie demo, with --control
      http://localhost:9742/sim) as the real incident would, restores it, or
      lists the cuts in force. ITEM is named as vigie whatif --fail names it:
        internet     every internet uplink and every access riding the internet
        srlg:ID      every link of a shared-risk group (srlg:cable-gp-1: a cable)
        link:A--B    every link between devices A and B
        device:NAME, pop:ID, region:ID   devices powered off
      Each call prints what it did: links and interfaces down, tunnels, devices,
      and what BGP withdrew (vigie demo).

Credentials come from VIGIE_SIM_COMMUNITY, VIGIE_SIM_AUTH and VIGIE_SIM_PRIV
when set (source DIR/sim.env), else from the simulator's built-in defaults.

Run "vigie-sim COMMAND --help" for a command's flags.
`

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "vigie-sim:", err)
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("a command is needed: generate, serve, cut, restore or cuts")
	}
	switch args[0] {
	case "generate":
		return generate(args[1:], stdout, stderr)
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "cut", "restore", "cuts":
		return cutCommand(args[0], args[1:], stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q: use generate, serve, cut, restore or cuts", args[0])
	}
}

// genFlags are the options shared by generate and serve: both must build
// the same inventory from the same flags.
type genFlags struct {
	sites int
	seed  uint64
	port  int
	v3    float64
}

func (g *genFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&g.sites, "sites", sim.DefaultSites, "number of sites to generate (the RIE has about 14,000)")
	fs.Uint64Var(&g.seed, "seed", 1, "seed of the generator: the same seed gives the same RIE")
	fs.IntVar(&g.port, "port", sim.DefaultPort, "UDP port every simulated agent answers on")
	fs.Float64Var(&g.v3, "v3-fraction", 0, "share of collection devices on SNMPv3 (0 = default 0.10, negative = none); backbone, PFAI and PFS always are")
}

func (g *genFlags) options() (sim.GenerateOptions, error) {
	if g.sites < 1 || g.sites > sim.MaxSites {
		return sim.GenerateOptions{}, fmt.Errorf("--sites %d out of range: use 1 to %d", g.sites, sim.MaxSites)
	}
	if g.port < 1 || g.port > 65535 {
		return sim.GenerateOptions{}, fmt.Errorf("--port %d out of range: use 1 to 65535 (1161 runs without privileges)", g.port)
	}
	return sim.GenerateOptions{Seed: g.seed, Sites: g.sites, Port: uint16(g.port), V3Fraction: g.v3}, nil
}

func newFlagSet(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: vigie-sim %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

func generate(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("generate", "--out DIR [flags]", stderr)
	var g genFlags
	g.register(fs)
	out := fs.String("out", "", "directory to write vigie.yml and sim.env into (created if missing)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" {
		fs.Usage()
		return errors.New("--out DIR is required")
	}
	opts, err := g.options()
	if err != nil {
		return err
	}
	start := time.Now()
	inv := sim.Generate(opts)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return fmt.Errorf("cannot create the output directory: %w", err)
	}
	path := filepath.Join(*out, "vigie.yml")
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("cannot write the inventory: %w", err)
	}
	if err := inventory.Write(f, inv); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write the inventory: %w", err)
	}
	envPath := filepath.Join(*out, "sim.env")
	env := fmt.Sprintf("# Credentials of the simulated fleet (vigie-sim); source this file before vigie and vigie-sim.\n"+
		"export %s=%q\nexport %s=%q\nexport %s=%q\n",
		sim.EnvCommunity, sim.DefaultCommunity, sim.EnvAuth, sim.DefaultAuthPassword, sim.EnvPriv, sim.DefaultPrivPassword)
	if err := os.WriteFile(envPath, []byte(env), 0o600); err != nil {
		return fmt.Errorf("cannot write the credentials file: %w", err)
	}
	// WriteFile keeps the mode of an existing file: make sure it is private.
	if err := os.Chmod(envPath, 0o600); err != nil {
		return fmt.Errorf("cannot restrict the credentials file: %w", err)
	}
	fmt.Fprintf(stdout, "vigie-sim: wrote %s (%d sites, %d devices, %d links, seed %d) and %s in %v\n",
		path, len(inv.Sites), len(inv.Devices), len(inv.Links), opts.Seed, envPath, time.Since(start).Round(time.Millisecond))
	return nil
}

func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func serve(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("serve", "[flags]", stderr)
	var g genFlags
	g.register(fs)
	control := fs.String("control", "127.0.0.1:9743", "loopback HTTP address of the fault control endpoint and /metrics (\"\" = none)")
	bind := fs.String("bind", "0.0.0.0", "address the UDP sockets bind to; requests to addresses without a device are dropped")
	sockets := fs.Int("sockets", 0, "UDP sockets (and serving goroutines) sharing the port (0 = one per CPU)")
	maxSize := fs.Int("max-message-size", 8192, "largest SNMP answer in bytes; larger Gets get tooBig, GetBulks are cut")
	verbose := fs.Bool("v", false, "log at debug level")
	if err := fs.Parse(args); err != nil {
		return err
	}
	opts, err := g.options()
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	listen, err := netip.ParseAddr(*bind)
	if err != nil || !listen.Is4() {
		return fmt.Errorf("--bind %q: give an IPv4 address such as 0.0.0.0 or 127.0.0.1", *bind)
	}
	var controlLn net.Listener
	if *control != "" {
		ap, err := netip.ParseAddrPort(*control)
		if err != nil || !ap.Addr().IsLoopback() {
			return fmt.Errorf("--control %q: give a loopback address and port such as 127.0.0.1:9743 (the endpoint takes no credentials)", *control)
		}
		if controlLn, err = net.Listen("tcp", ap.String()); err != nil {
			return fmt.Errorf("cannot listen on --control %s (choose another port): %w", ap, err)
		}
		defer controlLn.Close()
	}

	start := time.Now()
	inv := sim.Generate(opts)
	agent, err := snmpagent.New(inv, snmpagent.Options{
		Listen:         listen,
		Port:           g.port,
		Sockets:        *sockets,
		Seed:           opts.Seed,
		Community:      envOr(sim.EnvCommunity, sim.DefaultCommunity),
		Users:          []snmpagent.User{{Name: sim.DefaultUser, AuthProtocol: "SHA", AuthPassword: envOr(sim.EnvAuth, sim.DefaultAuthPassword), PrivPassword: envOr(sim.EnvPriv, sim.DefaultPrivPassword)}},
		MaxMessageSize: *maxSize,
		Logger:         log,
	})
	if err != nil {
		return err
	}
	if err := agent.Listen(); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	controlURL := "none"
	if controlLn != nil {
		reg := prometheus.NewRegistry()
		reg.MustRegister(agent, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		mux := http.NewServeMux()
		mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.Handle("/", agent.Handler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(controlLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("control endpoint stopped", "err", err)
			}
		}()
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		controlURL = "http://" + controlLn.Addr().String() + "/"
	}
	first, last := inv.Devices[0].Address.Addr(), inv.Devices[len(inv.Devices)-1].Address.Addr()
	fmt.Fprintf(stdout, "vigie-sim: serving %d devices (%d sites, seed %d) at %v-%v udp port %d; control %s; ready in %v\n",
		agent.Devices(), len(inv.Sites), opts.Seed, first, last, agent.Port(), controlURL, time.Since(start).Round(time.Millisecond))
	return agent.Serve(ctx)
}
