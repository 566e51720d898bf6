package collector

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/internal/textformat"
)

// The per-device families, in the order the text exposition writes them.
const (
	famUp = iota
	famDuration
	famLastSuccess
	famUptime
	famReboots
	famDiscontinuities
	famErrors
	famLLDP
	famInfo
	famIfOper
	famIfAdmin
	famIfSpeed
	famIfRx
	famIfTx
	famIfRxErr
	famIfTxErr
	famIfRxDrop
	famIfTxDrop
	famBGPState
	famBGPUp
	famBGPTransitions
	numFamilies
)

// family is one per-device metric family: its name, HELP, label names and
// type. Both expositions (registry and text) are built from this table.
type family struct {
	name, help string
	labels     []string
	counter    bool
}

// families is a fixed table (never mutated), indexed by the fam constants.
var families = [numFamilies]family{
	famUp:              {"vigie_device_up", "1 if the last poll got the device's system group, else 0.", devLabelNames, false},
	famDuration:        {"vigie_device_poll_duration_seconds", "Wall time of the device's last poll.", devLabelNames, false},
	famLastSuccess:     {"vigie_device_last_poll_success_timestamp_seconds", "Unix time of the end of the last successful poll.", devLabelNames, false},
	famUptime:          {"vigie_device_uptime_seconds", "sysUpTime at the last successful poll.", devLabelNames, false},
	famReboots:         {"vigie_device_reboots_total", "Reboots seen (sysUpTime going back) since vigie started.", devLabelNames, true},
	famDiscontinuities: {"vigie_device_counters_discontinuities_total", "Interfaces whose counters were found discontinuous (a decrease no wrap explains, or a new ifCounterDiscontinuityTime), outside reboots; nothing was added to their totals for that poll.", devLabelNames, true},
	famErrors:          {"vigie_device_poll_errors_total", "Poll failures and contained table problems of the device, by reason.", errLabelNames, true},
	famLLDP:            {"vigie_device_lldp_neighbors", "LLDP neighbours in the last poll.", devLabelNames, false},
	famInfo:            {"vigie_device_info", "Inventory placement of the device and its sysName; always 1.", infoLabelNames, false},

	famIfOper:   {"vigie_interface_oper_up", "1 if ifOperStatus is up(1).", ifLabelNames, false},
	famIfAdmin:  {"vigie_interface_admin_up", "1 if ifAdminStatus is up(1).", ifLabelNames, false},
	famIfSpeed:  {"vigie_interface_speed_bytes", "ifHighSpeed in bytes per second.", ifLabelNames, false},
	famIfRx:     {"vigie_interface_receive_bytes_total", "Bytes received (ifHCInOctets, made monotonic by vigie: a clear adds nothing).", ifLabelNames, true},
	famIfTx:     {"vigie_interface_transmit_bytes_total", "Bytes sent (ifHCOutOctets, made monotonic by vigie: a clear adds nothing).", ifLabelNames, true},
	famIfRxErr:  {"vigie_interface_receive_errors_total", "ifInErrors, made monotonic by vigie: wraps and reboots folded in, clears add nothing.", ifLabelNames, true},
	famIfTxErr:  {"vigie_interface_transmit_errors_total", "ifOutErrors, made monotonic by vigie: wraps and reboots folded in, clears add nothing.", ifLabelNames, true},
	famIfRxDrop: {"vigie_interface_receive_discards_total", "ifInDiscards, made monotonic by vigie: wraps and reboots folded in, clears add nothing.", ifLabelNames, true},
	famIfTxDrop: {"vigie_interface_transmit_discards_total", "ifOutDiscards, made monotonic by vigie: wraps and reboots folded in, clears add nothing.", ifLabelNames, true},

	famBGPState:       {"vigie_device_bgp_peer_state", "bgpPeerState: idle(1) connect(2) active(3) opensent(4) openconfirm(5) established(6).", bgpLabelNames, false},
	famBGPUp:          {"vigie_device_bgp_peer_up", "1 if the session is established.", bgpLabelNames, false},
	famBGPTransitions: {"vigie_device_bgp_peer_established_transitions_total", "bgpPeerFsmEstablishedTransitions as the device reports it.", bgpLabelNames, true},
}

func familyDescs() [numFamilies]*prometheus.Desc {
	var out [numFamilies]*prometheus.Desc
	for i, f := range families {
		out[i] = prometheus.NewDesc(f.name, f.help, f.labels, nil)
	}
	return out
}

// rendered is one device's last poll as text exposition: per family, the
// device's sample lines (possibly none), all in one buffer. readers counts
// the scrapes writing it out now; it is only rewritten when that is 0.
// Both fields are guarded by the deviceSeries' textMu.
type rendered struct {
	chunks  [numFamilies][]byte
	buf     []byte
	readers int
}

// exposition holds what the text path shares between devices: each
// family's HELP/TYPE header, rendered once, and a pool of scratch buffers
// for the polls rendering now (bounded by the number of workers).
type exposition struct {
	headers [numFamilies][]byte
	scratch sync.Pool // *[numFamilies][]byte
}

func newExposition() *exposition {
	e := &exposition{}
	for i, f := range families {
		typ := "gauge"
		if f.counter {
			typ = "counter"
		}
		e.headers[i] = textformat.Header(f.name, f.help, typ)
	}
	e.scratch.New = func() any { return new([numFamilies][]byte) }
	return e
}

