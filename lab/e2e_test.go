package lab

// The end-to-end test of the internet cut (issue 5): vigie, built from this
// module, runs in the RIE slice's mgmt namespace against the real FRR,
// snmpd and lldpd of the lab, and what it says before and after failures is
// compared with what it predicted (what-if) and with what the routers do.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// e2eDCPrefixes are the datacentres' prefixes (dc-paris, dc-lyon) that every
// site's CE must route to while it is connected.
var e2eDCPrefixes = []string{"10.200.1.0/24", "10.200.2.0/24"}

// e2eDCAddr are addresses that answer in the datacentres (the first of each
// prefix, on dc-paris's and dc-lyon's loopback): the sites' packets go there.
var e2eDCAddr = []string{"10.200.1.1", "10.200.2.1"}

// e2ePartners are the PFS's partners with their VRF's RD (also its route
// target and the community their routes are tagged with), the prefixes each
// announces (lab/internal/labgen designs.go), and an address of theirs that
// answers. pfs-paris runs each partner's VRF as a network namespace
// (vigie.netns-vrf labels; this kernel has no VRF devices: docs/lab.md).
var e2ePartners = []struct {
	name, community, addr string
	prefixes              []string
}{
	{"testa", "65000:100", "10.210.1.1", []string{"10.210.1.0/24"}},
	{"renater", "65000:200", "10.220.1.1", []string{"10.220.1.0/24"}},
}

// e2eInternetAddr answers on both internet stand-ins (198.18.0.0/24).
const e2eInternetAddr = "198.18.0.1"

// e2ePFAI are the slice's internet edges: the upstream interconnect and the
// upstream's AS (lab/rie-slice/pfai-*/frr.conf).
var e2ePFAI = []struct{ device, upstream, upstreamAS string }{
	{"pfai-paris", "inet-paris", "64501"},
	{"pfai-lyon", "inet-lyon", "64502"},
}

// e2eVigie is a vigie daemon running in the lab's mgmt namespace.
type e2eVigie struct {
	t      *testing.T
	bin    string
	config string
	base   string // http://127.0.0.1:PORT inside the mgmt namespace
	client *http.Client
	log    string
	proc   *os.Process
}

// e2ePhase logs one phase's duration when it ends.
func e2ePhase(t *testing.T, name string) func() {
	start := time.Now()
	t.Logf("phase %s: start", name)
	return func() { t.Logf("phase %s: done in %.1fs", name, time.Since(start).Seconds()) }
}

