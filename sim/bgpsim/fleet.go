// Package bgpsim simulates the BGP speakers of a generated RIE (package
// sim) that vigie's route monitor (package collector/bgp) peers with: the
// route reflectors ("rr-*", every site's prefixes), the PFAI internet
// edges (the default route and canary prefixes) and the PFS routers (one
// VPNv4 route distinguisher per partner VRF). Each speaker listens on its
// device's own 127.x.y.z management address, all on one TCP port, and
// waits for vigie to connect; controls withdraw a default route or a
// site's prefixes, or reset and stop a speaker, so that the demo and the
// tests can show what vigie sees when BGP breaks.
//
// The speakers speak BGP-4 themselves, with GoBGP's packet library, rather
// than embedding GoBGP servers: GoBGP keeps its route-selection options in
// package globals, and vigie's monitor disables best-path selection, which
// would stop every GoBGP server of the same process from advertising
// anything (pkg/server propagateUpdateToNeighbors returns at once). A
// passive speaker of a few hundred lines, one goroutine per session and
// no RIB, also starts in milliseconds at any fleet size.
package bgpsim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/osrg/gobgp/v3/pkg/packet/bgp"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// rieAS is the AS every simulated speaker is in.
const rieAS = sim.RIEAS

// Options configures a Fleet. Zero fields take DefaultOptions' values.
type Options struct {
	// Port is the TCP port every speaker listens on, at its own address
	// (0: a free port is found).
	Port int
	// HoldTime is the hold time the speakers offer (default 90 s); the
	// session uses the smaller of theirs and vigie's.
	HoldTime time.Duration
	// Logger receives session events (nil: discard).
	Logger *slog.Logger
}

// DefaultOptions returns the defaults New gives the zero fields of its
// Options: a free port, and the 90 s hold time routers offer by default.
func DefaultOptions() Options {
	return Options{HoldTime: 90 * time.Second}
}

// setDefaults fills the zero fields of o from DefaultOptions; a negative
// HoldTime takes the default too, as it always has, and one under 3 s is
// raised to 3 s (RFC 4271: 0 or at least 3 s).
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if o.HoldTime <= 0 {
		o.HoldTime = d.HoldTime
	}
	o.HoldTime = max(o.HoldTime, 3*time.Second)
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Speaker describes one simulated BGP router.
type Speaker struct {
	Device  string     `json:"device"`
	Kind    Kind       `json:"kind"`
	Address netip.Addr `json:"address"`
	// Routes is how many paths it announces when nothing is withdrawn.
	Routes int `json:"routes"`
	// Listening is false after Stop.
	Listening bool `json:"listening"`
	// Sessions is how many sessions are established now.
	Sessions int `json:"sessions"`
	// DefaultWithdrawn is true when WithdrawDefault took its default route
	// away (internet edges only).
	DefaultWithdrawn bool `json:"default_withdrawn,omitempty"`
	// InternetLost is true while the simulated network gives this edge no
	// internet (its uplinks cut): default route and canaries withdrawn.
	InternetLost bool `json:"internet_lost,omitempty"`
	// Unreached is how many sites a route reflector cannot reach now.
	Unreached int `json:"unreached_sites,omitempty"`
	// PoweredOff is true while its router is off in the simulator.
	PoweredOff bool `json:"powered_off,omitempty"`
}

// speaker is one simulated router.
type speaker struct {
	device string
	kind   Kind
	addr   netip.Addr
	routes []route

	// Guarded by Fleet.mu.
	ln               net.Listener
	sessions         map[*session]struct{}
	defaultWithdrawn bool
	// vrfWithdrawn: PFS router, the VRFs (by number) whose partner
	// prefix WithdrawInterconnect withdrew.
	vrfWithdrawn map[uint32]bool
	// Set by Follow from the simulated network's state (follow.go), apart
	// from the controls above so that each undoes only its own.
	internetLost bool         // internet edge: its default route and canaries are gone
	unreached    map[int]bool // route reflector: sites it cannot reach
	off          bool         // its router is powered off: not listening
	stopped      bool         // Stop was called (and not Start)

	// rows are the established sessions as the router's BGP4-MIB shows
	// them, guarded by Fleet.rowsMu: SNMP reads them while Fleet.mu is
	// held for a long announcement.
	rows map[*session]Session
}

