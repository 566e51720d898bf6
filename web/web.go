// Package web serves vigie's HTTP endpoints: /metrics for Prometheus, the
// JSON API under /api/v1/, health and readiness probes, and the web console
// at / (package web/console; a landing page when there is no API).
// TLS, client certificates and basic auth come from the Prometheus
// ecosystem's web config file (prometheus/exporter-toolkit), so operators
// secure vigie exactly as they secure their exporters.
//
// No endpoint takes a target address or a credential from the request: vigie
// only ever talks to the devices of its inventory (snmp_exporter #225).
package web

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/exporter-toolkit/web"

	"github.com/vigie-rie/vigie/web/console"
)

// DefaultListen is vigie's default address. 9742 is unused in the
// Prometheus default port allocations list (github.com/prometheus/prometheus
// wiki, "Default port allocations") at the time of writing.
const DefaultListen = ":9742"

// Options configures the server. Zero fields take DefaultOptions' values.
type Options struct {
	// ListenAddresses are the addresses to serve on (default DefaultListen)
	// when Listeners is nil: Run binds them and closes them on return.
	ListenAddresses []string
	// Listeners, when set, are the sockets Run serves on (bound by Listen,
	// closed by its caller): a taken port is then an error before Run.
	Listeners *Listeners
	// ConfigFile is an exporter-toolkit web config file (TLS, basic auth);
	// "" serves plain HTTP without auth.
	ConfigFile string
	// Gatherer is what /metrics exposes.
	Gatherer prometheus.Gatherer
	// Text are families written after the Gatherer's, already in the text
	// exposition format (e.g. the collector's per-device series, rendered
	// at poll time). When set, /metrics serves text format 0.0.4 only (no
	// OpenMetrics, no protobuf negotiation), gzipped at gzip.BestSpeed when
	// the client accepts it, streamed rather than buffered.
	Text []TextWriter
	// Registerer receives the HTTP server's own metrics (nil: not
	// registered).
	Registerer prometheus.Registerer
	// API is mounted under /api/v1/ (may be nil).
	API http.Handler
	// Extra handlers are mounted at their path prefix ("/sim/": the demo's
	// simulator controls), given the request with the prefix stripped.
	Extra map[string]http.Handler
	// Ready reports whether vigie has a topology to serve (nil = always).
	Ready func() bool
	// Version is shown on the landing page.
	Version string
	// EnablePprof mounts /debug/pprof/ (off by default: it exposes internals).
	EnablePprof bool
	// ScrapeTimeout bounds one /metrics request (default 30 s).
	ScrapeTimeout time.Duration
	// Logger receives the server's errors (nil: discard).
	Logger *slog.Logger
}

// DefaultOptions returns the production defaults, which New gives the zero
// fields of its Options.
func DefaultOptions() Options {
	return Options{
		ListenAddresses: []string{DefaultListen},
		ScrapeTimeout:   30 * time.Second,
	}
}

