// Command simfleet serves a simulated RIE fleet from its own process, so
// that the collector's figures (TestFleetFigures) measure vigie's CPU and
// memory alone. It prints the UDP port on stdout, then serves until its
// stdin is closed (the test's death ends it too).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

func main() {
	sites := flag.Int("sites", sim.DefaultSites, "sites to generate")
	seed := flag.Uint64("seed", 7, "generator seed")
	sockets := flag.Int("sockets", 2, "server sockets")
	flag.Parse()
	inv := sim.Generate(sim.GenerateOptions{Seed: *seed, Sites: *sites})
	a, err := snmpagent.New(inv, snmpagent.Options{Seed: *seed, Sockets: *sockets, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := a.Listen(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(a.Port())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	if err := a.Serve(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
