// Package bgp is vigie's listen-only BGP route monitor. It embeds a GoBGP v3
// speaker that peers with route reflectors, PFAI edges and PFS routers and
// learns what they announce: session states and flaps, prefixes per family
// and VRF, the default route and canaries from each PFAI peer, and for every
// site whether its prefixes are routed and through how many paths.
//
// vigie never announces anything: a global export policy rejects every
// route, a global import policy keeps GoBGP's own RIB empty (vigie reads the
// pre-policy update stream instead), and no local path is ever added. The
// monitor consumes GoBGP's event stream (WatchEvent) and never walks a RIB.
package bgp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	api "github.com/osrg/gobgp/v3/api"
	"github.com/osrg/gobgp/v3/pkg/server"

	"github.com/vigie-rie/vigie/inventory"
)

// Monitor is the embedded route monitor. Create it with New, start it with
// Run; the read accessors are safe from any goroutine at any time.
type Monitor struct {
	cfg  inventory.BGP
	opts Options
	log  *slog.Logger

	mu sync.RWMutex
	st *state
	// connErr is the last connection error per peer (from GoBGP's log),
	// hinted once per down period when a TCP-MD5 key is configured.
	connErr []string
	hinted  []bool
	// reported holds the discrepancies already reported per device, so
	// Reconcile emits an event only when one appears.
	reported map[string]map[string]bool

	// dec is used only by the single event goroutine.
	dec          decoder
	lastNeighbor string
	lastIdx      int

	// pubMu orders the routing refreshes (event goroutine and Run's
	// ticker), so OnRouting sees the verdicts in the order they were made.
	pubMu sync.Mutex

	// connecting counts the sessions vigie opens itself (not passive)
	// that are not established: GoBGP reports their failed attempts only
	// at debug level (gobgplog.go).
	connecting atomic.Int32

	// mirror: the sessions are a regional collector's, and remote is the
	// View it last published (remote.go); fp is the configuration's
	// fingerprint, which a View must carry.
	mirror bool
	remote *View
	fp     uint64

	skipped atomic.Uint64 // paths of families vigie does not account
	badPath atomic.Uint64 // paths vigie could not decode
	running atomic.Bool
}

// New checks the BGP section and prepares the monitor; nothing is started
// until Run. inv gives device roles and regions (labels) and the sites'
// prefixes; opts.Registerer, when not nil, receives the monitor's metrics.
func New(cfg inventory.BGP, inv *inventory.Inventory, opts Options) (*Monitor, error) {
	if err := validate(cfg); err != nil {
		return nil, err
	}
	opts.setDefaults()
	logger, reg := opts.Logger, opts.Registerer
	m := &Monitor{
		cfg:      cfg,
		opts:     opts,
		log:      logger.With("component", "bgp"),
		st:       newState(cfg, inv, opts.MaxVRFsPerPeer),
		connErr:  make([]string, len(cfg.Peers)),
		hinted:   make([]bool, len(cfg.Peers)),
		reported: map[string]map[string]bool{},
		lastIdx:  -1,
	}
	m.fp = fingerprint(m.st, cfg.LocalAS)
	for i, p := range cfg.Peers {
		if p.LocalAddress.IsValid() {
			m.st.peers[i].localAddr = p.LocalAddress
		}
		if !p.Passive {
			m.connecting.Add(1)
		}
	}
	if reg != nil {
		if err := reg.Register(&collector{m: m}); err != nil {
			return nil, fmt.Errorf("bgp: register metrics: %w", err)
		}
	}
	return m, nil
}

// CheckListen binds and releases the listen port on each listen address,
// so that a taken port is refused at start-up or by a reload, before the
// running configuration stops (GoBGP binds it only in Run). It does
// nothing when the inventory sets no listen port.
func (m *Monitor) CheckListen() error {
	if m.cfg.ListenPort == 0 || m.mirror {
		return nil
	}
	for _, a := range m.opts.ListenAddresses {
		network := "tcp4" // as GoBGP: one socket per family, "::" v6 only
		if ip, err := netip.ParseAddr(a); err == nil && ip.Is6() {
			network = "tcp6"
		}
		addr := net.JoinHostPort(a, strconv.Itoa(m.cfg.ListenPort))
		l, err := net.Listen(network, addr)
		var errno syscall.Errno
		if errors.As(err, &errno) && (errno == syscall.EADDRINUSE || errno == syscall.EACCES) {
			return fmt.Errorf("bgp: cannot listen on %s (bgp.listen_port): %v: stop what uses it (ss -ltnp 'sport = :%d' names it) or change bgp.listen_port", addr, errno, m.cfg.ListenPort)
		}
		if err == nil { // other failures (no IPv6 here...) are GoBGP's to report
			_ = l.Close()
		}
	}
	return nil
}