func TestInternetCutEndToEnd(t *testing.T) {
	requireLab(t)
	if _, err := exec.LookPath("go"); err != nil {
		needed(t, "go is needed to build vigie: %v", err)
	}
	total := time.Now()
	ctx := context.Background()
	config, err := filepath.Abs("rie-slice/vigie.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()

	done := e2ePhase(t, "build vigie")
	bin := filepath.Join(dir, "vigie")
	build := exec.Command("go", "build", "-tags", "gosnmp_nodebug", "-o", bin, "./cmd/vigie")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/vigie: %v\n%s", err, out)
	}
	done()

	// 3. The prediction, from the inventory alone, before anything is cut.
	done = e2ePhase(t, "what-if internet (CLI)")
	predicted := e2eWhatIfCLI(t, bin, config, "internet")
	t.Logf("vigie whatif --fail internet: isolated %v, degraded %v, surviving interconnects %v",
		predicted.Isolated, predicted.Degraded, predicted.Surviving)
	if len(predicted.Isolated) == 0 {
		t.Fatal("the what-if predicts no isolated site for the internet cut: the slice has two 4G-over-internet sites")
	}
	done()

	// 1. The lab, then vigie in its mgmt namespace. Cleanups run in reverse
	// order: vigie is killed before the lab goes down.
	done = e2ePhase(t, "lab up")
	l := upForTest(t, "rie-slice/rie-slice.clab.yml", Options{ReadyTimeout: 120 * time.Second})
	for _, p := range l.Phases {
		t.Logf("  lab phase %-9s %5.1fs", p.Name, p.Duration.Seconds())
	}
	done()

	// Issue 21: from one seed, vigie discover finds the whole slice.
	done = e2ePhase(t, "vigie discover")
	e2eDiscover(t, l, bin, config, dir, "bb-paris-1")
	done()

	done = e2ePhase(t, "vigie start")
	v := e2eStartVigie(t, l, bin, config, dir)
	done()

	// 2. Nominal: the discovered topology matches the lab, every site has
	// its designed protection, BGP is up with the routers' prefix counts.
	done = e2ePhase(t, "vigie converged")
	v.waitNominal(l, 90*time.Second)
	done()
	before := v.metrics()
	rrCounts := map[string]float64{}
	for _, rr := range []string{"bb-paris-1", "bb-lyon-1"} {
		rrCounts[rr] = before.value("vigie_bgp_received_prefixes", "device", rr, "family", "ipv4-unicast")
	}
	if _, ok := before.find("vigie_bgp_default_route_present"); !ok {
		// The inventory peers vigie with the route reflectors only (role
		// backbone); the series exists for PFAI peers only. The default
		// route is followed through the PFAI's own sessions and vigie's
		// default-route events below.
		t.Log("note: no vigie_bgp_default_route_present series (vigie peers with the route reflectors, not the PFAI)")
	}
	l.assertCERoutes(t, ctx, nil)
	l.assertPartnerVRFs(t, ctx)
	l.assertDCReach(t, ctx, true)
	eventually(t, 60*time.Second, "vigie's per-VRF series for TESTA and RENATER", func() (bool, string) {
		why := partnerVRFsWhy(v.metrics())
		return len(why) == 0, strings.Join(why, "; ")
	})

	// The live what-if (API) agrees with the CLI's, before the cut.
	live := v.whatIf("internet")
	if !slices.Equal(live.Isolated, predicted.Isolated) {
		t.Errorf("live what-if (API) isolates %v, the CLI's %v", live.Isolated, predicted.Isolated)
	}

	// 4. The internet cut.
	done = e2ePhase(t, "internet cut seen by vigie")
	cutAt := time.Now()
	if err := l.Cut(ctx, Target{Kind: CutInternet}); err != nil {
		t.Fatal(err)
	}
	var isolated []string
	eventually(t, 60*time.Second, "the internet cut seen by vigie", func() (bool, string) {
		var why []string
		m := v.metrics()
		for _, pfai := range e2ePFAI {
			// The PFAI's eBGP session with its upstream (BGP4-MIB, polled by
			// vigie) is what carried the default route into the RIE.
			if up := m.value("vigie_device_bgp_peer_up", "device", pfai.device, "peer_as", pfai.upstreamAS); up != 0 {
				why = append(why, fmt.Sprintf("%s's session with AS %s up=%v", pfai.device, pfai.upstreamAS, up))
			}
			if m.value("vigie_interconnect_up", "interconnect", pfai.upstream) != 0 {
				why = append(why, pfai.upstream+" still up")
			}
		}
		if s, ok := m.find("vigie_bgp_default_route_present"); ok {
			for _, x := range s {
				if x.v != 0 {
					why = append(why, "default route still present "+x.labels)
				}
			}
		}
		// vigie's BGP monitor sees the default route, which the PFAI
		// originate into the backbone, withdrawn by both route reflectors.
		for _, rr := range []string{"bb-paris-1", "bb-lyon-1"} {
			if k := v.lastDefaultRouteEvent(rr, cutAt); k != "bgp_default_route_lost" {
				why = append(why, fmt.Sprintf("last default-route event from %s since the cut: %q", rr, k))
			}
		}
		for rr, n := range rrCounts {
			if got := m.value("vigie_bgp_received_prefixes", "device", rr, "family", "ipv4-unicast"); got >= n {
				why = append(why, fmt.Sprintf("%d prefixes from %s, no fewer than the %d before the cut", int(got), rr, int(n)))
			}
		}
		// The partners' VRFs survive: their VPNv4 routes still reach vigie
		// from both route reflectors, and their interconnects stay up.
		why = append(why, partnerVRFsWhy(m)...)
		isolated = v.isolatedSites()
		if !slices.Equal(isolated, predicted.Isolated) {
			why = append(why, fmt.Sprintf("isolated %v, predicted %v", isolated, predicted.Isolated))
		}
		if mi := m.isolatedSites(); !slices.Equal(mi, predicted.Isolated) {
			why = append(why, fmt.Sprintf("vigie_site_isolated says %v, predicted %v", mi, predicted.Isolated))
		}
		return len(why) == 0, strings.Join(why, "; ")
	})
	done()
	// BGP's own word, per PFAI: its default route is gone from what the
	// route reflectors send vigie. The series must say 0, not be missing
	// (value is -1 then). FRR sends vigie no End-of-RIB, so vigie trusts an
	// absence only once its sessions are past their settle time (60 s from
	// their start): hence a bound of its own.
	eventually(t, 90*time.Second, "both PFAI judged without a default route", func() (bool, string) {
		m := v.metrics()
		var why []string
		for _, pfai := range e2ePFAI {
			if got := m.value("vigie_bgp_pfai_default_route_present", "pfai", pfai.device); got != 0 {
				why = append(why, fmt.Sprintf("vigie_bgp_pfai_default_route_present{pfai=%q} = %v, want 0", pfai.device, got))
			}
		}
		return len(why) == 0, strings.Join(why, "; ")
	})
	if d := v.degradedSites(); !slices.Equal(d, predicted.Degraded) {
		t.Errorf("after the internet cut vigie shows %v degraded, the what-if predicted %v", d, predicted.Degraded)
	}
	for _, s := range v.sites() {
		if s.Isolated {
			continue
		}
		if s.DisjointPaths < 1 {
			t.Errorf("site %s not isolated but has %d paths", s.ID, s.DisjointPaths)
		}
	}
	// The lab agrees: the isolated sites' CEs have lost the datacentres'
	// prefixes, every other CE still routes to both.
	done = e2ePhase(t, "lab agrees with vigie")
	l.assertCERoutes(t, ctx, isolated)
	l.assertPartnerVRFs(t, ctx)
	l.assertDCReach(t, ctx, false)
	done()

	// The routers agree that the default route is gone from the backbone.
	for _, rr := range []string{"bb-paris-1", "bb-lyon-1"} {
		if out, err := l.Vtysh(ctx, rr, "show ip route 0.0.0.0/0 json"); err != nil || frrHasRoute(out, "0.0.0.0/0") {
			t.Errorf("%s still has a BGP default route after the internet cut (err %v): %.300s", rr, err, out)
		}
	}

	// Restore, and back to nominal before the second scenario.
	done = e2ePhase(t, "restore internet")
	restoredAt := time.Now()
	if err := l.Restore(ctx, nil); err != nil {
		t.Fatal(err)
	}
	v.waitNominal(l, 90*time.Second)
	for _, rr := range []string{"bb-paris-1", "bb-lyon-1"} {
		if k := v.lastDefaultRouteEvent(rr, restoredAt); k != "bgp_default_route_back" {
			t.Errorf("last default-route event from %s since the restore: %q, want bgp_default_route_back", rr, k)
		}
	}
	l.assertCERoutes(t, ctx, nil)
	l.assertDCReach(t, ctx, true)
	done()

	// 5. One fibre of the dual site whose fibres share a duct (S-03), one of
	// the truly diverse site (S-01). Beforehand vigie flags S-03's shared
	// duct (losing it isolates the site) and no such risk for S-01.
	done = e2ePhase(t, "fibre cuts")
	if w := v.whatIf("srlg:duct-paris-12"); !slices.Equal(w.Isolated, []string{"S-03"}) {
		t.Errorf("what-if srlg:duct-paris-12 isolates %v, want [S-03] (both its fibres are in that duct)", w.Isolated)
	}
	if w := v.whatIf("srlg:duct-s01-north"); len(w.Isolated) != 0 {
		t.Errorf("what-if srlg:duct-s01-north isolates %v, want none (S-01's fibres take distinct ducts)", w.Isolated)
	}
	fibres := map[string]string{"S-03": "s03-dual-srlg:eth1", "S-01": "s01-diverse:eth1"}
	var items []string
	for _, end := range fibres {
		items = append(items, "link:"+v.linkID(end))
	}
	sort.Strings(items)
	pred := v.whatIf(items...)
	t.Logf("what-if %v: isolated %v, degraded %v", items, pred.Isolated, pred.Degraded)
	if len(pred.Isolated) != 0 {
		t.Errorf("the what-if isolates %v when one fibre of S-01 and S-03 is cut: each keeps another", pred.Isolated)
	}
	for _, end := range fibres {
		if err := l.Cut(ctx, Target{Kind: CutLink, Name: end}); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 60*time.Second, "the fibre cuts seen by vigie", func() (bool, string) {
		var why []string
		for _, end := range fibres {
			if st := v.linkState(end); st != "down" {
				why = append(why, end+" "+st)
			}
		}
		if iso := v.isolatedSites(); !slices.Equal(iso, pred.Isolated) {
			why = append(why, fmt.Sprintf("isolated %v, predicted %v", iso, pred.Isolated))
		}
		for _, id := range []string{"S-01", "S-03"} {
			if s := v.site(id); s.Effective >= s.Designed {
				why = append(why, fmt.Sprintf("%s still at effective %d of designed %d", id, s.Effective, s.Designed))
			}
		}
		// The same, as the dashboards and alerts read it: one fibre left,
		// effective single (1), one path, connected.
		m := v.metrics()
		for _, id := range []string{"S-01", "S-03"} {
			eff := m.value("vigie_site_protection_effective", "site", id)
			paths := m.value("vigie_site_disjoint_paths", "site", id)
			iso := m.value("vigie_site_isolated", "site", id)
			if eff != 1 || paths != 1 || iso != 0 {
				why = append(why, fmt.Sprintf("%s: vigie_site_protection_effective %v, vigie_site_disjoint_paths %v, vigie_site_isolated %v; want 1, 1, 0", id, eff, paths, iso))
			}
		}
		if mi := m.isolatedSites(); len(mi) != 0 {
			why = append(why, fmt.Sprintf("vigie_site_isolated says %v", mi))
		}
		return len(why) == 0, strings.Join(why, "; ")
	})
	if m := v.metrics(); m.value("vigie_site_protection_designed", "site", "S-01") != 4 || m.value("vigie_site_protection_designed", "site", "S-03") != 3 {
		t.Errorf("vigie_site_protection_designed: S-01 %v (want 4, diverse), S-03 %v (want 3, dual)",
			m.value("vigie_site_protection_designed", "site", "S-01"), m.value("vigie_site_protection_designed", "site", "S-03"))
	}
	for _, id := range []string{"S-03", "S-01"} {
		s := v.site(id)
		t.Logf("after one fibre cut: %s %s, effective %d of designed %d, %d disjoint paths", id, s.State, s.Effective, s.Designed, s.DisjointPaths)
		if s.Isolated || s.State != "degraded" {
			t.Errorf("%s after one fibre cut: %s, want degraded (one fibre left, no redundancy) and connected", id, s.State)
		}
	}
	// The what-if predicted exactly the sites the live analysis now shows
	// degraded. (It once counted only disjoint paths, which a single-CE site
	// never has more than one of, and missed them: this check found it.)
	if live := v.degradedSites(); !slices.Equal(pred.Degraded, live) {
		t.Errorf("the what-if of %v predicted degraded sites %v, vigie now shows %v degraded", items, pred.Degraded, live)
	}
	l.assertCERoutes(t, ctx, nil)
	done()

	// 6. Restore: nominal again.
	done = e2ePhase(t, "restore fibres")
	if err := l.Restore(ctx, nil); err != nil {
		t.Fatal(err)
	}
	v.waitNominal(l, 90*time.Second)
	l.assertCERoutes(t, ctx, nil)
	done()

	// Overseas: the SAFE cable is cut. S-11 hangs on it alone; S-12 is
	// diverse (its other fibre reaches Saint-Pierre and the METISS cable):
	// it stays connected, below its design, as the what-if says.
	done = e2ePhase(t, "transoceanic cable cut")
	cable := v.whatIf("srlg:cable-safe")
	t.Logf("what-if srlg:cable-safe: isolated %v, degraded %v", cable.Isolated, cable.Degraded)
	if !slices.Equal(cable.Isolated, []string{"S-11"}) || !slices.Contains(cable.Degraded, "S-12") {
		t.Errorf("what-if srlg:cable-safe: isolated %v, degraded %v; want S-11 isolated and S-12 degraded", cable.Isolated, cable.Degraded)
	}
	if err := l.Cut(ctx, Target{Kind: CutSRLG, Name: "cable-safe"}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 60*time.Second, "the cable cut seen by vigie", func() (bool, string) {
		var why []string
		if st := v.linkState("agg-reunion:eth1"); st != "down" {
			why = append(why, "agg-reunion:eth1 "+st)
		}
		if iso := v.isolatedSites(); !slices.Equal(iso, cable.Isolated) {
			why = append(why, fmt.Sprintf("isolated %v, predicted %v", iso, cable.Isolated))
		}
		m := v.metrics()
		if mi := m.isolatedSites(); !slices.Equal(mi, cable.Isolated) {
			why = append(why, fmt.Sprintf("vigie_site_isolated says %v, predicted %v", mi, cable.Isolated))
		}
		if d := v.degradedSites(); !slices.Equal(d, cable.Degraded) {
			why = append(why, fmt.Sprintf("degraded %v, predicted %v", d, cable.Degraded))
		}
		if eff, des := m.value("vigie_site_protection_effective", "site", "S-12"), m.value("vigie_site_protection_designed", "site", "S-12"); eff < 1 || eff >= des {
			why = append(why, fmt.Sprintf("S-12 effective %v of designed %v", eff, des))
		}
		return len(why) == 0, strings.Join(why, "; ")
	})
	l.assertCERoutes(t, ctx, cable.Isolated)
	done()

	done = e2ePhase(t, "restore cable")
	if err := l.Restore(ctx, nil); err != nil {
		t.Fatal(err)
	}
	v.waitNominal(l, 90*time.Second)
	l.assertCERoutes(t, ctx, nil)
	done()
	t.Logf("end-to-end test in %.1fs (lab down and leftovers checked in cleanup)", time.Since(total).Seconds())
}

