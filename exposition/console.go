package exposition

// console.go is the part of /api/v1 that vigie's web console (web/console)
// reads, in shapes sized for a browser drawing 14,000 sites:
//
//	GET /api/v1/console/places      every site, PoP, datacentre and backbone link with a position,
//	                                what the search box matches and the what-if's failure items;
//	                                changes only when the inventory does
//	GET /api/v1/console/state       each site's state as one letter, in the places' order, and the
//	                                cause of each site not nominal: what the console polls
//	GET /api/v1/console/sites/{id}  a site's designed paths to the datacentres and the risks they share
//
// The inventory gives sites their coordinates but not PoPs and
// datacentres: a PoP is drawn where the sites of its region that it serves
// are on average, a datacentre (and a PoP serving none) at the average of
// its region's sites.

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

// The state answer is rebuilt from a topology snapshot (about 0.1 s and
// 13 MB allocated on the full RIE) at most every consoleStateTTL however
// many consoles poll it, and, while the topology has published no new
// analysis, at most every consoleStateIdle: only the unobserved sites
// (routers polled for the first time) change without a new analysis.
const (
	consoleStateTTL  = time.Second
	consoleStateIdle = 10 * time.Second
)

// Site states as the console's state string spells them.
const (
	letterNominal    = 'n'
	letterDegraded   = 'd'
	letterIsolated   = 'i'
	letterUnobserved = 'u'
)

// console serves the console's endpoints of one topology. places is built
// once (the inventory does not change under a topology); state is rebuilt
// at most every consoleStateTTL.
type console struct {
	t *topology.Topology

	placesOnce sync.Once
	places     *ConsolePlaces
	// placesJSON and placesGzip are the places' answer, encoded once:
	// 2.5 MB of JSON for the full RIE, 0.4 MB gzipped.
	placesJSON, placesGzip []byte
	placesErr              error

	mu      sync.Mutex
	state   *ConsoleState
	stateAt time.Time
	stateOf *topology.Analysis // the analysis state was built from
}

func (a api) registerConsole(mux *http.ServeMux) {
	c := &console{t: a.t}
	mux.HandleFunc("/api/v1/console/places", method(http.MethodGet, c.servePlaces))
	mux.HandleFunc("/api/v1/console/state", method(http.MethodGet, c.serveState))
	mux.HandleFunc("/api/v1/console/sites/{id}", method(http.MethodGet, c.serveSite))
}

// ConsolePlaces is the answer of GET /api/v1/console/places. Sites are
// arrays, not objects, to keep 14,000 of them small: see ConsoleSite.
type ConsolePlaces struct {
	// Generation changes when the inventory does: a console seeing another
	// one in the state answer reloads the places.
	Generation  string          `json:"generation"`
	Regions     []ConsoleRegion `json:"regions"`
	Sites       [][]any         `json:"sites"`
	SiteFields  []string        `json:"site_fields"`
	PoPs        []ConsolePlace  `json:"pops"`
	Datacentres []ConsolePlace  `json:"datacentres"`
	Backbone    []ConsoleLink   `json:"backbone"`
	// Failures are the what-if's failure items, by kind.
	Failures map[string][]string `json:"failures"`
}

// ConsoleRegion is one region of the inventory.
type ConsoleRegion struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Overseas bool   `json:"overseas"`
}

// ConsolePlace is a PoP or a datacentre, with the devices standing there.
type ConsolePlace struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Region  string   `json:"region"`
	Lat     *float64 `json:"lat"`
	Lon     *float64 `json:"lon"`
	Devices []string `json:"devices"`
}

// ConsoleLink is the backbone between two places (PoPs or datacentres,
// "pop:ID" or "dc:ID"): one line however many trunks join them.
type ConsoleLink struct {
	A     string `json:"a"`
	B     string `json:"b"`
	Links int    `json:"links"`
	// Transoceanic marks a link to an overseas region.
	Transoceanic bool `json:"transoceanic,omitempty"`
}

