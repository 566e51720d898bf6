// Package console is vigie's own web console: a page served at / that draws
// the live RIE on a map of France and its overseas territories, finds a
// site, tells its story, lists what is isolated or degraded now and runs
// what-if scenarios. Its files (plain ES modules, a stylesheet and the base
// map made by mapgen) are embedded in the binary; the page reads nothing
// but vigie's own /api/v1, and its Content-Security-Policy forbids the
// browser any other origin.
package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

//go:embed assets
var assets embed.FS

// csp allows the page its own origin only: scripts, styles, the base map
// and the API.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// file is one embedded file, ready to serve.
type file struct {
	body, gz []byte
	ctype    string
	etag     string
}

// Handler serves the console: the page at /, its files under /console/.
// Anything else under / is a 404 that points to the page.
type Handler struct {
	files map[string]*file
}

// New loads the embedded files, gzipping each once.
func New() (*Handler, error) {
	h := &Handler{files: map[string]*file{}}
	err := fs.WalkDir(assets, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := assets.ReadFile(p)
		if err != nil {
			return err
		}
		var z bytes.Buffer
		w, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
		_, _ = w.Write(b)
		if err := w.Close(); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		h.files[strings.TrimPrefix(p, "assets/")] = &file{body: b, gz: z.Bytes(), ctype: ctype,
			etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("console: reading the embedded files: %w", err)
	}
	if h.files["index.html"] == nil {
		return nil, fmt.Errorf("console: no index.html embedded")
	}
	return h, nil
}

// Files lists the embedded files' names (for tests and docs).
func (h *Handler) Files() []string {
	var out []string
	for k := range h.files {
		out = append(out, k)
	}
	return out
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "use GET", http.StatusMethodNotAllowed)
		return
	}
	name := ""
	switch {
	case r.URL.Path == "/" || r.URL.Path == "/index.html":
		name = "index.html"
	case strings.HasPrefix(r.URL.Path, "/console/"):
		name = strings.TrimPrefix(r.URL.Path, "/console/")
	}
	f := h.files[name]
	if f == nil || name == "" {
		http.Error(w, fmt.Sprintf("%s not found: the console is at /, the metrics at /metrics, the API under /api/v1/", r.URL.Path), http.StatusNotFound)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", f.ctype)
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cache-Control", "no-cache") // revalidate: a new vigie may embed new files
	hd.Set("ETag", f.etag)
	hd.Add("Vary", "Accept-Encoding")
	if match := r.Header.Get("If-None-Match"); match == f.etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if acceptsGzip(r) {
		hd.Set("Content-Encoding", "gzip")
		body = f.gz
	}
	hd.Set("Content-Length", fmt.Sprint(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// acceptsGzip reports whether the request's Accept-Encoding names gzip
// without q=0.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(v, ",") {
			enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if strings.EqualFold(strings.TrimSpace(enc), "gzip") {
				return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
			}
		}
	}
	return false
}
