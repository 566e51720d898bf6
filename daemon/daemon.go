// Package daemon assembles vigie from its parts, in the order the data
// flows: the inventory feeds the SNMP collector and the BGP monitor, whose
// observations feed the live topology (persisted in bbolt), which the web
// server exposes with everyone's metrics. `vigie run` and `vigie demo` both
// start a Daemon; only where the inventory comes from differs.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/collector/bgp"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/collector/trap"
	"github.com/vigie-rie/vigie/exposition"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
	"github.com/vigie-rie/vigie/topology/store"
	"github.com/vigie-rie/vigie/web"
)

// Options configures a Daemon. Zero fields take DefaultOptions' values.
type Options struct {
	// ListenAddresses and WebConfigFile configure the HTTP server
	// (default inventory Agent.Listen, then web.DefaultListen).
	ListenAddresses []string
	WebConfigFile   string
	// DB overrides the inventory's Agent.DB ("" = the inventory's; "-" =
	// in memory only).
	DB string
	// Version is shown on the landing page and in vigie_build_info.
	Version string
	// EnablePprof mounts /debug/pprof/.
	EnablePprof bool
	// InterfaceMetrics narrows per-interface series per role.
	InterfaceMetrics map[inventory.Role]exposition.InterfaceLevel
	// Extra HTTP handlers mounted by prefix (the demo's simulator control).
	Extra map[string]http.Handler
	// ExtraCollectors are registered with vigie's own metrics.
	ExtraCollectors []prometheus.Collector
	// Logger receives every component's lines, each with its "component"
	// attribute (nil: discard). The daemon has no Registerer: it makes the
	// registry /metrics serves (Registry), one per configuration.
	Logger *slog.Logger
	// MemoryLimit is the Go runtime's soft memory limit while Run runs
	// (runtime/debug.SetMemoryLimit), in bytes: 0 takes DefaultMemoryLimit,
	// a negative value sets none. The GOMEMLIMIT environment variable, when
	// set, wins. See docs/daemon-performance.md.
	MemoryLimit int64
	// Notifications, if set, is the SNMP notification receiver: it lives
	// as long as the process (its socket survives reloads) and each
	// daemon points it at its own devices, credentials and collector when
	// it runs. Each daemon registers its metrics.
	Notifications *trap.Receiver
	// Source, when set, replaces the SNMP collector: the central of a
	// distributed vigie receives its polls from regional collectors
	// (observe.Consumer, docs/distributed.md). Nothing is polled then.
	Source Source
}

// Source hands polls to onPoll as the collector would: one device's in
// order, with the device's state after each. Run returns when ctx ends
// and may be called again (by the daemon of a reloaded inventory).
//
// onCollector says when a collector is lost (no heartbeat for two of its
// periods) and when it is back: the devices it polls become unobserved
// meanwhile, neither up nor down (docs/distributed.md).
type Source interface {
	Run(ctx context.Context, onPoll func(*snmp.Poll, *snmp.DeviceState), onCollector func(name string, up bool)) error
}

// PartitionSource is a Source that also tells, once a lost collector's
// buffered observations have replayed, that it was partitioned from the
// centre rather than down, and which devices it saw alive during the cut
// [from, to): the daemon then rewrites the sites' unobserved intervals of
// that cut (docs/distributed.md).
type PartitionSource interface {
	Source
	OnPartition(fn func(collector string, from, to time.Time, alive []string))
}

// DefaultMemoryLimit is the soft memory limit of a daemon. The full
// 14,000-site RIE needs none (a live heap of about 200 MB, 465 MiB of RSS
// with the garbage collector's default pacing, which lets the heap grow to
// twice the live heap): it is a guard for a larger fleet, or a burst,
// where the collector then runs more often (at most half the CPU, by the
// runtime's own cap) rather than letting RSS pass 1 GiB. Raise it for a
// fleet whose live heap nears it.
const DefaultMemoryLimit = 900 << 20

// DefaultOptions returns the defaults New gives the zero fields of its
// Options: none but the logger's, because the daemon's defaults are the
// inventory's (agent.listen, agent.db) and its components' own; MemoryLimit
// 0 is resolved by Run, which logs where the limit came from.
func DefaultOptions() Options {
	return Options{}
}