// consoleSiteFields names the elements of each ConsolePlaces.Sites entry.
var consoleSiteFields = []string{"id", "name", "lat", "lon", "region", "department", "commune", "devices", "circuits"}

// ConsoleState is the answer of GET /api/v1/console/state.
type ConsoleState struct {
	Generation string    `json:"generation"`
	Time       time.Time `json:"time"`
	// States has one letter per site, in the order of the places' sites:
	// n nominal, d degraded, i isolated, u unobserved (no analysis yet,
	// none of its routers polled yet, or on a central their collector lost).
	States string `json:"states"`
	// Counts are the sites by state word.
	Counts map[string]int `json:"counts"`
	// Problems lists the sites not nominal: [site index, cause kind, cause,
	// since (Unix seconds)]. An isolated site's cause is the analysis's root
	// cause; a degraded site's is "access" and its access links down.
	Problems [][]any `json:"problems"`
}

// loadPlaces builds the places and their encoded answer, once.
func (c *console) loadPlaces() {
	c.placesOnce.Do(func() {
		c.places = buildPlaces(c.t)
		b, err := json.Marshal(c.places)
		if err != nil { // plain strings, numbers and slices: not expected
			c.placesErr = err
			return
		}
		c.placesJSON = append(b, '\n')
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		_, _ = zw.Write(c.placesJSON)
		_ = zw.Close()
		c.placesGzip = z.Bytes()
	})
}

