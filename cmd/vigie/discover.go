package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/discover"
	"github.com/vigie-rie/vigie/internal/atomicfile"
	"github.com/vigie-rie/vigie/inventory"
)

const discoverUsage = `Usage: vigie discover --inventory FILE --seed ADDRESS... [--profile P] [--allow PREFIX,...]
                      [--max-devices N] [--max-depth D] [--timeout T] [--out FILE]

Crawls the network's LLDP and CDP neighbour tables over SNMP, from the seed
addresses, with the inventory's SNMP profile P (its credentials, timeout and
retries; secrets from {env: ...} and {file: ...} as for vigie run). It follows
the management addresses the neighbours advertise (LLDP-MIB
lldpRemManAddrTable, CDP's cache address), breadth first, bounded in devices,
depth and time, a few devices at a time. It contacts only the seeds and the
addresses learnt from neighbours, never a range; it refuses multicast,
broadcast, unspecified and link-local addresses. In production always give
--allow with the management prefixes: a device (or a forged LLDP frame) could
otherwise name any address, and vigie would send it the profile's community.

It writes the devices (named after their sysName) and links it found that the
inventory lacks, as inventory YAML to review and merge by hand: each device's
role is REVIEW, which check-config refuses until a person sets it and the
device's site, pop or datacentre. It never writes the inventory. --out is
written whole or not at all. Progress and a summary go to stderr. Exit status:
0 when a device was reached, 1 when none was (or the output cannot be
written), 2 on a command-line mistake.

Examples:
  vigie discover --inventory /etc/vigie/vigie.yml --profile backbone \
      --seed 10.255.0.1 --allow 10.255.0.0/16 --out found.yml
  vigie discover --inventory vigie.yml --seed 10.255.0.1,10.255.8.1 --max-depth 1
`

// seedList is the --seed flag: repeatable, each a comma-separated list.
type seedList []netip.AddrPort

func (s *seedList) String() string { return fmt.Sprint(*s) }

func (s *seedList) Set(v string) error {
	for _, w := range strings.Split(v, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		if ap, err := netip.ParseAddrPort(w); err == nil {
			*s = append(*s, ap)
			continue
		}
		a, err := netip.ParseAddr(w)
		if err != nil {
			return fmt.Errorf("%q is not an IP address (or ADDRESS:PORT); discover does not resolve names", w)
		}
		*s = append(*s, netip.AddrPortFrom(a, 0))
	}
	return nil
}

// prefixList is the --allow flag.
type prefixList []netip.Prefix

func (p *prefixList) String() string { return fmt.Sprint(*p) }

func (p *prefixList) Set(v string) error {
	for _, w := range strings.Split(v, ",") {
		w = strings.TrimSpace(w)
		if w == "" {
			continue
		}
		x, err := netip.ParsePrefix(w)
		if err != nil {
			a, aerr := netip.ParseAddr(w)
			if aerr != nil {
				return fmt.Errorf("%q is not a prefix such as 10.255.0.0/16: %w", w, err)
			}
			x = netip.PrefixFrom(a, a.BitLen())
		}
		*p = append(*p, x.Masked())
	}
	return nil
}