// lastDefaultRouteEvent returns the kind of the latest default-route event
// vigie recorded (GET /api/v1/events) for a BGP peer device since a time,
// "" if none.
func (v *e2eVigie) lastDefaultRouteEvent(device string, since time.Time) string {
	v.t.Helper()
	var r struct {
		Events []struct {
			Time    time.Time `json:"time"`
			Kind    string    `json:"kind"`
			Subject string    `json:"subject"`
		} `json:"events"`
	}
	v.getJSON("/api/v1/events?limit=1000&since="+since.UTC().Format(time.RFC3339Nano), &r)
	var last string
	var at time.Time
	for _, e := range r.Events {
		if strings.HasPrefix(e.Subject, device+"/") && strings.HasPrefix(e.Kind, "bgp_default_route_") && !e.Time.Before(at) {
			last, at = e.Kind, e.Time
		}
	}
	return last
}

// e2eWhatIf is the part of a what-if answer the test compares.
type e2eWhatIf struct {
	Isolated  []string `json:"isolated_sites"`
	Degraded  []string `json:"degraded_sites"`
	Surviving []string `json:"surviving_interconnects"`
}

func (w *e2eWhatIf) sort() {
	for _, s := range [][]string{w.Isolated, w.Degraded, w.Surviving} {
		sort.Strings(s)
	}
}

