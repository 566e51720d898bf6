package bgp

import (
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vigie-rie/vigie/inventory"
)

// Options are the monitor's settings that are not part of the inventory:
// how it runs rather than whom it peers with. Zero fields take
// DefaultOptions' values.
type Options struct {
	// ListenAddresses are where vigie accepts sessions when the inventory
	// gives a ListenPort (default: 0.0.0.0 and ::).
	ListenAddresses []string
	// ConnectRetry is the wait between two attempts to open a session.
	ConnectRetry time.Duration
	// HoldTime is the BGP hold time offered (keepalives every third).
	HoldTime time.Duration
	// MaxVRFsPerPeer bounds the distinct route distinguishers counted per
	// peer; more are counted under vrf="other" so the label stays bounded.
	MaxVRFsPerPeer int
	// MaxPrefixWarnPercent makes GoBGP log a warning when a family reaches
	// this share of the peer's max-prefix limit (0 = no warning).
	MaxPrefixWarnPercent int
	// MaxPrefixRestart is how long a session torn down by its max-prefix
	// limit stays down before vigie opens it again (GoBGP alone would keep
	// it down until restarted). Negative: never reopen.
	MaxPrefixRestart time.Duration
	// OnEvent, when set, receives every event. It is called from the
	// monitor's single event goroutine (or GoBGP's, for max-prefix trips;
	// Run's, for PFAI events a settle time ends, one refresh at a time),
	// in order per peer, and must return quickly: hand the event to a
	// buffered channel if the work is slow.
	OnEvent func(Event)
	// RouteSettle is how long a session must have been established before
	// its silence about a prefix is trusted, when it sends no End-of-RIB
	// (default 60 s; End-of-RIB ends the wait earlier).
	RouteSettle time.Duration
	// OnRouting, when set, receives the sites whose routing verdict
	// changed, in batches, in order. It is called from the monitor's
	// goroutines one at a time and must return quickly.
	OnRouting func([]SiteRouting)
	// OnInterconnects, when set, receives every interconnect verdict
	// (interconnect.go) each time one changes, like OnRouting.
	OnInterconnects func([]InterconnectRouting)
	// Now is the clock (tests pin it); nil means time.Now.
	Now func() time.Time
	// Logger receives the monitor's and GoBGP's lines (nil: discard).
	Logger *slog.Logger
	// Registerer receives the monitor's metrics (nil: not registered).
	Registerer prometheus.Registerer
}

// DefaultOptions returns the settings used in production, which New gives
// the zero fields of its Options.
func DefaultOptions() Options {
	return Options{
		ListenAddresses:      []string{"0.0.0.0", "::"},
		ConnectRetry:         30 * time.Second,
		HoldTime:             90 * time.Second,
		MaxVRFsPerPeer:       256,
		MaxPrefixWarnPercent: 80,
		MaxPrefixRestart:     5 * time.Minute,
		RouteSettle:          time.Minute,
		Now:                  time.Now,
	}
}

// setDefaults fills the zero fields of o from DefaultOptions. Negative
// durations and bounds take the default too, as they always have, except
// MaxPrefixRestart, whose negative value means never reopen;
// MaxPrefixWarnPercent 0 means no warning, so it is left as given.
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if len(o.ListenAddresses) == 0 {
		o.ListenAddresses = d.ListenAddresses
	}
	if o.ConnectRetry <= 0 {
		o.ConnectRetry = d.ConnectRetry
	}
	if o.HoldTime <= 0 {
		o.HoldTime = d.HoldTime
	}
	if o.MaxVRFsPerPeer <= 0 {
		o.MaxVRFsPerPeer = d.MaxVRFsPerPeer
	}
	if o.MaxPrefixRestart == 0 {
		o.MaxPrefixRestart = d.MaxPrefixRestart
	}
	if o.RouteSettle <= 0 {
		o.RouteSettle = d.RouteSettle
	}
	if o.Now == nil {
		o.Now = d.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// validate checks the BGP section before anything is started, with errors
// that name the peer and say what to fix.
func validate(cfg inventory.BGP) error {
	if cfg.LocalAS == 0 {
		return fmt.Errorf("bgp: local_as is 0: set bgp.local_as to vigie's AS number to enable the route monitor")
	}
	if !cfg.RouterID.Is4() {
		return fmt.Errorf("bgp: router_id %q is not an IPv4 address: set bgp.router_id (BGP identifiers are 32-bit)", cfg.RouterID)
	}
	if cfg.ListenPort < 0 || cfg.ListenPort > 65535 {
		return fmt.Errorf("bgp: listen_port %d is out of range 0-65535", cfg.ListenPort)
	}
	seen := make(map[netip.Addr]bool, len(cfg.Peers))
	for i, p := range cfg.Peers {
		where := fmt.Sprintf("bgp: peer %d (line %d, device %q)", i+1, p.Line, p.Device)
		if !p.Address.IsValid() {
			return fmt.Errorf("%s: address is missing", where)
		}
		if seen[p.Address] {
			return fmt.Errorf("%s: address %s is declared twice; one session per router address", where, p.Address)
		}
		seen[p.Address] = true
		if p.RemoteAS == 0 {
			return fmt.Errorf("%s: remote_as is 0", where)
		}
		if p.Port < 0 || p.Port > 65535 {
			return fmt.Errorf("%s: port %d is out of range", where, p.Port)
		}
		if p.TTLSecurity < 0 || p.TTLSecurity > 254 {
			return fmt.Errorf("%s: ttl_security %d must be between 0 (off) and 254 hops", where, p.TTLSecurity)
		}
		if p.Passive && cfg.ListenPort == 0 {
			return fmt.Errorf("%s: passive session but bgp.listen_port is 0: the router could never connect; set a listen port or make the session active", where)
		}
		for _, f := range p.Families {
			if _, ok := familyByName[f]; !ok {
				return fmt.Errorf("%s: unknown family %q (want %s, %s, %s or %s)", where, f,
					inventory.FamilyIPv4Unicast, inventory.FamilyIPv6Unicast, inventory.FamilyVPNv4, inventory.FamilyVPNv6)
			}
		}
	}
	return nil
}
