package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"golang.org/x/crypto/bcrypt"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func testRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "vigie_test_value", Help: "A test gauge."})
	g.Set(42)
	reg.MustRegister(g)
	return reg
}

func get(t *testing.T, url, user, pass string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	var resp *http.Response
	var err error
	for range 50 { // the server starts in the background
		resp, err = http.DefaultClient.Do(req)
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestRoutes(t *testing.T) {
	ready := false
	s, err := New(Options{Gatherer: testRegistry(), Ready: func() bool { return ready },
		API: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "api:"+r.URL.Path) })})
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	s.opts.ListenAddresses = []string{addr}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	base := "http://" + addr

	tests := []struct {
		path     string
		wantCode int
		wantBody string
	}{
		{"/metrics", 200, "vigie_test_value 42"},
		{"/-/healthy", 200, "OK"},
		{"/-/ready", 503, "not ready"},
		{"/api/v1/topology", 200, "api:/api/v1/topology"},
		{"/", 200, "vigie"},
		{"/debug/pprof/", 404, "not found"}, // pprof is off by default
	}
	for _, tc := range tests {
		code, body := get(t, base+tc.path, "", "")
		if code != tc.wantCode || !strings.Contains(body, tc.wantBody) {
			t.Errorf("GET %s = %d %q, want %d containing %q", tc.path, code, body, tc.wantCode, tc.wantBody)
		}
		if strings.Contains(body, "Profile Descriptions") {
			t.Errorf("GET %s exposes pprof although it is off", tc.path)
		}
	}
	ready = true
	if code, _ := get(t, base+"/-/ready", "", ""); code != 200 {
		t.Errorf("/-/ready = %d once ready, want 200", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of cancel")
	}
}

func TestBasicAuthFromWebConfig(t *testing.T) {
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret-pass"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "web.yml")
	if err := os.WriteFile(cfg, []byte("basic_auth_users:\n  noc: "+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Both /metrics handlers (promhttp, and registry + text writers) sit
	// behind the same authentication.
	for _, text := range [][]TextWriter{nil, {textFamily("vigie_text_value 7\n")}} {
		addr := freeAddr(t)
		s, err := New(Options{Gatherer: testRegistry(), ListenAddresses: []string{addr}, ConfigFile: cfg, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		go s.Run(ctx)
		if code, _ := get(t, "http://"+addr+"/metrics", "", ""); code != http.StatusUnauthorized {
			t.Errorf("no credentials: %d, want 401", code)
		}
		if code, _ := get(t, "http://"+addr+"/metrics", "noc", "wrong"); code != http.StatusUnauthorized {
			t.Errorf("wrong password: %d, want 401", code)
		}
		if code, body := get(t, "http://"+addr+"/metrics", "noc", "s3cret-pass"); code != 200 || !strings.Contains(body, "vigie_test_value") {
			t.Errorf("right password: %d, want 200 with metrics", code)
		}
		cancel()
	}
}

func TestBadWebConfigFailsAtStart(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "web.yml")
	os.WriteFile(cfg, []byte("tls_server_config:\n  cert_file: /nonexistent.crt\n"), 0o600)
	_, err := New(Options{Gatherer: testRegistry(), ConfigFile: cfg})
	if err == nil || !strings.Contains(err.Error(), cfg) {
		t.Fatalf("New with a broken web config: err = %v, want an error naming %s", err, cfg)
	}
}

// textFamily is a TextWriter writing fixed text.
type textFamily string

func (f textFamily) WriteText(w io.Writer) error {
	_, err := io.WriteString(w, string(f))
	return err
}

// blockingText blocks every scrape until release is closed.
type blockingText struct {
	entered chan struct{}
	release chan struct{}
}

func (b *blockingText) WriteText(w io.Writer) error {
	b.entered <- struct{}{}
	<-b.release
	_, err := io.WriteString(w, "# HELP vigie_blocked_value Blocked.\n# TYPE vigie_blocked_value gauge\nvigie_blocked_value 1\n")
	return err
}

// TestTextMetrics: with text writers, /metrics serves the registry's
// families then theirs in text format 0.0.4, gzipped when asked, and the
// whole parses.
func TestTextMetrics(t *testing.T) {
	reg := testRegistry()
	text := textFamily("# HELP vigie_text_value A text family.\n# TYPE vigie_text_value counter\n" +
		`vigie_text_value{device="a \"b\" \\ c\nd é"} 7` + "\n")
	s, err := New(Options{Gatherer: reg, Registerer: reg, Text: []TextWriter{text}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	for _, tc := range []struct {
		name, accept string
		gzipped      bool
	}{
		{"plain", "", false},
		{"gzip", "gzip", true},
		{"prometheus", "gzip, deflate;q=0.5", true},
		{"gzip refused", "gzip;q=0, identity", false},
		{"other", "br", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, srv.URL+"/metrics", nil)
			// Accept-Encoding set by hand: the transport then leaves the
			// body compressed, as Prometheus receives it.
			req.Header.Set("Accept-Encoding", tc.accept)
			if tc.accept == "" {
				req.Header.Set("Accept-Encoding", "identity")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "text/plain; version=0.0.4; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			var body io.Reader = resp.Body
			if got := resp.Header.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("Content-Encoding %q, want gzip %v", resp.Header.Get("Content-Encoding"), tc.gzipped)
			}
			if tc.gzipped {
				z, err := gzip.NewReader(resp.Body)
				if err != nil {
					t.Fatal(err)
				}
				body = z
			}
			raw, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			parser := expfmt.NewTextParser(model.UTF8Validation)
			mfs, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
			if err != nil {
				t.Fatalf("body does not parse: %v\n%s", err, raw)
			}
			if v := mfs["vigie_test_value"].GetMetric()[0].GetGauge().GetValue(); v != 42 {
				t.Errorf("registry family: %v, want 42", v)
			}
			tv := mfs["vigie_text_value"]
			if tv == nil || tv.GetMetric()[0].GetCounter().GetValue() != 7 || tv.GetMetric()[0].GetLabel()[0].GetValue() != "a \"b\" \\ c\nd é" {
				t.Errorf("text family: %v", tv)
			}
			if mfs["promhttp_metric_handler_requests_total"] == nil {
				t.Error("handler instrumentation missing")
			}
		})
	}
}

// TestTextMetricsInFlightLimit: beyond 4 scrapes at once, 503.
func TestTextMetricsInFlightLimit(t *testing.T) {
	b := &blockingText{entered: make(chan struct{}), release: make(chan struct{})}
	s, err := New(Options{Gatherer: testRegistry(), Text: []TextWriter{b}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	codes := make(chan int, maxScrapesInFlight)
	for range maxScrapesInFlight {
		go func() {
			resp, err := http.Get(srv.URL + "/metrics")
			if err != nil {
				codes <- 0
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	for range maxScrapesInFlight {
		select {
		case <-b.entered:
		case <-time.After(10 * time.Second):
			t.Fatal("scrapes did not start")
		}
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("fifth scrape: %d, want 503", resp.StatusCode)
	}
	close(b.release)
	for range maxScrapesInFlight {
		if c := <-codes; c != 200 {
			t.Errorf("blocked scrape ended with %d, want 200", c)
		}
	}
}