// Session is one established session of a speaker with vigie, as the
// router's BGP4-MIB bgpPeerTable shows it.
type Session struct {
	// Local is the speaker's address, Remote vigie's end of the TCP
	// connection.
	Local, Remote netip.Addr
	// RemoteAS and RemoteID are vigie's AS and BGP identifier (its OPEN).
	RemoteAS uint32
	RemoteID netip.Addr
	// Since is when the session became established: when vigie's
	// KEEPALIVE confirmed the OPEN exchange (RFC 4271 OpenConfirm).
	Since time.Time
}

// Fleet is every simulated speaker of one inventory.
type Fleet struct {
	opts  Options
	log   *slog.Logger
	port  int
	sites map[string]int // site id -> index in the inventory

	// mu guards the listeners, sessions and withdrawn state, and is held
	// while a state change is sent to every session, so that a session
	// being set up never misses one.
	mu sync.Mutex
	// rowsMu guards every speaker's rows; when both are held, mu is taken
	// first.
	rowsMu         sync.Mutex
	speakers       []*speaker
	byDevice       map[string]*speaker
	siteWithdrawn  map[int]bool
	runCtx         context.Context // set by Run: Start needs it to serve again
	wg             sync.WaitGroup
	sessionsClosed bool

	// interconnects maps an interconnect in a VRF to its PFS router and
	// VRF number (WithdrawInterconnect).
	interconnects map[string]icRoute
}

// New builds the speakers of inv's route reflectors, internet edges and PFS
// routers and opens their listeners, so that vigie can connect as soon as
// Run is called. It fails when a device address is not a loopback IPv4
// address or the port is taken on one of them.
func New(inv *inventory.Inventory, opts Options) (*Fleet, error) {
	f, err := build(inv, opts)
	if err != nil {
		return nil, err
	}
	if err := f.listenAll(opts.Port); err != nil {
		return nil, err
	}
	return f, nil
}

// PeersConfig is the bgp: section vigie needs to peer with the speakers
// New(inv, Options{Port: port}) would serve (see Fleet.Config), computed
// without listening: `vigie-sim generate --bgp-port` writes it for a later
// `vigie-sim serve --bgp-port`.
func PeersConfig(inv *inventory.Inventory, port int, localAS uint32, routerID netip.Addr) (inventory.BGP, error) {
	f, err := build(inv, Options{Port: port})
	if err != nil {
		return inventory.BGP{}, err
	}
	f.port = port
	return f.Config(localAS, routerID), nil
}

// build makes the speakers of New, without listeners.
func build(inv *inventory.Inventory, opts Options) (*Fleet, error) {
	opts.setDefaults()
	f := &Fleet{
		opts: opts, log: opts.Logger,
		byDevice:      map[string]*speaker{},
		siteWithdrawn: map[int]bool{},
		sites:         make(map[string]int, len(inv.Sites)),
		interconnects: map[string]icRoute{},
	}
	for i := range inv.Sites {
		f.sites[inv.Sites[i].ID] = i
	}
	internet := map[string]bool{}
	for _, ic := range inv.Interconnects {
		if ic.Kind == inventory.InterconnectInternet {
			internet[ic.Device] = true
		}
	}
	vrfs := vrfNumbers(inv)
	for _, ic := range inv.Interconnects {
		if v, ok := vrfs[ic.VRF]; ok && ic.VRF != "" {
			f.interconnects[ic.ID] = icRoute{device: ic.Device, vrf: v}
		}
	}
	edges := 0
	for i := range inv.Devices {
		d := &inv.Devices[i]
		kind := speakerKind(d, internet)
		if kind == "" {
			continue
		}
		a := d.Address.Addr()
		if !a.Is4() || !a.IsLoopback() {
			return nil, fmt.Errorf("bgpsim: device %q: address %s is not a 127.x.y.z address; the simulator only listens on loopback", d.Name, a)
		}
		sp := &speaker{device: d.Name, kind: kind, addr: a, sessions: map[*session]struct{}{}, rows: map[*session]Session{},
			vrfWithdrawn: map[uint32]bool{},
			routes:       routesFor(inv, d, kind, edges, vrfs)}
		if kind == KindInternetEdge {
			edges++
		}
		f.speakers = append(f.speakers, sp)
		f.byDevice[d.Name] = sp
	}
	return f, nil
}

