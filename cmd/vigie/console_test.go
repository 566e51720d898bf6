package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	cdpruntime "github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// chromium returns the path of Debian's chromium; without it the test is
// skipped, and fails under CI=true.
func chromium(t testing.TB) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is missing in CI: install it (apt-get install chromium; scripts/deps.sh)")
	}
	t.Skip("no chromium: apt-get install chromium to run the console's browser tests")
	return ""
}

// artefacts is where a browser test writes its screenshots:
// $VIGIE_ARTEFACTS when set, else the test's temporary directory.
func artefacts(t testing.TB) string {
	t.Helper()
	dir := os.Getenv("VIGIE_ARTEFACTS")
	if dir == "" {
		return t.TempDir()
	}
	dir = filepath.Join(dir, t.Name())
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// browser is a headless chromium tab that records every URL its pages
// request.
type browser struct {
	ctx        context.Context
	mu         sync.Mutex
	urls       []string
	exceptions []string // uncaught JavaScript exceptions
}

// newBrowser starts chromium with a blank tab whose every request carries
// the extra headers (basic auth) and is recorded.
func newBrowser(t testing.TB, width, height int, headers map[string]any) *browser {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(chromium(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(width, height), chromedp.UserDataDir(t.TempDir()))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	// Bounds the whole browser session, so that a stuck page cannot hang
	// the test.
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancel(); cancelA() })
	b := &browser{ctx: ctx}
	b.do(t, "starting chromium", chromedp.Navigate("about:blank"))
	record := func(u string) {
		b.mu.Lock()
		b.urls = append(b.urls, u)
		b.mu.Unlock()
	}
	exception := func(d *cdpruntime.ExceptionDetails) {
		if d == nil {
			return
		}
		msg := fmt.Sprintf("%s at %s:%d:%d", d.Text, d.URL, d.LineNumber+1, d.ColumnNumber+1)
		if d.Exception != nil {
			msg += ": " + d.Exception.Description
		}
		b.mu.Lock()
		b.exceptions = append(b.exceptions, msg)
		b.mu.Unlock()
	}
	err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *cdpruntime.EventExceptionThrown:
			exception(e.ExceptionDetails)
		case cdpruntime.EventExceptionThrown:
			exception(e.ExceptionDetails)
		case *network.EventRequestWillBeSent:
			record(e.Request.URL)
		case network.EventRequestWillBeSent:
			record(e.Request.URL)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: headers}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *browser) do(t testing.TB, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wait polls a JavaScript condition in the page until it holds (30 s at
// most).
func (b *browser) wait(t testing.TB, what, cond string) {
	t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Poll[bool]("!!("+cond+")", chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("waiting for %s (%s): %v", what, cond, err)
	}
}

// pub reads the page's window.vigieConsole.
func (b *browser) pub(t testing.TB) consolePub {
	t.Helper()
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`JSON.stringify(window.vigieConsole)`))
	if err != nil {
		t.Fatalf("reading window.vigieConsole: %v", err)
	}
	var p consolePub
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		t.Fatalf("window.vigieConsole: %v\n%s", err, raw)
	}
	return p
}

func (b *browser) text(t testing.TB, css string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("reading %s: %v", css, err)
	}
	return s
}

