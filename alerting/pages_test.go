package alerting

// The page count of issue 14: the real `vigie demo` binary on a simulated
// RIE, Debian's Prometheus evaluating the shipped rules and Debian's
// Alertmanager running the shipped alertmanager.yml (receivers pointed at a
// local webhook that counts), and the incidents planners rehearse, cut one
// after the other through the simulator's /sim/cuts/ API:
//
//	make bench-pages    # the full RIE, every incident
//	VIGIE_PAGES_INCIDENTS=all go test ./alerting -run TestPagesPerIncident -v    # 2,000 sites, every incident
//
// The rules' "for" durations are divided by VIGIE_PAGES_FOR_SCALE (default
// 12: the 3 min of VigieSiteIsolated become 15 s) in a temporary copy, so
// that one incident takes about a minute and a half; their order, hence the
// root cause firing first, is kept. Alertmanager's waits and every route and
// inhibition are the shipped ones.

import (
	"cmp"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// incident is one scenario: the /sim/cuts/ item and the most pages it may
// send. site, when set, must be named by a page.
type incident struct {
	key        string // internet, router, cable, access (VIGIE_PAGES_INCIDENTS)
	name, item string
	maxPages   int
	site       string
}

// incidents picks, in the demo's inventory (sim.Generate with the demo's
// seed), the aggregation router carrying the most single-homed sites, the
// cable of an overseas territory hanging on one cable, and a site with one
// access of its own.
func incidents(t *testing.T, inv *inventory.Inventory) []incident {
	t.Helper()
	only := map[string]int{} // aggregation router -> sites landing only on it
	var own *inventory.Site
	for i := range inv.Sites {
		s := &inv.Sites[i]
		lands := map[string]bool{}
		for _, a := range s.Access {
			lands[a.Device] = true
		}
		if len(lands) == 1 {
			only[s.Access[0].Device]++
		}
		if own == nil && len(s.Access) == 1 && !s.Access[0].ViaInternet && s.Access[0].Router != "" && !s.Overseas {
			own = s
		}
	}
	var agg string
	for d, n := range only {
		if dev := inv.Device(d); dev == nil || dev.Role != inventory.RoleCollection || dev.PoP == "" {
			continue
		}
		if agg == "" || n > only[agg] || n == only[agg] && d < agg {
			agg = d
		}
	}
	cables := map[string][]string{} // overseas region -> SRLGs of its transoceanic links
	for _, l := range inv.Links {
		if l.Technology == inventory.TechTransoceanic && len(l.SRLGs) > 0 {
			r := inv.DeviceRegion(inv.Device(l.A.Device))
			cables[r] = append(cables[r], l.SRLGs[0])
		}
	}
	sites := map[string]int{}
	for _, s := range inv.Sites {
		sites[s.Region]++
	}
	var cable, territory string
	for r, cs := range cables {
		if len(cs) == 1 && sites[r] >= 2 && (territory == "" || sites[r] > sites[territory]) {
			cable, territory = cs[0], r
		}
	}
	if agg == "" || cable == "" || own == nil {
		t.Fatalf("the simulated RIE lacks a scenario: aggregation router %q, one-cable territory %q, single-access site %v", agg, territory, own != nil)
	}
	a := own.Access[0]
	return []incident{
		{key: "internet", name: "internet cut", item: "internet", maxPages: 3},
		{key: "router", name: fmt.Sprintf("aggregation router %s off (%d sites)", agg, only[agg]), item: "device:" + agg, maxPages: 2},
		{key: "cable", name: fmt.Sprintf("cable %s to %s cut (%d sites)", cable, territory, sites[territory]), item: "srlg:" + cable, maxPages: 2},
		{key: "access", name: fmt.Sprintf("site %s's own access down", own.ID), item: "link:" + a.Router + "--" + a.Device, maxPages: 1, site: own.ID},
	}
}

func envInt(t *testing.T, name string, def int) int {
	t.Helper()
	s := os.Getenv(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		t.Fatalf("%s=%q: want a positive integer", name, s)
	}
	return n
}

// TestPagesPerIncident counts the pages (notifications to an oncall-*
// receiver) and tickets each incident sends, and fails when an incident
// pages more than it may: the internet cut at most 3, an aggregation router
// or an overseas cable at most 2, a site's own access once, naming the site.
func TestPagesPerIncident(t *testing.T) {
	if testing.Short() {
		t.Skip("takes minutes: run without -short")
	}
	binary(t, prometheusPath)
	binary(t, alertmanagerPath)
	sites := envInt(t, "VIGIE_PAGES_SITES", 2000)
	scale := envInt(t, "VIGIE_PAGES_FOR_SCALE", 12)
	// Polls every 5 s, scrapes every 5 s. On the full RIE /metrics holds 1.2
	// million series (126 MB), 780,000 of them per-interface series of the
	// 86,000 collection interfaces, more than Prometheus ingests every few
	// seconds on a test machine: the demo exposes device-level series only
	// for collection devices (an operator's --collector.interface-metrics
	// choice; no page reads them), polls every 15 s and is scraped every 30 s.
	interval, scrape := 5*time.Second, 5*time.Second
	args := []string{"demo", "--sites", strconv.Itoa(sites), "--seed", "1", "--faults=false", "--db", "-", "--log.level", "warn"}
	if sites > 4000 {
		interval, scrape = 15*time.Second, 30*time.Second
		args = append(args, "--collector.interface-metrics", "collection=none")
	}
	inv := sim.Generate(sim.GenerateOptions{Sites: sites, Seed: 1})
	// Each incident takes about 100 s: CI runs the internet cut and a
	// site's own access (the router and the cable are in
	// tests/storm.test.yml and tests/cuts.test.yml); make bench-pages all.
	want := strings.Split(cmp.Or(os.Getenv("VIGIE_PAGES_INCIDENTS"), "internet,access"), ",")
	var cases []incident
	for _, inc := range incidents(t, inv) {
		if slices.Contains(want, "all") || slices.Contains(want, inc.key) {
			cases = append(cases, inc)
		}
	}
	if len(cases) == 0 {
		t.Fatalf("VIGIE_PAGES_INCIDENTS=%q: want all, or some of internet,router,cable,access", os.Getenv("VIGIE_PAGES_INCIDENTS"))
	}

	// The real binary, as an operator starts the demo.
	bin := filepath.Join(t.TempDir(), "vigie")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goBin, "build", "-tags", "gosnmp_nodebug", "-o", bin, "../cmd/vigie").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	port := freeport.TCP(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	startProcess(t, "vigie.log", bin, append(args, "--interval", interval.String(), "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))...)
	waitReady(t, base+"/-/ready", 5*time.Minute)

	c := startChain(t, base+"/metrics", chainOptions{scrape: scrape, eval: 5 * time.Second, forScale: scale})
	settle := func(what string) {
		t.Helper()
		// Nothing isolated, BGP converged with the internet present, and no
		// critical alert firing or pending: the next incident starts clean.
		c.waitQuery(t, what, 5*time.Minute,
			`sum(vigie_site_isolated) == 0`,
			`min(vigie_bgp_pfai_default_route_present) == 1`,
			`absent(ALERTS{severity="critical"})`)
	}
	settle("the demo to start clean")

	// Every alert reaches Alertmanager after its scaled "for", then waits
	// group_wait (30 s). The window covers the alerts whose "for" is up to
	// VIGIE_PAGES_LONGEST_FOR (default 5m: every page; 10m adds the
	// tickets of lost redundancy and missing prefixes, at a minute more
	// per incident).
	longest := 5 * time.Minute
	if s := os.Getenv("VIGIE_PAGES_LONGEST_FOR"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("VIGIE_PAGES_LONGEST_FOR=%q: want a duration such as 10m", s)
		}
		longest = d
	}
	window := longest/time.Duration(scale) + 30*time.Second + 2*interval + 2*scrape + 20*time.Second
	type result struct {
		incident
		pages, tickets []string
	}
	var results []result
	for _, inc := range cases {
		start := time.Now()
		c.sim(t, base, http.MethodPost, inc.item)
		// The window starts when Prometheus holds what vigie made of the
		// cut (on a loaded machine, a scrape of the full RIE takes tens of
		// seconds): every incident here cuts sites off.
		c.waitQuery(t, inc.name+" seen by Prometheus", 5*time.Minute, `sum(vigie_site_isolated) > 0`)
		time.Sleep(window)
		r := result{incident: inc}
		for _, n := range c.notifications() {
			var names []string
			for _, a := range n.Alerts {
				if a.Status == "firing" && !a.StartsAt.Before(start) {
					l := a.Labels
					what := strings.TrimSpace(fmt.Sprintf("%s %s", strings.Trim(l["cause_kind"]+"/"+l["cause"], "/"),
						cmp.Or(l["site"], l["device"], l["interconnect"])))
					names = append(names, l["alertname"]+"{"+what+"}")
				}
			}
			if len(names) == 0 {
				continue
			}
			line := fmt.Sprintf("%s: %d alerts: %s", n.Receiver, len(names), strings.Join(names[:min(len(names), 3)], ", "))
			switch {
			case strings.HasPrefix(n.Receiver, "oncall-"):
				r.pages = append(r.pages, line)
			case n.Receiver == "noc-tickets":
				r.tickets = append(r.tickets, line)
			}
		}
		slices.Sort(r.pages)
		slices.Sort(r.tickets)
		results = append(results, r)
		t.Logf("%s (%s): %d pages, %d tickets\n  pages:\n    %s\n  tickets:\n    %s", inc.name, inc.item, len(r.pages), len(r.tickets),
			strings.Join(r.pages, "\n    "), strings.Join(r.tickets, "\n    "))
		c.sim(t, base, http.MethodDelete, inc.item)
		settle("the network to recover from " + inc.name)
	}

	var summary []string
	for _, r := range results {
		summary = append(summary, fmt.Sprintf("%-50s %3d pages (at most %d) %3d tickets", r.name, len(r.pages), r.maxPages, len(r.tickets)))
		if len(r.pages) > r.maxPages {
			t.Errorf("%s: %d pages, want at most %d", r.name, len(r.pages), r.maxPages)
		}
		if r.site != "" && !slices.ContainsFunc(r.pages, func(p string) bool { return strings.Contains(p, r.site) }) {
			t.Errorf("%s: no page names site %s", r.name, r.site)
		}
	}
	t.Logf("%d sites, rules' \"for\" divided by %d, alerts counted up to a \"for\" of %s:\n  %s", sites, scale, longest, strings.Join(summary, "\n  "))
}

// sim cuts (POST) or restores (DELETE) an item through the demo's /sim/cuts/.
func (c *alertChain) sim(t *testing.T, base, method, item string) {
	t.Helper()
	req, err := http.NewRequest(method, base+"/sim/cuts/"+url.PathEscape(item), nil)
	if err != nil {
		t.Fatal(err)
	}
	// A new connection each time: the one kept from the cut minutes ago may
	// have been closed by the server as idle, and a DELETE is not retried.
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s /sim/cuts/%s: %s: %s", method, item, resp.Status, b)
	}
}

// waitQuery waits until every query returns a non-empty vector.
func (c *alertChain) waitQuery(t *testing.T, what string, within time.Duration, queries ...string) {
	t.Helper()
	r := &e2eRun{prom: c.prom}
	deadline := time.Now().Add(within)
	for {
		pending := ""
		for _, q := range queries {
			if n, err := r.instant(q); err != nil || n == 0 {
				pending = q
				break
			}
		}
		if pending == "" {
			return
		}
		if time.Now().After(deadline) {
			data, _ := r.api("/api/v1/query", url.Values{"query": {`count by (alertname, alertstate) (ALERTS)`}})
			t.Fatalf("waiting for %s: %s still false after %s; alerts: %s", what, pending, within, data)
		}
		time.Sleep(2 * time.Second)
	}
}