// Run starts the speaker, opens the sessions and processes events until ctx
// is cancelled; then it closes every session and returns. It returns an
// error only when the speaker cannot start (listen port taken, bad config).
func (m *Monitor) Run(ctx context.Context) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("bgp: Run called twice; create another Monitor")
	}
	if m.mirror {
		return m.runMirror(ctx)
	}
	s := server.NewBgpServer(server.LoggerOption(&gobgpLogger{m: m, log: m.log.With("source", "gobgp")}))
	go s.Serve()
	defer s.Stop()

	port := int32(m.cfg.ListenPort)
	if port == 0 {
		port = -1 // GoBGP reads 0 as 179; -1 means do not listen
	}
	err := s.StartBgp(ctx, &api.StartBgpRequest{Global: &api.Global{
		Asn:             m.cfg.LocalAS,
		RouterId:        m.cfg.RouterID.String(),
		ListenPort:      port,
		ListenAddresses: m.opts.ListenAddresses,
		// vigie never uses a best path: its import policy keeps the global
		// RIB empty, so selection would only cost CPU.
		RouteSelectionOptions: &api.RouteSelectionOptionsConfig{DisableBestPathSelection: true},
	}})
	if err != nil {
		return fmt.Errorf("bgp: start speaker (AS %d, listen port %d): %w; is the port free and the address local?", m.cfg.LocalAS, m.cfg.ListenPort, err)
	}
	for _, dir := range []api.PolicyDirection{api.PolicyDirection_EXPORT, api.PolicyDirection_IMPORT} {
		err := s.SetPolicyAssignment(ctx, &api.SetPolicyAssignmentRequest{Assignment: &api.PolicyAssignment{
			Name: "global", Direction: dir, DefaultAction: api.RouteAction_REJECT,
		}})
		if err != nil {
			return fmt.Errorf("bgp: set the reject-all %s policy: %w", dir, err)
		}
	}
	err = s.WatchEvent(ctx, &api.WatchEventRequest{
		Peer: &api.WatchEventRequest_Peer{},
		// End-of-RIB markers end a session's convergence (routing.go).
		Table: &api.WatchEventRequest_Table{Filters: []*api.WatchEventRequest_Table_Filter{
			{Type: api.WatchEventRequest_Table_Filter_ADJIN}, {Type: api.WatchEventRequest_Table_Filter_EOR}}},
	}, m.handle)
	if err != nil {
		return fmt.Errorf("bgp: watch events: %w", err)
	}
	for _, p := range m.cfg.Peers {
		if err := s.AddPeer(ctx, &api.AddPeerRequest{Peer: peerConfig(p, m.opts)}); err != nil {
			return fmt.Errorf("bgp: add peer %s (device %q, line %d): %w", p.Address, p.Device, p.Line, err)
		}
		m.log.Info("BGP peer configured", "peer", p.Address, "device", p.Device, "remote_as", p.RemoteAS,
			"passive", p.Passive, "families", families(p), "md5", p.Password.IsSet(), "max_prefixes", p.MaxPrefixes)
	}
	t := time.NewTicker(m.opts.ConnectRetry)
	defer t.Stop()
	// Settle times end without an event: look once a second (cheap when
	// nothing changed: one pass over the sessions).
	settle := time.NewTicker(time.Second)
	defer settle.Stop()
	for {
		select {
		case <-ctx.Done():
			m.log.Info("BGP monitor stopping", "peers", len(m.cfg.Peers))
			return nil
		case <-t.C:
			m.hintStuckSessions()
			m.reopenTripped(ctx, s)
		case <-settle.C:
			m.refreshRouting()
		}
	}
}

// families returns a peer's families, ipv4-unicast by default.
func families(p inventory.BGPPeer) []string {
	if len(p.Families) == 0 {
		return []string{inventory.FamilyIPv4Unicast}
	}
	return p.Families
}