func (b *browser) screenshot(t testing.TB, dir, name string) {
	t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

// consolePub is the page's read-only state for tests (app.js, pub).
type consolePub struct {
	Ready       bool           `json:"ready"`
	Sites       int            `json:"sites"`
	Placed      int            `json:"placed"`
	Drawn       map[string]int `json:"drawn"`
	Counts      map[string]int `json:"counts"`
	Polls       int            `json:"polls"`
	FirstDrawMs float64        `json:"firstDrawMs"`
	Site        *struct {
		ID    string `json:"id"`
		State string `json:"state"`
		Cause string `json:"cause"`
	} `json:"site"`
	WhatIf *struct {
		Fail     []string `json:"fail"`
		Isolated []string `json:"isolated"`
		Error    string   `json:"error"`
	} `json:"whatif"`
}

// TestConsoleInBrowser drives the console in headless chromium against
// `vigie demo` behind basic auth, as an operator would: the page draws
// every site of the demo in its state; a search by circuit reference opens
// the site's story; an internet-cut what-if, shared as
// a URL, lists the sites `vigie whatif --fail internet` lists; an
// aggregation router that stops answering (the demo's /sim/) turns its single-homed
// sites red within one poll of the page; the site panel names the router
// as the cause. Every request the page makes goes to vigie's own origin,
// and no script throws.
// Screenshots of each step are test artefacts.
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary, runs the demo and a browser")
	}
	chromium(t)
	out := artefacts(t)
	bin := buildVigie(t)
	dir := t.TempDir()
	const user, pass, sites, seed = "noc", "console-test-pass", 60, 1
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	webConfig := filepath.Join(dir, "web.yml")
	if err := os.WriteFile(webConfig, fmt.Appendf(nil, "basic_auth_users:\n  %s: %s\n", user, hash), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freeport.TCP(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var stdout, stderr logbuf.Buffer
	logs := func() string { return stdout.String() + stderr.String() }
	demo := startVigie(t, bin, "", nil, &stdout, &stderr, logs, "demo", "--sites", fmt.Sprint(sites),
		"--seed", fmt.Sprint(seed), "--interval", "5s", "--faults=false", "--bgp=false",
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port), "--web.config.file", webConfig)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
	client := &http.Client{Timeout: 10 * time.Second}
	get := func(path string, withAuth bool, v any) int {
		req, _ := http.NewRequest("GET", base+path, nil)
		if withAuth {
			req.Header.Set("Authorization", auth)
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		if v != nil && resp.StatusCode == 200 {
			_ = json.NewDecoder(resp.Body).Decode(v)
		}
		return resp.StatusCode
	}
	var st struct {
		States string         `json:"states"`
		Counts map[string]int `json:"counts"`
	}
	demo.waitFor(60*time.Second, "every site observed and nominal", func() bool {
		return get("/api/v1/console/state", true, &st) == 200 && st.Counts["nominal"] == sites
	})
	if code := get("/", false, nil); code != http.StatusUnauthorized {
		t.Errorf("GET / without credentials = %d, want 401: the console must sit behind the web config's basic auth", code)
	}

	b := newBrowser(t, 1400, 900, map[string]any{"Authorization": auth})
	b.do(t, "loading the console", chromedp.Navigate(base+"/"))
	b.wait(t, "the console drawn", `window.vigieConsole && window.vigieConsole.ready && window.vigieConsole.polls > 0`)
	p := b.pub(t)
	if p.Sites != sites || p.Placed != sites {
		t.Errorf("the page has %d sites, %d placed on the map; want all %d", p.Sites, p.Placed, sites)
	}
	if p.Drawn["nominal"] != sites || p.Drawn["isolated"]+p.Drawn["degraded"]+p.Drawn["unobserved"] != 0 {
		t.Errorf("drawn per state %v, want all %d nominal", p.Drawn, sites)
	}
	t.Logf("first full draw %.0f ms after the script started", p.FirstDrawMs)
	b.screenshot(t, out, "1-loaded")

	// Search by a circuit reference; Enter opens the site's story.
	inv := sim.Generate(sim.GenerateOptions{Sites: sites, Seed: seed})
	found := inv.Sites[sites/2]
	circuit := found.Access[0].Circuit
	if circuit == "" {
		t.Fatalf("site %s has no circuit reference to search", found.ID)
	}
	b.do(t, "searching "+circuit, chromedp.SendKeys(chromedp.CSS("#search"), circuit))
	b.wait(t, "a search result", `document.querySelector('#results li')`)
	if first := b.text(t, "#results li"); !strings.Contains(first, found.ID) {
		t.Errorf("searching %s first finds %q, want site %s", circuit, first, found.ID)
	}
	b.do(t, "opening the result", chromedp.SendKeys(chromedp.CSS("#search"), "\r"))
	b.wait(t, "the found site's panel", fmt.Sprintf(`window.vigieConsole.site && window.vigieConsole.site.id === %q`, found.ID))
	if p := b.pub(t); p.Site.State != "nominal" {
		t.Errorf("site %s's panel says %q, want nominal", found.ID, p.Site.State)
	}
	if paths := b.text(t, "#tab-site table"); !strings.Contains(paths, found.Access[0].Device) {
		t.Errorf("site %s's paths %q do not name its landing device %s", found.ID, paths, found.Access[0].Device)
	}
	b.screenshot(t, out, "1b-search")

	// The what-if of an internet cut, opened from a shared URL.
	var cli struct {
		Isolated []string `json:"isolated_sites"`
	}
	config := writeConfig(t, dir, inv)
	cmd := exec.Command(bin, "whatif", "--config", config, "--fail", "internet", "--format", "json")
	cmd.Env = simEnv()
	var cliOut, cliErr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &cliOut, &cliErr
	if err := cmd.Run(); err != nil {
		t.Fatalf("vigie whatif: %v\n%s", err, cliErr.String())
	}
	if err := json.Unmarshal(cliOut.Bytes(), &cli); err != nil {
		t.Fatal(err)
	}
	if len(cli.Isolated) == 0 {
		t.Fatal("vigie whatif --fail internet cuts off no site of the demo: nothing to compare")
	}
	b.do(t, "opening the internet-cut scenario's URL", chromedp.Navigate(base+"/?shared#whatif=internet"))
	b.wait(t, "the what-if's answer", `window.vigieConsole.ready && window.vigieConsole.whatif && (window.vigieConsole.whatif.isolated || window.vigieConsole.whatif.error)`)
	p = b.pub(t)
	if p.WhatIf.Error != "" || !slices.Equal(p.WhatIf.Fail, []string{"internet"}) {
		t.Fatalf("what-if from the URL: %+v", p.WhatIf)
	}
	slices.Sort(cli.Isolated)
	slices.Sort(p.WhatIf.Isolated)
	if !slices.Equal(p.WhatIf.Isolated, cli.Isolated) {
		t.Errorf("the console's internet cut isolates %v\nvigie whatif --fail internet isolates %v", p.WhatIf.Isolated, cli.Isolated)
	}
	if summary := b.text(t, "#wi-summary"); !strings.Contains(summary, fmt.Sprintf("%d sites cut off", len(cli.Isolated))) {
		t.Errorf("what-if summary %q, want %d sites cut off", summary, len(cli.Isolated))
	}
	b.screenshot(t, out, "2-whatif-internet")

	// An aggregation router cut through the simulator: its single-homed
	// sites turn red.
	landings := map[string][]string{}
	for _, s := range inv.Sites {
		only := s.Access[0].Device
		for _, a := range s.Access {
			if a.Device != only || a.ViaInternet {
				only = ""
			}
		}
		// An aggregation router, not the VPN concentrator of the
		// tunnelled accesses (whose cut is its rooms' shared risk).
		if d := inv.Device(only); d != nil && d.PoP != "" && d.Role == inventory.RoleCollection {
			landings[only] = append(landings[only], s.ID)
		}
	}
	var agg string
	for dev, ids := range landings {
		if agg == "" || len(ids) > len(landings[agg]) || (len(ids) == len(landings[agg]) && dev < agg) {
			agg = dev
		}
	}
	if agg == "" {
		t.Fatal("no aggregation router carries a single-homed site in the demo")
	}
	victims := landings[agg]
	// The router stops answering, as vigie demo --help shows.
	req, _ := http.NewRequest("PUT", base+"/sim/faults/"+agg, strings.NewReader(`{"timeout": true}`))
	req.Header.Set("Authorization", auth)
	if resp, err := client.Do(req); err != nil || resp.StatusCode/100 != 2 {
		t.Fatalf("PUT /sim/faults/%s: %v %v", agg, err, resp)
	} else {
		resp.Body.Close()
	}
	index := map[string]int{}
	for i, s := range inv.Sites {
		index[s.ID] = i
	}
	demo.waitFor(60*time.Second, "the API showing "+agg+"'s single-homed sites isolated", func() bool {
		if get("/api/v1/console/state", true, &st) != 200 {
			return false
		}
		for _, id := range victims {
			if st.States[index[id]] != 'i' {
				return false
			}
		}
		return true
	})
	polls := b.pub(t).Polls
	ids, _ := json.Marshal(victims)
	b.wait(t, "the page turning the victims red", fmt.Sprintf(`%s.every((id) => window.vigieConsole.stateOf(id) === 'isolated')`, ids))
	p = b.pub(t)
	// The poll in flight when the API changed may carry the old state:
	// the next one must carry the new.
	if p.Polls > polls+2 {
		t.Errorf("the page showed the isolated sites after %d polls, want within one (two counting the one in flight)", p.Polls-polls)
	}
	if p.Drawn["isolated"] < len(victims) {
		t.Errorf("%d sites drawn isolated, want at least the %d behind %s", p.Drawn["isolated"], len(victims), agg)
	}
	b.screenshot(t, out, "3-router-cut")

	// The site panel names the cause.
	victim := victims[0]
	b.do(t, "opening site "+victim, chromedp.Navigate(base+"/?shared#site="+victim))
	b.wait(t, "the site panel", fmt.Sprintf(`window.vigieConsole.site && window.vigieConsole.site.id === %q`, victim))
	var live struct {
		CauseKind string `json:"cause_kind"`
		Cause     string `json:"cause"`
	}
	if code := get("/api/v1/sites/"+victim, true, &live); code != 200 {
		t.Fatalf("GET /api/v1/sites/%s = %d", victim, code)
	}
	if live.CauseKind != "device" || live.Cause != agg {
		t.Errorf("vigie says site %s is isolated by %s %s, want device %s", victim, live.CauseKind, live.Cause, agg)
	}
	if cause := b.text(t, "#site-cause"); !strings.Contains(cause, live.CauseKind+" "+live.Cause) {
		t.Errorf("site %s's panel says %q, want the cause %s %s", victim, cause, live.CauseKind, live.Cause)
	}
	b.screenshot(t, out, "4-site-panel")

	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.exceptions {
		t.Errorf("the page threw: %s", e)
	}
	if len(b.urls) < 5 {
		t.Errorf("only %d requests recorded: %v", len(b.urls), b.urls)
	}
	for _, u := range b.urls {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the page requested %s, outside vigie's origin %s", u, base)
		}
	}
}

