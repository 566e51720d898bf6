package topology

import (
	"time"

	"github.com/vigie-rie/vigie/collector/bgp"
)

// Analysis is one resilience analysis of the live failure set, as the
// metrics and the API serve it. It is immutable once published.
type Analysis struct {
	Time     time.Time     `json:"time"`
	Duration time.Duration `json:"duration_ns"`
	// Incremental is true when only the sites touched by one changed link
	// were recomputed.
	Incremental bool `json:"incremental"`
	// Failures are the failed items analysed ("device:X", "link:ID", ...).
	Failures             []string           `json:"failures"`
	Sites                []SiteResult       `json:"sites"`
	Bridges              []string           `json:"bridges"`
	ArticulationPoints   []string           `json:"articulation_points"`
	DatacentresConnected bool               `json:"datacentres_connected"`
	Interconnects        []InterconnectView `json:"interconnects"`

	siteIdx map[string]int
	// distributed: the sites may be unobserved (States).
	distributed bool
}

// SiteResult is one site's resilience under the failures analysed.
type SiteResult struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Region string `json:"region"`
	// Designed and Effective are protection levels 0..4 (inventory.Protection).
	Designed  int `json:"designed"`
	Effective int `json:"effective"`
	// DisjointPaths is the number of edge-disjoint paths to the datacentres.
	DisjointPaths int `json:"disjoint_paths"`
	// SPOFs are the single elements whose failure would isolate the site.
	SPOFs                 []string `json:"spofs"`
	Isolated              bool     `json:"isolated"`
	IsolatedIfInternetCut bool     `json:"isolated_if_internet_cut"`
	// Routing is BGP's verdict on the site's prefixes (routed,
	// partly_routed, unrouted, unknown; "" for a site without prefixes),
	// already folded into Isolated (topology/routes.go).
	Routing string `json:"routing,omitempty"`
	// CauseKind ("device", "link", "srlg", "pop", "region", "internet") and
	// Cause name the root cause of an isolated site.
	CauseKind string `json:"cause_kind,omitempty"`
	Cause     string `json:"cause,omitempty"`
	// State is "nominal", "degraded" (effective below designed) or "isolated".
	State string `json:"state"`
	// Since is when the site entered State: the analysis that first saw
	// it, or vigie's start (or reload) for a state it found the site in.
	// Left out of the JSON: the API's answers are unchanged by it.
	Since time.Time `json:"-"`
	// Witness, for an unobserved site of a distributed vigie, names the
	// collector that still reaches its access routers while the centre has
	// lost their own: the site is partitioned from the centre, alive
	// locally (witness.go). Empty otherwise.
	Witness string `json:"alive_locally_witness,omitempty"`
}

// InterconnectView is one partner interconnect's state.
type InterconnectView struct {
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Up: attached to the surviving backbone and, when BGP judges the
	// interconnect (expected prefixes or a bgp_peer), its session
	// established and its prefixes received (routes.go).
	Up bool `json:"up"`
	// Reason says why it is down (ReasonDetached, ReasonSessionDown,
	// ReasonPrefixesMissing), "" when up.
	Reason              string `json:"reason,omitempty"`
	SurvivesInternetCut bool   `json:"survives_internet_cut"`
	// VRF and BGP are the interconnect's VRF and BGP's verdict on it
	// (bgp.InterconnectState; "" when BGP does not judge it).
	VRF string `json:"vrf,omitempty"`
	BGP string `json:"bgp,omitempty"`
	// PrefixesExpected and PrefixesMissing count the prefixes the
	// partner should announce and those BGP vouches are not received.
	PrefixesExpected int `json:"prefixes_expected,omitempty"`
	PrefixesMissing  int `json:"prefixes_missing,omitempty"`
}

// PrefixesJudged reports whether BGP could count the interconnect's
// missing prefixes: it expects some, and a converged established session
// judged them all.
func (ic *InterconnectView) PrefixesJudged() bool {
	return ic.PrefixesExpected > 0 && (ic.BGP == string(bgp.InterconnectBGPUp) || ic.BGP == string(bgp.InterconnectPrefixesMissing))
}

// Site returns the result of one site, or nil.
func (a *Analysis) Site(id string) *SiteResult {
	if a == nil {
		return nil
	}
	if a.siteIdx == nil {
		for i := range a.Sites {
			if a.Sites[i].ID == id {
				return &a.Sites[i]
			}
		}
		return nil
	}
	i, ok := a.siteIdx[id]
	if !ok {
		return nil
	}
	return &a.Sites[i]
}

// Site states, the roll-up label values.
const (
	SiteNominal  = "nominal"
	SiteDegraded = "degraded"
	SiteIsolated = "isolated"
)

// SiteStates lists the roll-up states.
var SiteStates = []string{SiteNominal, SiteDegraded, SiteIsolated}

func siteState(s *SiteResult) string {
	switch {
	case s.Isolated:
		return SiteIsolated
	case s.Effective < s.Designed:
		return SiteDegraded
	default:
		return SiteNominal
	}
}

// carrySince dates each site's state: prev's date while the state is the
// same, now when it changed or the site is new. With no prev (the first
// analysis after a start) every state dates from now.
func (a *Analysis) carrySince(prev *Analysis, now time.Time) {
	for i := range a.Sites {
		s := &a.Sites[i]
		if p := prev.siteAt(i, s.ID); p != nil && p.State == s.State && !p.Since.IsZero() {
			s.Since = p.Since
		} else {
			s.Since = now
		}
	}
}

// index sets each site's state and indexes the sites by id; an overlay
// (clock.go) keeps its source's index, its sites being in the same order.
func (a *Analysis) index() {
	build := a.siteIdx == nil
	if build {
		a.siteIdx = make(map[string]int, len(a.Sites))
	}
	for i := range a.Sites {
		a.Sites[i].State = siteState(&a.Sites[i])
		if build {
			a.siteIdx[a.Sites[i].ID] = i
		}
	}
}

// siteAt returns the result of site id, the i-th of another analysis of
// the same inventory: at i when the sites are in the same order (they are,
// sorted by id), else by id.
func (a *Analysis) siteAt(i int, id string) *SiteResult {
	if a != nil && i < len(a.Sites) && a.Sites[i].ID == id {
		return &a.Sites[i]
	}
	return a.Site(id)
}
