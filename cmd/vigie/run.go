package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/vigie-rie/vigie/collector/trap"
	"github.com/vigie-rie/vigie/daemon"
	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/inventory"
)

const runUsage = `Usage: vigie run --config FILE [flags]

Runs the daemon: polls every device of the inventory over SNMP (and BGP
where configured), keeps the live topology in the bbolt file agent.db,
computes every site's resilience and serves /metrics and /api/v1/.

Secrets are read from the environment variables and files the inventory
names. SIGHUP reloads the inventory: the new configuration (store, listen
addresses, BGP port, web config) is opened and checked first; one that
cannot take effect is reported and the running configuration kept
(vigie_config_last_reload_successful 0). SIGTERM or Ctrl-C stops after
in-flight polls and store writes.

With --snmp.trap-listen-address, SNMP traps and informs from inventory
devices (their profiles' credentials) make vigie poll the sender at once
(docs/traps.md); port 162 needs CAP_NET_BIND_SERVICE.

Examples:
  vigie check-config --secrets /etc/vigie/vigie.yml && vigie run --config /etc/vigie/vigie.yml
  vigie run --config vigie.yml --web.config.file web.yml   # TLS and basic auth, exporter-toolkit format
  vigie run --config vigie.yml --snmp.trap-listen-address :9162   # traps and informs poll their device at once
`

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// serveFlags are the daemon flags shared by run and demo.
type serveFlags struct {
	listen    listFlag
	webConfig string
	db        string
	pprof     bool
	memLimit  string
	ifLevels  listFlag
	log       logFlags
}

func (s *serveFlags) register(fs *flag.FlagSet, defaultListen string) {
	fs.Var(&s.listen, "web.listen-address", "address to serve /metrics and /api/v1 on, repeatable (default "+defaultListen+")")
	fs.StringVar(&s.webConfig, "web.config.file", "", "exporter-toolkit web config file enabling TLS and/or basic auth")
	fs.StringVar(&s.db, "db", "", `bbolt file of the live topology (overrides agent.db; "-" keeps it in memory)`)
	fs.BoolVar(&s.pprof, "web.enable-pprof", false, "serve /debug/pprof/ (exposes internals; off by default)")
	fs.StringVar(&s.memLimit, "memory.limit", "900MiB", "soft limit of the Go runtime's memory (MiB or GiB), \"off\" for none; GOMEMLIMIT wins\n"+
		"when set. A guard: the full RIE stays near 465 MiB without it (docs/daemon-performance.md)")
	fs.Var(&s.ifLevels, "collector.interface-metrics", "ROLE=all|up|none, repeatable: which interfaces of a role's devices get\n"+
		"per-interface series (up = administratively up only; none = device-level series only).\n"+
		"Interfaces are polled and feed the topology whatever the level. Example: collection=up")
	s.log.register(fs)
}

func (s *serveFlags) options(logger *slog.Logger) (daemon.Options, error) {
	levels := map[inventory.Role]exposition.InterfaceLevel{}
	for _, kv := range s.ifLevels {
		role, level, ok := strings.Cut(kv, "=")
		valid := slices.Contains(inventory.Roles, inventory.Role(role))
		switch exposition.InterfaceLevel(level) {
		case exposition.InterfacesAll, exposition.InterfacesUp, exposition.InterfacesNone:
		default:
			ok = false
		}
		if !ok || !valid {
			return daemon.Options{}, fmt.Errorf("--collector.interface-metrics=%q: want ROLE=all|up|none with ROLE one of collection, backbone, pfai, pfs", kv)
		}
		levels[inventory.Role(role)] = exposition.InterfaceLevel(level)
	}
	limit, err := parseMemoryLimit(s.memLimit)
	if err != nil {
		return daemon.Options{}, err
	}
	return daemon.Options{ListenAddresses: s.listen, WebConfigFile: s.webConfig, DB: s.db,
		EnablePprof: s.pprof, Version: buildVersion(), Logger: logger, InterfaceMetrics: levels, MemoryLimit: limit}, nil
}

// parseMemoryLimit reads --memory.limit: "900MiB", "1GiB" or "off" (-1,
// which daemon.Options takes as no limit).
func parseMemoryLimit(v string) (int64, error) {
	if v == "off" {
		return -1, nil
	}
	for _, u := range []struct {
		suffix string
		shift  uint
	}{{"MiB", 20}, {"GiB", 30}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			if x, err := strconv.ParseInt(n, 10, 64); err == nil && x > 0 && x < 1<<(62-u.shift) {
				return x << u.shift, nil
			}
		}
	}
	return 0, fmt.Errorf("--memory.limit=%q: want a size such as 900MiB or 2GiB, or off", v)
}

