// This file runs the planners' rehearsal: vigie in the lab's mgmt
// namespace with the lab's generated inventory, vigie's what-if asked for
// a prediction, the failure played, what happened observed twice (vigie's
// live view, and the routers' own packets from each site to each
// datacentre), the failure restored, and a report that puts prediction and
// observation side by side and explains every disagreement.

package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Rehearsal is one failure to rehearse: the lab's cuts and the same
// failure as vigie's what-if items.
type Rehearsal struct {
	Name string
	Cuts []Target
	Fail []string
}

// ParseRehearsal reads a --scenario: internet, srlg:ID, device:NODE,
// link:NODE:IF (one link, by one end) or link:A--B (every link between the
// nodes A and B).
func (t *Topology) ParseRehearsal(spec string) (Rehearsal, error) {
	r := Rehearsal{Name: spec}
	kind, name, _ := strings.Cut(spec, ":")
	var c Target
	switch {
	case spec == "internet":
		c = Target{Kind: CutInternet}
	case kind == "srlg" && name != "":
		c = Target{Kind: CutSRLG, Name: name}
	case kind == "device" && name != "":
		c = Target{Kind: CutNode, Name: name}
	case kind == "link" && strings.Contains(name, "--"):
		a, b, _ := strings.Cut(name, "--")
		for _, lk := range t.Links {
			if (lk.A.Node == a && lk.B.Node == b) || (lk.A.Node == b && lk.B.Node == a) {
				r.Cuts = append(r.Cuts, Target{Kind: CutLink, Name: lk.A.String()})
			}
		}
		if len(r.Cuts) == 0 {
			return r, fmt.Errorf("lab: scenario %q: no link of %s joins %s and %s", spec, t.Name, a, b)
		}
		return r, t.fillFail(&r)
	case kind == "link" && strings.Contains(name, ":"):
		c = Target{Kind: CutLink, Name: name}
	default:
		return r, fmt.Errorf("lab: scenario %q: use internet, srlg:ID, device:NODE, link:NODE:IF or link:A--B", spec)
	}
	r.Cuts = []Target{c}
	return r, t.fillFail(&r)
}

// RehearsalFromScenario turns a named scenario of scenarios.yml into a
// rehearsal.
func (t *Topology) RehearsalFromScenario(s Scenario) (Rehearsal, error) {
	r := Rehearsal{Name: s.Name, Cuts: s.Cuts}
	return r, t.fillFail(&r)
}

// fillFail writes the what-if items of the rehearsal's cuts, checking
// that each cut exists in the lab.
func (t *Topology) fillFail(r *Rehearsal) error {
	for _, c := range r.Cuts {
		eps, err := t.Endpoints(c)
		if err != nil {
			return fmt.Errorf("lab: scenario %s: %w", r.Name, err)
		}
		switch c.Kind {
		case CutInternet:
			r.Fail = append(r.Fail, "internet")
		case CutSRLG:
			r.Fail = append(r.Fail, "srlg:"+c.Name)
		case CutNode:
			r.Fail = append(r.Fail, "device:"+c.Name)
		case CutLink:
			// vigie names a link by its two ends, sorted, joined by "--".
			ends := []string{eps[0].String(), eps[1].String()}
			sort.Strings(ends)
			r.Fail = append(r.Fail, "link:"+ends[0]+"--"+ends[1])
		}
	}
	slices.Sort(r.Fail)
	r.Fail = slices.Compact(r.Fail)
	return nil
}

// RehearseOptions say how to rehearse.
type RehearseOptions struct {
	// Vigie is the vigie binary to run in the mgmt namespace.
	Vigie string
	// Dir holds the generated inventory, vigie's database and log.
	Dir string
	// Timeout bounds each wait: vigie nominal, the failure seen by the
	// routers and by vigie, back to nominal (default 90 s).
	Timeout time.Duration
	// Progress receives one line per step (nil = none).
	Progress io.Writer
}