// peerConfig builds GoBGP's configuration of one session. The TCP-MD5
// key is read here and nowhere else.
func peerConfig(p inventory.BGPPeer, o Options) *api.Peer {
	afs := make([]*api.AfiSafi, 0, len(p.Families))
	for _, name := range families(p) {
		f := apiFamily(familyByName[name])
		af := &api.AfiSafi{Config: &api.AfiSafiConfig{Family: f, Enabled: true}}
		if p.AddPath {
			// Receive only: vigie sends nothing, so it never offers to send.
			af.AddPaths = &api.AddPaths{Config: &api.AddPathsConfig{Receive: true}}
		}
		if p.MaxPrefixes > 0 {
			af.PrefixLimits = &api.PrefixLimit{Family: f, MaxPrefixes: p.MaxPrefixes,
				ShutdownThresholdPct: uint32(o.MaxPrefixWarnPercent)}
		}
		afs = append(afs, af)
	}
	hold := uint64(o.HoldTime / time.Second)
	peer := &api.Peer{
		Conf: &api.PeerConf{
			NeighborAddress: p.Address.String(),
			PeerAsn:         p.RemoteAS,
			AuthPassword:    p.Password.Value(),
			Description:     p.Device,
		},
		Timers: &api.Timers{Config: &api.TimersConfig{
			ConnectRetry:      uint64(max(o.ConnectRetry/time.Second, 1)),
			HoldTime:          hold,
			KeepaliveInterval: max(hold/3, 1),
		}},
		Transport: &api.Transport{PassiveMode: p.Passive, RemotePort: uint32(p.Port)},
		AfiSafis:  afs,
	}
	if p.LocalAddress.IsValid() {
		peer.Transport.LocalAddress = p.LocalAddress.String()
	}
	if p.TTLSecurity > 0 {
		// GTSM (RFC 5082): the router sends with TTL 255, so a packet that
		// crossed n hops arrives with at least 256-n.
		peer.TtlSecurity = &api.TtlSecurity{Enabled: true, TtlMin: uint32(256 - p.TTLSecurity)}
	}
	return peer
}

// pending is an event decided under the lock and emitted after it.
type pending struct {
	ev    Event
	level slog.Level
}

// handle consumes one GoBGP event. GoBGP calls it from the watcher's one
// goroutine, so it is the single writer of the route state.
func (m *Monitor) handle(r *api.WatchEventResponse) {
	var out []pending
	switch ev := r.Event.(type) {
	case *api.WatchEventResponse_Peer:
		out = m.peerEvent(ev.Peer)
	case *api.WatchEventResponse_Table:
		out = m.tableEvent(ev.Table.GetPaths())
	}
	for _, p := range out {
		m.emit(p)
	}
	m.refreshRouting()
}

// refreshRouting publishes the site verdicts and PFAI events that changed.
func (m *Monitor) refreshRouting() {
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	now := m.opts.Now()
	m.mu.Lock()
	sites, evs := m.st.refresh(now, m.opts.RouteSettle)
	ics := m.st.refreshInterconnects(now, m.opts.RouteSettle)
	m.mu.Unlock()
	if len(sites) > 0 && m.opts.OnRouting != nil {
		m.opts.OnRouting(sites)
	}
	if ics != nil && m.opts.OnInterconnects != nil {
		m.opts.OnInterconnects(ics)
	}
	for _, e := range evs {
		level := slog.LevelWarn
		if e.Kind == EventPFAIDefaultRouteBack {
			level = slog.LevelInfo
		}
		m.emit(pending{e, level})
	}
}

// emit logs an event and hands it to Options.OnEvent.
func (m *Monitor) emit(p pending) {
	m.log.Log(context.Background(), p.level, p.ev.Detail, "event", p.ev.Kind, "peer", p.ev.Peer,
		"device", p.ev.Device, "family", p.ev.Family)
	if m.opts.OnEvent != nil {
		m.opts.OnEvent(p.ev)
	}
}