func cmdDiscover(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("discover", discoverUsage, stderr)
	d := discover.DefaultOptions()
	var seeds seedList
	var allow prefixList
	fs.Var(&seeds, "seed", "`ADDRESS`[:PORT] of a device to start from; repeat, or separate with commas (required)")
	config := fs.String("inventory", "", "the vigie inventory `FILE` holding the SNMP profile, and compared with what is found (required)")
	profile := fs.String("profile", inventory.DefaultProfileName, "the inventory's SNMP profile every device is polled with")
	fs.Var(&allow, "allow", "`PREFIX`es, comma-separated, that learnt addresses must be in to be contacted (always set it in production)")
	port := fs.Uint("port", uint(d.Port), "SNMP port of learnt addresses and of seeds given without one")
	maxDevices := fs.Int("max-devices", d.MaxDevices, "most addresses contacted, seeds included")
	maxDepth := fs.Int("max-depth", d.MaxDepth, "most hops from the seeds (0: the seeds only)")
	timeout := fs.Duration("timeout", d.Timeout, "bound of the whole crawl")
	concurrency := fs.Int("concurrency", d.Concurrency, fmt.Sprintf("devices polled at once (1 to %d)", discover.MaxConcurrency))
	all := fs.Bool("all", false, "also write what the inventory has, marked \"in the inventory\": the whole network as found")
	out := fs.String("out", "", "the `FILE` to write (default: stdout), whole or not at all")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	var bad []string
	switch {
	case fs.NArg() > 0:
		bad = append(bad, fmt.Sprintf("unexpected argument %q (seeds are given with --seed)", fs.Arg(0)))
	case *config == "":
		bad = append(bad, "--inventory is required: it holds the SNMP profile's credentials")
	case len(seeds) == 0:
		bad = append(bad, "--seed is required: the address of a device to start from")
	case *port == 0 || *port > 65535:
		bad = append(bad, fmt.Sprintf("--port %d: give 1 to 65535", *port))
	case *maxDevices < 1:
		bad = append(bad, fmt.Sprintf("--max-devices %d: give at least 1", *maxDevices))
	case *maxDepth < 0:
		bad = append(bad, fmt.Sprintf("--max-depth %d: give 0 or more", *maxDepth))
	case *timeout <= 0:
		bad = append(bad, fmt.Sprintf("--timeout %v: give a positive duration such as 5m", *timeout))
	case *concurrency < 1 || *concurrency > discover.MaxConcurrency:
		bad = append(bad, fmt.Sprintf("--concurrency %d: give 1 to %d", *concurrency, discover.MaxConcurrency))
	}
	if len(bad) > 0 {
		fmt.Fprintf(stderr, "vigie discover: %s\n\n", bad[0])
		fs.Usage()
		return errUsage
	}
	inv, err := inventory.Load(*config, inventory.LoadOptions{ResolveSecrets: true})
	if err != nil {
		return err
	}
	p := inv.Profile(*profile)
	if p == nil {
		var names []string
		for _, x := range inv.Profiles {
			names = append(names, strconv.Quote(x.Name))
		}
		return fmt.Errorf("%s: no SNMP profile %q: give --profile one of %s", *config, *profile, strings.Join(names, ", "))
	}
	if *out != "" {
		// Before the crawl, not after minutes of it.
		if st, err := os.Stat(filepath.Dir(*out)); err != nil || !st.IsDir() {
			return fmt.Errorf("--out %s: its directory %s does not exist: create it, or give another path", *out, filepath.Dir(*out))
		}
	}
	if len(allow) == 0 {
		fmt.Fprintln(stderr, "vigie discover: warning: no --allow: every address a neighbour advertises may be contacted with the profile's credentials")
	}
	res, err := discover.Crawl(ctx, discover.Options{
		Seeds: seeds, Port: uint16(*port), Profile: p, MaxRows: inv.Polling.MaxRows,
		MaxDevices: *maxDevices, MaxDepth: *maxDepth, Timeout: *timeout, Concurrency: *concurrency,
		Allow: allow, Progress: stderr,
	})
	if err != nil {
		return err
	}
	text := discover.Proposal(res, discover.ProposalOptions{Inventory: inv, InventoryFile: *config, Profile: p.Name, All: *all})
	if *out == "" {
		if _, err := stdout.Write(text); err != nil {
			return err
		}
	} else if err := atomicfile.Write(*out, text, 0o644); err != nil {
		return fmt.Errorf("write %s (nothing was written): %w", *out, err)
	}
	where := "stdout"
	if *out != "" {
		where = *out
	}
	fmt.Fprintf(stderr, "vigie discover: %s; wrote %s\n", discover.Summary(res), where)
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted after %s: what was found so far is in %s", res.Elapsed.Round(time.Millisecond), where)
	}
	if len(res.Devices) == 0 {
		return errors.New("no device reached: check the seed addresses, the profile's credentials, and that SNMP is allowed from here")
	}
	return nil
}
