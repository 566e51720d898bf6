package topology

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/topology/resilience"
)

// API limits.
const (
	maxWhatIfBody  = 64 << 10 // bytes of a what-if request
	defaultEvents  = 100
	maxEventsLimit = 1000
)

// APIHandler serves the topology's JSON API. The lead mounts it under
// /api/v1/ without stripping the prefix:
//
//	GET  /api/v1/topology           nodes, links with sources and state, analysis summary
//	GET  /api/v1/sites/{id}         one site's resilience and access links
//	GET  /api/v1/events?since=&limit=  recent changes (RFC 3339 since, limit <= 1000)
//	POST /api/v1/whatif             {"fail": ["internet", "device:X", ...]}
//
// Errors are {"error": "..."} with a matching status. Nothing the API
// returns comes from a Secret, and no request names a target to contact.
func (t *Topology) APIHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/topology", method(http.MethodGet, t.serveTopology))
	mux.HandleFunc("/api/v1/sites/{id}", method(http.MethodGet, t.serveSite))
	mux.HandleFunc("/api/v1/events", method(http.MethodGet, t.serveEvents))
	mux.HandleFunc("/api/v1/whatif", method(http.MethodPost, t.serveWhatIf))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such API endpoint %q; see /api/v1/topology, /api/v1/sites/{id}, /api/v1/events, /api/v1/whatif", r.URL.Path))
	})
	return mux
}

func method(m string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != m && !(m == http.MethodGet && r.Method == http.MethodHead) {
			w.Header().Set("Allow", m)
			writeError(w, http.StatusMethodNotAllowed, "use "+m+" on "+r.URL.Path)
			return
		}
		h(w, r)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

// NodeView is one device of the topology as the API shows it.
type NodeView struct {
	Name       string      `json:"name"`
	Role       string      `json:"role,omitempty"`
	Region     string      `json:"region,omitempty"`
	Site       string      `json:"site,omitempty"`
	PoP        string      `json:"pop,omitempty"`
	Datacentre string      `json:"datacentre,omitempty"`
	Declared   bool        `json:"declared"`
	State      DeviceState `json:"state"`
	SysName    string      `json:"sys_name,omitempty"`
	Uptime     float64     `json:"uptime_seconds,omitempty"`
	Reason     string      `json:"reason,omitempty"`
	LastPoll   time.Time   `json:"last_poll,omitzero"`
	Since      time.Time   `json:"since,omitzero"`
}

// EndView is one end of a link.
type EndView struct {
	Device    string `json:"device"`
	Interface string `json:"interface,omitempty"`
	Status    string `json:"status"`
}

// LinkView is one link as the API shows it.
type LinkView struct {
	ID           string    `json:"id"`
	Kind         LinkKind  `json:"kind"`
	Site         string    `json:"site,omitempty"`
	Interconnect string    `json:"interconnect,omitempty"`
	A            EndView   `json:"a"`
	B            *EndView  `json:"b,omitempty"`
	Sources      []Source  `json:"sources"`
	State        LinkState `json:"state"`
	Since        time.Time `json:"since,omitzero"`
	Disagreement string    `json:"disagreement,omitempty"`
	LLDPMissed   int       `json:"lldp_missed,omitempty"`
}

func (l *link) view() LinkView {
	v := LinkView{ID: l.id, Kind: l.kind, Site: l.site, A: EndView{l.a.device, l.a.iface, l.a.status},
		Sources: l.sources(), State: l.state, Since: l.since, Disagreement: l.disagreement, LLDPMissed: l.lldpMissed}
	if l.b.device != "" {
		v.B = &EndView{l.b.device, l.b.iface, l.b.status}
	}
	if l.ic != nil {
		v.Interconnect = l.ic.ID
	}
	return v
}

// TopologyView is the answer of GET /api/v1/topology.
type TopologyView struct {
	Time     time.Time        `json:"time"`
	Nodes    []NodeView       `json:"nodes"`
	Links    []LinkView       `json:"links"`
	Analysis *AnalysisSummary `json:"analysis,omitempty"`
}

// AnalysisSummary is the resilience analysis without the per-site detail.
type AnalysisSummary struct {
	Time                 time.Time          `json:"time"`
	DurationSeconds      float64            `json:"duration_seconds"`
	Failures             []string           `json:"failures"`
	Sites                map[string]int     `json:"sites"`
	Bridges              []string           `json:"bridges"`
	ArticulationPoints   []string           `json:"articulation_points"`
	DatacentresConnected bool               `json:"datacentres_connected"`
	Interconnects        []InterconnectView `json:"interconnects"`
}

func summarize(a *Analysis) *AnalysisSummary {
	if a == nil {
		return nil
	}
	s := &AnalysisSummary{Time: a.Time, DurationSeconds: a.Duration.Seconds(), Failures: nonNil(a.Failures),
		Sites:   map[string]int{SiteNominal: 0, SiteDegraded: 0, SiteIsolated: 0},
		Bridges: nonNil(a.Bridges), ArticulationPoints: nonNil(a.ArticulationPoints),
		DatacentresConnected: a.DatacentresConnected, Interconnects: a.Interconnects}
	for i := range a.Sites {
		s.Sites[a.Sites[i].State]++
	}
	return s
}

func nonNil(xs []string) []string {
	if xs == nil {
		return []string{}
	}
	return xs
}

// Snapshot returns the live topology: every node and link, in name order.
func (t *Topology) Snapshot() TopologyView {
	v := TopologyView{Time: t.opts.Now(), Analysis: summarize(t.analysis.Load())}
	t.mu.RLock()
	defer t.mu.RUnlock()
	v.Nodes = make([]NodeView, 0, len(t.st.devices))
	for i := range t.inv.Devices {
		d := t.st.devices[t.inv.Devices[i].Name]
		if d == nil {
			continue
		}
		inv := d.inv
		v.Nodes = append(v.Nodes, NodeView{Name: d.name, Role: string(inv.Role), Region: d.region, Site: inv.Site,
			PoP: inv.PoP, Datacentre: inv.Datacentre, Declared: true, State: d.state, SysName: d.sysName,
			Uptime: d.uptime.Seconds(), Reason: d.reason, LastPoll: d.seen, Since: d.since})
	}
	for _, d := range t.st.devices {
		if d.inv == nil {
			v.Nodes = append(v.Nodes, NodeView{Name: d.name, State: d.state})
		}
	}
	links := t.st.sortedLinks()
	v.Links = make([]LinkView, len(links))
	for i, l := range links {
		v.Links[i] = l.view()
	}
	return v
}

func (t *Topology) serveTopology(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, t.Snapshot())
}