func e2eWhatIfCLI(t *testing.T, bin, config string, fail ...string) e2eWhatIf {
	t.Helper()
	args := []string{"whatif", "--config", config, "--format", "json"}
	for _, f := range fail {
		args = append(args, "--fail", f)
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "VIGIE_LAB_AUTH=vigie-lab-auth", "VIGIE_LAB_PRIV=vigie-lab-priv")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("vigie %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	var w e2eWhatIf
	if err := json.Unmarshal(out, &w); err != nil {
		t.Fatalf("vigie whatif output: %v\n%s", err, out)
	}
	w.sort()
	return w
}

// e2eStartVigie starts vigie in the mgmt namespace with the runner
// `vigie-lab rehearse` uses, and registers its stop; extra are more
// flags for `vigie run`.
func e2eStartVigie(t *testing.T, l *Lab, bin, config, dir string, extra ...string) *e2eVigie {
	t.Helper()
	run, err := l.startVigie(bin, config, dir, LabSecrets{Auth: "vigie-lab-auth", Priv: "vigie-lab-priv"}, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		run.stop()
		if t.Failed() {
			if b, err := os.ReadFile(run.log); err == nil {
				lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
				if len(lines) > 60 {
					lines = lines[len(lines)-60:]
				}
				t.Logf("vigie's last log lines:\n%s", strings.Join(lines, "\n"))
			}
		}
	})
	v := &e2eVigie{t: t, bin: bin, config: config, base: run.base, log: run.log, client: run.client, proc: run.cmd.Process}
	eventually(t, 20*time.Second, "vigie serving its API", func() (bool, string) {
		select {
		case <-run.exited:
			t.Fatalf("vigie exited; see its log %s", run.log)
		default:
		}
		_, err := v.get("/api/v1/topology")
		return err == nil, fmt.Sprint(err)
	})
	return v
}

