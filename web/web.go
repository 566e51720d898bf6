// Package web serves vigie's HTTP endpoints: /metrics for Prometheus, the
// JSON API under /api/v1/, health and readiness probes, and a landing page.
// TLS, client certificates and basic auth come from the Prometheus
// ecosystem's web config file (prometheus/exporter-toolkit), so operators
// secure vigie exactly as they secure their exporters.
//
// No endpoint takes a target address or a credential from the request: vigie
// only ever talks to the devices of its inventory (snmp_exporter #225).
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/exporter-toolkit/web"
)

// DefaultListen is vigie's default address. 9742 is unused in the
// Prometheus default port allocations list (github.com/prometheus/prometheus
// wiki, "Default port allocations") at the time of writing.
const DefaultListen = ":9742"

// Options configures the server. Zero values get sane defaults.
type Options struct {
	// ListenAddresses are the addresses to serve on (default DefaultListen).
	ListenAddresses []string
	// ConfigFile is an exporter-toolkit web config file (TLS, basic auth);
	// "" serves plain HTTP without auth.
	ConfigFile string
	// Gatherer is what /metrics exposes.
	Gatherer prometheus.Gatherer
	// Registerer receives the HTTP server's own metrics (may be nil).
	Registerer prometheus.Registerer
	// API is mounted under /api/v1/ (may be nil).
	API http.Handler
	// Ready reports whether vigie has a topology to serve (nil = always).
	Ready func() bool
	// Version is shown on the landing page.
	Version string
	// EnablePprof mounts /debug/pprof/ (off by default: it exposes internals).
	EnablePprof bool
	// ScrapeTimeout bounds one /metrics request (default 30 s).
	ScrapeTimeout time.Duration
	Logger        *slog.Logger
}

// Server is vigie's HTTP server.
type Server struct {
	opts    Options
	handler http.Handler
}

// New builds the server and its routes; it does not listen yet.
func New(opts Options) (*Server, error) {
	if len(opts.ListenAddresses) == 0 {
		opts.ListenAddresses = []string{DefaultListen}
	}
	if opts.ScrapeTimeout == 0 {
		opts.ScrapeTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Gatherer == nil {
		return nil, errors.New("web: no metrics gatherer given")
	}
	if opts.ConfigFile != "" {
		// Fail at start-up, not at the first request, on a bad web config.
		if err := web.Validate(opts.ConfigFile); err != nil {
			return nil, fmt.Errorf("web config %s: %w", opts.ConfigFile, err)
		}
	}
	s := &Server{opts: opts}
	mux := http.NewServeMux()
	metricsHandler := promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
		ErrorLog:            slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: 4,
		Timeout:             opts.ScrapeTimeout,
		EnableOpenMetrics:   true,
	})
	if opts.Registerer != nil {
		metricsHandler = promhttp.InstrumentMetricHandler(opts.Registerer, metricsHandler)
	}
	mux.Handle("GET /metrics", metricsHandler)
	if opts.API != nil {
		mux.Handle("/api/v1/", opts.API)
	}
	mux.HandleFunc("GET /-/healthy", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, "OK")
	})
	mux.HandleFunc("GET /-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if opts.Ready != nil && !opts.Ready() {
			http.Error(w, "not ready: no topology yet", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "OK")
	})
	if opts.EnablePprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	links := []web.LandingLinks{{Address: "/metrics", Text: "Metrics", Description: "Prometheus metrics"}}
	if opts.API != nil {
		links = append(links,
			web.LandingLinks{Address: "/api/v1/topology", Text: "Topology", Description: "live topology (JSON)"},
			web.LandingLinks{Address: "/api/v1/events", Text: "Events", Description: "change log (JSON)"})
	}
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        "vigie",
		Description: "Supervision of the RIE: SNMP and BGP collection, live topology, resilience",
		Version:     opts.Version,
		Links:       links,
	})
	if err != nil {
		return nil, fmt.Errorf("web: landing page: %w", err)
	}
	mux.Handle("/", landing)
	s.handler = mux
	return s, nil
}

// Handler returns the routes, for tests and embedding.
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves until ctx is cancelled, then shuts down gracefully (in-flight
// requests get up to 5 s).
func (s *Server) Run(ctx context.Context) error {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.opts.ScrapeTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	systemd := false
	addrs := s.opts.ListenAddresses
	flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &s.opts.ConfigFile}
	errc := make(chan error, 1)
	go func() { errc <- web.ListenAndServe(srv, flags, s.opts.Logger) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serving on %v: %w", addrs, err)
	case <-ctx.Done():
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutCtx); err != nil {
			return fmt.Errorf("web: shutdown: %w", err)
		}
		if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
