package snmpagent

// This file is the fault-injection API: Go methods on Agent, and the same
// over HTTP for the vigie-sim binary (Handler), meant to listen on
// loopback only.

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"sort"
	"strings"
	"time"
)

// ErrUnknownDevice is returned for a device name the fleet does not have.
var ErrUnknownDevice = errors.New("snmpagent: unknown device")

func (a *Agent) device(name string) (*device, error) {
	i, ok := a.fleet.byName[name]
	if !ok {
		return nil, fmt.Errorf("%w %q (names are the inventory's device names)", ErrUnknownDevice, name)
	}
	return a.fleet.devices[i], nil
}

// update replaces a device's state with a modified copy, under the lock.
func (a *Agent) update(d *device, change func(s *state)) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := d.state.Load().clone()
	change(s)
	d.state.Store(s)
}

// SetFaults replaces the faults of one device (the zero Faults heals it).
func (a *Agent) SetFaults(name string, f Faults) error {
	if err := f.Validate(); err != nil {
		return err
	}
	d, err := a.device(name)
	if err != nil {
		return err
	}
	now := a.clock()
	a.update(d, func(s *state) { s.faults, s.faultsAt = f, now })
	return nil
}

// DeviceFaults returns the faults set on one device.
func (a *Agent) DeviceFaults(name string) (Faults, error) {
	d, err := a.device(name)
	if err != nil {
		return Faults{}, err
	}
	return d.state.Load().faults, nil
}

// FaultyDevices returns every device with a fault set, by name.
func (a *Agent) FaultyDevices() map[string]Faults {
	out := map[string]Faults{}
	for _, d := range a.fleet.devices {
		if f := d.state.Load().faults; f != (Faults{}) {
			out[d.name] = f
		}
	}
	return out
}

// ClearFaults heals every device's faults (reboots and link states stay).
func (a *Agent) ClearFaults() {
	for _, d := range a.fleet.devices {
		if d.state.Load().faults != (Faults{}) {
			a.update(d, func(s *state) { s.faults = Faults{} })
		}
	}
}

// Reboot restarts a device now: its sysUpTime restarts from zero, its
// counters reset, its SNMPv3 engineBoots increases (so pollers get a
// notInTimeWindow report and resynchronise) and its BGP sessions count
// one established transition since boot.
func (a *Agent) Reboot(name string) error {
	d, err := a.device(name)
	if err != nil {
		return err
	}
	a.reboot(d)
	return nil
}

func (a *Agent) reboot(d *device) {
	now := a.clock()
	a.update(d, func(s *state) {
		s.boot = now
		s.boots++
		s.rebooted = true
		for i, l := range s.links {
			// Counters restart: only a link still down carries over.
			s.links[i] = linkState{down: l.down, since: now}
		}
	})
}

// ErrHeld is returned when a link or device is brought back while a cut
// (see Cut) holds it down: restore the cut instead.
var ErrHeld = errors.New("snmpagent: held down by a cut")

// SetLink takes the link on one interface of a device down (up=false) or
// back up, at both ends: ifOperStatus goes down(2) on both, the LLDP
// neighbours disappear, the BGP session over the link goes idle, and
// coming back up counts an established transition. A link a cut holds
// down cannot be brought up (ErrHeld).
func (a *Agent) SetLink(name, ifName string, up bool) error {
	d, err := a.device(name)
	if err != nil {
		return err
	}
	i := d.ifIndexOf(ifName)
	if i < 0 {
		return fmt.Errorf("snmpagent: device %q has no interface %q (see GET /devices/%s)", name, ifName, name)
	}
	e := a.canon(end{d.idx, i})
	a.sc.mu.Lock()
	if by := a.sc.heldLink(e); up && by != nil {
		a.sc.mu.Unlock()
		return fmt.Errorf("%w: the link on %s %s is held down by cut %s; restore the cut (DELETE /cuts/%s)", ErrHeld, name, ifName, strings.Join(by, ", "), by[0])
	}
	a.setLinkLocked(e, up)
	a.sc.mu.Unlock()
	a.reconcile()
	return nil
}