func (v *e2eVigie) get(path string) ([]byte, error) {
	resp, err := v.client.Get(v.base + path)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("GET %s: %s: %s", path, resp.Status, b)
	}
	return b, nil
}

func (v *e2eVigie) getJSON(path string, out any) {
	v.t.Helper()
	b, err := v.get(path)
	if err != nil {
		v.t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		v.t.Fatalf("GET %s: %v\n%s", path, err, b)
	}
}

// e2eTopology is the part of GET /api/v1/topology the test reads.
type e2eTopology struct {
	Nodes []struct {
		Name     string `json:"name"`
		Declared bool   `json:"declared"`
		State    string `json:"state"`
	} `json:"nodes"`
	Links []struct {
		ID           string   `json:"id"`
		Kind         string   `json:"kind"`
		Site         string   `json:"site"`
		Interconnect string   `json:"interconnect"`
		A            e2eEnd   `json:"a"`
		B            *e2eEnd  `json:"b"`
		Sources      []string `json:"sources"`
		State        string   `json:"state"`
		Disagreement string   `json:"disagreement"`
	} `json:"links"`
	Analysis *struct {
		Interconnects []struct {
			ID string `json:"id"`
			Up bool   `json:"up"`
		} `json:"interconnects"`
	} `json:"analysis"`
}

type e2eEnd struct {
	Device    string `json:"device"`
	Interface string `json:"interface"`
}

func (v *e2eVigie) topology() e2eTopology {
	var tp e2eTopology
	v.getJSON("/api/v1/topology", &tp)
	return tp
}

// linkID returns vigie's id of the link that has the end "device:ifname".
func (v *e2eVigie) linkID(end string) string {
	v.t.Helper()
	dev, ifn, _ := strings.Cut(end, ":")
	for _, lk := range v.topology().Links {
		for _, e := range []*e2eEnd{&lk.A, lk.B} {
			if e != nil && e.Device == dev && e.Interface == ifn {
				return lk.ID
			}
		}
	}
	v.t.Fatalf("vigie has no link with the end %s", end)
	return ""
}

func (v *e2eVigie) linkState(end string) string {
	dev, ifn, _ := strings.Cut(end, ":")
	for _, lk := range v.topology().Links {
		for _, e := range []*e2eEnd{&lk.A, lk.B} {
			if e != nil && e.Device == dev && e.Interface == ifn {
				return lk.State
			}
		}
	}
	return "absent"
}

// e2eSite is the part of GET /api/v1/sites/{id} the test reads.
type e2eSite struct {
	ID            string `json:"id"`
	Designed      int    `json:"designed"`
	Effective     int    `json:"effective"`
	DisjointPaths int    `json:"disjoint_paths"`
	Isolated      bool   `json:"isolated"`
	State         string `json:"state"`
}

func (v *e2eVigie) site(id string) e2eSite {
	var s e2eSite
	v.getJSON("/api/v1/sites/"+id, &s)
	return s
}

// e2eSiteIDs are the slice's sites (lab/rie-slice/vigie.yml).
func e2eSiteIDs() []string {
	ids := make([]string, 12)
	for i := range ids {
		ids[i] = fmt.Sprintf("S-%02d", i+1)
	}
	return ids
}

func (v *e2eVigie) sites() []e2eSite {
	var out []e2eSite
	for _, id := range e2eSiteIDs() {
		out = append(out, v.site(id))
	}
	return out
}

func (v *e2eVigie) isolatedSites() []string {
	var out []string
	for _, s := range v.sites() {
		if s.Isolated {
			out = append(out, s.ID)
		}
	}
	return out
}

// degradedSites lists the sites vigie shows degraded.
func (v *e2eVigie) degradedSites() []string {
	var out []string
	for _, s := range v.sites() {
		if s.State == "degraded" {
			out = append(out, s.ID)
		}
	}
	return out
}

// whatIf asks the running vigie (POST /api/v1/whatif) about extra failures.
func (v *e2eVigie) whatIf(fail ...string) e2eWhatIf {
	v.t.Helper()
	body, _ := json.Marshal(map[string][]string{"fail": fail})
	resp, err := v.client.Post(v.base+"/api/v1/whatif", "application/json", bytes.NewReader(body))
	if err != nil {
		v.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		v.t.Fatalf("POST /api/v1/whatif %s: %s: %s", body, resp.Status, b)
	}
	var w e2eWhatIf
	if err := json.Unmarshal(b, &w); err != nil {
		v.t.Fatalf("what-if answer: %v\n%s", err, b)
	}
	w.sort()
	return w
}

