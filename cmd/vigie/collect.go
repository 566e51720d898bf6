package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/vigie-rie/vigie/collector"
	"github.com/vigie-rie/vigie/daemon"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/observe"
	"github.com/vigie-rie/vigie/web"
)

const collectUsage = `Usage: vigie collect --config FILE --collector NAME --observations nats://HOST:4222 [flags]

Runs a regional collector of a distributed vigie (docs/distributed.md): polls
over SNMP the devices the inventory's collectors: section gives to NAME and
publishes each poll, and a heartbeat, to NATS JetStream (subjects
vigie.obs.NAME.*), where the central "vigie run --observations" reads them.
While NATS is unreachable the observations are queued (--observations.queue)
and published in order when it comes back. Its own health is on /metrics.

The collector whose collectors: entry has bgp: true also runs the inventory's
BGP sessions and publishes the monitor's state (vigie.obs.NAME.bgp); the
central then opens none. With --snmp.trap-listen-address it receives its own
devices' traps and informs and polls the device at once.

Examples:
  vigie collect --config /etc/vigie/vigie.yml --collector reunion --observations nats://nats.rie:4222
  vigie collect --config /etc/vigie/vigie.yml --collector reunion --observations nats://nats.rie:4222 --snmp.trap-listen-address :162
`

// observationFlags are the NATS flags of collect and run.
type observationFlags struct {
	url                    string
	user, password         string
	nkey                   string
	tlsCA, tlsCert, tlsKey string
}

func (o *observationFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&o.url, "observations", "", what)
	fs.StringVar(&o.user, "observations.user", "", "NATS user name (each collector its own: the server's permissions give it its own subjects only)")
	fs.StringVar(&o.password, "observations.password", "", "NATS password, as {env:NAME} or {file:PATH} (a file readable by its owner only); never the password itself")
	fs.StringVar(&o.nkey, "observations.nkey", "", "NATS user seed (NKey), as {file:PATH} (a file readable by its owner only, as `vigie nkey-gen` writes it)\n"+
		"or {env:NAME}; instead of --observations.user: the server knows the public key only")
	fs.StringVar(&o.tlsCA, "observations.tls.ca", "", "PEM file of the CA that signed the NATS server's certificate (enables TLS)")
	fs.StringVar(&o.tlsCert, "observations.tls.cert", "", "PEM client certificate, for a server that verifies clients (with --observations.tls.key)")
	fs.StringVar(&o.tlsKey, "observations.tls.key", "", "PEM key of --observations.tls.cert")
}

// connection checks the flags and returns how to connect.
func (o *observationFlags) connection() (observe.Connection, error) {
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "nats" && u.Scheme != "tls") || u.Host == "" {
		return observe.Connection{}, fmt.Errorf("--observations=%q: want a NATS URL such as nats://127.0.0.1:4222 (or tls://...)", redactURL(o.url))
	}
	if _, has := u.User.Password(); has {
		return observe.Connection{}, fmt.Errorf("--observations=%q: a password in the URL shows in ps and in logs; give --observations.user and --observations.password {env:NAME} or {file:PATH}", redactURL(o.url))
	}
	c := observe.Connection{URL: o.url}
	if o.nkey != "" && (o.user != "" || o.password != "") {
		return c, errors.New("--observations.nkey and --observations.user/--observations.password are two ways to log in: give the one the server's entry for this user has (nkey: or user: and password:)")
	}
	if o.nkey != "" {
		opt, err := nkeyOption(o.nkey)
		if err != nil {
			return c, err
		}
		c.Options = append(c.Options, opt)
	}
	if o.password != "" && o.user == "" {
		return c, errors.New("--observations.password needs --observations.user")
	}
	if o.user != "" {
		pw, err := resolveSecretFlag("--observations.password", o.password)
		if err != nil {
			return c, err
		}
		c.Options = append(c.Options, nats.UserInfo(o.user, pw))
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return c, errors.New("--observations.tls.cert and --observations.tls.key go together: give both or neither")
	}
	for _, f := range []struct{ flag, path string }{{"--observations.tls.ca", o.tlsCA}, {"--observations.tls.cert", o.tlsCert}, {"--observations.tls.key", o.tlsKey}} {
		if f.path == "" {
			continue
		}
		if _, err := os.Stat(f.path); err != nil {
			return c, fmt.Errorf("%s %s: %w", f.flag, f.path, err)
		}
	}
	if o.tlsCA != "" {
		c.Options = append(c.Options, nats.RootCAs(o.tlsCA))
	}
	if o.tlsCert != "" {
		c.Options = append(c.Options, nats.ClientCert(o.tlsCert, o.tlsKey))
	}
	return c, nil
}