// setDefaults fills the zero fields of o from DefaultOptions; a nil
// Logger discards.
func (o *Options) setDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Daemon is one running configuration of vigie.
type Daemon struct {
	inv       *inventory.Inventory
	opts      Options
	log       *slog.Logger
	registry  *prometheus.Registry
	store     *sharedStore
	topo      *topology.Topology
	coll      *collector.Collector
	expo      *exposition.Exposition
	bgp       *bgp.Monitor
	web       *web.Server
	listeners *web.Listeners
	// bgpDevices are the routers vigie peers with: their BGP4-MIB table is
	// reconciled with the monitor's own view at each poll.
	bgpDevices map[string]bool
	// notify is this configuration's view for Options.Notifications.
	notify *trap.View
	// internetLost is the last internet verdict told the topology
	// (0 none yet, 1 not lost, 2 lost).
	internetLost atomic.Int32
	// viewMu serializes the mirror's Views and losses; viewAt is the time
	// of the View being applied (Unix ns, 0 when none), which dates its
	// verdicts (bgpremote.go).
	viewMu sync.Mutex
	viewAt atomic.Int64
	// done is closed when Run returns: a successor's Run waits for it.
	done chan struct{}

	// A reload (Next) builds the next daemon while this one runs; they
	// share the store when its path is unchanged and the sockets of the
	// unchanged listen addresses (both counted: the last user closes
	// them). prev is the daemon this one replaces, until Run takes over
	// from it; adopt says to carry its topology's state over.
	prev  *Daemon
	adopt bool
	// closeOnce releases the store and sockets once (the fields stay set:
	// a successor being built may read them).
	closeOnce sync.Once
}

// sharedStore is the open store and how many daemons use it: a reload
// shares it (bbolt's lock forbids a second open in one process), and the
// last daemon to close it closes the file.
type sharedStore struct {
	*store.Store
	mu    sync.Mutex
	users int
}

// acquire adds a user; false if the last one already closed the store.
func (s *sharedStore) acquire() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users == 0 {
		return false
	}
	s.users++
	return true
}

func (s *sharedStore) release() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.users--; s.users == 0 {
		return s.Store.Close()
	}
	return nil
}

// New builds every component of vigie for inv. It opens the store (so a
// second vigie on the same file fails here, clearly), binds the HTTP
// listen addresses and checks the BGP listen port, and opens the SNMP
// sockets, but starts nothing: call Run. On error nothing stays open.
func New(inv *inventory.Inventory, opts Options) (*Daemon, error) {
	return build(inv, opts, nil)
}

// Next builds the daemon of a reloaded inventory while d keeps running,
// with d's options: everything the new configuration needs is opened and
// checked (store, listen addresses, BGP listen port, web config) before d
// is touched, so that an error leaves d running as it was. What is
// unchanged is shared rather than opened twice: the store when its path
// is the same (bbolt's lock would refuse a second open), the sockets of
// the same listen addresses. When the new daemon keeps the same store or
// none, it carries d's device states, links and event history over.
//
// After a successful Next, stop d (cancel its Run) and Run the new daemon:
// its Run waits for d's to return, then takes over. To abandon it
// instead, Close it.
func (d *Daemon) Next(inv *inventory.Inventory) (*Daemon, error) {
	return build(inv, d.opts, d)
}