// peerEvent tracks session state: uptime, flaps, and forgetting a peer's
// paths when its session ends (GoBGP drops them without withdraw events).
func (m *Monitor) peerEvent(pe *api.WatchEventResponse_PeerEvent) []pending {
	if pe.GetType() != api.WatchEventResponse_PeerEvent_STATE || pe.GetPeer().GetState() == nil {
		return nil
	}
	st := pe.Peer.State
	addr, err := netip.ParseAddr(st.NeighborAddress)
	if err != nil {
		return nil
	}
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.st.byAddr[addr.Unmap()]
	if !ok {
		return nil
	}
	p := m.st.peers[i]
	p.state = strings.ToLower(st.SessionState.String())
	up := st.SessionState == api.PeerState_ESTABLISHED
	var out []pending
	switch {
	case up && !p.established:
		p.established = true
		p.since, p.changed = now, now
		if !p.cfg.Passive {
			m.connecting.Add(-1)
		}
		if la, err := netip.ParseAddr(pe.Peer.GetTransport().GetLocalAddress()); err == nil {
			p.localAddr = la.Unmap()
		}
		if id, err := netip.ParseAddr(st.RouterId); err == nil {
			p.remoteID = id
		}
		m.connErr[i], m.hinted[i] = "", false
		out = append(out, pending{Event{Kind: EventPeerUp, Time: now, Peer: addr, Device: p.device,
			Detail: fmt.Sprintf("BGP session with %s (%s) established", p.device, addr)}, slog.LevelInfo})
	case !up && p.established:
		p.established = false
		p.changed = now
		if !p.cfg.Passive {
			m.connecting.Add(1)
		}
		p.flaps++
		hadDefault := m.st.sessionDown(i)
		out = append(out, pending{Event{Kind: EventPeerDown, Time: now, Peer: addr, Device: p.device,
			Detail: fmt.Sprintf("BGP session with %s (%s) went down after %s; its routes are forgotten", p.device, addr, now.Sub(p.since).Round(time.Second))}, slog.LevelWarn})
		if hadDefault {
			out = append(out, pending{Event{Kind: EventDefaultRouteLost, Time: now, Peer: addr, Device: p.device,
				Detail: fmt.Sprintf("default route from %s (%s) lost with its session", p.device, addr)}, slog.LevelWarn})
		}
	}
	return out
}

// tableEvent accounts a batch of received paths (announces and withdraws,
// pre-policy: everything the peer sent, treat-as-withdraw already applied).
func (m *Monitor) tableEvent(paths []*api.Path) []pending {
	if len(paths) == 0 {
		return nil
	}
	now := m.opts.Now()
	var out []pending
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, path := range paths {
		i := m.peerIndex(path.NeighborIp)
		if i < 0 {
			continue
		}
		if path.Nlri == nil && !path.IsWithdraw {
			// GoBGP's End-of-RIB marker: a family with no NLRI.
			m.st.endOfRIB(i, familyOf(path.Family))
			continue
		}
		r, err := m.dec.decode(path)
		if err != nil {
			if errors.Is(err, errUnsupported) {
				m.skipped.Add(1)
			} else {
				m.badPath.Add(1)
			}
			continue
		}
		if t := m.st.tracked[r.prefix]; t != nil {
			m.dec.attrs(path, &r, t.internet())
		}
		p := m.st.peers[i]
		p.updates++
		switch m.st.apply(i, r) {
		case EventDefaultRouteLost:
			out = append(out, pending{Event{Kind: EventDefaultRouteLost, Time: now, Peer: p.cfg.Address, Device: p.device,
				Family: r.fam.String(), Detail: fmt.Sprintf("default route from %s (%s) withdrawn", p.device, p.cfg.Address)}, slog.LevelWarn})
		case EventDefaultRouteBack:
			out = append(out, pending{Event{Kind: EventDefaultRouteBack, Time: now, Peer: p.cfg.Address, Device: p.device,
				Family: r.fam.String(), Detail: fmt.Sprintf("default route from %s (%s) present", p.device, p.cfg.Address)}, slog.LevelInfo})
		}
	}
	return out
}

// peerIndex finds a configured peer by the address GoBGP reports; updates
// come in runs from one peer, so the last answer is cached.
func (m *Monitor) peerIndex(s string) int {
	if s == m.lastNeighbor && m.lastIdx >= 0 {
		return m.lastIdx
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return -1
	}
	i, ok := m.st.byAddr[a.Unmap()]
	if !ok {
		return -1
	}
	m.lastNeighbor, m.lastIdx = s, i
	return i
}

// maxPrefixTripped is called (from GoBGP's log) when a peer exceeded its
// limit; GoBGP then sends a Cease and closes the session.
func (m *Monitor) maxPrefixTripped(key, fam string) {
	a, err := netip.ParseAddr(key)
	if err != nil {
		return
	}
	now := m.opts.Now()
	m.mu.Lock()
	i, ok := m.st.byAddr[a.Unmap()]
	if !ok {
		m.mu.Unlock()
		return
	}
	p := m.st.peers[i]
	p.trips++
	p.tripped = now
	ev := Event{Kind: EventMaxPrefix, Time: now, Peer: p.cfg.Address, Device: p.device, Family: fam,
		Detail: fmt.Sprintf("BGP session with %s (%s) torn down: more than %d %s prefixes (max-prefix); fix the router's leak, or raise max_prefixes in the inventory", p.device, p.cfg.Address, p.cfg.MaxPrefixes, fam)}
	m.mu.Unlock()
	m.emit(pending{ev, slog.LevelError})
}

