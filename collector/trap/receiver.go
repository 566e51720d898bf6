// Package trap receives SNMP notifications (traps and informs, v1/v2c
// with the inventory's communities, v3 USM with its users) from the
// inventory's devices, and asks the collector to poll the device at once
// (collector.PollNow), so that a link down or a reboot shows in the
// topology and /metrics within seconds instead of at the next poll.
//
// The packet path is vigie's own loop over gosnmp's decoder rather than
// gosnmp's TrapListener: the listener's read loop has no recover around
// the decoder (gosnmp has had panics on malformed packets), accepts any
// community, knows one v3 user (or a table keyed by user name only, not by
// source), decodes before any rate limit, and owns its socket, which a
// reload would then close. Here the source address is checked first
// (against the inventory's device addresses; an SNMPv1 agent-addr is
// never trusted), then a token bucket per source, then the credentials of
// that device's profile only, and every decode runs under recover.
package trap

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// DefaultEngineID is the SNMPv3 engine ID vigie answers engine discovery
// with (RFC 3411 format 4, text): devices sending v3 informs localise
// their keys with it (Cisco: `snmp-server engineID remote ADDR ID`).
const DefaultEngineID = "\x80\x00\x00\x00\x04vigie"

// Options configures a Receiver. Zero fields take DefaultOptions' values.
type Options struct {
	// Listen is the UDP address to receive on, such as ":162" (which
	// needs root or CAP_NET_BIND_SERVICE) or "127.0.0.1:9162". Required.
	Listen string
	// EngineID is the local SNMPv3 engine ID, 5 to 32 octets (default
	// DefaultEngineID).
	EngineID []byte
	// Rate and Burst are the token bucket of each source: notifications
	// per second kept on average, and at once (default 5 and 50: a line
	// card lost sends a linkDown per port at once).
	Rate  float64
	Burst float64
	// LogEvery is how often a dropped notification of the same kind from
	// the same source is logged again (default 10 min); unknown sources
	// share one line.
	LogEvery time.Duration
	// Logger receives the receiver's lines (nil: discard).
	Logger *slog.Logger
	// Registerer receives the vigie_snmp_notification* metrics (nil: not
	// registered; Collectors returns them to register elsewhere).
	Registerer prometheus.Registerer
}

// DefaultOptions returns the production defaults; Listen has none.
func DefaultOptions() Options {
	return Options{EngineID: []byte(DefaultEngineID), Rate: 5, Burst: 50, LogEvery: 10 * time.Minute}
}

