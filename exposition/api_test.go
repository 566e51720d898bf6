package exposition

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/topology"
)

func do(t *testing.T, h http.Handler, method, path, body string) (int, map[string]any, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	raw := rec.Body.String()
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s %s: Content-Type %q, want JSON", method, path, ct)
	}
	var v map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("%s %s: answer is not a JSON object: %v\n%s", method, path, err, raw)
	}
	return rec.Code, v, raw
}

func TestAPI(t *testing.T) {
	h := newHarness(t, topology.Options{MaxWhatIfFailures: 3})
	h.down["agg-lyon-1:ge2"] = true
	h.round()
	api := newAPI(h.topo)

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		check                    func(t *testing.T, v map[string]any, raw string)
	}{
		{name: "topology", method: "GET", path: "/api/v1/topology", status: 200, check: func(t *testing.T, v map[string]any, raw string) {
			if n := len(v["nodes"].([]any)); n != 9 {
				t.Errorf("%d nodes, want 9", n)
			}
			links := v["links"].([]any)
			var found bool
			for _, l := range links {
				l := l.(map[string]any)
				if l["id"] == s2Fibre1 {
					found = true
					if l["state"] != "down" || !strings.Contains(raw, `"sources":["declared","ifmib"]`) {
						t.Errorf("link %s = %v", s2Fibre1, l)
					}
				}
			}
			if !found {
				t.Errorf("link %s missing", s2Fibre1)
			}
			an := v["analysis"].(map[string]any)
			if an["sites"].(map[string]any)["degraded"].(float64) < 1 {
				t.Errorf("analysis summary = %v", an)
			}
		}},
		{name: "site", method: "GET", path: "/api/v1/sites/S2", status: 200, check: func(t *testing.T, v map[string]any, _ string) {
			if v["id"] != "S2" || v["state"] != "degraded" || v["designed"].(float64) != 3 || len(v["access"].([]any)) != 2 {
				t.Errorf("site S2 = %v", v)
			}
			if _, ok := v["spofs"].([]any); !ok {
				t.Errorf("spofs should be a list: %v", v["spofs"])
			}
		}},
		{name: "unknown site", method: "GET", path: "/api/v1/sites/S999", status: 404},
		{name: "events", method: "GET", path: "/api/v1/events?limit=1", status: 200, check: func(t *testing.T, v map[string]any, _ string) {
			if evs := v["events"].([]any); len(evs) != 1 {
				t.Errorf("limit=1 gave %d events", len(evs))
			}
		}},
		{name: "events since the future", method: "GET", path: "/api/v1/events?since=2030-01-01T00:00:00Z", status: 200, check: func(t *testing.T, v map[string]any, _ string) {
			if evs := v["events"].([]any); len(evs) != 0 {
				t.Errorf("events after 2030: %v", evs)
			}
		}},
		{name: "events bad since", method: "GET", path: "/api/v1/events?since=yesterday", status: 400},
		{name: "events limit too big", method: "GET", path: "/api/v1/events?limit=1000000", status: 400},
		{name: "events limit zero", method: "GET", path: "/api/v1/events?limit=0", status: 400},
		{name: "whatif internet", method: "POST", path: "/api/v1/whatif", body: `{"fail": ["internet"]}`, status: 200, check: func(t *testing.T, v map[string]any, _ string) {
			if v["extra"].([]any)[0] != "internet" {
				t.Errorf("extra = %v", v["extra"])
			}
			surv := v["surviving_interconnects"].([]any)
			if len(surv) != 1 || surv[0] != "testa" {
				t.Errorf("surviving interconnects after an internet cut = %v, want [testa]", surv)
			}
			if cur := v["current"].([]any); len(cur) != 1 || cur[0] != "link:"+s2Fibre1 {
				t.Errorf("current failures = %v, want the live one", cur)
			}
		}},
		{name: "whatif router", method: "POST", path: "/api/v1/whatif", body: `{"fail": ["device:agg-lyon-2"]}`, status: 200, check: func(t *testing.T, v map[string]any, _ string) {
			// S2 already lost its fibre to agg-lyon-1: losing agg-lyon-2 cuts it off.
			if !strings.Contains(toJSON(v["newly_isolated_sites"]), `"S2"`) {
				t.Errorf("newly isolated = %v, want S2 among them", v["newly_isolated_sites"])
			}
		}},
		{name: "whatif unknown device", method: "POST", path: "/api/v1/whatif", body: `{"fail": ["device:nope"]}`, status: 400, check: func(t *testing.T, v map[string]any, _ string) {
			if !strings.Contains(v["error"].(string), "device:nope") {
				t.Errorf("error %q should name the item", v["error"])
			}
		}},
		{name: "whatif bad syntax", method: "POST", path: "/api/v1/whatif", body: `{"fail": ["toaster"]}`, status: 400},
		{name: "whatif empty", method: "POST", path: "/api/v1/whatif", body: `{"fail": []}`, status: 400},
		{name: "whatif not JSON", method: "POST", path: "/api/v1/whatif", body: `fail=internet`, status: 400},
		{name: "whatif unknown field", method: "POST", path: "/api/v1/whatif", body: `{"fail": ["internet"], "target": "10.0.0.1"}`, status: 400},
		{name: "whatif too many", method: "POST", path: "/api/v1/whatif", body: `{"fail": ["internet","internet","internet","internet"]}`, status: 400},
		{name: "whatif too big", method: "POST", path: "/api/v1/whatif", body: `{"fail": ["` + strings.Repeat("x", 70<<10) + `"]}`, status: 413},
		{name: "whatif GET", method: "GET", path: "/api/v1/whatif", status: 405},
		{name: "topology POST", method: "POST", path: "/api/v1/topology", body: "{}", status: 405},
		{name: "unknown endpoint", method: "GET", path: "/api/v1/nope", status: 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, v, raw := do(t, api, tc.method, tc.path, tc.body)
			if code != tc.status {
				t.Fatalf("status %d, want %d: %s", code, tc.status, raw)
			}
			if code >= 400 {
				if msg, _ := v["error"].(string); msg == "" {
					t.Errorf("error answer without an error message: %s", raw)
				}
			}
			if strings.Contains(raw, "s3cr3t") {
				t.Errorf("the answer leaks the SNMP community")
			}
			if tc.check != nil {
				tc.check(t, v, raw)
			}
		})
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestWhatIfConcurrencyLimit: with every what-if slot taken, a request is
// refused with 429 and Retry-After, before its body is read; a free slot
// serves it.
func TestWhatIfConcurrencyLimit(t *testing.T) {
	h := newHarness(t, topology.Options{MaxWhatIf: 2})
	h.round()
	api := newAPI(h.topo)
	// Two computations in flight hold both slots.
	var releases []func()
	for range 2 {
		release, ok := h.topo.AcquireWhatIf()
		if !ok {
			t.Fatal("a free what-if slot was refused")
		}
		releases = append(releases, release)
	}
	for _, body := range []string{`{"fail": ["internet"]}`, `not JSON`} {
		req := httptest.NewRequest("POST", "/api/v1/whatif", strings.NewReader(body))
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		want := `{"error":"2 what-if computations already running; retry shortly"}` + "\n"
		if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" || rec.Body.String() != want {
			t.Errorf("third concurrent what-if (%s): %d Retry-After %q %q, want 429, 1 and %q", body, rec.Code,
				rec.Header().Get("Retry-After"), rec.Body, want)
		}
	}
	releases[0]()
	if code, _, raw := do(t, api, "POST", "/api/v1/whatif", `{"fail": ["internet"]}`); code != 200 {
		t.Errorf("what-if with a free slot: %d %s", code, raw)
	}
	releases[1]()
}
