package observe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// The JetStream stream every collector publishes to and every central
// reads: one stream, subjects per collector, so that server permissions
// can give each collector its own subjects only (docs/distributed.md).
const (
	StreamName    = "VIGIE_OBS"
	SubjectPrefix = "vigie.obs."
)

// Stream limits, the buffer bound of "nothing lost": what JetStream keeps
// for a central that is away, or replays to one that comes back. A
// collector cut from NATS keeps its own bounded queue (PublisherOptions.Queue).
const (
	// StreamMaxAge is how long an observation stays in the stream.
	StreamMaxAge = time.Hour
	// StreamMaxBytes bounds the stream on disk; the oldest go first.
	StreamMaxBytes = 1 << 30
	// DuplicateWindow is how long JetStream remembers a message id: a
	// collector that republishes after a lost acknowledgement within it
	// stores nothing twice.
	DuplicateWindow = 10 * time.Minute
)

// PollSubject and HeartbeatSubject are a collector's subjects.
func PollSubject(collector string) string      { return SubjectPrefix + collector + ".poll" }
func HeartbeatSubject(collector string) string { return SubjectPrefix + collector + ".hb" }

// collectorOf returns the collector token of a subject of the stream.
func collectorOf(subject string) (name, kind string, ok bool) {
	if len(subject) <= len(SubjectPrefix) || subject[:len(SubjectPrefix)] != SubjectPrefix {
		return "", "", false
	}
	rest := subject[len(SubjectPrefix):]
	for i := 0; i < len(rest); i++ {
		if rest[i] == '.' {
			return rest[:i], rest[i+1:], i > 0
		}
	}
	return "", "", false
}

// LeafMaxAge is how long a leaf node's stream keeps its collectors'
// observations: a transoceanic cable may take days to mend, and the
// centrals source everything it holds when it is back.
const LeafMaxAge = 7 * 24 * time.Hour

// streamConfig is the centrals' stream: every collector's subjects, and the
// stream of each leaf node's JetStream domain as a source, so that what a
// leaf kept while its link was down comes in, in order, when it is back.
func streamConfig(domains []string) jetstream.StreamConfig {
	cfg := jetstream.StreamConfig{
		Name:       StreamName,
		Subjects:   []string{SubjectPrefix + ">"},
		Storage:    jetstream.FileStorage,
		Retention:  jetstream.LimitsPolicy,
		MaxAge:     StreamMaxAge,
		MaxBytes:   StreamMaxBytes,
		Duplicates: DuplicateWindow,
		Discard:    jetstream.DiscardOld,
	}
	for _, d := range domains {
		cfg.Sources = append(cfg.Sources, leafSource(d))
	}
	return cfg
}

// leafSource is the leaf node stream of JetStream domain d, as a source.
func leafSource(d string) *jetstream.StreamSource {
	return &jetstream.StreamSource{Name: StreamName, External: &jetstream.ExternalStream{APIPrefix: "$JS." + d + ".API"}}
}

// leafStreamConfig is a leaf node's own stream: the subjects of the
// collectors that publish there only (a stream of every subject would draw
// the whole country's observations over the cable).
func leafStreamConfig(collectors []string) jetstream.StreamConfig {
	cfg := streamConfig(nil)
	cfg.Subjects = nil
	for _, c := range collectors {
		cfg.Subjects = append(cfg.Subjects, SubjectPrefix+c+".>")
	}
	cfg.MaxAge = LeafMaxAge
	return cfg
}