// malformedUpdate counts a malformed UPDATE GoBGP handled per RFC 7606,
// and says whether to log it (at most once a minute per peer and handling).
func (m *Monitor) malformedUpdate(key string, h int) bool {
	a, err := netip.ParseAddr(key)
	if err != nil {
		return true
	}
	now := m.opts.Now()
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.st.byAddr[a.Unmap()]
	if !ok {
		return true
	}
	p := m.st.peers[i]
	p.malformed[h]++
	if now.Sub(p.malformedLogged[h]) < time.Minute {
		return false
	}
	p.malformedLogged[h] = now
	return true
}

// connectFailed records GoBGP's last connection error for a peer.
func (m *Monitor) connectFailed(key string, err string) {
	a, perr := netip.ParseAddr(key)
	if perr != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if i, ok := m.st.byAddr[a.Unmap()]; ok {
		m.connErr[i] = err
	}
}

// reopenTripped reopens the sessions that the max-prefix limit closed more
// than Options.MaxPrefixRestart ago: GoBGP keeps them administratively
// down, and a monitor that stays blind after one leak would hide the repair.
func (m *Monitor) reopenTripped(ctx context.Context, s *server.BgpServer) {
	if m.opts.MaxPrefixRestart < 0 {
		return
	}
	now := m.opts.Now()
	var due []*peerState
	m.mu.Lock()
	for _, p := range m.st.peers {
		if !p.tripped.IsZero() && now.Sub(p.tripped) >= m.opts.MaxPrefixRestart {
			p.tripped = time.Time{}
			due = append(due, p)
		}
	}
	m.mu.Unlock()
	for _, p := range due {
		if err := s.EnablePeer(ctx, &api.EnablePeerRequest{Address: p.addr}); err != nil {
			m.log.Error("cannot reopen a session closed by max-prefix", "peer", p.addr, "device", p.device, "err", err)
			continue
		}
		m.log.Info("reopening the session closed by max-prefix", "peer", p.addr, "device", p.device, "after", m.opts.MaxPrefixRestart)
	}
}

// hintStuckSessions logs, once per down period, why a session that has a
// TCP-MD5 key may not come up: a key mismatch makes both kernels drop the
// segments silently, so GoBGP only ever sees timeouts.
func (m *Monitor) hintStuckSessions() {
	m.mu.Lock()
	var hints []pending
	for i, p := range m.st.peers {
		if p.established || m.hinted[i] || m.connErr[i] == "" || !p.cfg.Password.IsSet() {
			continue
		}
		m.hinted[i] = true
		hints = append(hints, pending{Event{Peer: p.cfg.Address, Device: p.device,
			Detail: fmt.Sprintf("BGP session with %s (%s) cannot be opened (%s); it has a TCP-MD5 key, and a key mismatch drops packets silently: check that both ends use the same password", p.device, p.cfg.Address, m.connErr[i])}, slog.LevelError})
	}
	m.mu.Unlock()
	for _, h := range hints {
		m.log.Error(h.ev.Detail, "peer", h.ev.Peer, "device", h.ev.Device, "reason", "md5_suspect")
	}
}

// Peers returns a snapshot of every configured session, in inventory order.
func (m *Monitor) Peers() []PeerStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.mirror {
		return m.mirrorPeers()
	}
	out := make([]PeerStatus, 0, len(m.st.peers))
	for i, p := range m.st.peers {
		ps := PeerStatus{
			Address: p.cfg.Address, Device: p.device, Role: p.role, Region: p.region,
			State: p.state, Established: p.established, Since: p.since, Changed: p.changed,
			LocalAddress: p.localAddr, RemoteID: p.remoteID,
			Flaps: p.flaps, MaxPrefixTrips: p.trips, Updates: p.updates,
			Prefixes: m.st.familyCounts(p), DefaultRoute: p.defaultPaths > 0,
			LastError: m.connErr[i],
		}
		for _, n := range p.malformed {
			ps.MalformedUpdates += n
		}
		if len(m.st.canaries) > 0 {
			ps.Canaries = make(map[netip.Prefix]bool, len(m.st.canaries))
			for j, c := range m.st.canaries {
				ps.Canaries[c] = p.canaryPaths[j] > 0
			}
		}
		out = append(out, ps)
	}
	return out
}