// SiteOutcome is one site in one rehearsed failure.
type SiteOutcome struct {
	Site string `json:"site"`
	CE   string `json:"ce"`
	// Predicted, Vigie and Routers say "isolated" or "connected": vigie's
	// what-if before the cut, vigie's live view after it, and the packets
	// from the site's CE to the datacentres after it.
	Predicted string `json:"predicted"`
	Vigie     string `json:"vigie"`
	Routers   string `json:"routers"`
	// Reached lists the datacentres the CE's packets reached.
	Reached []string `json:"reached"`
	Agree   bool     `json:"agree"`
}

// ScenarioReport is the outcome of one rehearsed failure.
type ScenarioReport struct {
	Name string   `json:"name"`
	Fail []string `json:"fail"`
	Cuts []string `json:"cuts"`
	// What vigie's what-if predicted.
	PredictedIsolated  []string `json:"predicted_isolated"`
	PredictedDegraded  []string `json:"predicted_degraded"`
	PredictedSurviving []string `json:"predicted_surviving_interconnects"`
	// What was observed once settled.
	Sites                []SiteOutcome `json:"sites"`
	VigieDegraded        []string      `json:"vigie_degraded"`
	VigieInterconnectsUp []string      `json:"vigie_interconnects_up"`
	// Seconds from the cut until the routers' packets, and vigie's view,
	// agreed with the prediction (-1: never within the timeout); and from
	// the restore until both were back to nominal.
	RoutingSeconds        float64  `json:"routing_seconds"`
	VigieSeconds          float64  `json:"vigie_seconds"`
	RestoreRoutingSeconds float64  `json:"restore_routing_seconds"`
	RestoreVigieSeconds   float64  `json:"restore_vigie_seconds"`
	Disagreements         []string `json:"disagreements"`
	Agree                 bool     `json:"agree"`
}

// RehearsalReport is the whole rehearsal.
type RehearsalReport struct {
	Lab       string `json:"lab"`
	Inventory string `json:"inventory"`
	// Datacentres are the nodes the sites' packets are sent to.
	Datacentres  []string         `json:"datacentres"`
	VigieSeconds float64          `json:"vigie_nominal_seconds"`
	Scenarios    []ScenarioReport `json:"scenarios"`
	Agree        bool             `json:"agree"`
}

// rehearsalTarget is where a site's or a datacentre's packets come from or
// go: the first address of the node's first vigie.prefixes prefix, which
// the lab's routers hold on their loopback.
func rehearsalAddr(n *Node) (netip.Addr, bool) {
	for _, p := range splitList(n.Labels[LabelPrefixes]) {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			return pfx.Masked().Addr().Next(), true
		}
	}
	return netip.Addr{}, false
}

