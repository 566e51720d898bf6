package exposition

// api.go is the JSON API of /api/v1, rendered from the topology's
// snapshots. Field names, their order and omitempty are a contract with
// the API's users (docs/api.md): change them only together.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/topology"
)

// API limits.
const (
	maxWhatIfBody  = 64 << 10 // bytes of a what-if request
	defaultEvents  = 100
	maxEventsLimit = 1000
)

// newAPI serves the topology's JSON API. The lead mounts it under /api/v1/
// without stripping the prefix:
//
//	GET  /api/v1/topology           nodes, links with sources and state, analysis summary
//	GET  /api/v1/sites/{id}         one site's resilience and access links
//	GET  /api/v1/events?since=&limit=  recent changes (RFC 3339 since, limit <= 1000)
//	POST /api/v1/whatif             {"fail": ["internet", "device:X", ...]}
//	GET  /api/v1/inventory/proposal links and neighbours seen, not declared (YAML to review)
//	GET  /api/v1/reports/availability?from=&to=&by=&format=  (report_availability.go)
//
// Errors are {"error": "..."} with a matching status. Nothing the API
// returns comes from a Secret, and no request names a target to contact.
func newAPI(t *topology.Topology) http.Handler {
	a := api{t: t, reports: make(chan struct{}, maxReports)}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/topology", method(http.MethodGet, a.serveTopology))
	mux.HandleFunc("/api/v1/sites/{id}", method(http.MethodGet, a.serveSite))
	mux.HandleFunc("/api/v1/events", method(http.MethodGet, a.serveEvents))
	mux.HandleFunc("/api/v1/whatif", method(http.MethodPost, a.serveWhatIf))
	mux.HandleFunc("/api/v1/inventory/proposal", method(http.MethodGet, a.serveProposal))
	mux.HandleFunc("/api/v1/reports/availability", method(http.MethodGet, a.serveAvailability))
	a.registerConsole(mux) // console.go: /api/v1/console/...
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no such API endpoint %q; see /api/v1/topology, /api/v1/sites/{id}, /api/v1/events, /api/v1/whatif, /api/v1/inventory/proposal, /api/v1/reports/availability", r.URL.Path))
	})
	return mux
}

type api struct {
	t *topology.Topology
	// reports bounds the availability reports computed at once (each
	// may read the whole history: under a second for a year of the full RIE).
	reports chan struct{}
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
	Name       string               `json:"name"`
	Role       string               `json:"role,omitempty"`
	Region     string               `json:"region,omitempty"`
	Site       string               `json:"site,omitempty"`
	PoP        string               `json:"pop,omitempty"`
	Datacentre string               `json:"datacentre,omitempty"`
	Declared   bool                 `json:"declared"`
	State      topology.DeviceState `json:"state"`
	SysName    string               `json:"sys_name,omitempty"`
	Uptime     float64              `json:"uptime_seconds,omitempty"`
	Reason     string               `json:"reason,omitempty"`
	LastPoll   time.Time            `json:"last_poll,omitzero"`
	Since      time.Time            `json:"since,omitzero"`
}

func nodeView(n *topology.Node) NodeView {
	return NodeView{Name: n.Name, Role: n.Role, Region: n.Region, Site: n.Site, PoP: n.PoP, Datacentre: n.Datacentre,
		Declared: n.Declared, State: n.State, SysName: n.SysName, Uptime: n.Uptime.Seconds(), Reason: n.Reason,
		LastPoll: n.LastPoll, Since: n.Since}
}

// EndView is one end of a link.
type EndView struct {
	Device    string `json:"device"`
	Interface string `json:"interface,omitempty"`
	Status    string `json:"status"`
}

// LinkView is one link as the API shows it.
type LinkView struct {
	ID           string             `json:"id"`
	Kind         topology.LinkKind  `json:"kind"`
	Site         string             `json:"site,omitempty"`
	Interconnect string             `json:"interconnect,omitempty"`
	A            EndView            `json:"a"`
	B            *EndView           `json:"b,omitempty"`
	Sources      []topology.Source  `json:"sources"`
	State        topology.LinkState `json:"state"`
	Since        time.Time          `json:"since,omitzero"`
	Disagreement string             `json:"disagreement,omitempty"`
	LLDPMissed   int                `json:"lldp_missed,omitempty"`
}