// setDefaults fills the zero fields of o from DefaultOptions. Only a zero
// ScrapeTimeout takes the default, as it always has: a negative one is
// kept, and scrapes then have no deadline.
func (o *Options) setDefaults() {
	d := DefaultOptions()
	if len(o.ListenAddresses) == 0 {
		o.ListenAddresses = d.ListenAddresses
	}
	if o.ScrapeTimeout == 0 {
		o.ScrapeTimeout = d.ScrapeTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// maxScrapesInFlight bounds concurrent /metrics requests; more get 503.
const maxScrapesInFlight = 4

// Server is vigie's HTTP server.
type Server struct {
	opts    Options
	handler http.Handler
}

// New builds the server and its routes; it does not listen yet.
func New(opts Options) (*Server, error) {
	opts.setDefaults()
	if opts.Gatherer == nil {
		return nil, errors.New("web: no metrics gatherer given")
	}
	if opts.ConfigFile != "" {
		if err := checkConfigFileSize(opts.ConfigFile); err != nil {
			return nil, err
		}
		// Fail at start-up, not at the first request, on a bad web config.
		if err := web.Validate(opts.ConfigFile); err != nil {
			// YAML errors span lines; the operator reads one.
			why := strings.Join(strings.Fields(err.Error()), " ")
			return nil, fmt.Errorf("web config %s: %s: fix it (the exporter-toolkit web configuration format: tls_server_config, basic_auth_users) or drop --web.config.file", opts.ConfigFile, why)
		}
	}
	s := &Server{opts: opts}
	mux := http.NewServeMux()
	var metricsHandler http.Handler
	if len(opts.Text) > 0 {
		metricsHandler = newTextHandler(opts.Gatherer, opts.Text, maxScrapesInFlight, opts.ScrapeTimeout, opts.Logger)
	} else {
		metricsHandler = promhttp.HandlerFor(opts.Gatherer, promhttp.HandlerOpts{
			ErrorLog:            slog.NewLogLogger(opts.Logger.Handler(), slog.LevelError),
			ErrorHandling:       promhttp.ContinueOnError,
			MaxRequestsInFlight: maxScrapesInFlight,
			Timeout:             opts.ScrapeTimeout,
			EnableOpenMetrics:   true,
		})
	}
	if opts.Registerer != nil {
		metricsHandler = promhttp.InstrumentMetricHandler(opts.Registerer, metricsHandler)
	}
	mux.Handle("GET /metrics", metricsHandler)
	if opts.API != nil {
		mux.Handle("/api/v1/", opts.API)
	}
	for prefix, h := range opts.Extra {
		mux.Handle(prefix, http.StripPrefix(strings.TrimSuffix(prefix, "/"), h))
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
	if opts.API != nil {
		// The console (web/console) reads /api/v1: without it, the
		// landing page stays.
		c, err := console.New()
		if err != nil {
			return nil, err
		}
		mux.Handle("/", c)
	} else {
		mux.Handle("/", landing)
	}
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
	ls := s.opts.Listeners
	if ls == nil {
		var err error
		if ls, err = Listen(s.opts.ListenAddresses, nil); err != nil {
			return err
		}
		defer ls.Close()
	}
	conns := &openConns{}
	srv.ConnState = conns.hook
	systemd := false
	addrs := ls.Addrs()
	flags := &web.FlagConfig{WebListenAddresses: &addrs, WebSystemdSocket: &systemd, WebConfigFile: &s.opts.ConfigFile}
	errc := make(chan error, 1)
	views := ls.views()
	go func() { errc <- web.ServeMultiple(views, srv, flags, s.opts.Logger) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serving on %v: %w", addrs, err)
	case <-ctx.Done():
		// Answer what was accepted before shutting down: see openConns.
		served := drain(srv, views, errc, conns, 3*time.Second)
		shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(shutCtx); err != nil {
			return fmt.Errorf("web: shutdown: %w", err)
		}
		if served == nil {
			served = <-errc
		}
		// drain closed the views: Serve ends with net.ErrClosed rather than
		// ErrServerClosed, both an orderly stop.
		if served != nil && !errors.Is(served, http.ErrServerClosed) && !errors.Is(served, net.ErrClosed) {
			return served
		}
		return nil
	}
}

// TextWriter writes metric families in the Prometheus text format 0.0.4,
// with names that the Gatherer does not also expose.
type TextWriter interface {
	WriteText(w io.Writer) error
}

// contentTypeText is the text exposition format 0.0.4.
const contentTypeText = "text/plain; version=0.0.4; charset=utf-8"

// textHandler serves the Gatherer's families encoded by expfmt, then the
// TextWriters' families, streamed. It keeps promhttp's semantics where
// they matter: a bound on scrapes in flight (503 beyond), errors of some
// collectors logged without failing the scrape, a time limit (here the
// connection's write deadline: nothing is buffered whole).
type textHandler struct {
	gatherer prometheus.Gatherer
	text     []TextWriter
	inFlight chan struct{}
	timeout  time.Duration
	log      *slog.Logger
	gzips    sync.Pool // *gzip.Writer
	bufs     sync.Pool // *bufio.Writer
}

func newTextHandler(g prometheus.Gatherer, text []TextWriter, maxInFlight int, timeout time.Duration, log *slog.Logger) *textHandler {
	h := &textHandler{gatherer: g, text: text, inFlight: make(chan struct{}, maxInFlight), timeout: timeout, log: log}
	h.gzips.New = func() any {
		// BestSpeed: about 3 times cheaper in CPU than the default level
		// for a text exposition, for a slightly larger body.
		z, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
		return z
	}
	h.bufs.New = func() any { return bufio.NewWriterSize(io.Discard, 64<<10) }
	return h
}

func (h *textHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	select {
	case h.inFlight <- struct{}{}:
		defer func() { <-h.inFlight }()
	default:
		http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", cap(h.inFlight)),
			http.StatusServiceUnavailable)
		return
	}
	if h.timeout > 0 {
		// A slow or stuck client cannot hold the scrape forever.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(h.timeout))
	}
	mfs, err := h.gatherer.Gather()
	if err != nil {
		// As promhttp.ContinueOnError: serve what could be gathered.
		h.log.Error("gathering metrics (serving the rest)", "err", err)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", contentTypeText)
	hdr.Add("Vary", "Accept-Encoding")
	var out io.Writer = w
	var z *gzip.Writer
	if acceptsGzip(r) {
		hdr.Set("Content-Encoding", "gzip")
		z = h.gzips.Get().(*gzip.Writer)
		z.Reset(w)
		defer h.gzips.Put(z)
		out = z
	}
	bw := h.bufs.Get().(*bufio.Writer)
	bw.Reset(out)
	defer func() { bw.Reset(io.Discard); h.bufs.Put(bw) }()
	if err := h.write(bw, mfs); err != nil {
		// Headers are sent: the client sees a truncated body and fails the
		// scrape, which is what it should do.
		h.log.Warn("writing /metrics", "err", err)
		return
	}
	if err := bw.Flush(); err != nil {
		h.log.Warn("writing /metrics", "err", err)
		return
	}
	if z != nil {
		if err := z.Close(); err != nil {
			h.log.Warn("writing /metrics", "err", err)
		}
	}
}

func (h *textHandler) write(w io.Writer, mfs []*dto.MetricFamily) error {
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("encoding %s: %w", mf.GetName(), err)
		}
	}
	for _, t := range h.text {
		if err := t.WriteText(w); err != nil {
			return err
		}
	}
	return nil
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip
// (with a non-zero q-value).
func acceptsGzip(r *http.Request) bool {
	for _, h := range r.Header.Values("Accept-Encoding") {
		for _, part := range strings.Split(h, ",") {
			enc, params, _ := strings.Cut(strings.TrimSpace(part), ";")
			if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
				continue
			}
			if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
				if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// MaxConfigFileSize bounds the web config file. exporter-toolkit reads the
// whole file (at start and at each new connection); a few TLS paths and
// bcrypt hashes are a few KiB, so 1 MiB is generous.
const MaxConfigFileSize = 1 << 20

// checkConfigFileSize refuses a web config that is not a regular file or
// is larger than MaxConfigFileSize, before exporter-toolkit reads it all:
// --web.config.file /dev/zero must fail at once, not eat the memory.
func checkConfigFileSize(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return fmt.Errorf("web config %s: %w: give --web.config.file an existing file, or drop the flag", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("web config %s: not a regular file (%s): give --web.config.file a YAML file", path, fi.Mode().Type())
	case fi.Size() > MaxConfigFileSize:
		return fmt.Errorf("web config %s: %d bytes, over the %d-byte limit: is it the right file? A web config holds a few TLS paths and password hashes", path, fi.Size(), MaxConfigFileSize)
	}
	return nil
}
