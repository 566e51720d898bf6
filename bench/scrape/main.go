// Command scrape drives an SNMP exporter the way Prometheus does: once per
// cycle it scrapes /snmp?target=... for every device, with a bounded
// concurrency, and reports per cycle the wall time, failures and the
// samples (varbinds) the exporter says it returned. It is the load side of
// bench/peers.sh; it only ever talks to the exporter on loopback.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	exporter := flag.String("exporter", "http://127.0.0.1:9116", "exporter base URL (loopback only)")
	targets := flag.String("targets", "", "file with one target host:port per line")
	module := flag.String("module", "if_mib", "snmp_exporter module")
	auth := flag.String("auth", "public_v2", "snmp_exporter auth")
	cycles := flag.Int("cycles", 3, "number of full-fleet cycles")
	concurrency := flag.Int("concurrency", 16, "scrapes in flight at once")
	timeout := flag.Duration("timeout", 30*time.Second, "timeout of one scrape")
	flag.Parse()
	u, err := url.Parse(*exporter)
	if err != nil || !(strings.HasPrefix(u.Hostname(), "127.") || u.Hostname() == "localhost" || u.Hostname() == "::1") {
		fmt.Fprintln(os.Stderr, "scrape: --exporter must be a loopback URL")
		os.Exit(2)
	}
	list, err := readTargets(*targets)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scrape:", err)
		os.Exit(1)
	}
	client := &http.Client{Timeout: *timeout, Transport: &http.Transport{MaxIdleConnsPerHost: *concurrency}}
	for c := 1; c <= *cycles; c++ {
		var failures, samples atomic.Int64
		work := make(chan string)
		var wg sync.WaitGroup
		start := time.Now()
		for range *concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for t := range work {
					n, err := scrape(client, *exporter, t, *module, *auth)
					if err != nil {
						failures.Add(1)
						continue
					}
					samples.Add(int64(n))
				}
			}()
		}
		for _, t := range list {
			work <- t
		}
		close(work)
		wg.Wait()
		fmt.Printf("cycle %d: %d targets in %.2f s, %d failures, %d varbinds\n",
			c, len(list), time.Since(start).Seconds(), failures.Load(), samples.Load())
	}
}

func readTargets(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			out = append(out, t)
		}
	}
	return out, sc.Err()
}

// scrape fetches one target and returns snmp_scrape_pdus_returned.
func scrape(c *http.Client, base, target, module, auth string) (int, error) {
	q := url.Values{"target": {target}, "module": {module}, "auth": {auth}}
	resp, err := c.Get(base + "/snmp?" + q.Encode())
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return 0, fmt.Errorf("status %d", resp.StatusCode)
	}
	n := 0
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		// snmp_scrape_pdus_returned{module="if_mib"} 160
		if strings.HasPrefix(line, "snmp_scrape_pdus_returned") {
			if f := strings.Fields(line); len(f) == 2 {
				v, _ := strconv.ParseFloat(f[1], 64)
				n = int(v)
			}
		}
	}
	return n, sc.Err()
}