// waitNominal waits until vigie's view matches the lab with nothing cut:
// every device reachable, every declared link up and seen by LLDP (the
// interconnects to the lab's outside stand-ins, which run no lldpd, up),
// no disagreement and no undeclared link, every site at its designed
// protection, both BGP sessions up with as many prefixes as the route
// reflectors advertise to vigie.
func (v *e2eVigie) waitNominal(l *Lab, limit time.Duration) {
	v.t.Helper()
	ctx := context.Background()
	eventually(v.t, limit, "vigie's view nominal and matching the lab", func() (bool, string) {
		var why []string
		tp := v.topology()
		for _, n := range tp.Nodes {
			if !n.Declared || n.State != "reachable" {
				why = append(why, fmt.Sprintf("device %s declared=%v %s", n.Name, n.Declared, n.State))
			}
		}
		seen := map[string]bool{}
		for _, lk := range tp.Links {
			name := lk.A.Device + ":" + lk.A.Interface
			if lk.B != nil {
				name += "--" + lk.B.Device + ":" + lk.B.Interface
				seen[lk.A.Device+":"+lk.A.Interface] = true
				seen[lk.B.Device+":"+lk.B.Interface] = true
			}
			switch {
			case lk.Kind == "observed":
				why = append(why, "undeclared link "+name)
			case lk.Disagreement != "":
				why = append(why, name+" "+lk.Disagreement)
			case lk.State != "up":
				why = append(why, name+" "+lk.State)
			case lk.Kind != "interconnect" && !slices.Contains(lk.Sources, "lldp"):
				why = append(why, name+" not seen by LLDP")
			}
		}
		// Every lab link between two nodes vigie polls is in vigie's view.
		for _, lk := range l.Topo.Links {
			if isOutside(l, lk.A.Node) || isOutside(l, lk.B.Node) {
				continue
			}
			if !seen[lk.A.String()] || !seen[lk.B.String()] {
				why = append(why, "lab link "+lk.String()+" missing from vigie")
			}
		}
		if tp.Analysis == nil {
			why = append(why, "no analysis yet")
		} else {
			for _, ic := range tp.Analysis.Interconnects {
				if !ic.Up {
					why = append(why, "interconnect "+ic.ID+" down")
				}
			}
		}
		if len(why) > 0 {
			return false, strings.Join(why, "; ")
		}
		for _, s := range v.sites() {
			if s.Isolated || s.Effective != s.Designed {
				why = append(why, fmt.Sprintf("site %s %s effective %d designed %d", s.ID, s.State, s.Effective, s.Designed))
			}
		}
		m := v.metrics()
		for _, id := range e2eSiteIDs() {
			des := m.value("vigie_site_protection_designed", "site", id)
			eff := m.value("vigie_site_protection_effective", "site", id)
			if des < 1 || eff != des || m.value("vigie_site_isolated", "site", id) != 0 {
				why = append(why, fmt.Sprintf("metrics of %s: designed %v effective %v isolated %v", id, des, eff, m.value("vigie_site_isolated", "site", id)))
			}
		}
		for _, pfai := range e2ePFAI {
			if m.value("vigie_device_bgp_peer_up", "device", pfai.device, "peer_as", pfai.upstreamAS) != 1 {
				why = append(why, pfai.device+"'s upstream session not up in vigie")
			}
		}
		for _, rr := range []struct{ node, addr string }{{"bb-paris-1", "172.31.2.2"}, {"bb-lyon-1", "172.31.2.4"}} {
			if m.value("vigie_bgp_session_up", "device", rr.node) != 1 {
				why = append(why, "BGP session with "+rr.node+" not up")
				continue
			}
			want, err := l.advertisedToVigie(ctx, rr.node)
			if err != nil {
				why = append(why, err.Error())
				continue
			}
			if got := m.value("vigie_bgp_received_prefixes", "device", rr.node, "family", "ipv4-unicast"); int(got) != want {
				why = append(why, fmt.Sprintf("%d prefixes from %s, which advertises %d", int(got), rr.node, want))
			}
		}
		return len(why) == 0, strings.Join(why, "; ")
	})
}

func isOutside(l *Lab, node string) bool {
	n := l.Topo.Node(node)
	return n == nil || slices.Contains([]string{"outside", "internet", "partner"}, n.Role())
}