// SetPower switches a device off (on=false) or back on. Off, it answers
// nothing, every link it has goes down at both ends (neighbours lose it in
// LLDP, ifOperStatus and BGP) and its iBGP peers see the session idle: what
// a dead aggregation router looks like to the rest of the network. On, it
// boots (as Reboot) and its links come back up, except those a cut holds
// down or whose other end is off. A device a cut holds off cannot be
// switched on (ErrHeld). With a Routing attached, the routes that lose
// their way through are withdrawn (see SetRouting).
func (a *Agent) SetPower(name string, on bool) error {
	d, err := a.device(name)
	if err != nil {
		return err
	}
	a.sc.mu.Lock()
	if by := a.sc.heldDevice(d.idx); on && by != nil {
		a.sc.mu.Unlock()
		return fmt.Errorf("%w: %s is held off by cut %s; restore the cut (DELETE /cuts/%s)", ErrHeld, name, strings.Join(by, ", "), by[0])
	}
	a.powerLocked(d, on)
	a.sc.mu.Unlock()
	a.reconcile()
	return nil
}

// DeviceInfo describes one simulated device, for the control endpoint.
type DeviceInfo struct {
	Name       string          `json:"name"`
	Address    netip.Addr      `json:"address"`
	EngineID   string          `json:"engine_id"`
	EngineBoot int32           `json:"engine_boots"`
	PoweredOff bool            `json:"powered_off,omitempty"`
	Uptime     string          `json:"uptime"`
	Faults     Faults          `json:"faults"`
	Interfaces []InterfaceInfo `json:"interfaces"`
}

// InterfaceInfo is one interface of a simulated device.
type InterfaceInfo struct {
	IfIndex  int    `json:"ifindex"`
	Name     string `json:"name"`
	Up       bool   `json:"up"`
	Peer     string `json:"peer,omitempty"`
	PeerPort string `json:"peer_interface,omitempty"`
}

// Device returns what the simulator serves for one device.
func (a *Agent) Device(name string) (DeviceInfo, error) {
	d, err := a.device(name)
	if err != nil {
		return DeviceInfo{}, err
	}
	st := d.state.Load()
	info := DeviceInfo{Name: d.name, Address: netip.AddrFrom4(d.addr), EngineID: hex.EncodeToString(d.engineID),
		EngineBoot: st.boots, PoweredOff: st.off, Uptime: a.clock().Sub(st.boot).Truncate(time.Second).String(), Faults: st.faults}
	for i, it := range d.ifaces {
		ii := InterfaceInfo{IfIndex: i + 1, Name: it.name, Up: !st.link(int32(i)).down}
		if it.peerDev >= 0 {
			p := a.fleet.devices[it.peerDev]
			ii.Peer, ii.PeerPort = p.name, p.ifaces[it.peerIf].name
		}
		info.Interfaces = append(info.Interfaces, ii)
	}
	return info, nil
}

// MarshalJSON writes durations as Go duration strings ("1.5s").
func (f Faults) MarshalJSON() ([]byte, error) {
	return json.Marshal(faultsJSON{Timeout: f.Timeout, Slow: durString(f.Slow), Malformed: f.Malformed,
		OIDLoop: f.OIDLoop, Flood: f.Flood, WrapIn: durString(f.WrapIn)})
}

// UnmarshalJSON reads durations as Go duration strings; unknown fields
// are refused so that a typo does not silently heal a device.
func (f *Faults) UnmarshalJSON(b []byte) error {
	var j faultsJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&j); err != nil {
		return fmt.Errorf("snmpagent: faults: %w (fields: timeout, slow, malformed, oid_loop, flood, wrap_in)", err)
	}
	out := Faults{Timeout: j.Timeout, Malformed: j.Malformed, OIDLoop: j.OIDLoop, Flood: j.Flood}
	var err error
	if out.Slow, err = parseDur(j.Slow); err != nil {
		return fmt.Errorf("snmpagent: faults: slow: %w", err)
	}
	if out.WrapIn, err = parseDur(j.WrapIn); err != nil {
		return fmt.Errorf("snmpagent: faults: wrap_in: %w", err)
	}
	*f = out
	return nil
}

