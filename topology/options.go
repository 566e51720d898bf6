package topology

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/topology/store"
)

// Options tunes the live topology. Zero values take the defaults documented
// per field (see DefaultOptions).
type Options struct {
	// Store persists the topology and its events; nil keeps them in memory
	// only. The caller opens it (store.Open) and closes it after Run returns.
	Store *store.Store
	// NoRestore leaves the state in Store unread: the caller hands the
	// state over with Adopt (a reload that keeps the same store).
	NoRestore bool
	// Distributed says that regional collectors poll the devices
	// (docs/distributed.md): devices and sites may then be unobserved
	// (unobserved.go), a state a single box never shows.
	Distributed bool
	// UnreachableAfter is how many consecutive failed polls mark a device
	// unreachable (default 2): one lost UDP exchange must not fail every
	// link of an aggregation router and page for 300 sites.
	UnreachableAfter int
	// LLDPMissLimit is how many LLDP polls of a declared link's ends, while
	// the link is not down, may miss it before the disagreement
	// "declared_not_seen" is raised (default 3).
	LLDPMissLimit int
	// Debounce is the shortest time between two resilience analyses
	// (default 1 s): a flapping link costs at most one analysis per Debounce.
	Debounce time.Duration
	// FlushInterval and FlushChanges say when staged changes are committed
	// to the store: every FlushInterval (default 1 s) or as soon as
	// FlushChanges are staged (default 1,000), whichever comes first.
	FlushInterval time.Duration
	FlushChanges  int
	// QueueSize is the capacity of Apply's queue (default 4,096 polls);
	// Apply blocks when it is full, which slows the pollers down instead of
	// losing observations.
	QueueSize int
	// MaxEvents bounds the in-memory event history served by the API
	// (default 10,000); the store keeps the longer history.
	MaxEvents int
	// MaxWhatIf bounds concurrent what-if computations (default 2); more
	// get 429 Too Many Requests.
	MaxWhatIf int
	// MaxWhatIfFailures bounds the failures in one what-if request
	// (default 1,000).
	MaxWhatIfFailures int
	// MaxNeighbors bounds the LLDP neighbours the inventory does not
	// declare that one device's table may add to the model (observed links,
	// and the nodes only they name), default 1,024. Neighbours already held
	// are kept first; the extra ones are left out and counted. Declared
	// links are never bounded. 1,024 is above the largest real LLDP table
	// (a fully loaded modular switch has a few hundred ports, an
	// aggregation router faces about 300 sites) and far below a flood.
	MaxNeighbors int
	// MaxDeviceEvents bounds the events a minute that one device's LLDP
	// may add to the history and the store (default 600): neighbours new
	// and lost, and the disagreements and state changes of its observed
	// links. It is a token bucket, so a burst of MaxDeviceEvents (a switch
	// rebooted with a few hundred undeclared neighbours) passes whole.
	// Events of declared links and of the device itself are never bounded.
	MaxDeviceEvents int
	// Now is the clock (default time.Now); tests set it.
	Now func() time.Time
	// Logger receives the topology's lines (nil: discard).
	Logger *slog.Logger
	// Registerer receives the topology's own instrumentation (nil: not
	// registered); its per-site families are the exposition's.
	Registerer prometheus.Registerer
}

// DefaultOptions returns the production defaults, which New gives the zero
// fields of its Options.
func DefaultOptions() Options {
	return Options{
		UnreachableAfter:  2,
		LLDPMissLimit:     3,
		Debounce:          time.Second,
		FlushInterval:     time.Second,
		FlushChanges:      1000,
		QueueSize:         4096,
		MaxEvents:         10_000,
		MaxWhatIf:         2,
		MaxWhatIfFailures: 1000,
		MaxNeighbors:      1024,
		MaxDeviceEvents:   600,
		Now:               time.Now,
	}
}

// setDefaults fills the zero fields of o from DefaultOptions; negative
// values take the default too, as they always have.
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.UnreachableAfter <= 0 {
		o.UnreachableAfter = d.UnreachableAfter
	}
	if o.LLDPMissLimit <= 0 {
		o.LLDPMissLimit = d.LLDPMissLimit
	}
	if o.Debounce <= 0 {
		o.Debounce = d.Debounce
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = d.FlushInterval
	}
	if o.FlushChanges <= 0 {
		o.FlushChanges = d.FlushChanges
	}
	if o.QueueSize <= 0 {
		o.QueueSize = d.QueueSize
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = d.MaxEvents
	}
	if o.MaxWhatIf <= 0 {
		o.MaxWhatIf = d.MaxWhatIf
	}
	if o.MaxWhatIfFailures <= 0 {
		o.MaxWhatIfFailures = d.MaxWhatIfFailures
	}
	if o.MaxNeighbors <= 0 {
		o.MaxNeighbors = d.MaxNeighbors
	}
	if o.MaxDeviceEvents <= 0 {
		o.MaxDeviceEvents = d.MaxDeviceEvents
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}