// resolveSecretFlag reads a secret given as {env:NAME} or {file:PATH},
// the forms the inventory's secrets take. The value itself is refused: it
// would show in ps and in the shell's history.
func resolveSecretFlag(flag, ref string) (string, error) {
	inner, ok := strings.CutPrefix(ref, "{")
	if inner, ok = strings.CutSuffix(inner, "}"); !ok {
		return "", fmt.Errorf("%s: give {env:NAME} or {file:PATH}, not the secret itself (it would show in ps)", flag)
	}
	kind, val, _ := strings.Cut(inner, ":")
	val = strings.TrimSpace(val)
	switch strings.TrimSpace(kind) {
	case "env":
		v, set := os.LookupEnv(val)
		if !set || v == "" {
			return "", fmt.Errorf("%s: the environment variable %s is not set or empty: export it in vigie's environment", flag, val)
		}
		return v, nil
	case "file":
		st, err := os.Stat(val)
		if err != nil {
			return "", fmt.Errorf("%s: %w", flag, err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("%s: secret file %s is readable by group or others (mode %04o): chmod 600 %s", flag, val, st.Mode().Perm(), val)
		}
		if st.Size() > 64<<10 {
			return "", fmt.Errorf("%s: secret file %s is larger than 64 KiB: point at the file that holds only the secret", flag, val)
		}
		b, err := os.ReadFile(val)
		if err != nil {
			return "", fmt.Errorf("%s: %w", flag, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("%s: secret file %s is empty", flag, val)
		}
		return v, nil
	}
	return "", fmt.Errorf("%s: give {env:NAME} or {file:PATH}", flag)
}

// central makes opts those of a central: its polls come from the
// collectors through NATS, under the durable consumer named consumer; the
// stream sources the leaf nodes of JetStream domains (read at start: a
// domain added to the inventory needs the centrals restarted).
func (o *observationFlags) central(opts *daemon.Options, consumer string, domains []string, logger *slog.Logger) error {
	conn, err := o.connection()
	if err != nil {
		return err
	}
	c, err := observe.NewConsumer(observe.ConsumerOptions{Connection: conn, Durable: consumer, SourceDomains: domains,
		Logger: logger.With("component", "observations")})
	if err != nil {
		return err
	}
	opts.Source = c
	opts.ExtraCollectors = append(opts.ExtraCollectors, c.Collectors()...)
	return nil
}

// redactURL hides a password given in a URL.
func redactURL(s string) string {
	if u, err := url.Parse(s); err == nil {
		return u.Redacted()
	}
	return "(unparsable)"
}

func cmdCollect(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlagSet("collect", collectUsage, stderr)
	config := fs.String("config", "", "inventory file (required)")
	name := fs.String("collector", "", "this collector's name, as in the inventory's collectors: section (required)")
	var of observationFlags
	of.register(fs, "NATS server to publish observations to (required), e.g. nats://127.0.0.1:4222")
	heartbeat := fs.Duration("observations.heartbeat", 10*time.Second, "heartbeat period: the central counts this collector lost after two missed")
	queue := fs.String("observations.queue", "64MiB", "bound of the observations kept while NATS does not acknowledge them (MiB or GiB);\n"+
		"past it the oldest are dropped (vigie_observations_dropped_total)")
	var listen listFlag
	fs.Var(&listen, "web.listen-address", "address to serve /metrics on, repeatable (default :9743)")
	webConfig := fs.String("web.config.file", "", "exporter-toolkit web config file enabling TLS and/or basic auth")
	var parts collectParts
	parts.register(fs)
	var lf logFlags
	lf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *config == "" || *name == "" || of.url == "" || fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	conn, err := of.connection()
	if err != nil {
		return err
	}
	if *heartbeat < time.Second {
		return fmt.Errorf("--observations.heartbeat=%s: want at least 1s", *heartbeat)
	}
	queueBytes, err := parseMemoryLimit(*queue)
	if err != nil || queueBytes <= 0 {
		return fmt.Errorf("--observations.queue=%q: want a size such as 64MiB or 1GiB", *queue)
	}
	logger, err := lf.logger(stderr)
	if err != nil {
		return err
	}
	share, inv, err := loadShare(*config, *name, logger)
	if err != nil {
		return err
	}
	if err := parts.open(inv, *name, logger); err != nil {
		return err
	}
	return runCollector(ctx, share, *name, conn, *heartbeat, int(queueBytes), listen, *webConfig, &parts, logger, inv)
}

// runCollector polls share and publishes to NATS until ctx ends.
func runCollector(ctx context.Context, share *inventory.Inventory, name string, conn observe.Connection,
	heartbeat time.Duration, queueBytes int, listen []string, webConfig string, parts *collectParts, logger *slog.Logger, inv *inventory.Inventory) (err error) {
	defer func() {
		if err != nil {
			parts.close()
		}
	}()
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	domain := share.Collector(name).JetStreamDomain
	pub, err := observe.NewPublisher(observe.PublisherOptions{Connection: conn, Collector: name, Heartbeat: heartbeat,
		QueueBytes: queueBytes, Devices: len(share.Devices), Domain: domain, DomainCollectors: share.CollectorsIn(domain),
		Logger: logger.With("component", "observations"), Registerer: reg})
	if err != nil {
		return err
	}
	coll, err := collector.New(share, collector.Options{OnPoll: pub.Observe,
		Logger: logger.With("component", "collector"), Registerer: reg})
	if err != nil {
		return err
	}
	// A witness of other collectors (witness.go); nil when none names it.
	wit, closeWit, err := newWitness(inv, name, conn, heartbeat, pub, reg, logger)
	if err != nil {
		_ = coll.Close()
		return err
	}
	defer func() { _ = closeWit() }()
	if len(listen) == 0 {
		listen = []string{":9743"}
	}
	ls, err := web.Listen(listen, nil)
	if err != nil {
		_ = coll.Close()
		return err
	}
	defer func() { _ = ls.Close() }()
	srv, err := web.New(web.Options{ListenAddresses: listen, Listeners: ls, ConfigFile: webConfig, Gatherer: reg,
		Registerer: reg, Version: buildVersion(), Logger: logger.With("component", "web")})
	if err != nil {
		_ = coll.Close()
		return err
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	partsWait, err := parts.start(ctx, share, coll, pub, reg, cancel)
	if err != nil {
		_ = coll.Close()
		return err
	}
	// The collector stops first and the publisher last, so that the last
	// polls are queued before the publisher flushes its queue.
	collCtx, stopColl := context.WithCancel(context.Background())
	collDone := make(chan error, 1)
	go func() {
		err := coll.Run(collCtx)
		cancel(err)
		collDone <- err
	}()
	pubCtx, stopPub := context.WithCancel(context.Background())
	pubDone := make(chan error, 1)
	go func() {
		err := pub.Run(pubCtx)
		cancel(err)
		pubDone <- err
	}()
	witDone := make(chan error, 1)
	go func() {
		if wit == nil {
			witDone <- nil
			return
		}
		err := wit.Run(collCtx) // stops with the collector, before the publisher flushes
		cancel(err)
		witDone <- err
	}()
	webDone := make(chan error, 1)
	go func() {
		err := srv.Run(ctx)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		cancel(err)
		webDone <- err
	}()
	logger.Info("vigie collector started", "collector", name, "devices", len(share.Devices), "server", redactURL(conn.URL))
	<-ctx.Done()
	partsWait()
	stopColl()
	err = <-collDone
	if e := <-witDone; err == nil {
		err = e
	}
	stopPub()
	for _, e := range []error{<-pubDone, <-webDone} {
		if err == nil {
			err = e
		}
	}
	if err != nil {
		return err
	}
	logger.Info("vigie collector stopped", "collector", name)
	return nil
}