// SiteView is the answer of GET /api/v1/sites/{id}.
type SiteView struct {
	SiteResult
	AnalysisTime time.Time  `json:"analysis_time"`
	Access       []LinkView `json:"access"`
}

func (t *Topology) serveSite(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if t.inv.Site(id) == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no site %q in the inventory", id))
		return
	}
	a := t.analysis.Load()
	s := a.Site(id)
	if s == nil {
		writeError(w, http.StatusServiceUnavailable, "no resilience analysis yet; retry in a few seconds")
		return
	}
	v := SiteView{SiteResult: *s, AnalysisTime: a.Time, Access: []LinkView{}}
	v.SPOFs = nonNil(v.SPOFs)
	t.mu.RLock()
	for _, l := range t.st.sortedLinks() {
		if l.site == id {
			v.Access = append(v.Access, l.view())
		}
	}
	t.mu.RUnlock()
	writeJSON(w, http.StatusOK, v)
}

func (t *Topology) serveEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var since time.Time
	if s := q.Get("since"); s != "" {
		var err error
		if since, err = time.Parse(time.RFC3339Nano, s); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("since=%q: want an RFC 3339 time such as 2026-11-23T12:00:00Z", s))
			return
		}
	}
	limit := defaultEvents
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > maxEventsLimit {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("limit=%q: want a whole number from 1 to %d", s, maxEventsLimit))
			return
		}
		limit = n
	}
	writeJSON(w, http.StatusOK, map[string]any{"events": t.events.since(since, limit)})
}

// WhatIfRequest is the body of POST /api/v1/whatif.
type WhatIfRequest struct {
	// Fail lists failure items: "internet", "device:NAME", "link:A--B" or
	// "link:LINKID", "srlg:ID", "pop:ID", "region:ID".
	Fail []string `json:"fail"`
}

// WhatIf analyses the live failures plus extra items, without touching the
// live state. A bad item is an error for which IsBadRequest is true.
func (t *Topology) WhatIf(extra []string) (*resilience.WhatIf, error) {
	t.mu.RLock()
	f := t.failures()
	t.mu.RUnlock()
	return t.eng.whatIf(f, extra)
}

// IsBadRequest reports whether err comes from a malformed or unknown
// failure item rather than from vigie.
func IsBadRequest(err error) bool { return errors.Is(err, errBadRequest) }

func (t *Topology) serveWhatIf(w http.ResponseWriter, r *http.Request) {
	select {
	case t.whatIfs <- struct{}{}:
		defer func() { <-t.whatIfs }()
	default:
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("%d what-if computations already running; retry shortly", cap(t.whatIfs)))
		return
	}
	body := http.MaxBytesReader(w, r.Body, maxWhatIfBody)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	var req WhatIfRequest
	if err := dec.Decode(&req); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body over %d bytes", maxWhatIfBody))
			return
		}
		writeError(w, http.StatusBadRequest, `want a JSON body such as {"fail": ["internet", "device:agg-lyon-1"]}: `+err.Error())
		return
	}
	if len(req.Fail) == 0 {
		writeError(w, http.StatusBadRequest, `"fail" is empty: name at least one failure, such as "internet"`)
		return
	}
	if len(req.Fail) > t.opts.MaxWhatIfFailures {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%d failures asked, at most %d per request", len(req.Fail), t.opts.MaxWhatIfFailures))
		return
	}
	for _, f := range req.Fail {
		if len(f) > 512 || strings.ContainsAny(f, "\x00\n") {
			writeError(w, http.StatusBadRequest, "a failure item is malformed (over 512 bytes or with control characters)")
			return
		}
	}
	a, err := t.WhatIf(req.Fail)
	if err != nil {
		if IsBadRequest(err) {
			writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), errBadRequest.Error()+": "))
			return
		}
		t.log.Error("what-if failed", "err", err)
		writeError(w, http.StatusInternalServerError, "the what-if analysis failed; see vigie's log")
		return
	}
	writeJSON(w, http.StatusOK, a)
}