// SitePrefixes returns, per site id, whether its prefixes are routed and
// through how many paths and next hops. Sites without prefixes are absent.
func (m *Monitor) SitePrefixes() map[string]SiteRoutes {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.mirror {
		return nil // a View carries verdicts, not prefixes
	}
	out := make(map[string]SiteRoutes, len(m.st.sites))
	for i := range m.st.sites {
		sr := m.st.siteRoutes(i)
		out[sr.Site] = sr
	}
	return out
}

// SiteRouting returns the last routing verdict of every site with
// prefixes, in inventory order: what OnRouting has been told.
func (m *Monitor) SiteRouting() []SiteRouting {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]SiteRouting(nil), m.st.rt.last...)
}

// Interconnects returns BGP's last verdict on every interconnect it
// judges (those with expected prefixes or a bgp_peer), in inventory order.
func (m *Monitor) Interconnects() []InterconnectRouting {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.st.interconnectVerdicts()
}

// PFAIRoutes returns, for every inventory PFAI router, whether its default
// route and canaries are among the routes vigie receives.
func (m *Monitor) PFAIRoutes() []PFAIRoutes {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.mirror {
		return m.mirrorPFAIRoutes()
	}
	out := make([]PFAIRoutes, 0, len(m.st.rt.pfais))
	for _, ps := range m.st.rt.pfais {
		pr := PFAIRoutes{Device: ps.name, Region: ps.region, Known: ps.def != presenceUnknown,
			DefaultRoute: ps.def == presencePresent, DefaultPaths: ps.paths}
		for j, c := range m.st.canaries {
			if ps.canaries[j] == presenceUnknown {
				continue
			}
			if pr.Canaries == nil {
				pr.Canaries = make(map[netip.Prefix]bool, len(m.st.canaries))
			}
			pr.Canaries[c] = ps.canaries[j] == presencePresent
		}
		out = append(out, pr)
	}
	return out
}

// PathsHeld is the number of paths vigie holds, over every peer: the size of
// GoBGP's Adj-RIB-In, where most of the monitor's memory goes.
func (m *Monitor) PathsHeld() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	if m.mirror {
		if m.remote == nil {
			return 0
		}
		return m.remote.Held
	}
	return m.st.held
}

// Reconcile compares a router's BGP4-MIB peer table (read by an SNMP poll
// that started at polled) with vigie's sessions
// to that router. It returns every current discrepancy, and emits an
// EventDiscrepancy for each that was not there at the previous call for
// the same device.
//
// A session whose state vigie saw change after polled is left out: the
// router's table is older than vigie's view of it, and comparing them would
// report the session's own setup or teardown (vigie established a moment
// before the router wrote its row) as a disagreement. The next poll
// compares it; what was reported for it before is kept meanwhile.
func (m *Monitor) Reconcile(device string, polled time.Time, mib []RouterPeer) []Discrepancy {
	view := m.Peers()
	var late map[string]bool // peers left out, by address
	kept := view[:0]
	for _, ps := range view {
		if ps.Device == device && ps.Changed.After(polled) {
			if late == nil {
				late = map[string]bool{}
			}
			late[ps.Address.String()] = true
			continue
		}
		kept = append(kept, ps)
	}
	ds := ReconcileView(device, m.cfg.LocalAS, mib, kept)
	now := m.opts.Now()
	seen := make(map[string]bool, len(ds))
	var fresh []Discrepancy
	m.mu.Lock()
	prev := m.reported[device]
	for _, d := range ds {
		k := string(d.Kind) + "|" + d.Peer.String()
		seen[k] = true
		if !prev[k] {
			fresh = append(fresh, d)
		}
	}
	for k := range prev {
		if _, peer, _ := strings.Cut(k, "|"); late[peer] {
			seen[k] = true
		}
	}
	m.reported[device] = seen
	m.mu.Unlock()
	for _, d := range fresh {
		m.emit(pending{Event{Kind: EventDiscrepancy, Time: now, Peer: d.Peer, Device: d.Device, Detail: d.Detail}, slog.LevelWarn})
	}
	return ds
}
