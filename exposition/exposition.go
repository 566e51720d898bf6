package exposition

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

// InterfaceLevel says which interfaces of a device get per-interface
// series: the knob that bounds the series count of big routers.
type InterfaceLevel string

// Interface metric levels.
const (
	InterfacesAll  InterfaceLevel = "all"  // every interface (default)
	InterfacesUp   InterfaceLevel = "up"   // only interfaces administratively up
	InterfacesNone InterfaceLevel = "none" // no per-interface series
)

// Options tunes the exposition. Zero fields take DefaultOptions' values.
type Options struct {
	// InterfaceMetrics sets the per-interface series level per role
	// (default InterfacesAll; a role missing from the map takes it too).
	InterfaceMetrics map[inventory.Role]InterfaceLevel
	// Registerer, when not nil, has the names of the families written as
	// text reserved in it, and the topology's collector registered.
	Registerer prometheus.Registerer
}

// DefaultOptions returns the production defaults, which New gives the zero
// fields of its Options: every interface of every role.
func DefaultOptions() Options {
	levels := make(map[inventory.Role]InterfaceLevel, len(inventory.Roles))
	for _, r := range inventory.Roles {
		levels[r] = InterfacesAll
	}
	return Options{InterfaceMetrics: levels}
}

// setDefaults fills the zero fields of o from DefaultOptions, per role for
// InterfaceMetrics, in a copy: the caller's map is left as it was.
func (o *Options) setDefaults() {
	d := DefaultOptions()
	given := o.InterfaceMetrics
	o.InterfaceMetrics = d.InterfaceMetrics
	for r, l := range given {
		if l != "" {
			o.InterfaceMetrics[r] = l
		}
	}
}

// Exposition renders what vigie exports: per-device series from the polls
// it is handed, then the topology's families, and the API's JSON.
//
// Per device it keeps the series of the last poll as 16-byte samples (a
// pointer to a label made once and shared by every poll, and the value)
// and writes names, labels and values at scrape time: the full RIE's 1.16M
// per-device series hold about 50 MB with their labels, where their text
// rendered at poll time and their label sets held about 280 MB.
type Exposition struct {
	topo    *topology.Topology
	byName  map[string]*device
	sorted  []*device // by name, the order /metrics writes them in
	scratch sync.Pool // *scratch, one per poll being published
	places  places
	// windows are the inventory's planned works (maintenance.go), rendered
	// as of now() at each scrape.
	windows []window
	now     func() time.Time
}

// New prepares the exposition of inv's devices and of topo (nil: per-device
// families only, for tests and benchmarks), and registers them on
// opts.Registerer.
func New(inv *inventory.Inventory, topo *topology.Topology, opts Options) (*Exposition, error) {
	opts.setDefaults()
	e := &Exposition{topo: topo, byName: make(map[string]*device, len(inv.Devices)), places: places{inv: inv}, now: time.Now}
	if topo != nil {
		e.places.accessIDs = topo.AccessIDs()
	}
	e.scratch.New = func() any { return new(scratch) }
	var err error
	if e.windows, err = maintenanceWindows(inv, e.now()); err != nil {
		return nil, err
	}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		if _, dup := e.byName[d.Name]; dup {
			return nil, fmt.Errorf("exposition: device %q appears twice in the inventory", d.Name)
		}
		level := opts.InterfaceMetrics[d.Role]
		switch level {
		case "": // a role outside inventory.Roles, in a hand-built inventory
			level = InterfacesAll
		case InterfacesAll, InterfacesUp, InterfacesNone:
		default:
			return nil, fmt.Errorf("exposition: interface metrics level %q for role %s: want all, up or none (--collector.interface-metrics)", level, d.Role)
		}
		dev := newDevice(d, inv.DeviceRegion(d), level)
		e.byName[d.Name] = dev
		e.sorted = append(e.sorted, dev)
	}
	slices.SortFunc(e.sorted, func(a, b *device) int { return strings.Compare(a.inv.Name, b.inv.Name) })
	if opts.Registerer != nil {
		if err := e.register(opts.Registerer); err != nil {
			return nil, err
		}
	}
	return e, nil
}