// Rehearse runs each rehearsal on the running lab and reports. The lab
// must be up (converged); vigie is started and stopped here.
func (l *Lab) Rehearse(ctx context.Context, rs []Rehearsal, o RehearseOptions) (*RehearsalReport, error) {
	if o.Timeout <= 0 {
		o.Timeout = 90 * time.Second
	}
	rep := &RehearsalReport{Lab: l.Topo.Name, Agree: true}
	sites, dcs, err := l.rehearsalNodes()
	if err != nil {
		return nil, err
	}
	for _, dc := range dcs {
		rep.Datacentres = append(rep.Datacentres, dc.Name)
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	rep.Inventory = filepath.Join(o.Dir, "vigie.yml")
	f, err := os.Create(rep.Inventory)
	if err != nil {
		return nil, err
	}
	sec, err := l.Topo.WriteInventory(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	say := func(format string, args ...any) {
		if o.Progress != nil {
			fmt.Fprintf(o.Progress, format+"\n", args...)
		}
	}
	v, err := l.startVigie(o.Vigie, rep.Inventory, o.Dir, sec)
	if err != nil {
		return nil, err
	}
	defer v.stop()
	start := time.Now()
	say("vigie started in %s (inventory %s, log %s)", l.MgmtNetns(), rep.Inventory, v.log)
	if err := v.waitNominal(ctx, l, sites, dcs, o.Timeout); err != nil {
		return nil, err
	}
	rep.VigieSeconds = time.Since(start).Seconds()
	say("vigie nominal after %.1fs: every device reachable, every site at its designed protection, every datacentre reached", rep.VigieSeconds)
	for _, r := range rs {
		sr, err := l.rehearseOne(ctx, v, r, sites, dcs, o.Timeout, say)
		if err != nil {
			return rep, err
		}
		rep.Scenarios = append(rep.Scenarios, *sr)
		rep.Agree = rep.Agree && sr.Agree
	}
	return rep, nil
}

// rehearsalNodes returns the site CEs and datacentre nodes, each with an
// address from vigie.prefixes.
func (l *Lab) rehearsalNodes() (sites, dcs []*Node, err error) {
	for _, n := range l.Topo.Nodes {
		switch n.Role() {
		case "site":
			if _, ok := rehearsalAddr(n); !ok {
				return nil, nil, fmt.Errorf("lab: site CE %s has no label %s: rehearse sends the site's packets from its first address", n.Name, LabelPrefixes)
			}
			sites = append(sites, n)
		case "dc":
			if _, ok := rehearsalAddr(n); ok {
				dcs = append(dcs, n)
			}
		}
	}
	if len(sites) == 0 || len(dcs) == 0 {
		return nil, nil, fmt.Errorf("lab: %s: rehearse needs site CEs (vigie.role: site) and datacentre nodes (vigie.role: dc) with label %s (%d and %d found)", l.Topo.Name, LabelPrefixes, len(sites), len(dcs))
	}
	return sites, dcs, nil
}

// observeRouters sends packets from every site CE to every datacentre and
// returns, per site, the datacentres reached.
func (l *Lab) observeRouters(ctx context.Context, sites, dcs []*Node) map[string][]string {
	out := map[string][]string{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	for _, s := range sites {
		src, _ := rehearsalAddr(s)
		// Under the lock: the previous site's probes may still be appending.
		mu.Lock()
		out[s.Labels[LabelSite]] = []string{}
		mu.Unlock()
		for _, dc := range dcs {
			dst, _ := rehearsalAddr(dc)
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if l.Reach(ctx, s.Name, src, dst, time.Second) == nil {
					mu.Lock()
					out[s.Labels[LabelSite]] = append(out[s.Labels[LabelSite]], dc.Name)
					mu.Unlock()
				}
			}()
		}
	}
	wg.Wait()
	for _, v := range out {
		sort.Strings(v)
	}
	return out
}

func isolatedOf(reached map[string][]string) []string {
	var out []string
	for s, dcs := range reached {
		if len(dcs) == 0 {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

func connected(isolated bool) string {
	if isolated {
		return "isolated"
	}
	return "connected"
}

func (l *Lab) rehearseOne(ctx context.Context, v *vigieRun, r Rehearsal, sites, dcs []*Node, timeout time.Duration, say func(string, ...any)) (*ScenarioReport, error) {
	sr := &ScenarioReport{Name: r.Name, Fail: r.Fail, RoutingSeconds: -1, VigieSeconds: -1, RestoreRoutingSeconds: -1, RestoreVigieSeconds: -1}
	for _, c := range r.Cuts {
		sr.Cuts = append(sr.Cuts, c.String())
	}
	w, err := v.whatIf(r.Fail)
	if err != nil {
		return nil, err
	}
	sr.PredictedIsolated, sr.PredictedDegraded, sr.PredictedSurviving = w.Isolated, w.Degraded, w.Surviving
	say("scenario %s: vigie predicts isolated %v, degraded %v, interconnects surviving %v", r.Name, w.Isolated, w.Degraded, w.Surviving)

	cutAt := time.Now()
	for _, c := range r.Cuts {
		if err := l.Cut(ctx, c); err != nil {
			_ = l.Restore(context.Background(), nil)
			return nil, err
		}
	}
	// Sample both views every 2 s until each has agreed with the
	// prediction twice in a row, or the timeout: a view that never agrees
	// is reported as last seen.
	var reached map[string][]string
	var vs vigieSites
	routerOK, vigieOK := 0, 0
	for deadline := cutAt.Add(timeout); ; {
		reached = l.observeRouters(ctx, sites, dcs)
		if slices.Equal(isolatedOf(reached), w.Isolated) {
			routerOK++
			if routerOK == 1 {
				sr.RoutingSeconds = time.Since(cutAt).Seconds()
			}
		} else {
			routerOK, sr.RoutingSeconds = 0, -1
		}
		vs, err = v.sites(sites)
		if err == nil && slices.Equal(vs.isolated, w.Isolated) && slices.Equal(vs.degraded, w.Degraded) && slices.Equal(vs.interconnectsUp, w.Surviving) {
			vigieOK++
			if vigieOK == 1 {
				sr.VigieSeconds = time.Since(cutAt).Seconds()
			}
		} else {
			vigieOK, sr.VigieSeconds = 0, -1
		}
		if (routerOK >= 2 && vigieOK >= 2) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		sleepCtx(ctx, 2*time.Second)
	}
	sr.VigieDegraded, sr.VigieInterconnectsUp = vs.degraded, vs.interconnectsUp
	sr.Agree = true
	for _, s := range sites {
		id := s.Labels[LabelSite]
		o := SiteOutcome{Site: id, CE: s.Name, Predicted: connected(slices.Contains(w.Isolated, id)),
			Vigie: connected(slices.Contains(vs.isolated, id)), Routers: connected(len(reached[id]) == 0), Reached: reached[id]}
		o.Agree = o.Predicted == o.Vigie && o.Predicted == o.Routers
		if !o.Agree {
			sr.Agree = false
			sr.Disagreements = append(sr.Disagreements, explainSite(o, dcs))
		}
		sr.Sites = append(sr.Sites, o)
	}
	if !slices.Equal(vs.degraded, w.Degraded) {
		sr.Agree = false
		sr.Disagreements = append(sr.Disagreements, fmt.Sprintf("degraded sites: vigie predicted %v, its live view shows %v (a site judged degraded only after the cut has fewer disjoint paths or a lower effective protection than the what-if computed)", w.Degraded, vs.degraded))
	}
	if !slices.Equal(vs.interconnectsUp, w.Surviving) {
		sr.Agree = false
		sr.Disagreements = append(sr.Disagreements, fmt.Sprintf("interconnects: vigie predicted %v surviving, its live view has %v up", w.Surviving, vs.interconnectsUp))
	}
	if vs.err != nil {
		sr.Disagreements = append(sr.Disagreements, "vigie's live view could not be read: "+vs.err.Error())
	}
	say("scenario %s: routers agree after %s, vigie after %s", r.Name, secs(sr.RoutingSeconds), secs(sr.VigieSeconds))

	restoreAt := time.Now()
	for _, c := range r.Cuts {
		if err := l.Restore(ctx, &c); err != nil {
			return sr, err
		}
	}
	routerOK, vigieOK = 0, 0
	for deadline := restoreAt.Add(timeout); ; {
		if len(isolatedOf(l.observeRouters(ctx, sites, dcs))) == 0 {
			if routerOK++; routerOK == 1 {
				sr.RestoreRoutingSeconds = time.Since(restoreAt).Seconds()
			}
		} else {
			routerOK, sr.RestoreRoutingSeconds = 0, -1
		}
		if why := v.nominal(); why == "" {
			if vigieOK++; vigieOK == 1 {
				sr.RestoreVigieSeconds = time.Since(restoreAt).Seconds()
			}
		} else {
			vigieOK, sr.RestoreVigieSeconds = 0, -1
		}
		if (routerOK >= 2 && vigieOK >= 2) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		sleepCtx(ctx, 2*time.Second)
	}
	if sr.RestoreRoutingSeconds < 0 || sr.RestoreVigieSeconds < 0 {
		sr.Agree = false
		sr.Disagreements = append(sr.Disagreements, fmt.Sprintf("not back to nominal within %s of the restore (routers %s, vigie %s): %s", timeout, secs(sr.RestoreRoutingSeconds), secs(sr.RestoreVigieSeconds), v.nominal()))
	}
	say("scenario %s: restored, routers nominal after %s, vigie after %s", r.Name, secs(sr.RestoreRoutingSeconds), secs(sr.RestoreVigieSeconds))
	return sr, nil
}

// explainSite says why one site's outcome disagrees, naming who says what
// and the packets' evidence.
func explainSite(o SiteOutcome, dcs []*Node) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (CE %s): predicted %s", o.Site, o.CE, o.Predicted)
	if o.Vigie != o.Predicted {
		fmt.Fprintf(&b, ", but vigie's live view shows it %s", o.Vigie)
	}
	if o.Routers != o.Predicted {
		if o.Routers == "isolated" {
			var names []string
			for _, dc := range dcs {
				names = append(names, dc.Name)
			}
			fmt.Fprintf(&b, ", but its CE's packets reach no datacentre (%s): the network lost a path the what-if counted", strings.Join(names, ", "))
		} else {
			fmt.Fprintf(&b, ", but its CE's packets still reach %s: the network kept a path the what-if did not count (missing from the inventory?)", strings.Join(o.Reached, ", "))
		}
	}
	return b.String()
}

func secs(s float64) string {
	if s < 0 {
		return "never"
	}
	return strconv.FormatFloat(s, 'f', 1, 64) + "s"
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// vigieRun is a vigie process in the lab's mgmt namespace and a client of
// its API there.
type vigieRun struct {
	cmd    *exec.Cmd
	exited chan struct{}
	base   string
	log    string
	client *http.Client
	logf   *os.File
	// siteNodes are the site CEs whose sites nominal reads.
	siteNodes []*Node
}

// startVigie starts `vigie run` in the mgmt namespace, listening on that
// namespace's own loopback, with the lab's SNMP passwords and extra flags.
func (l *Lab) startVigie(bin, config, dir string, sec LabSecrets, extra ...string) (*vigieRun, error) {
	var port int
	if err := l.MgmtDo(func() error {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		port = ln.Addr().(*net.TCPAddr).Port
		return ln.Close()
	}); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	v := &vigieRun{exited: make(chan struct{}), base: "http://" + addr, log: filepath.Join(dir, "vigie.log")}
	var err error
	if v.logf, err = os.Create(v.log); err != nil {
		return nil, err
	}
	db := filepath.Join(dir, "vigie.db")
	_ = os.Remove(db) // a previous rehearsal's history is not this one's
	v.cmd = exec.Command(bin, append([]string{"run", "--config", config, "--db", db, "--web.listen-address", addr}, extra...)...)
	v.cmd.Env = append(os.Environ(), EnvAuth+"="+sec.Auth, EnvPriv+"="+sec.Priv)
	v.cmd.Stdout, v.cmd.Stderr = v.logf, v.logf
	if err := l.MgmtStart(v.cmd); err != nil {
		v.logf.Close()
		return nil, fmt.Errorf("lab: start vigie (%s): %w: build it (go build -o bin/ ./cmd/vigie) or give -vigie PATH", bin, err)
	}
	go func() { _ = v.cmd.Wait(); close(v.exited) }()
	dialer := &net.Dialer{Timeout: 2 * time.Second}
	v.client = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, address string) (net.Conn, error) {
			var c net.Conn
			err := l.MgmtDo(func() error {
				var err error
				c, err = dialer.DialContext(ctx, network, address)
				return err
			})
			return c, err
		},
	}}
	return v, nil
}

// stop ends vigie: SIGTERM, then SIGKILL after 10 s.
func (v *vigieRun) stop() {
	_ = v.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-v.exited:
	case <-time.After(10 * time.Second):
		_ = v.cmd.Process.Kill()
		<-v.exited
	}
	v.logf.Close()
}

func (v *vigieRun) get(path string, out any) error {
	select {
	case <-v.exited:
		return fmt.Errorf("vigie exited: see its log %s", v.log)
	default:
	}
	resp, err := v.client.Get(v.base + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return json.Unmarshal(b, out)
}

// whatIfAnswer is the part of vigie's what-if answer the rehearsal uses.
type whatIfAnswer struct {
	Isolated  []string `json:"isolated_sites"`
	Degraded  []string `json:"degraded_sites"`
	Surviving []string `json:"surviving_interconnects"`
}

// whatIf asks the running vigie (POST /api/v1/whatif): its prediction
// from its live view, before anything is cut.
func (v *vigieRun) whatIf(fail []string) (whatIfAnswer, error) {
	var w whatIfAnswer
	body, _ := json.Marshal(map[string][]string{"fail": fail})
	resp, err := v.client.Post(v.base+"/api/v1/whatif", "application/json", bytes.NewReader(body))
	if err != nil {
		return w, fmt.Errorf("lab: vigie's what-if: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return w, fmt.Errorf("lab: vigie's what-if %s: %s: %s", body, resp.Status, b)
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return w, fmt.Errorf("lab: vigie's what-if answer: %w", err)
	}
	for _, s := range [][]string{w.Isolated, w.Degraded, w.Surviving} {
		sort.Strings(s)
	}
	return w, nil
}

// vigieSites is vigie's live view of the sites and interconnects.
type vigieSites struct {
	isolated, degraded, interconnectsUp []string
	notNominal                          []string
	err                                 error
}

type apiSite struct {
	ID        string `json:"id"`
	Designed  int    `json:"designed"`
	Effective int    `json:"effective"`
	Isolated  bool   `json:"isolated"`
	State     string `json:"state"`
}

type apiTopology struct {
	Nodes []struct {
		Name     string `json:"name"`
		Declared bool   `json:"declared"`
		State    string `json:"state"`
	} `json:"nodes"`
	Analysis *struct {
		Interconnects []struct {
			ID string `json:"id"`
			Up bool   `json:"up"`
		} `json:"interconnects"`
	} `json:"analysis"`
}

func (v *vigieRun) sites(sites []*Node) (vigieSites, error) {
	var vs vigieSites
	var tp apiTopology
	if err := v.get("/api/v1/topology", &tp); err != nil {
		vs.err = err
		return vs, err
	}
	if tp.Analysis == nil {
		vs.err = errors.New("vigie has no analysis yet")
		return vs, vs.err
	}
	vs.interconnectsUp = []string{}
	for _, ic := range tp.Analysis.Interconnects {
		if ic.Up {
			vs.interconnectsUp = append(vs.interconnectsUp, ic.ID)
		} else {
			vs.notNominal = append(vs.notNominal, "interconnect "+ic.ID+" down")
		}
	}
	sort.Strings(vs.interconnectsUp)
	for _, n := range tp.Nodes {
		if n.Declared && n.State != "reachable" {
			vs.notNominal = append(vs.notNominal, "device "+n.Name+" "+n.State)
		}
	}
	for _, s := range sites {
		var a apiSite
		if err := v.get("/api/v1/sites/"+s.Labels[LabelSite], &a); err != nil {
			vs.err = err
			return vs, err
		}
		if a.Isolated {
			vs.isolated = append(vs.isolated, a.ID)
		}
		if a.State == "degraded" {
			vs.degraded = append(vs.degraded, a.ID)
		}
		if a.Isolated || a.Effective != a.Designed {
			vs.notNominal = append(vs.notNominal, fmt.Sprintf("site %s %s (effective %d, designed %d)", a.ID, a.State, a.Effective, a.Designed))
		}
	}
	sort.Strings(vs.isolated)
	sort.Strings(vs.degraded)
	return vs, nil
}

// nominal says what keeps vigie's view from nominal ("" = nominal): every
// declared device reachable, every site at its designed protection.
func (v *vigieRun) nominal() string {
	vs, err := v.sites(v.siteNodes)
	if err != nil {
		return err.Error()
	}
	return strings.Join(vs.notNominal, "; ")
}

// waitNominal waits until vigie's view is nominal and every site's CE
// reaches every datacentre with packets.
func (v *vigieRun) waitNominal(ctx context.Context, l *Lab, sites, dcs []*Node, timeout time.Duration) error {
	v.siteNodes = sites
	deadline := time.Now().Add(timeout)
	for {
		why := v.nominal()
		if why == "" {
			reached := l.observeRouters(ctx, sites, dcs)
			var miss []string
			for _, s := range sortedKeys(reached) {
				if len(reached[s]) != len(dcs) {
					miss = append(miss, fmt.Sprintf("%s reaches %v", s, reached[s]))
				}
			}
			if len(miss) == 0 {
				return nil
			}
			why = "the routers: " + strings.Join(miss, ", ")
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("lab: vigie not nominal within %s, nothing cut: %s (see %s)", timeout, why, v.log)
		}
		sleepCtx(ctx, 2*time.Second)
	}
}

// Running reports whether a lab of that name has namespaces, i.e. is up
// (or a crashed run's leftovers are).
func Running(name string) bool {
	nss, _ := labNamespaces(name)
	return len(nss) > 0
}