type faultsJSON struct {
	Timeout   bool         `json:"timeout,omitempty"`
	Slow      string       `json:"slow,omitempty"`
	Malformed Malformation `json:"malformed,omitempty"`
	OIDLoop   bool         `json:"oid_loop,omitempty"`
	Flood     int          `json:"flood,omitempty"`
	WrapIn    string       `json:"wrap_in,omitempty"`
}

func durString(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func parseDur(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// Handler returns the control endpoint:
//
//	GET    /devices/{name}                     what a device serves (interfaces, peers, faults)
//	GET    /faults                             every device with a fault
//	PUT    /faults/{name}                      set a device's faults (JSON Faults body)
//	DELETE /faults/{name}                      heal a device
//	DELETE /faults                             heal every device
//	POST   /reboot/{name}                      reboot a device
//	POST   /link/{name}?interface=IF&state=down|up   take a link down or up, both ends
//	POST   /power/{name}?state=off|on          switch a device off (silent, links down) or on
//	GET    /cuts                               the cuts in force
//	POST   /cuts/{item}                        cut an item of vigie whatif --fail (internet, srlg:ID, ...)
//	DELETE /cuts/{item}                        restore it; DELETE /cuts restores every cut
//
// It takes no credentials and changes the simulation: serve it on loopback.
func (a *Agent) Handler() http.Handler {
	mux := http.NewServeMux()
	a.cutRoutes(mux)
	mux.HandleFunc("GET /devices/{name}", func(w http.ResponseWriter, r *http.Request) {
		info, err := a.Device(r.PathValue("name"))
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, info)
	})
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, _ *http.Request) {
		f := a.FaultyDevices()
		names := make([]string, 0, len(f))
		for n := range f {
			names = append(names, n)
		}
		sort.Strings(names)
		type entry struct {
			Device string `json:"device"`
			Faults Faults `json:"faults"`
		}
		out := make([]entry, 0, len(names))
		for _, n := range names {
			out = append(out, entry{n, f[n]})
		}
		writeJSON(w, out)
	})
	mux.HandleFunc("PUT /faults/{name}", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16)).Decode(&f); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if err := a.SetFaults(r.PathValue("name"), f); err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, f)
	})
	mux.HandleFunc("DELETE /faults/{name}", func(w http.ResponseWriter, r *http.Request) {
		if err := a.SetFaults(r.PathValue("name"), Faults{}); err != nil {
			httpError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, _ *http.Request) {
		a.ClearFaults()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /reboot/{name}", func(w http.ResponseWriter, r *http.Request) {
		if err := a.Reboot(r.PathValue("name")); err != nil {
			httpError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /power/{name}", func(w http.ResponseWriter, r *http.Request) {
		var on bool
		switch r.URL.Query().Get("state") {
		case "on":
			on = true
		case "off":
		default:
			http.Error(w, "state must be on or off", http.StatusBadRequest)
			return
		}
		if err := a.SetPower(r.PathValue("name"), on); err != nil {
			httpError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /link/{name}", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		var up bool
		switch q.Get("state") {
		case "up":
			up = true
		case "down":
		default:
			http.Error(w, "state must be up or down", http.StatusBadRequest)
			return
		}
		if err := a.SetLink(r.PathValue("name"), q.Get("interface"), up); err != nil {
			httpError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}

func httpError(w http.ResponseWriter, err error) {
	code := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrUnknownDevice), errors.Is(err, ErrUnknownItem):
		code = http.StatusNotFound
	case errors.Is(err, ErrHeld):
		code = http.StatusConflict
	}
	http.Error(w, err.Error(), code)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