// listenAll opens every speaker's listener on one port. With port 0 it
// takes the port the first listener got and retries a few times when
// another address already has it.
func (f *Fleet) listenAll(port int) error {
	if len(f.speakers) == 0 {
		return nil
	}
	var last error
	for range 8 {
		last = f.tryListen(port)
		if last == nil || port != 0 {
			return last
		}
	}
	return last
}

func (f *Fleet) tryListen(port int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, sp := range f.speakers {
		ln, err := net.Listen("tcp4", net.JoinHostPort(sp.addr.String(), strconv.Itoa(port)))
		if err != nil {
			for _, o := range f.speakers[:i] {
				o.ln.Close()
				o.ln = nil
			}
			return fmt.Errorf("bgpsim: listen for %s on %s port %d: %w; choose another port", sp.device, sp.addr, port, err)
		}
		if port == 0 {
			port = ln.Addr().(*net.TCPAddr).Port
		}
		sp.ln = ln
	}
	f.port = port
	return nil
}

// Port is the TCP port every speaker listens on.
func (f *Fleet) Port() int { return f.port }

// Config is the bgp: section vigie needs to peer with every speaker: one
// active session per speaker to its address and port (vigie does not
// listen), iBGP when localAS is the RIE's AS (as a route-reflector
// client), VPNv4 with the PFS routers, and the internet canaries.
func (f *Fleet) Config(localAS uint32, routerID netip.Addr) inventory.BGP {
	cfg := inventory.BGP{LocalAS: localAS, RouterID: routerID, Canaries: slices.Clone(DefaultCanaries)}
	for _, sp := range f.speakers {
		p := inventory.BGPPeer{Device: sp.device, Address: sp.addr, RemoteAS: rieAS, Port: f.port}
		if sp.kind == KindServices {
			p.Families = []string{inventory.FamilyVPNv4}
		}
		cfg.Peers = append(cfg.Peers, p)
	}
	return cfg
}

// Speakers describes every speaker, in inventory order.
func (f *Fleet) Speakers() []Speaker {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Speaker, 0, len(f.speakers))
	for _, sp := range f.speakers {
		out = append(out, Speaker{Device: sp.device, Kind: sp.kind, Address: sp.addr, Routes: len(sp.routes),
			Listening: sp.ln != nil, Sessions: len(sp.sessions), DefaultWithdrawn: sp.defaultWithdrawn,
			InternetLost: sp.internetLost, Unreached: len(sp.unreached), PoweredOff: sp.off})
	}
	return out
}

// Sessions returns device's established sessions with vigie, as its
// BGP4-MIB shows them (none when device is not a speaker). The demo's SNMP
// agents serve them (snmpagent.Options.BGPSessions).
func (f *Fleet) Sessions(device string) []Session {
	sp := f.byDevice[device] // written only by New
	if sp == nil {
		return nil
	}
	f.rowsMu.Lock()
	defer f.rowsMu.Unlock()
	if len(sp.rows) == 0 {
		return nil
	}
	out := make([]Session, 0, len(sp.rows))
	for _, r := range sp.rows {
		out = append(out, r)
	}
	return out
}