func cmdRun(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("run", runUsage, stderr)
	config := fs.String("config", "", "inventory file (required)")
	trapListen := fs.String("snmp.trap-listen-address", "", "UDP address to receive SNMP traps and informs on, such as :162 (needs CAP_NET_BIND_SERVICE)\n"+
		"or 127.0.0.1:9162; a notification from an inventory device polls it at once (docs/traps.md). Default: off")
	trapEngine := fs.String("snmp.trap-engine-id", fmt.Sprintf("%x", trap.DefaultEngineID), "SNMPv3 engine ID (hex) that v3 informs are sent to")
	var sf serveFlags
	sf.register(fs, ":9742")
	var of observationFlags
	of.register(fs, "NATS server to read regional collectors' observations from, instead of polling (docs/distributed.md)")
	consumer := fs.String("observations.consumer", "central", "this central's durable consumer name: each central of an HA pair needs its own")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *config == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	logger, err := sf.log.logger(stderr)
	if err != nil {
		return err
	}
	load := func() (*inventory.Inventory, error) {
		return inventory.Load(*config, inventory.LoadOptions{
			ResolveSecrets: true,
			OnWarning:      func(p inventory.Problem) { logger.Warn("inventory", "problem", p.String()) },
		})
	}
	inv, err := load()
	if err != nil {
		return fmt.Errorf("%w\n(fix the inventory; vigie check-config --secrets %s lists every problem)", err, *config)
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	opts, err := sf.options(logger)
	if err != nil {
		return err
	}
	if of.url != "" {
		if err := of.central(&opts, *consumer, inv.JetStreamDomains(), logger); err != nil {
			return err
		}
	}
	if *trapListen != "" {
		engine, err := hex.DecodeString(strings.TrimPrefix(*trapEngine, "0x"))
		if err != nil {
			return fmt.Errorf("--snmp.trap-engine-id=%q: want hexadecimal octets, such as %x", *trapEngine, trap.DefaultEngineID)
		}
		recv, err := trap.New(trap.Options{Listen: *trapListen, EngineID: engine, Logger: logger.With("component", "notifications")})
		if err != nil {
			return err
		}
		opts.Notifications = recv
		rctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- recv.Run(rctx) }()
		defer func() {
			cancel()
			<-done
		}()
	}
	return runReloading(ctx, inv, load, hup, opts, logger)
}

// runReloading runs a daemon for inv and, on each signal from hup, loads the
// inventory again and builds the daemon of the new configuration while the
// running one goes on (Daemon.Next: store, listen addresses, BGP port and
// web config opened and checked first). Only then is the running daemon
// stopped and the new one started, with the state it had. A reload that
// cannot take effect, an invalid inventory or a configuration that cannot
// start, is logged with its reason and the running configuration kept;
// vigie_config_last_reload_successful says which happened last.
func runReloading(ctx context.Context, inv *inventory.Inventory, load func() (*inventory.Inventory, error),
	hup <-chan os.Signal, opts daemon.Options, logger *slog.Logger) error {
	status := daemon.NewReloadStatus()
	opts.ExtraCollectors = append(slices.Clone(opts.ExtraCollectors), status.Collectors()...)
	d, err := daemon.New(inv, opts)
	if err != nil {
		return err
	}
	for {
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- d.Run(runCtx) }()
		var next *daemon.Daemon
		for next == nil {
			select {
			case err := <-done:
				cancel()
				return err
			case <-hup:
				n, err := load()
				if err != nil {
					status.Set(false)
					logger.Error("reload refused: the new inventory is invalid; keeping the running configuration", "err", err)
					continue
				}
				if next, err = d.Next(n); err != nil {
					status.Set(false)
					logger.Error("reload refused: the new configuration cannot start; keeping the running configuration", "err", err)
					continue
				}
				// A central: the leaf nodes the reloaded inventory names are
				// sourced when the next daemon attaches to the stream.
				if src, ok := opts.Source.(interface{ SetSourceDomains([]string) }); ok {
					src.SetSourceDomains(n.JetStreamDomains())
				}
				logger.Info("reloading the inventory", "devices", len(n.Devices), "sites", len(n.Sites))
			}
		}
		cancel()
		if err := <-done; err != nil {
			next.Close()
			return err
		}
		status.Set(true)
		d = next
	}
}
