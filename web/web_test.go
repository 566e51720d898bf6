package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	addr := freeAddr(t)
	s, err := New(Options{Gatherer: testRegistry(), ListenAddresses: []string{addr}, ConfigFile: cfg})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
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
}

func TestBadWebConfigFailsAtStart(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "web.yml")
	os.WriteFile(cfg, []byte("tls_server_config:\n  cert_file: /nonexistent.crt\n"), 0o600)
	_, err := New(Options{Gatherer: testRegistry(), ConfigFile: cfg})
	if err == nil || !strings.Contains(err.Error(), cfg) {
		t.Fatalf("New with a broken web config: err = %v, want an error naming %s", err, cfg)
	}
}