// Poll takes a device's completed poll and st, the device's state after
// it (reboots, counter discontinuities, monotonic totals). It must be called
// from the poll's goroutine, in order for one device, before the device's
// next poll starts (collector.Options.OnPoll): st is read, not copied.
// A poll of a device not in the inventory is ignored.
func (e *Exposition) Poll(p *snmp.Poll, st *snmp.DeviceState) {
	d := e.byName[p.Device]
	if d == nil {
		return
	}
	if p.Err != nil {
		d.countError(p.Reason)
	}
	for _, pr := range p.Problems {
		d.countError(pr.Reason)
	}
	out := e.scratch.Get().(*scratch)
	d.walk(p, st, out)
	d.publish(out)
	e.scratch.Put(out)
}

// guard stands in the registry for the families written as text: it
// describes them, so that no other collector can register a family of the
// same name, and collects nothing.
type guard struct{}

// Describe implements prometheus.Collector.
func (guard) Describe(ch chan<- *prometheus.Desc) {
	for _, fs := range [][]*Family{deviceFamilies[:], maintenanceFamilies} {
		for _, f := range fs {
			ch <- f.desc
		}
	}
	for _, f := range placeFamilies {
		ch <- f.desc
	}
}

// Collect implements prometheus.Collector: the series are in WriteText.
func (guard) Collect(chan<- prometheus.Metric) {}

// register reserves in reg the names of every family written as text, and
// registers the topology's collector.
func (e *Exposition) register(reg prometheus.Registerer) error {
	if err := reg.Register(guard{}); err != nil {
		return fmt.Errorf("exposition: reserve the per-device family names: %w", err)
	}
	if e.topo != nil {
		if err := reg.Register(newTopologyCollector(e.topo)); err != nil {
			reg.Unregister(guard{})
			return fmt.Errorf("exposition: register the topology's metrics: %w", err)
		}
	}
	return nil
}

// APIHandler serves /api/v1.
func (e *Exposition) APIHandler() http.Handler {
	if e.topo == nil {
		return http.NotFoundHandler()
	}
	return newAPI(e.topo)
}

// heldSnapshot is a device's snapshot a scrape is writing out.
type heldSnapshot struct {
	d *device
	s *snapshot
}

var heldPool = sync.Pool{New: func() any { return new([]heldSnapshot) }}

// WriteText writes the per-device families in the Prometheus text format
// 0.0.4 (web.TextWriter): for each family with at least one series, its
// HELP and TYPE lines then every device's series, devices in name order,
// each device's from one poll; then the inventory's places (places.go);
// then the topology's families. It stops at
// the first write error (a client gone away) and returns it.
func (e *Exposition) WriteText(w io.Writer) error {
	hp := heldPool.Get().(*[]heldSnapshot)
	held := (*hp)[:0]
	defer func() {
		for _, h := range held {
			h.d.release(h.s)
		}
		clear(held)
		*hp = held[:0]
		heldPool.Put(hp)
	}()
	var present [numDeviceFamilies]bool
	for _, d := range e.sorted {
		s := d.hold()
		if s == nil {
			continue
		}
		held = append(held, heldSnapshot{d, s})
		for f := range present {
			if len(s.family(f)) > 0 {
				present[f] = true
			}
		}
	}
	tw := newTextWriter(w)
	var around [numDeviceFamilies]bool
	for f, fam := range deviceFamilies {
		around[f] = aroundDevice(fam)
	}
	for f, fam := range deviceFamilies {
		if !present[f] {
			continue
		}
		tw.header(fam)
		for _, h := range held {
			prefix, suffix := h.d.prefix, h.d.suffix
			if !around[f] {
				prefix, suffix = "", ""
			}
			if f == famIfInfo {
				// Written from the interface's label: see label.
				for _, smp := range h.s.family(f) {
					tw.series(fam, 1, h.d.inv.Name, smp.l.key, smp.l.info.alias, smp.l.info.descr)
				}
			} else {
				for _, smp := range h.s.family(f) {
					tw.sample(fam, prefix, smp.l.mid, suffix, smp.v)
				}
			}
			if tw.err != nil {
				return tw.err
			}
		}
	}
	e.places.write(tw)
	writeMaintenance(tw, e.windows, e.now())
	if err := tw.flush(); err != nil {
		return err
	}
	if e.topo == nil {
		return nil
	}
	return writeTopology(w, e.topo)
}

// sample writes one line whose labels are already text, in three pieces.
func (tw *textWriter) sample(f *Family, prefix, mid, suffix string, v float64) {
	b := append(tw.buf, f.Name...)
	b = append(b, prefix...)
	b = append(b, mid...)
	b = append(b, suffix...)
	b = appendValue(b, v)
	tw.buf = append(b, '\n')
	tw.maybeFlush()
}
