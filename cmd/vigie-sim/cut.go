package main

// cut.go is the client side of the cut endpoints (/cuts on vigie-sim
// serve's control address, /sim/cuts on a vigie demo): one command per
// scenario, for planners and scripts.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// controlURL turns --control (an address such as 127.0.0.1:9743, or a URL
// such as http://localhost:9742/sim for a vigie demo) into a base URL.
func controlURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("--control %q: give the control address (127.0.0.1:9743) or a URL (http://localhost:9742/sim for vigie demo)", s)
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	return u, nil
}

// callControl sends one request to the control endpoint and decodes its
// JSON answer into out; path is escaped already.
func callControl(base *url.URL, method, path string, out any) error {
	target := base.String() + path
	req, err := http.NewRequest(method, target, nil)
	if err != nil {
		return err
	}
	c := &http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("cannot reach the simulator's control endpoint: %w (is vigie-sim serve or vigie demo running there? see --control)", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, target, err)
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, target, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not a cut report (%w); is this a vigie-sim control endpoint?", method, target, err)
	}
	return nil
}

// summary says what a cut or restore did, in one line.
func summary(r snmpagent.CutReport) string {
	if !r.Changed {
		if r.Action == "cut" {
			return fmt.Sprintf("%s was already cut: nothing changed", r.Item)
		}
		return fmt.Sprintf("%s was not cut: nothing changed", r.Item)
	}
	verb, links, devs, routes := "cut", "down", "off", r.Routes.Withdrawn
	if r.Action == "restore" {
		verb, links, devs, routes = "restored", "up", "on", r.Routes.Announced
	}
	s := fmt.Sprintf("%s %s: %d links %s (%d tunnels over the internet), %d interfaces, %d devices %s, %d left as they were",
		verb, r.Item, r.Links, links, r.Tunnels, r.Interfaces, r.Devices, devs, r.Kept)
	if routes != (snmpagent.RouteCount{}) {
		what := "withdrew"
		if r.Action == "restore" {
			what = "announced again"
		}
		s += fmt.Sprintf("; BGP %s %d default routes, %d canaries, %d site paths (%d sites), %d speakers",
			what, routes.DefaultRoutes, routes.Canaries, routes.SitePaths, routes.Sites, routes.Speakers)
	}
	return s
}

func cutCommand(name string, args []string, stdout, stderr io.Writer) error {
	synopsis := "[--control ADDR|URL] [--json] ITEM..."
	if name == "restore" {
		synopsis = "[--control ADDR|URL] [--json] ITEM... | --all"
	}
	if name == "cuts" {
		synopsis = "[--control ADDR|URL] [--json]"
	}
	fs := newFlagSet(name, synopsis, stderr)
	control := fs.String("control", "127.0.0.1:9743", "the simulator's control endpoint: vigie-sim serve's --control address, or http://HOST:PORT/sim for vigie demo")
	asJSON := fs.Bool("json", false, "print the JSON report(s) as the endpoint answers them")
	all := false
	if name == "restore" {
		fs.BoolVar(&all, "all", false, "restore every cut in force")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	base, err := controlURL(*control)
	if err != nil {
		return err
	}
	items := fs.Args()
	switch {
	case name == "cuts" && len(items) > 0:
		fs.Usage()
		return errors.New("cuts takes no item")
	case name != "cuts" && all && len(items) > 0:
		fs.Usage()
		return errors.New("give items or --all, not both")
	case name != "cuts" && !all && len(items) == 0:
		fs.Usage()
		return errors.New("an ITEM is needed: internet, srlg:ID, link:A--B, device:NAME, pop:ID or region:ID (as vigie whatif --fail)")
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if name == "cuts" {
		var cuts []snmpagent.ActiveCut
		if err := callControl(base, http.MethodGet, "/cuts", &cuts); err != nil {
			return err
		}
		if *asJSON {
			return enc.Encode(cuts)
		}
		if len(cuts) == 0 {
			fmt.Fprintln(stdout, "vigie-sim: no cut in force")
		}
		for _, c := range cuts {
			fmt.Fprintf(stdout, "%s since %s: %d links (%d tunnels), %d devices\n", c.Item, c.Since.Format(time.RFC3339), c.Links, c.Tunnels, c.Devices)
		}
		return nil
	}
	var reps []snmpagent.CutReport
	if all {
		if err := callControl(base, http.MethodDelete, "/cuts", &reps); err != nil {
			return err
		}
	}
	method := http.MethodPost
	if name == "restore" {
		method = http.MethodDelete
	}
	for _, item := range items {
		var r snmpagent.CutReport
		if err := callControl(base, method, "/cuts/"+url.PathEscape(item), &r); err != nil {
			return err
		}
		reps = append(reps, r)
	}
	if *asJSON {
		return enc.Encode(reps)
	}
	if all && len(reps) == 0 {
		fmt.Fprintln(stdout, "vigie-sim: no cut in force")
	}
	for _, r := range reps {
		fmt.Fprintln(stdout, "vigie-sim:", summary(r))
	}
	return nil
}