// Run accepts vigie's sessions until ctx is done, then closes every
// listener and session and returns once every goroutine has ended.
func (f *Fleet) Run(ctx context.Context) error {
	f.mu.Lock()
	if f.runCtx != nil {
		f.mu.Unlock()
		return errors.New("bgpsim: Run called twice; build another Fleet")
	}
	f.runCtx = ctx
	for _, sp := range f.speakers {
		if sp.ln != nil {
			f.serve(sp, sp.ln)
		}
	}
	f.mu.Unlock()
	<-ctx.Done()
	f.Close()
	f.wg.Wait()
	return nil
}

// Close shuts every speaker down without Run (for a caller that gave up
// before running the fleet); after Run, cancelling its context is enough.
func (f *Fleet) Close() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sessionsClosed = true
	for _, sp := range f.speakers {
		f.stopLocked(sp, bgp.BGP_ERROR_SUB_ADMINISTRATIVE_SHUTDOWN)
	}
}

// serve starts the accept loop of one listener; f.mu is held.
func (f *Fleet) serve(sp *speaker, ln net.Listener) {
	ctx := f.runCtx
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return // closed by Stop or Run's end
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				f.session(ctx, sp, c)
			}()
		}
	}()
}

// stopLocked closes sp's listener and sessions; f.mu is held.
func (f *Fleet) stopLocked(sp *speaker, subcode uint8) {
	if sp.ln != nil {
		sp.ln.Close()
		sp.ln = nil
	}
	f.resetLocked(sp, subcode)
}

// resetLocked closes sp's sessions with a Cease; f.mu is held.
func (f *Fleet) resetLocked(sp *speaker, subcode uint8) {
	for s := range sp.sessions {
		s.close(subcode)
		delete(sp.sessions, s)
		f.dropRow(sp, s)
	}
}

// dropRow takes a closed session out of the BGP4-MIB at once, rather than
// when its goroutine notices the close.
func (f *Fleet) dropRow(sp *speaker, s *session) {
	f.rowsMu.Lock()
	delete(sp.rows, s)
	f.rowsMu.Unlock()
}

// session runs one connection from vigie: OPEN exchange, full
// announcement, then keepalives until either side ends it.
func (f *Fleet) session(ctx context.Context, sp *speaker, c net.Conn) {
	log := f.log.With("device", sp.device, "peer", c.RemoteAddr().String())
	s := &session{conn: c, id: sp.addr, reflector: sp.kind == KindReflector}
	defer s.close(0)
	_ = c.SetDeadline(time.Now().Add(ioTimeout))
	m, err := readMsg(c)
	if err != nil {
		log.Debug("BGP session closed before OPEN", "err", err)
		return
	}
	s.caps, err = parseOpen(m, f.opts.HoldTime)
	if err != nil {
		log.Warn("BGP OPEN refused", "err", err)
		_ = s.send(bgp.NewBGPNotificationMessage(bgp.BGP_ERROR_OPEN_MESSAGE_ERROR, 0, nil))
		return
	}
	s.ebgp = s.caps.peerAS != rieAS
	if err := s.send(openMessage(rieAS, sp.addr, f.opts.HoldTime, s.caps), bgp.NewBGPKeepAliveMessage()); err != nil {
		return
	}
	if m, err = readMsg(c); err != nil || m.Header.Type != bgp.BGP_MSG_KEEPALIVE {
		log.Debug("BGP session not confirmed", "err", err)
		return
	}
	_ = c.SetDeadline(time.Time{})

	// Established from here (RFC 4271: OpenConfirm + KEEPALIVE), before
	// the announcement, as vigie sees it: the router's BGP4-MIB says so at
	// once, as a real router's does, or a poll during a long announcement
	// would find vigie established and no row for it.
	row := Session{Local: sp.addr, RemoteAS: s.caps.peerAS, RemoteID: s.caps.peerID, Since: time.Now()}
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		row.Remote = ta.AddrPort().Addr().Unmap()
	}
	f.rowsMu.Lock()
	sp.rows[s] = row
	f.rowsMu.Unlock()
	defer f.dropRow(sp, s)

	// Register and announce under the lock, so that a withdrawal or a
	// stop in between is either in the announcement or sent after it.
	f.mu.Lock()
	if f.sessionsClosed || sp.ln == nil {
		f.mu.Unlock()
		s.close(bgp.BGP_ERROR_SUB_ADMINISTRATIVE_SHUTDOWN)
		return
	}
	err = s.announce(f.activeLocked(sp), false)
	if err == nil {
		err = s.send(s.endOfRIB()...)
	}
	if err == nil {
		sp.sessions[s] = struct{}{}
	}
	f.mu.Unlock()
	if err != nil {
		log.Warn("BGP announcement failed", "err", err)
		return
	}
	log.Info("BGP session established", "families_ipv4", s.caps.ipv4, "families_vpnv4", s.caps.vpnv4,
		"ebgp", s.ebgp, "hold_seconds", s.caps.hold.Seconds())
	defer func() {
		f.mu.Lock()
		delete(sp.sessions, s)
		f.mu.Unlock()
	}()

	done := make(chan struct{})
	defer close(done)
	if s.caps.hold > 0 {
		go func() {
			t := time.NewTicker(s.caps.hold / 3)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-ctx.Done():
					return
				case <-t.C:
					if s.send(bgp.NewBGPKeepAliveMessage()) != nil {
						return
					}
				}
			}
		}()
	}
	for {
		if s.caps.hold > 0 {
			_ = c.SetReadDeadline(time.Now().Add(s.caps.hold))
		}
		m, err := readMsg(c)
		if err != nil {
			log.Info("BGP session ended", "err", err)
			return
		}
		if n, ok := m.Body.(*bgp.BGPNotification); ok {
			log.Info("BGP session ended by a NOTIFICATION", "code", n.ErrorCode, "subcode", n.ErrorSubcode)
			return
		}
		// UPDATEs and keepalives from vigie need no answer: the hold timer
		// is pushed back by any message.
	}
}

