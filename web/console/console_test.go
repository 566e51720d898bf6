package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func serve(t *testing.T, h http.Handler, method, path string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestServe(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, path string
		code         int
		ctype, body  string
	}{
		{"GET", "/", 200, "text/html; charset=utf-8", `<script type="module" src="console/app.js">`},
		{"GET", "/index.html", 200, "text/html; charset=utf-8", "<title>vigie"},
		{"GET", "/console/app.js", 200, "text/javascript; charset=utf-8", "window.vigieConsole"},
		{"GET", "/console/map.js", 200, "text/javascript; charset=utf-8", "export class MapView"},
		{"GET", "/console/style.css", 200, "text/css; charset=utf-8", "--isolated"},
		{"GET", "/console/france.json", 200, "application/json", `"quantum":1000`},
		{"HEAD", "/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/console/nope.js", 404, "", "not found"},
		{"GET", "/console/", 404, "", "not found"},
		{"GET", "/debug/pprof/", 404, "", "not found"},
		{"POST", "/", 405, "", "use GET"},
	} {
		rec := serve(t, h, tc.method, tc.path, nil)
		if rec.Code != tc.code || !strings.Contains(rec.Body.String(), tc.body) {
			t.Errorf("%s %s = %d %.80q, want %d with %q", tc.method, tc.path, rec.Code, rec.Body.String(), tc.code, tc.body)
		}
		if tc.code != 200 {
			continue
		}
		if ct := rec.Header().Get("Content-Type"); ct != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.path, ct, tc.ctype)
		}
		if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "connect-src 'self'") {
			t.Errorf("%s: Content-Security-Policy %q does not confine the page to vigie's origin", tc.path, csp)
		}
	}
}

// TestGzipAndETag: files go gzipped to a client that accepts it, and a
// client holding the current version gets 304.
func TestGzipAndETag(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	plain := serve(t, h, "GET", "/console/france.json", nil)
	z := serve(t, h, "GET", "/console/france.json", map[string]string{"Accept-Encoding": "gzip, br"})
	if z.Header().Get("Content-Encoding") != "gzip" || z.Body.Len() >= plain.Body.Len()/2 {
		t.Fatalf("gzip: encoding %q, %d bytes for %d plain", z.Header().Get("Content-Encoding"), z.Body.Len(), plain.Body.Len())
	}
	zr, err := gzip.NewReader(z.Body)
	if err != nil {
		t.Fatal(err)
	}
	unz, err := io.ReadAll(zr)
	if err != nil || !bytes.Equal(unz, plain.Body.Bytes()) {
		t.Errorf("the gzipped body is not the file (%v)", err)
	}
	if q0 := serve(t, h, "GET", "/", map[string]string{"Accept-Encoding": "gzip;q=0"}); q0.Header().Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0 got a gzipped answer")
	}
	etag := plain.Header().Get("ETag")
	if rec := serve(t, h, "GET", "/console/france.json", map[string]string{"If-None-Match": etag}); rec.Code != http.StatusNotModified || etag == "" {
		t.Errorf("If-None-Match %s = %d, want 304", etag, rec.Code)
	}
}

// offOrigin matches what would make the browser fetch from elsewhere than
// vigie: an absolute URL in an attribute, an import, a fetch or a CSS url(),
// or a protocol-relative one.
var offOrigin = regexp.MustCompile(`(?i)(src|href|import|from|fetch\(|url\()\s*=?\s*["'(]?\s*(https?:)?//`)

// TestNothingFromElsewhere: no embedded page, script or style names
// another origin (the CSP forbids it too; this catches it before a browser
// does).
func TestNothingFromElsewhere(t *testing.T) {
	h, err := New()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range h.Files() {
		if strings.HasSuffix(name, ".json") {
			continue
		}
		if m := offOrigin.FindString(string(h.files[name].body)); m != "" {
			t.Errorf("%s refers to another origin: %q", name, m)
		}
	}
	if len(h.Files()) != 5 {
		t.Errorf("embedded files %v: a new file? Add it to this test's list of checked kinds", h.Files())
	}
}