// ensureStream creates the stream if it does not exist. An existing one is
// left as its operator configured it, except that the subjects and sources
// cfg needs and it lacks are added (a collector or a leaf node declared
// since it was made).
func ensureStream(ctx context.Context, js jetstream.JetStream, cfg jetstream.StreamConfig) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, cfg.Name)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		s, err = js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			s, err = js.Stream(ctx, cfg.Name)
		}
	}
	if err != nil {
		return nil, err
	}
	have := s.CachedInfo().Config
	update, changed := have, false
	for _, subj := range cfg.Subjects {
		if !slices.Contains(have.Subjects, subj) && !slices.Contains(have.Subjects, SubjectPrefix+">") {
			update.Subjects = append(update.Subjects, subj)
			changed = true
		}
	}
	for _, src := range cfg.Sources {
		if !slices.ContainsFunc(have.Sources, func(h *jetstream.StreamSource) bool {
			return h.Name == src.Name && h.External != nil && h.External.APIPrefix == src.External.APIPrefix
		}) {
			update.Sources = append(update.Sources, src)
			changed = true
		}
	}
	if !changed {
		return s, nil
	}
	return js.UpdateStream(ctx, update)
}

// Connection says how to reach NATS: the URL of --observations and the
// options the credentials and TLS settings give.
type Connection struct {
	URL string
	// Name is the client name the server's monitoring shows.
	Name    string
	Options []nats.Option
}

// open connects as name (unless the Connection names itself) and returns
// the connection and its JetStream. It keeps trying to reconnect for ever (a
// collector cut from NATS goes on polling and buffers), keeps connected in
// step and logs each change; whileDown says what becomes of observations
// meanwhile.
func (c Connection) open(name string, connected prometheus.Gauge, whileDown string, log *slog.Logger) (*nats.Conn, jetstream.JetStream, error) {
	if c.Name == "" {
		c.Name = name
	}
	nc, err := c.connect(func(up bool) {
		connected.Set(b2f(up))
		if up {
			log.Info("connected to NATS", "server", redact(c.URL))
		} else {
			log.Warn("disconnected from NATS: "+whileDown, "server", redact(c.URL))
		}
	}, log)
	if err != nil {
		return nil, nil, err
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}

// connect opens a connection that keeps trying to reconnect for ever,
// calling onChange when it goes up or down.
func (c Connection) connect(onChange func(connected bool), log *slog.Logger) (*nats.Conn, error) {
	// The handlers may repeat a state (connected at once, and the connect
	// handler): report changes only.
	var mu sync.Mutex
	state := -1
	var lastRefusal string
	change := func(up bool) {
		mu.Lock()
		defer mu.Unlock()
		if v := int(b2f(up)); v != state {
			state = v
			if up {
				lastRefusal = "" // a later refusal is news again
			}
			onChange(up)
		}
	}
	refused := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if !isAuthError(err) || err.Error() == lastRefusal {
			return
		}
		lastRefusal = err.Error()
		log.Error("NATS refuses this client's credentials: the server's authorization must list this user (--observations.user and --observations.password) or its NKey's public key (--observations.nkey); retrying",
			"server", redact(c.URL), "err", err)
	}
	opts := append([]nats.Option{
		nats.Name(c.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.ConnectHandler(func(*nats.Conn) { change(true) }),
		nats.ReconnectHandler(func(*nats.Conn) { change(true) }),
		nats.DisconnectErrHandler(func(*nats.Conn, error) { change(false) }),
		// The server's asynchronous errors (a permission refused) go to
		// the log, not to stderr as nats.go would print them.
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			log.Warn("NATS server error", "err", err)
		}),
		// Refused credentials (a seed or password the server does not
		// know) are retried like an unreachable server, so that fixing
		// the server's users is enough; logged once per distinct refusal.
		nats.IgnoreAuthErrorAbort(),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { refused(err) }),
	}, c.Options...)
	nc, err := nats.Connect(c.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("--observations %s: %w", redact(c.URL), err)
	}
	change(nc.IsConnected())
	return nc, nil
}

// isAuthError reports whether the server refused the client's credentials.
func isAuthError(err error) bool {
	return errors.Is(err, nats.ErrAuthorization) || errors.Is(err, nats.ErrAuthExpired) || errors.Is(err, nats.ErrAuthRevoked)
}