// render makes the device's text chunks from its last poll and publishes
// them: scrapes see the previous rendering or this one, never a mix.
// Scratch buffers are shared between polls; the device's rendering is
// rewritten in place unless a scrape is writing it out, so a poll neither
// allocates nor touches fresh memory (a fresh 10 KB per poll cost 15% of
// the collector's CPU in page faults and GC at the full fleet).
func (s *deviceSeries) render(res *snmp.Poll, st *snmp.DeviceState, level InterfaceLevel) {
	bufs := s.m.expo.scratch.Get().(*[numFamilies][]byte)
	s.walk(res, st, level, func(fam int, v float64, l *labelSet) {
		b := append(bufs[fam], families[fam].name...)
		b = append(b, l.textLabels()...)
		b = textformat.AppendValue(b, v)
		bufs[fam] = append(b, '\n')
	})
	total := 0
	for _, b := range bufs {
		total += len(b)
	}
	s.textMu.Lock()
	r := s.text
	if r == nil || r.readers > 0 {
		// A scrape holds the current one: it keeps it, this poll gets its own.
		r = &rendered{}
		s.text = r
	}
	if cap(r.buf) < total {
		r.buf = make([]byte, 0, total+total/8) // room for counters' growing digits
	}
	all := r.buf[:0]
	for i, b := range bufs {
		n := len(all)
		all = append(all, b...)
		r.chunks[i] = all[n:len(all):len(all)]
		bufs[i] = b[:0]
	}
	r.buf = all
	s.textMu.Unlock()
	s.m.expo.scratch.Put(bufs)
}

// hold returns the device's rendering, marked as being read so that no poll
// rewrites it until release; nil if the device was never rendered.
func (s *deviceSeries) hold() *rendered {
	s.textMu.Lock()
	defer s.textMu.Unlock()
	if s.text != nil {
		s.text.readers++
	}
	return s.text
}

// release ends a hold of r.
func (s *deviceSeries) release(r *rendered) {
	s.textMu.Lock()
	r.readers--
	s.textMu.Unlock()
}

// textLabels returns `{name="value",...} ` with names sorted and values
// escaped as the text format wants (backslash, double quote, newline).
// Invalid UTF-8 is replaced by U+FFFD: the format requires UTF-8.
func (l *labelSet) textLabels() []byte {
	if l.text == nil {
		b := []byte{'{'}
		for j, i := range l.sortedIndexes() {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, l.names[i]...)
			b = append(b, '=', '"')
			b = textformat.AppendLabelValue(b, l.values[i])
			b = append(b, '"')
		}
		l.text = append(b, '}', ' ')
	}
	return l.text
}

// deviceGuard stands in the registry for the per-device families once they
// are exposed as text: it describes them, so that no other collector can
// register a family of the same name, and collects nothing.
type deviceGuard metrics

// Describe implements prometheus.Collector.
func (g *deviceGuard) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range g.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector: the series are in WriteText.
func (g *deviceGuard) Collect(chan<- prometheus.Metric) {}

// ExposeAsText switches the per-device families (vigie_device_*,
// vigie_interface_*) from reg to WriteText: each poll then renders its
// device's series as text exposition once, and a scrape copies bytes
// instead of gathering, sorting and encoding a million protobuf metrics.
// reg must be the Registerer given to New (nil if none was); the families'
// names stay reserved in it. Call it once, before Run.
func (c *Collector) ExposeAsText(reg prometheus.Registerer) error {
	if c.running.Load() {
		return errors.New("collector: ExposeAsText must be called before Run")
	}
	if reg != nil {
		if !reg.Unregister((*deviceCollector)(c.m)) {
			return errors.New("collector: ExposeAsText: the per-device families are not in this registry; pass the Registerer given to New")
		}
		if err := reg.Register((*deviceGuard)(c.m)); err != nil {
			return fmt.Errorf("collector: ExposeAsText: reserve the per-device names: %w", err)
		}
	}
	c.m.text.Store(true)
	return nil
}

// WriteText writes the per-device families in the Prometheus text format
// 0.0.4: for each family with at least one sample, its HELP and TYPE lines
// then every device's lines, devices in name order. Each device's lines
// come from one poll. It writes nothing unless ExposeAsText was called. It
// stops at the first write error (a client gone away) and returns it.
func (c *Collector) WriteText(w io.Writer) error {
	type held struct {
		s *deviceSeries
		r *rendered
	}
	snap := make([]held, 0, len(c.sorted))
	defer func() {
		for _, h := range snap {
			h.s.release(h.r)
		}
	}()
	var present [numFamilies]bool
	for _, d := range c.sorted {
		r := d.series.hold()
		if r == nil {
			continue
		}
		snap = append(snap, held{d.series, r})
		for f := range r.chunks {
			if len(r.chunks[f]) > 0 {
				present[f] = true
			}
		}
	}
	for f := range families {
		if !present[f] {
			continue
		}
		if _, err := w.Write(c.m.expo.headers[f]); err != nil {
			return fmt.Errorf("collector: writing metrics: %w", err)
		}
		for _, h := range snap {
			if ch := h.r.chunks[f]; len(ch) > 0 {
				if _, err := w.Write(ch); err != nil {
					return fmt.Errorf("collector: writing metrics: %w", err)
				}
			}
		}
	}
	return nil
}