func (c *console) servePlaces(w http.ResponseWriter, r *http.Request) {
	c.loadPlaces()
	if c.placesErr != nil {
		writeError(w, http.StatusInternalServerError, "encoding the console's places: "+c.placesErr.Error())
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Add("Vary", "Accept-Encoding")
	body := c.placesJSON
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		body = c.placesGzip
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func (c *console) serveState(w http.ResponseWriter, _ *http.Request) {
	c.loadPlaces()
	c.mu.Lock()
	an, age := c.t.Analysis(), time.Since(c.stateAt)
	if c.state == nil || (an != c.stateOf && age >= consoleStateTTL) || age >= consoleStateIdle {
		c.state = buildState(c.t, c.places.Generation)
		c.stateAt, c.stateOf = time.Now(), an
	}
	s := c.state
	c.mu.Unlock()
	writeJSON(w, http.StatusOK, s)
}

// generation hashes what the console draws of the inventory.
func generation(inv *inventory.Inventory) string {
	h := fnv.New64a()
	for i := range inv.Sites {
		s := &inv.Sites[i]
		fmt.Fprintf(h, "%s\x00%s\x00%g\x00%g\x00%d\n", s.ID, s.Name, s.Lat, s.Lon, len(s.Access))
	}
	fmt.Fprintf(h, "%d %d %d", len(inv.PoPs), len(inv.Datacentres), len(inv.Links))
	return fmt.Sprintf("%016x", h.Sum64())
}

// round5 keeps 5 decimals (about a metre), as vigie_site_info does.
func round5(f float64) float64 { return math.Round(f*1e5) / 1e5 }

type mean struct {
	lat, lon float64
	n        int
}

func (m *mean) add(lat, lon float64) { m.lat += lat; m.lon += lon; m.n++ }

func (m *mean) get() (*float64, *float64) {
	if m == nil || m.n == 0 {
		return nil, nil
	}
	la, lo := round5(m.lat/float64(m.n)), round5(m.lon/float64(m.n))
	return &la, &lo
}

func buildPlaces(t *topology.Topology) *ConsolePlaces {
	inv := t.Inventory()
	p := &ConsolePlaces{Generation: generation(inv), SiteFields: consoleSiteFields,
		Sites: make([][]any, 0, len(inv.Sites)), Failures: map[string][]string{}}
	for _, r := range inv.Regions {
		p.Regions = append(p.Regions, ConsoleRegion{ID: r.ID, Name: r.Name, Overseas: r.Overseas})
	}
	popOf := map[string]string{} // device -> place key
	for i := range inv.Devices {
		d := &inv.Devices[i]
		switch {
		case d.PoP != "":
			popOf[d.Name] = "pop:" + d.PoP
		case d.Datacentre != "":
			popOf[d.Name] = "dc:" + d.Datacentre
		}
	}
	placeRegion := map[string]string{}
	for _, x := range inv.PoPs {
		placeRegion["pop:"+x.ID] = x.Region
	}
	popMean := map[string]*mean{}
	regionMean := map[string]*mean{}
	siteDevices := map[string][]string{}
	for i := range inv.Devices {
		if d := &inv.Devices[i]; d.Site != "" {
			siteDevices[d.Site] = append(siteDevices[d.Site], d.Name)
		}
	}
	for i := range inv.Sites {
		s := &inv.Sites[i]
		var lat, lon any
		if s.HasCoords {
			lat, lon = round5(s.Lat), round5(s.Lon)
			for j, a := range s.Access {
				key := popOf[a.Device]
				// Each site counts once per PoP, however many accesses land there.
				// Only the sites of the PoP's own region: a VPN concentrator
				// serving the whole RIE stands where it stands, not at its
				// sites' barycentre.
				if key == "" || placeRegion[key] != s.Region || slices.ContainsFunc(s.Access[:j], func(b inventory.AccessLink) bool { return popOf[b.Device] == key }) {
					continue
				}
				{
					m := popMean[key]
					if m == nil {
						m = &mean{}
						popMean[key] = m
					}
					m.add(s.Lat, s.Lon)
				}
			}
			m := regionMean[s.Region]
			if m == nil {
				m = &mean{}
				regionMean[s.Region] = m
			}
			m.add(s.Lat, s.Lon)
		}
		var circuits []string
		devs := slices.Clone(siteDevices[s.ID])
		for _, a := range s.Access {
			if a.Circuit != "" {
				circuits = append(circuits, a.Circuit)
			}
			if a.Router != "" && !slices.Contains(devs, a.Router) {
				devs = append(devs, a.Router)
			}
		}
		p.Sites = append(p.Sites, []any{s.ID, s.Name, lat, lon, s.Region, s.Department, s.Commune,
			strings.Join(devs, " "), strings.Join(circuits, " ")})
	}
	placeDevices := map[string][]string{}
	for i := range inv.Devices {
		if key := popOf[inv.Devices[i].Name]; key != "" {
			placeDevices[key] = append(placeDevices[key], inv.Devices[i].Name)
		}
	}
	for _, x := range inv.PoPs {
		key := "pop:" + x.ID
		m := popMean[key]
		if m == nil {
			m = regionMean[x.Region]
		}
		la, lo := m.get()
		p.PoPs = append(p.PoPs, ConsolePlace{ID: x.ID, Name: x.Name, Region: x.Region, Lat: la, Lon: lo,
			Devices: nonNil(placeDevices[key])})
		p.Failures["pop"] = append(p.Failures["pop"], "pop:"+x.ID)
	}
	for _, x := range inv.Datacentres {
		la, lo := regionMean[x.Region].get()
		p.Datacentres = append(p.Datacentres, ConsolePlace{ID: x.ID, Name: x.Name, Region: x.Region, Lat: la, Lon: lo,
			Devices: nonNil(placeDevices["dc:"+x.ID])})
	}
	type pair struct{ a, b string }
	joined := map[pair]*ConsoleLink{}
	srlgs := map[string]bool{}
	for _, l := range inv.Links {
		for _, g := range l.SRLGs {
			srlgs[g] = true
		}
		a, b := popOf[l.A.Device], popOf[l.B.Device]
		if a == "" || b == "" || a == b {
			continue
		}
		if b < a {
			a, b = b, a
		}
		k := pair{a, b}
		if joined[k] == nil {
			joined[k] = &ConsoleLink{A: a, B: b}
		}
		joined[k].Links++
		joined[k].Transoceanic = joined[k].Transoceanic || l.Technology == inventory.TechTransoceanic
	}
	p.Backbone = []ConsoleLink{}
	for _, l := range joined {
		p.Backbone = append(p.Backbone, *l)
	}
	slices.SortFunc(p.Backbone, func(x, y ConsoleLink) int { return strings.Compare(x.A+" "+x.B, y.A+" "+y.B) })
	for i := range inv.Sites {
		for _, a := range inv.Sites[i].Access {
			for _, g := range a.SRLGs {
				srlgs[g] = true
			}
		}
	}
	for g := range srlgs {
		p.Failures["srlg"] = append(p.Failures["srlg"], "srlg:"+g)
	}
	slices.Sort(p.Failures["srlg"])
	for _, r := range inv.Regions {
		p.Failures["region"] = append(p.Failures["region"], "region:"+r.ID)
	}
	for i := range inv.Devices {
		if d := &inv.Devices[i]; d.Site == "" {
			p.Failures["device"] = append(p.Failures["device"], "device:"+d.Name)
		}
	}
	p.Failures["internet"] = []string{"internet"}
	return p
}

func buildState(t *topology.Topology, gen string) *ConsoleState {
	inv := t.Inventory()
	snap := t.Snapshot()
	an := snap.Analysis
	st := &ConsoleState{Generation: gen, Time: snap.Time, Problems: [][]any{},
		Counts: map[string]int{"nominal": 0, "degraded": 0, "isolated": 0, "unobserved": 0}}
	if an != nil {
		st.Time = an.Time
	}
	// A site is observed once one of its routers has been polled.
	observed := map[string]bool{}
	for i := range snap.Nodes {
		if n := &snap.Nodes[i]; n.Site != "" && n.State != topology.DeviceUnknown {
			observed[n.Site] = true
		}
	}
	down := map[string][]string{}
	for i := range snap.Links {
		if l := &snap.Links[i]; l.Kind == topology.KindAccess && l.State == topology.LinkDown {
			down[l.Site] = append(down[l.Site], l.ID)
		}
	}
	b := make([]byte, len(inv.Sites))
	for i := range inv.Sites {
		id := inv.Sites[i].ID
		var r *topology.SiteResult
		if an != nil {
			r = an.Site(id)
		}
		switch {
		case r == nil || (!observed[id] && !r.Isolated) || r.State == topology.SiteUnobserved:
			// SiteUnobserved: a central that lost the site's collector.
			b[i] = letterUnobserved
			st.Counts["unobserved"]++
		case r.State == topology.SiteIsolated:
			b[i] = letterIsolated
			st.Counts["isolated"]++
			st.Problems = append(st.Problems, []any{i, r.CauseKind, r.Cause, r.Since.Unix()})
		case r.State == topology.SiteDegraded:
			b[i] = letterDegraded
			st.Counts["degraded"]++
			st.Problems = append(st.Problems, []any{i, "access", strings.Join(down[id], " "), r.Since.Unix()})
		default:
			b[i] = letterNominal
			st.Counts["nominal"]++
		}
	}
	st.States = string(b)
	return st
}

// ConsoleSite is the answer of GET /api/v1/console/sites/{id}: what the
// inventory says of the site, its designed paths to the datacentres (one
// per access) and the risks more than one of them shares. The live
// verdict (effective protection, SPOFs, cause) is /api/v1/sites/{id}'s.
type ConsoleSite struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Region     string          `json:"region"`
	Department string          `json:"department,omitempty"`
	Commune    string          `json:"commune,omitempty"`
	Address    string          `json:"address,omitempty"`
	Ministry   string          `json:"ministry,omitempty"`
	Contact    string          `json:"contact,omitempty"`
	Protection string          `json:"protection"`
	Paths      []ConsolePath   `json:"paths"`
	Shared     []ConsoleShared `json:"shared"`
}

// ConsolePath is one access's way to the datacentres: the site's router,
// the access, the aggregation device and its PoP, the backbone routers
// that PoP's uplinks reach, and the datacentres.
type ConsolePath struct {
	Link        string   `json:"link,omitempty"`
	Technology  string   `json:"technology"`
	Operator    string   `json:"operator,omitempty"`
	Circuit     string   `json:"circuit,omitempty"`
	Router      string   `json:"router,omitempty"`
	Device      string   `json:"device"`
	PoP         string   `json:"pop,omitempty"`
	ViaInternet bool     `json:"via_internet,omitempty"`
	SRLGs       []string `json:"srlgs"`
	Uplinks     []string `json:"uplinks"`
	Datacentres []string `json:"datacentres"`
}

// ConsoleShared is one risk on more than one of the site's paths: the
// indexes of those paths. A path's risks are its site router, access
// SRLGs, landing device and PoP, carrier, the internet for a tunnelled
// access, and its landing device's uplink with that uplink's SRLGs when
// the device has a single one.
type ConsoleShared struct {
	Risk  string `json:"risk"`
	Paths []int  `json:"paths"`
}

func (c *console) serveSite(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	inv := c.t.Inventory()
	s := inv.Site(id)
	if s == nil {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no site %q in the inventory", id))
		return
	}
	ids := c.t.AccessIDs()[id]
	v := ConsoleSite{ID: s.ID, Name: s.Name, Region: s.Region, Department: s.Department, Commune: s.Commune,
		Address: s.Address, Ministry: s.Ministry, Contact: s.Contact, Protection: s.Protection.String(),
		Paths: []ConsolePath{}, Shared: []ConsoleShared{}}
	var dcs []string
	for _, d := range inv.Datacentres {
		dcs = append(dcs, d.ID)
	}
	risks := map[string][]int{}
	var order []string
	risk := func(r string, i int) {
		if r == "" {
			return
		}
		if _, ok := risks[r]; !ok {
			order = append(order, r)
		}
		if !slices.Contains(risks[r], i) {
			risks[r] = append(risks[r], i)
		}
	}
	for j, a := range s.Access {
		p := ConsolePath{Technology: string(a.Technology), Operator: a.Operator, Circuit: a.Circuit, Router: a.Router,
			Device: a.Device, ViaInternet: a.ViaInternet, SRLGs: nonNil(a.SRLGs), Uplinks: []string{}, Datacentres: dcs}
		if j < len(ids) {
			p.Link = ids[j]
		}
		if d := inv.Device(a.Device); d != nil {
			p.PoP = d.PoP
		}
		var upSRLGs []string
		for _, l := range inv.Links {
			var far string
			switch a.Device {
			case l.A.Device:
				far = l.B.Device
			case l.B.Device:
				far = l.A.Device
			default:
				continue
			}
			p.Uplinks = append(p.Uplinks, far)
			upSRLGs = append(upSRLGs, l.SRLGs...)
		}
		slices.Sort(p.Uplinks)
		p.Uplinks = slices.Compact(p.Uplinks)
		// Uplinks are alternatives: they and their risks are on the path
		// only when the landing device has one.
		if len(p.Uplinks) == 1 {
			risk("device:"+p.Uplinks[0], j)
			for _, g := range upSRLGs {
				risk("srlg:"+g, j)
			}
		}
		v.Paths = append(v.Paths, p)
		risk("device:"+a.Router, j)
		risk("device:"+a.Device, j)
		if p.PoP != "" {
			risk("pop:"+p.PoP, j)
		}
		for _, g := range a.SRLGs {
			risk("srlg:"+g, j)
		}
		if a.ViaInternet {
			risk("internet", j)
		}
		if a.Operator != "" {
			risk("operator:"+a.Operator, j)
		}
	}
	if len(s.Access) > 1 {
		for _, r := range order {
			if len(risks[r]) > 1 {
				v.Shared = append(v.Shared, ConsoleShared{Risk: r, Paths: risks[r]})
			}
		}
	}
	writeJSON(w, http.StatusOK, v)
}