// activeLocked is what sp announces now; f.mu is held.
func (f *Fleet) activeLocked(sp *speaker) []route {
	if !sp.defaultWithdrawn && len(f.siteWithdrawn) == 0 && !sp.internetLost && len(sp.unreached) == 0 && len(sp.vrfWithdrawn) == 0 {
		return sp.routes
	}
	out := make([]route, 0, len(sp.routes))
	for _, r := range sp.routes {
		if !f.visibleLocked(sp, r) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// broadcastLocked sends rs (announced or withdrawn) to every session of
// sp; a session that cannot take it is closed. f.mu is held.
func (f *Fleet) broadcastLocked(sp *speaker, rs []route, withdraw bool) {
	if len(rs) == 0 {
		return
	}
	for s := range sp.sessions {
		if err := s.announce(rs, withdraw); err != nil {
			f.log.Warn("BGP update failed; closing the session", "device", sp.device, "err", err)
			s.close(0)
			delete(sp.sessions, s)
			f.dropRow(sp, s)
		}
	}
}

// speaker finds a speaker by device name.
func (f *Fleet) speaker(device string) (*speaker, error) {
	sp := f.byDevice[device]
	if sp == nil {
		return nil, fmt.Errorf("bgpsim: %q is not a simulated BGP speaker (route reflectors rr-*, internet edges and PFS routers are)", device)
	}
	return sp, nil
}

// WithdrawDefault withdraws (or announces again) the default route of an
// internet edge, as when its upstream is lost.
func (f *Fleet) WithdrawDefault(device string, withdrawn bool) error {
	sp, err := f.speaker(device)
	if err != nil {
		return err
	}
	if sp.kind != KindInternetEdge {
		return fmt.Errorf("bgpsim: %q is a %s and announces no default route; pick an internet edge", device, sp.kind)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if sp.defaultWithdrawn == withdrawn {
		return nil
	}
	sp.defaultWithdrawn = withdrawn
	for _, r := range sp.routes {
		if r.isDefault && !sp.internetLost { // else it stays withdrawn
			f.broadcastLocked(sp, []route{r}, withdrawn)
		}
	}
	f.log.Info("BGP default route changed", "device", device, "withdrawn", withdrawn)
	return nil
}

// WithdrawSite withdraws (or announces again) a site's prefixes from every
// route reflector, as when the site's routers are lost.
func (f *Fleet) WithdrawSite(siteID string, withdrawn bool) error {
	i, ok := f.sites[siteID]
	if !ok {
		return fmt.Errorf("bgpsim: unknown site %q", siteID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.siteWithdrawn[i] == withdrawn {
		return nil
	}
	if withdrawn {
		f.siteWithdrawn[i] = true
	} else {
		delete(f.siteWithdrawn, i)
	}
	for _, sp := range f.speakers {
		var rs []route
		for _, r := range sp.routes {
			if r.site == i && !sp.unreached[i] { // else it stays withdrawn
				rs = append(rs, r)
			}
		}
		f.broadcastLocked(sp, rs, withdrawn)
	}
	f.log.Info("BGP site prefixes changed", "site", siteID, "withdrawn", withdrawn)
	return nil
}

// icRoute is where an interconnect's partner prefix is announced.
type icRoute struct {
	device string
	vrf    uint32
}

// WithdrawInterconnect withdraws (or announces again) the partner prefix
// of an interconnect in a VRF from its PFS router, as when the partner
// stops announcing it: vigie then calls the interconnect down with
// reason prefixes_missing while its attachment stays up.
func (f *Fleet) WithdrawInterconnect(id string, withdrawn bool) error {
	ic, ok := f.interconnects[id]
	if !ok {
		return fmt.Errorf("bgpsim: %q is not an interconnect in a VRF (testa-1, renater-1, partner-... are)", id)
	}
	sp, err := f.speaker(ic.device)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if sp.vrfWithdrawn[ic.vrf] == withdrawn {
		return nil
	}
	if withdrawn {
		sp.vrfWithdrawn[ic.vrf] = true
	} else {
		delete(sp.vrfWithdrawn, ic.vrf)
	}
	for _, r := range sp.routes {
		if r.vrf == ic.vrf {
			f.broadcastLocked(sp, []route{r}, withdrawn)
		}
	}
	f.log.Info("BGP partner prefix changed", "interconnect", id, "device", ic.device, "withdrawn", withdrawn)
	return nil
}

// ResetSession closes a speaker's sessions with a Cease (administrative
// reset); vigie connects again by itself.
func (f *Fleet) ResetSession(device string) error {
	sp, err := f.speaker(device)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resetLocked(sp, bgp.BGP_ERROR_SUB_ADMINISTRATIVE_RESET)
	return nil
}

// Stop shuts a speaker down: its sessions end and it refuses new ones
// until Start, as a router that lost power.
func (f *Fleet) Stop(device string) error {
	sp, err := f.speaker(device)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sp.stopped = true
	f.stopLocked(sp, bgp.BGP_ERROR_SUB_ADMINISTRATIVE_SHUTDOWN)
	return nil
}

// Start listens again for a speaker that Stop shut down.
func (f *Fleet) Start(device string) error {
	sp, err := f.speaker(device)
	if err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	sp.stopped = false
	if sp.off {
		return fmt.Errorf("bgpsim: %s is powered off in the simulator; power it on (POST /sim/power/%s?state=on)", device, device)
	}
	return f.startLocked(sp)
}

// startLocked listens again for sp; f.mu is held.
func (f *Fleet) startLocked(sp *speaker) error {
	if sp.ln != nil {
		return nil
	}
	if f.sessionsClosed {
		return errors.New("bgpsim: the fleet has stopped")
	}
	device := sp.device
	ln, err := net.Listen("tcp4", net.JoinHostPort(sp.addr.String(), strconv.Itoa(f.port)))
	if err != nil {
		return fmt.Errorf("bgpsim: listen again for %s: %w", device, err)
	}
	sp.ln = ln
	if f.runCtx != nil {
		f.serve(sp, ln)
	}
	return nil
}