func linkView(l *topology.Link) LinkView {
	v := LinkView{ID: l.ID, Kind: l.Kind, Site: l.Site, Interconnect: l.Interconnect, A: EndView(l.A),
		Sources: l.Sources, State: l.State, Since: l.Since, Disagreement: l.Disagreement, LLDPMissed: l.LLDPMissed}
	if l.B.Device != "" {
		b := EndView(l.B)
		v.B = &b
	}
	return v
}

func linkViews(ls []topology.Link) []LinkView {
	out := make([]LinkView, len(ls))
	for i := range ls {
		out[i] = linkView(&ls[i])
	}
	return out
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
	Time                 time.Time                   `json:"time"`
	DurationSeconds      float64                     `json:"duration_seconds"`
	Failures             []string                    `json:"failures"`
	Sites                map[string]int              `json:"sites"`
	Bridges              []string                    `json:"bridges"`
	ArticulationPoints   []string                    `json:"articulation_points"`
	DatacentresConnected bool                        `json:"datacentres_connected"`
	Interconnects        []topology.InterconnectView `json:"interconnects"`
}

func summarize(a *topology.Analysis) *AnalysisSummary {
	if a == nil {
		return nil
	}
	s := &AnalysisSummary{Time: a.Time, DurationSeconds: a.Duration.Seconds(), Failures: nonNil(a.Failures),
		Sites:   map[string]int{topology.SiteNominal: 0, topology.SiteDegraded: 0, topology.SiteIsolated: 0},
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

// topologyView is the live topology as GET /api/v1/topology shows it.
func topologyView(s topology.Snapshot) TopologyView {
	v := TopologyView{Time: s.Time, Analysis: summarize(s.Analysis), Nodes: make([]NodeView, len(s.Nodes)),
		Links: linkViews(s.Links)}
	for i := range s.Nodes {
		v.Nodes[i] = nodeView(&s.Nodes[i])
	}
	return v
}

func (a api) serveTopology(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, topologyView(a.t.Snapshot()))
}

// SiteView is the answer of GET /api/v1/sites/{id}.
type SiteView struct {
	topology.SiteResult
	AnalysisTime time.Time  `json:"analysis_time"`
	Access       []LinkView `json:"access"`
}

func (a api) serveSite(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if a.t.Inventory().Site(id) == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no site %q in the inventory", id))
		return
	}
	an := a.t.Analysis()
	s := an.Site(id)
	if s == nil {
		writeError(w, http.StatusServiceUnavailable, "no resilience analysis yet; retry in a few seconds")
		return
	}
	v := SiteView{SiteResult: *s, AnalysisTime: an.Time, Access: linkViews(a.t.SiteLinks(id))}
	v.SPOFs = nonNil(v.SPOFs)
	writeJSON(w, http.StatusOK, v)
}

func (a api) serveEvents(w http.ResponseWriter, r *http.Request) {
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
	writeJSON(w, http.StatusOK, map[string]any{"events": a.t.Events(since, limit)})
}

// WhatIfRequest is the body of POST /api/v1/whatif.
type WhatIfRequest struct {
	// Fail lists failure items: "internet", "device:NAME", "link:A--B" or
	// "link:LINKID", "srlg:ID", "pop:ID", "region:ID".
	Fail []string `json:"fail"`
}

func (a api) serveWhatIf(w http.ResponseWriter, r *http.Request) {
	release, ok := a.t.AcquireWhatIf()
	if !ok {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("%d what-if computations already running; retry shortly", a.t.Options().MaxWhatIf))
		return
	}
	defer release()
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
	if most := a.t.Options().MaxWhatIfFailures; len(req.Fail) > most {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%d failures asked, at most %d per request", len(req.Fail), most))
		return
	}
	for _, f := range req.Fail {
		if len(f) > 512 || strings.ContainsAny(f, "\x00\n") {
			writeError(w, http.StatusBadRequest, "a failure item is malformed (over 512 bytes or with control characters)")
			return
		}
	}
	res, err := a.t.WhatIf(req.Fail)
	if err != nil {
		if topology.IsBadRequest(err) {
			writeError(w, http.StatusBadRequest, topology.BadRequestMessage(err))
			return
		}
		// topology.WhatIf logged it.
		writeError(w, http.StatusInternalServerError, "the what-if analysis failed; see vigie's log")
		return
	}
	writeJSON(w, http.StatusOK, res)
}