// advertisedToVigie returns how many IPv4 prefixes a route reflector
// advertises to vigie (the mgmt gateway), as FRR counts them.
func (l *Lab) advertisedToVigie(ctx context.Context, node string) (int, error) {
	out, err := l.Vtysh(ctx, node, "show bgp ipv4 unicast neighbors "+l.MgmtGateway().String()+" advertised-routes json")
	if err != nil {
		return 0, fmt.Errorf("%s advertised-routes: %v: %s", node, err, out)
	}
	var r struct {
		Total *int `json:"totalPrefixCounter"`
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Total == nil {
		return 0, fmt.Errorf("%s advertised-routes: no totalPrefixCounter (%v): %.200s", node, err, out)
	}
	return *r.Total, nil
}

// assertCERoutes checks, on every site's CE, that the datacentres'
// prefixes are routed, except on the CEs of the isolated sites, where
// neither is.
func (l *Lab) assertCERoutes(t *testing.T, ctx context.Context, isolated []string) {
	t.Helper()
	ce := map[string]string{}
	for _, n := range l.Topo.Nodes {
		if n.Role() == "site" {
			var num int
			if _, err := fmt.Sscanf(n.Name, "s%d", &num); err == nil {
				ce[fmt.Sprintf("S-%02d", num)] = n.Name
			}
		}
	}
	if len(ce) != 12 {
		t.Fatalf("found %d site CEs in the lab, want 12: %v", len(ce), ce)
	}
	for _, id := range e2eSiteIDs() {
		want := !slices.Contains(isolated, id)
		var cmds []string
		for _, p := range e2eDCPrefixes {
			cmds = append(cmds, "show ip route "+p+" json")
		}
		var got []bool
		// Routing converges a little after vigie's poll: allow BGP a few
		// seconds (hold time 9 s) to agree.
		eventually(t, 15*time.Second, fmt.Sprintf("%s's CE %s routing to the datacentres=%v", id, ce[id], want), func() (bool, string) {
			out, err := l.Vtysh(ctx, ce[id], cmds...)
			if err != nil {
				return false, fmt.Sprintf("vtysh: %v: %s", err, out)
			}
			got = got[:0]
			dec := json.NewDecoder(bytes.NewReader(out))
			for _, p := range e2eDCPrefixes {
				var r map[string][]json.RawMessage
				if err := dec.Decode(&r); err != nil {
					return false, fmt.Sprintf("decoding %s: %v: %s", p, err, out)
				}
				got = append(got, len(r[p]) > 0)
			}
			for _, g := range got {
				if g != want {
					return false, fmt.Sprintf("routes to %v: %v", e2eDCPrefixes, got)
				}
			}
			return true, ""
		})
		// And packets: from the site's LAN address to each datacentre and
		// back, through every router between them.
		var num int
		fmt.Sscanf(id, "S-%d", &num)
		src := netip.MustParseAddr(fmt.Sprintf("10.100.%d.1", num))
		eventually(t, 10*time.Second, fmt.Sprintf("%s's CE %s reaching the datacentres=%v", id, ce[id], want), func() (bool, string) {
			var why []string
			for _, dst := range e2eDCAddr {
				err := l.Reach(ctx, ce[id], src, netip.MustParseAddr(dst), 2*time.Second)
				if (err == nil) != want {
					why = append(why, fmt.Sprintf("%s -> %s: %v", src, dst, err))
				}
			}
			return len(why) == 0, strings.Join(why, "; ")
		})
	}
}

// assertDCReach checks packets from dc-paris: the internet stand-ins
// answer only when internet is true. (TESTA and RENATER are in their VRFs,
// namespaces of pfs-paris that the default table cannot reach: a netns VRF
// leaks no routes. Their survival is checked in BGP: assertPartnerVRFs and
// partnerVRFsWhy.)
func (l *Lab) assertDCReach(t *testing.T, ctx context.Context, internet bool) {
	t.Helper()
	src := netip.MustParseAddr(e2eDCAddr[0])
	eventually(t, 15*time.Second, fmt.Sprintf("dc-paris reaching the internet=%v", internet), func() (bool, string) {
		var why []string
		err := l.Reach(ctx, "dc-paris", src, netip.MustParseAddr(e2eInternetAddr), 2*time.Second)
		if (err == nil) != internet {
			why = append(why, fmt.Sprintf("internet %s: %v", e2eInternetAddr, err))
		}
		return len(why) == 0, strings.Join(why, "; ")
	})
}

// assertPartnerVRFs checks the VRFs as the routers hold them: on the PFS,
// each partner's VRF (a namespace: FRR names the VRF after it) holds
// exactly the partner's prefixes; both route reflectors hold exactly those
// as VPNv4 routes under the VRF's RD.
func (l *Lab) assertPartnerVRFs(t *testing.T, ctx context.Context) {
	t.Helper()
	for _, node := range []string{"pfs-paris", "bb-paris-1", "bb-lyon-1"} {
		for _, p := range e2ePartners {
			eventually(t, 15*time.Second, fmt.Sprintf("%s holding %s's VRF (RD %s) with %v", node, p.name, p.community, p.prefixes), func() (bool, string) {
				cmd := "show bgp ipv4 vpn json"
				if node == "pfs-paris" {
					cmd = "show bgp vrf " + netnsVRFNetns(l.Topo.Name, node, p.name) + " ipv4 unicast json"
				}
				out, err := l.Vtysh(ctx, node, cmd)
				if err != nil {
					return false, fmt.Sprintf("vtysh: %v: %.200s", err, out)
				}
				var got []string
				if node == "pfs-paris" {
					got, err = frrRoutePrefixes(out)
				} else {
					got, err = frrVPNPrefixes(out, p.community)
				}
				if err != nil {
					return false, err.Error()
				}
				return slices.Equal(got, p.prefixes), fmt.Sprintf("prefixes %v", got)
			})
		}
	}
}

// partnerVRFsWhy says what is missing from vigie's per-VRF view of the
// partners: each route reflector's VPNv4 routes counted in the partner's
// VRF (named from the RD by vigie.yml's vrfs:), and the partner's
// interconnect up with none of its prefixes missing.
func partnerVRFsWhy(m e2eMetrics) []string {
	var why []string
	for _, p := range e2ePartners {
		for _, rr := range []string{"bb-paris-1", "bb-lyon-1"} {
			if got := m.value("vigie_bgp_received_prefixes", "device", rr, "family", "l3vpn-ipv4-unicast", "vrf", p.name); got != float64(len(p.prefixes)) {
				why = append(why, fmt.Sprintf("vigie_bgp_received_prefixes{device=%q,vrf=%q} = %v, want %d", rr, p.name, got, len(p.prefixes)))
			}
		}
		if got := m.value("vigie_interconnect_prefixes_missing", "interconnect", p.name, "vrf", p.name); got != 0 {
			why = append(why, fmt.Sprintf("vigie_interconnect_prefixes_missing{interconnect=%q} = %v, want 0", p.name, got))
		}
		if m.value("vigie_interconnect_up", "interconnect", p.name) != 1 {
			why = append(why, p.name+" not up")
		}
	}
	return why
}

// frrVPNPrefixes reads the prefixes under one RD of FRR's `show bgp ipv4
// vpn json` ({"routes": {"routeDistinguishers": {RD: {P: [...]}}}}), sorted.
func frrVPNPrefixes(out []byte, rd string) ([]string, error) {
	var r struct {
		Routes struct {
			RDs map[string]map[string]json.RawMessage `json:"routeDistinguishers"`
		} `json:"routes"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("FRR VPN table output: %v: %.200s", err, out)
	}
	var ps []string
	for p := range r.Routes.RDs[rd] {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps, nil
}

// frrRoutePrefixes reads the prefixes of FRR's `show bgp ... json` table
// output ({"routes": {"P": [...]}}), sorted.
func frrRoutePrefixes(out []byte) ([]string, error) {
	var r struct {
		Routes map[string]json.RawMessage `json:"routes"`
	}
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("FRR table output: %v: %.200s", err, out)
	}
	var ps []string
	for p := range r.Routes {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	return ps, nil
}

// frrHasRoute says whether FRR's `show ip route PREFIX json` output has a
// route for the prefix (FRR may answer the key with no entry).
func frrHasRoute(out []byte, prefix string) bool {
	var r map[string][]json.RawMessage
	if json.Unmarshal(out, &r) != nil {
		return false
	}
	return len(r[prefix]) > 0
}

// e2eMetrics is one scrape of /metrics, as series name{labels} value.
type e2eMetrics map[string][]e2eSample

type e2eSample struct {
	labels string
	v      float64
}

func (v *e2eVigie) metrics() e2eMetrics {
	v.t.Helper()
	b, err := v.get("/metrics")
	if err != nil {
		v.t.Fatal(err)
	}
	m := e2eMetrics{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		val, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		series := line[:i]
		name, labels := series, ""
		if j := strings.IndexByte(series, '{'); j >= 0 {
			name, labels = series[:j], series[j:]
		}
		m[name] = append(m[name], e2eSample{labels, val})
	}
	return m
}

func (m e2eMetrics) find(name string) ([]e2eSample, bool) {
	s, ok := m[name]
	return s, ok
}

// match returns the samples of name whose labels include every pair kv.
func (m e2eMetrics) match(name string, kv ...string) []e2eSample {
	var out []e2eSample
	for _, s := range m[name] {
		ok := true
		for i := 0; i+1 < len(kv); i += 2 {
			if !strings.Contains(s.labels, kv[i]+`="`+kv[i+1]+`"`) {
				ok = false
				break
			}
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// value returns the one sample matching, or -1 when none or several match.
func (m e2eMetrics) value(name string, kv ...string) float64 {
	s := m.match(name, kv...)
	if len(s) != 1 {
		return -1
	}
	return s[0].v
}

// isolatedSites lists the sites whose vigie_site_isolated is 1, sorted.
func (m e2eMetrics) isolatedSites() []string {
	var out []string
	for _, id := range e2eSiteIDs() {
		if m.value("vigie_site_isolated", "site", id) == 1 {
			out = append(out, id)
		}
	}
	return out
}

// TestFRRHasRoute checks the reading of FRR's `show ip route P json` on the
// answers seen from FRR 8.4 in the lab.
func TestFRRHasRoute(t *testing.T) {
	for _, tc := range []struct {
		out  string
		want bool
	}{
		{`{}`, false},
		{`{"0.0.0.0/0":[]}`, false}, // seen on a route reflector after the internet cut
		{`{"0.0.0.0/0":[{"prefix":"0.0.0.0/0","protocol":"bgp","selected":true}]}`, true},
		{`{"10.200.1.0/24":[{"prefix":"10.200.1.0/24"}]}`, false}, // another prefix
		{`% Unknown command`, false},
	} {
		if got := frrHasRoute([]byte(tc.out), "0.0.0.0/0"); got != tc.want {
			t.Errorf("frrHasRoute(%s) = %v, want %v", tc.out, got, tc.want)
		}
	}
}

// TestFRRRoutePrefixes checks the reading of FRR's `show bgp ... json`
// table output on the answers seen from FRR 8.4 in the lab.
func TestFRRRoutePrefixes(t *testing.T) {
	for _, tc := range []struct {
		out     string
		want    []string
		wantErr bool
	}{
		{`{"vrfId":0,"vrfName":"default","routes":{"10.210.1.0/24":[{"valid":true}]}}`, []string{"10.210.1.0/24"}, false},
		{`{"vrfId":0,"routes":{"10.220.1.0/24":[{}],"10.210.1.0/24":[{}]}}`, []string{"10.210.1.0/24", "10.220.1.0/24"}, false},
		{`{"vrfId":0,"routes":{}}`, nil, false},
		{`% Unknown command`, nil, true},
	} {
		got, err := frrRoutePrefixes([]byte(tc.out))
		if (err != nil) != tc.wantErr || !slices.Equal(got, tc.want) {
			t.Errorf("frrRoutePrefixes(%s) = %v, %v; want %v (error %v)", tc.out, got, err, tc.want, tc.wantErr)
		}
	}
}
