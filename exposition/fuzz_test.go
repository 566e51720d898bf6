package exposition

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/topology"
)

// FuzzWhatIf posts arbitrary bodies to the what-if endpoint: the answer
// must always be JSON with a known status, never a panic or a 500.
func FuzzWhatIf(f *testing.F) {
	for _, s := range []string{`{"fail":["internet"]}`, `{"fail":["device:agg-lyon-1","link:agg-lyon-1--bb-lyon-1"]}`,
		`{"fail":["srlg:duct-a","pop:pop-lyon","region:ara"]}`, `{"fail":null}`, `[]`, `{"fail":["link:--"]}`, ``} {
		f.Add(s)
	}
	h := newHarness(f, topology.Options{})
	h.round()
	api := newAPI(h.topo)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/api/v1/whatif", strings.NewReader(body))
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		switch rec.Code {
		case http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if !strings.HasPrefix(rec.Body.String(), "{") {
			t.Fatalf("not a JSON object: %s", rec.Body)
		}
	})
}