func build(inv *inventory.Inventory, opts Options, prev *Daemon) (_ *Daemon, err error) {
	opts.setDefaults()
	d := &Daemon{inv: inv, opts: opts, log: opts.Logger, registry: prometheus.NewRegistry(), prev: prev,
		done: make(chan struct{})}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	reg := d.registry
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(opts.Version),
	)
	for _, c := range opts.ExtraCollectors {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("registering extra metrics: %w", err)
		}
	}

	dbPath := inv.Agent.DB
	if opts.DB != "" {
		dbPath = opts.DB
	}
	if dbPath == "-" {
		dbPath = ""
	}
	topts := topology.Options{}
	switch {
	case prev != nil && prev.store != nil && dbPath != "" && prev.store.Holds(dbPath) && prev.store.acquire():
		d.store, d.adopt = prev.store, true
		topts.NoRestore = true // the state comes from prev's topology, once prev has stopped
		if err := d.store.Register(reg); err != nil {
			return nil, fmt.Errorf("store: registering metrics: %w", err)
		}
	case dbPath != "":
		st, err := store.Open(dbPath, store.Options{Registerer: reg, Logger: d.log, History: inv.Agent.History,
			AvailabilityRetention: inv.Agent.AvailabilityRetention})
		if err != nil {
			return nil, err
		}
		d.store = &sharedStore{Store: st, users: 1}
	default:
		d.adopt = prev != nil // in memory: the state lives only in prev's topology
	}
	if d.store != nil {
		topts.Store = d.store.Store
	}

	topts.Distributed = opts.Source != nil
	topts.MaxNeighbors, topts.MaxDeviceEvents = inv.Agent.MaxLLDPNeighbors, inv.Agent.MaxDeviceEvents
	topts.Logger, topts.Registerer = d.log.With("component", "topology"), reg
	d.topo, err = topology.New(inv, topts)
	if err != nil {
		return nil, fmt.Errorf("topology: %w", err)
	}
	if opts.Source == nil {
		d.coll, err = collector.New(inv, collector.Options{OnPoll: d.onPoll,
			Logger: d.log.With("component", "collector"), Registerer: reg})
		if err != nil {
			return nil, fmt.Errorf("collector: %w", err)
		}
	}
	if opts.Notifications != nil && d.coll == nil {
		// A notification triggers a poll, and a central polls nothing.
		return nil, errors.New("--snmp.trap-listen-address and --observations do not go together: a central polls nothing, so a notification cannot trigger a poll; send each device's notifications to the collector that polls it, which receives them with vigie collect --snmp.trap-listen-address ADDR (docs/distributed.md)")
	}
	if opts.Notifications != nil {
		if d.notify, err = opts.Notifications.View(inv, d.coll.PollNow); err != nil {
			return nil, err
		}
		// The receiver's counters outlive this daemon: each registers them.
		for _, c := range opts.Notifications.Collectors() {
			if err := reg.Register(c); err != nil {
				return nil, fmt.Errorf("registering the notification receiver's metrics: %w", err)
			}
		}
	}
	// Per-device series are kept from each poll and written as text by
	// /metrics after the registry's families (a million series:
	// docs/metrics-collector.md); the topology's per-site families follow,
	// rendered from its last analysis (docs/resilience.md).
	d.expo, err = exposition.New(inv, d.topo, exposition.Options{InterfaceMetrics: opts.InterfaceMetrics, Registerer: reg})
	if err != nil {
		return nil, err
	}
	if inv.BGP.LocalAS != 0 && len(inv.BGP.Peers) > 0 {
		bopts := bgp.DefaultOptions()
		if inv.BGP.RouteSettle > 0 {
			bopts.RouteSettle = inv.BGP.RouteSettle
		}
		bopts.OnEvent = d.onBGPEvent
		// Site routing verdicts correct the topology's reachability.
		bopts.OnRouting = d.onRouting
		// Interconnect verdicts (session, expected prefixes in the VRF)
		// decide with the attachment whether an interconnect is up.
		bopts.OnInterconnects = d.onInterconnects
		bopts.Logger, bopts.Registerer = d.log.With("component", "bgp"), reg
		d.bgp, err = newBGPMonitor(inv, opts, bopts)
		if err != nil {
			return nil, fmt.Errorf("bgp: %w", err)
		}
		// The port prev listens on is prev's until it stops.
		if prev == nil || prev.bgp == nil || prev.inv.BGP.ListenPort != inv.BGP.ListenPort {
			if err := d.bgp.CheckListen(); err != nil {
				return nil, err
			}
		}
		d.bgpDevices = make(map[string]bool, len(inv.BGP.Peers))
		for _, p := range inv.BGP.Peers {
			d.bgpDevices[p.Device] = true
		}
	}

	listen := opts.ListenAddresses
	if len(listen) == 0 && inv.Agent.Listen != "" {
		listen = []string{inv.Agent.Listen}
	}
	var prevListeners *web.Listeners
	if prev != nil {
		prevListeners = prev.listeners
	}
	if d.listeners, err = web.Listen(listen, prevListeners); err != nil {
		return nil, err
	}
	d.web, err = web.New(web.Options{
		ListenAddresses: listen,
		Listeners:       d.listeners,
		ConfigFile:      opts.WebConfigFile,
		Gatherer:        reg,
		Registerer:      reg,
		Text:            []web.TextWriter{d.expo},
		API:             d.expo.APIHandler(),
		Extra:           opts.Extra,
		Ready:           func() bool { return d.topo.Analysis() != nil },
		Version:         opts.Version,
		EnablePprof:     opts.EnablePprof,
		Logger:          d.log.With("component", "web"),
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// onPoll hands each poll to the exposition (which keeps its series) and the
// topology (Apply only queues it) and, for a router vigie peers with,
// compares its BGP4-MIB table with the monitor's sessions: a discrepancy
// becomes an event of the monitor.
func (d *Daemon) onPoll(p *snmp.Poll, st *snmp.DeviceState) {
	d.expo.Poll(p, st)
	d.topo.Apply(p)
	if d.bgp != nil && p.Err == nil && p.BGPPeers != nil && d.bgpDevices[p.Device] {
		d.bgp.Reconcile(p.Device, p.Start, routerPeers(p.BGPPeers))
	}
}

// onCollector makes the devices of a lost collector unobserved; they are
// observed again with their next poll.
func (d *Daemon) onCollector(name string, up bool) {
	if !up {
		d.bgpCollectorLost(name)
	}
	if up {
		d.log.Info("collector heard again: its devices are observed again with their next poll", "collector", name)
		return
	}
	var devs []string
	for i := range d.inv.Devices {
		if d.inv.CollectorOf(&d.inv.Devices[i]) == name {
			devs = append(devs, d.inv.Devices[i].Name)
		}
	}
	d.log.Warn("collector lost: no heartbeat for two periods; its devices are unobserved", "collector", name, "devices", len(devs))
	d.topo.Unobserve("collector:"+name, devs, time.Now())
}

// onPartition hands the topology what a partitioned collector's replay
// showed: its sites' unobserved intervals of the cut are rewritten.
func (d *Daemon) onPartition(collector string, from, to time.Time, alive []string) {
	d.topo.Partitioned("collector:"+collector, alive, from, to)
}

// onBGPEvent records the monitor's events (sessions, default route,
// max-prefix trips, discrepancies) in the topology's change log.
func (d *Daemon) onBGPEvent(e bgp.Event) {
	subject := e.Device
	if e.Peer.IsValid() {
		subject += "/" + e.Peer.String()
	}
	d.topo.Record(topology.Event{Time: e.Time, Kind: topology.EventKind("bgp_" + string(e.Kind)),
		Subject: subject, Detail: e.Detail})
	d.internetVerdict()
}

// onRouting hands the site verdicts to the topology, and the internet
// verdict with them: the PFAI routes become known (or unknown) with the
// sessions that carry them, which is when site verdicts change too.
func (d *Daemon) onRouting(rs []bgp.SiteRouting) {
	if at := d.viewAt.Load(); at != 0 {
		d.topo.RecordRoutingAt(rs, time.Unix(0, at)) // a collector's View (bgpremote.go)
	} else {
		d.topo.RecordRouting(rs)
	}
	d.internetVerdict()
}

// onInterconnects hands BGP's interconnect verdicts to the topology,
// dated as onRouting's.
func (d *Daemon) onInterconnects(rs []bgp.InterconnectRouting) {
	if at := d.viewAt.Load(); at != 0 {
		d.topo.RecordInterconnectsAt(rs, time.Unix(0, at))
		return
	}
	d.topo.RecordInterconnects(rs)
}

// internetVerdict tells the topology whether BGP says the RIE has lost the
// internet (no PFAI default route left), when that changes: the sites cut
// off with it are then explained by it (docs/resilience.md).
func (d *Daemon) internetVerdict() {
	lost := bgp.InternetLost(d.bgp.PFAIRoutes())
	v := int32(1)
	if lost {
		v = 2
	}
	if d.internetLost.Swap(v) != v {
		d.topo.RecordInternetLoss(lost)
	}
}

// Registry returns the registry /metrics serves (tests gather from it).
func (d *Daemon) Registry() *prometheus.Registry { return d.registry }

// Topology returns the live topology.
func (d *Daemon) Topology() *topology.Topology { return d.topo }

// Collector returns the SNMP collector (nil for a central fed by a Source).
func (d *Daemon) Collector() *collector.Collector { return d.coll }

// Handler returns the HTTP routes, for tests.
func (d *Daemon) Handler() http.Handler { return d.web.Handler() }

// Run starts every component and blocks until ctx is cancelled or one of
// them fails; then it stops the others, lets in-flight polls and store
// writes finish, and closes the store. A daemon built by Next first waits
// for the one it replaces to stop, and takes its state over. Run may be
// called once.
func (d *Daemon) Run(ctx context.Context) error {
	defer close(d.done)
	if !d.takeOver(ctx) {
		d.Close()
		return nil
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	start := func(name string, run func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(ctx); err != nil && !errors.Is(err, context.Canceled) {
				err = fmt.Errorf("%s: %w", name, err)
				errs <- err
				cancel(err)
			}
		}()
	}
	if limit, why := d.memoryLimit(); limit > 0 {
		prev := debug.SetMemoryLimit(limit)
		defer debug.SetMemoryLimit(prev)
		d.log.Info("Go memory limit set", "bytes", limit, "why", why)
	}
	if d.notify != nil {
		d.opts.Notifications.Use(d.notify)
	}
	start("topology", d.topo.Run)
	if d.coll != nil {
		start("collector", d.coll.Run)
	} else {
		if ps, ok := d.opts.Source.(PartitionSource); ok {
			ps.OnPartition(d.onPartition)
		}
		if bs, ok := d.opts.Source.(BGPSource); ok {
			bs.OnBGP(d.onBGPView)
		}
		if ws, ok := d.opts.Source.(WitnessSource); ok {
			ws.OnWitness(d.onWitness) // witness.go
		}
		start("observations", func(ctx context.Context) error { return d.opts.Source.Run(ctx, d.onPoll, d.onCollector) })
	}
	if d.bgp != nil {
		start("bgp", d.bgp.Run)
	}
	start("web", d.web.Run)
	d.log.Info("vigie started", "devices", len(d.inv.Devices), "sites", len(d.inv.Sites),
		"bgp_peers", len(d.inv.BGP.Peers), "store", d.storePath())
	<-ctx.Done()
	stopped := time.Now()
	wg.Wait()
	d.close()
	d.log.Info("vigie stopped", "shutdown_seconds", time.Since(stopped).Seconds())
	close(errs)
	return <-errs // nil unless a component failed
}

// memoryLimit is the soft memory limit Run sets (0: none, GOMEMLIMIT wins).
func (d *Daemon) memoryLimit() (int64, string) {
	switch {
	case os.Getenv("GOMEMLIMIT") != "":
		return 0, ""
	case d.opts.MemoryLimit < 0:
		return 0, ""
	case d.opts.MemoryLimit > 0:
		return d.opts.MemoryLimit, "--memory.limit"
	}
	return DefaultMemoryLimit, "default: a guard, the full RIE stays far below it (--memory.limit)"
}

func (d *Daemon) storePath() string {
	if d.store == nil {
		return "(memory)"
	}
	return d.store.Path()
}

// takeOver waits for the daemon d replaces to stop and carries its
// topology's state over; false if ctx ended first.
func (d *Daemon) takeOver(ctx context.Context) bool {
	if d.prev == nil {
		return true
	}
	select {
	case <-d.prev.done:
	case <-ctx.Done():
		return false
	}
	if d.adopt {
		d.topo.Adopt(d.prev.topo)
	}
	d.adoptBGP(d.prev)
	d.prev = nil // let it be collected
	return true
}

// Close releases what a daemon that will not Run holds: its SNMP sockets,
// and its store and listen sockets unless a running daemon shares them.
// Run closes them itself.
func (d *Daemon) Close() {
	if d.coll != nil {
		_ = d.coll.Close()
	}
	d.close()
}

func (d *Daemon) close() {
	d.closeOnce.Do(func() {
		if d.store != nil {
			if err := d.store.release(); err != nil {
				d.log.Error("closing the store", "err", err)
			}
		}
		if err := d.listeners.Close(); err != nil {
			d.log.Warn("closing the listen sockets", "err", err)
		}
	})
}

func buildInfo(version string) prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "vigie_build_info",
		Help: "vigie's version and the Go version it was built with; always 1.",
	}, []string{"version", "goversion"})
	g.WithLabelValues(version, runtime.Version()).Set(1)
	return g
}