// BenchmarkConsoleFullRIE measures the console on the full simulated RIE
// (14,000 sites; VIGIE_CONSOLE_SITES to change) in headless chromium with
// software rendering: the time from the navigation's start to the first
// full draw (base map, every site in its state), and the frame time while
// panning. Run it alone on the machine:
//
//	go test -tags gosnmp_nodebug -run '^$' -bench ConsoleFullRIE -benchtime 1x ./cmd/vigie
func BenchmarkConsoleFullRIE(b *testing.B) {
	sites := 14000
	if s := os.Getenv("VIGIE_CONSOLE_SITES"); s != "" {
		if _, err := fmt.Sscan(s, &sites); err != nil {
			b.Fatalf("VIGIE_CONSOLE_SITES=%q: %v", s, err)
		}
	}
	bin := buildVigie(b)
	port := freeport.TCP(b)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	var stdout, stderr logbuf.Buffer
	// vigie polls at the production interval of site routers (60 s; the
	// scheduler spreads the first polls over it), so that the browser
	// shares the machine with a vigie at its usual load.
	cmd := exec.Command(bin, "demo", "--sites", fmt.Sprint(sites), "--interval", "60s", "--bgp=false",
		"--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	client := &http.Client{Timeout: 10 * time.Second}
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var st struct{ Counts map[string]int }
		if resp, err := client.Get(base + "/api/v1/console/state"); err == nil {
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			if st.Counts != nil && st.Counts["unobserved"] == 0 {
				break
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("the demo of %d sites did not observe every site within 5 min\n%s", sites, stderr.String())
		}
		time.Sleep(time.Second)
	}
	out := artefacts(b)
	for i := 0; i < b.N; i++ {
		br := newBrowser(b, 1400, 900, map[string]any{})
		br.do(b, "loading the console", chromedp.Navigate(base+"/"))
		br.wait(b, "the first full draw", `window.vigieConsole && window.vigieConsole.ready`)
		p := br.pub(b)
		if p.Placed != sites || p.Drawn["nominal"]+p.Drawn["degraded"]+p.Drawn["isolated"]+p.Drawn["unobserved"] != sites {
			b.Fatalf("%d sites placed, %v drawn; want %d", p.Placed, p.Drawn, sites)
		}
		br.screenshot(b, out, "full-rie")
		b.ReportMetric(p.FirstDrawMs, "first-draw-ms")
		// Panning copies the cached layer, a zoom copies it scaled; a
		// repaint (a zoom at rest, a new state) paints it anew.
		for _, mode := range []struct{ name string }{{"pan"}, {"zoom"}, {"repaint"}} {
			raw, err := chromedp.Run(br.ctx, chromedp.Evaluate[string](
				fmt.Sprintf(`window.vigieConsole.benchPan(240, 7, %q).then((r) => JSON.stringify(r))`, mode.name),
				chromedp.EvalAwaitPromise))
			if err != nil {
				b.Fatal(err)
			}
			var pan struct{ Intervals, Draws []float64 }
			if err := json.Unmarshal([]byte(raw), &pan); err != nil {
				b.Fatal(err)
			}
			slices.Sort(pan.Intervals)
			slices.Sort(pan.Draws)
			med := pan.Intervals[len(pan.Intervals)/2]
			b.ReportMetric(med, mode.name+"-frame-ms-median")
			b.ReportMetric(pan.Intervals[len(pan.Intervals)*95/100], mode.name+"-frame-ms-p95")
			b.ReportMetric(1000/med, mode.name+"-fps")
			b.ReportMetric(pan.Draws[len(pan.Draws)/2], mode.name+"-draw-ms-median")
		}
	}
}