func (o *Options) setDefaults() {
	d := DefaultOptions()
	if len(o.EngineID) == 0 {
		o.EngineID = d.EngineID
	}
	if o.Rate <= 0 {
		o.Rate = d.Rate
	}
	if o.Burst < 1 {
		o.Burst = d.Burst
	}
	if o.LogEvery <= 0 {
		o.LogEvery = d.LogEvery
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Receiver receives notifications on one UDP socket for the life of the
// process; Use points it at each configuration's inventory and collector
// in turn (a reload keeps the socket).
type Receiver struct {
	opts  Options
	log   *slog.Logger
	conn  *net.UDPConn
	cfg   atomic.Pointer[config]
	m     *metrics
	start time.Time
	// send answers informs and discovery (a test or the fuzz target
	// replaces it).
	send func(b []byte, to netip.AddrPort) error

	// Owned by the read loop.
	logged map[logKey]time.Time

	running atomic.Bool
}

type logKey struct {
	src    netip.Addr // zero for every unknown source
	result string
}

// config is one configuration's view: the devices by source address and
// the poll entry point of its collector.
type config struct {
	sources map[netip.Addr]*source
	poll    func(device string) collector.Trigger
}

// source is one known device, as a sender of notifications.
type source struct {
	device    string
	version   inventory.SNMPVersion
	community []byte
	// v3: the user and its lowest acceptable security level, and a
	// decoder holding the user's passphrases (keys are localised per
	// engine ID by gosnmp, which caches them).
	user  string
	level gosnmp.SnmpV3MsgFlags
	v3    *gosnmp.GoSNMP
	// bucket is owned by the read loop.
	bucket bucket
}

// New binds the listen address now (so that a taken or privileged port is
// reported at start, clearly) and returns a receiver that drops everything
// until Use gives it a View.
func New(opts Options) (*Receiver, error) {
	opts.setDefaults()
	if opts.Listen == "" {
		return nil, errors.New("snmp notifications: no listen address")
	}
	if n := len(opts.EngineID); n < 5 || n > 32 {
		return nil, fmt.Errorf("snmp notifications: engine ID of %d octets: want 5 to 32 (RFC 3411)", n)
	}
	addr, err := net.ResolveUDPAddr("udp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("snmp notifications: listen address %q: %w (want host:port, such as :162 or 127.0.0.1:9162)", opts.Listen, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		hint := "is another trap receiver (snmptrapd) running?"
		if addr.Port < 1024 {
			hint = "ports below 1024 need root or CAP_NET_BIND_SERVICE (setcap cap_net_bind_service=+ep vigie, or AmbientCapabilities= in the systemd unit); or is snmptrapd running?"
		}
		return nil, fmt.Errorf("snmp notifications: listen on %s: %w (%s)", opts.Listen, err, hint)
	}
	// Bursts arrive together (a PoP reboot): let the kernel hold them.
	_ = conn.SetReadBuffer(4 << 20)
	r := &Receiver{opts: opts, log: opts.Logger, conn: conn, m: newMetrics(), start: time.Now(),
		logged: map[logKey]time.Time{}}
	r.send = func(b []byte, to netip.AddrPort) error {
		_, err := r.conn.WriteToUDPAddrPort(b, to)
		return err
	}
	if opts.Registerer != nil {
		for _, c := range r.m.collectors() {
			if err := opts.Registerer.Register(c); err != nil {
				conn.Close()
				return nil, fmt.Errorf("snmp notifications: register metrics: %w", err)
			}
		}
	}
	return r, nil
}

// Addr is the address the receiver listens on.
func (r *Receiver) Addr() netip.AddrPort {
	return r.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Collectors returns the receiver's metrics, for a registry that outlives
// none of them (each daemon's, on reload).
func (r *Receiver) Collectors() []prometheus.Collector { return r.m.collectors() }

// View is what the receiver needs of one configuration: the devices by
// source address, with their credentials, and the poll entry point of its
// collector. Build it with View while the configuration is being checked,
// make it current with Use when it runs.
type View struct{ cfg *config }

// View prepares the receiver's view of inv's devices, with their
// profiles' credentials, handing accepted notifications to poll.
func (r *Receiver) View(inv *inventory.Inventory, poll func(device string) collector.Trigger) (*View, error) {
	cfg := &config{sources: make(map[netip.Addr]*source, len(inv.Devices)), poll: poll}
	for i := range inv.Devices {
		d := &inv.Devices[i]
		t, err := snmp.NewTarget(d, inv.Profile(d.Profile), inv.Polling)
		if err != nil {
			return nil, fmt.Errorf("snmp notifications: %w", err)
		}
		a := d.Address.Addr().Unmap()
		if prev, dup := cfg.sources[a]; dup {
			r.log.Warn("two devices share a management address: notifications from it are taken as the first's",
				"address", a, "device", prev.device, "also", d.Name)
			continue
		}
		s := &source{device: d.Name, version: t.Version}
		switch t.Version {
		case inventory.SNMPv2c:
			s.community = []byte(t.Community.Value())
		case inventory.SNMPv3:
			s.user, s.level = t.User, gosnmp.AuthPriv
			if t.PrivProtocol == gosnmp.NoPriv {
				s.level = gosnmp.AuthNoPriv
			}
			s.v3 = &gosnmp.GoSNMP{Version: gosnmp.Version3, SecurityModel: gosnmp.UserSecurityModel, MsgFlags: s.level,
				SecurityParameters: &gosnmp.UsmSecurityParameters{UserName: t.User,
					AuthenticationProtocol: t.AuthProtocol, AuthenticationPassphrase: t.AuthPassword.Value(),
					PrivacyProtocol: t.PrivProtocol, PrivacyPassphrase: t.PrivPassword.Value()}}
		}
		cfg.sources[a] = s
	}
	return &View{cfg: cfg}, nil
}

// Use makes v the receiver's view: from now on notifications are checked
// against its devices and credentials and polls asked of its collector
// (at start, and when a reloaded configuration takes over). Per-source
// rate state starts afresh.
func (r *Receiver) Use(v *View) { r.cfg.Store(v.cfg) }

// Run receives until ctx is cancelled, then closes the socket. Nothing a
// packet holds stops it: every outcome is counted.
func (r *Receiver) Run(ctx context.Context) error {
	if !r.running.CompareAndSwap(false, true) {
		return errors.New("snmp notifications: Run called twice")
	}
	stop := context.AfterFunc(ctx, func() { r.conn.Close() })
	defer stop()
	r.log.Info("receiving SNMP notifications", "address", r.Addr(), "engine_id", fmt.Sprintf("%x", r.opts.EngineID))
	buf := make([]byte, 65536)
	for {
		n, from, err := r.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				r.conn.Close()
				return nil
			}
			// A transient error (ICMP feedback on some systems): go on,
			// after a pause so that a persistent one cannot spin.
			r.log.Warn("reading SNMP notifications", "err", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		r.handle(buf[:n], from, time.Now())
	}
}

// Close releases the socket of a receiver that will not Run (start-up
// refused later on).
func (r *Receiver) Close() error { return r.conn.Close() }
