package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gosnmp/gosnmp"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
)

// recordingsDir holds the hand-written .snmprec recordings of devices the
// simulator does not imitate (see its README.md).
const recordingsDir = "../../collector/snmp/testdata/recordings"

// snmpsim serves the recordings of recordingsDir with Debian's snmpsimd on
// agents UDP ports of 127.0.0.1 (one device each: vigie wants one address
// per device); a recording is chosen by the v2c community (its file name).
// It returns the ports.
func snmpsim(t *testing.T, agents int) []int {
	t.Helper()
	bin, err := exec.LookPath("snmpsimd")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("snmpsimd not found: run scripts/deps.sh (Debian package snmpsim)")
		}
		t.Skip("snmpsimd not found: run scripts/deps.sh (Debian package snmpsim)")
	}
	// snmpsimd refuses to run as root and drops to nobody: its data and
	// cache must be readable and writable by that user, which t.TempDir's
	// 0700 parents are not.
	dir, err := os.MkdirTemp("", "vigie-snmpsim-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	data, cache := filepath.Join(dir, "data"), filepath.Join(dir, "cache")
	for _, d := range []string{data, cache} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cache, 0o777); err != nil {
		t.Fatal(err)
	}
	recs, err := filepath.Glob(filepath.Join(recordingsDir, "*.snmprec"))
	if err != nil || len(recs) == 0 {
		t.Fatalf("no recordings in %s (%v)", recordingsDir, err)
	}
	for _, r := range recs {
		b, err := os.ReadFile(r)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(data, filepath.Base(r)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// SNMPv3 architecture (the default): snmpsim 0.4's --v2c-arch loops
	// forever on a GetBulk of several columns that reaches the end of the
	// MIB, which is every walk of vigie's.
	args := []string{"--data-dir=" + data, "--cache-dir=" + cache, "--logging-method=null"}
	var ports []int
	for range agents {
		c, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		port := c.LocalAddr().(*net.UDPAddr).Port
		_ = c.Close()
		ports = append(ports, port)
		args = append(args, fmt.Sprintf("--agent-udpv4-endpoint=127.0.0.1:%d", port))
	}
	if os.Geteuid() == 0 {
		args = append(args, "--process-user=nobody", "--process-group=nogroup")
	}
	var out logbuf.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	// Ready when every endpoint answers a Get (it indexes the recordings
	// first): at most 30 s.
	for _, port := range ports {
		g := &gosnmp.GoSNMP{Target: "127.0.0.1", Port: uint16(port), Community: "old-switch", Version: gosnmp.Version2c,
			Timeout: 500 * time.Millisecond, Retries: 0}
		if err := g.Connect(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, err := g.Get([]string{".1.3.6.1.2.1.1.5.0"}); err == nil {
				break
			}
			select {
			case <-exited:
				t.Fatalf("snmpsimd exited:\n%s", out.String())
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("snmpsimd on port %d did not answer within 30 s:\n%s", port, out.String())
			}
		}
		_ = g.Conn.Close()
	}
	return ports
}

// recordedRun is `vigie run` polling devices that snmpsimd serves from
// recordings.
type recordedRun struct {
	*vigieProc
	base   string // http://127.0.0.1:PORT
	stderr *logbuf.Buffer
}

// runOnRecordings writes yml as the inventory and starts `vigie run` on it,
// env naming the recordings (snmpsimd's communities) for its {env:} secrets.
func runOnRecordings(t *testing.T, bin, yml string, env ...string) *recordedRun {
	t.Helper()
	dir := t.TempDir()
	config := filepath.Join(dir, "vigie.yml")
	if err := os.WriteFile(config, []byte(yml), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freeport.TCP(t)
	r := &recordedRun{base: fmt.Sprintf("http://127.0.0.1:%d", port), stderr: new(logbuf.Buffer)}
	r.vigieProc = startVigie(t, bin, "", append(os.Environ(), env...), r.stderr, r.stderr, r.stderr.String,
		"run", "--config", config, "--db", filepath.Join(dir, "vigie.db"), "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
	return r
}

// end checks that vigie logged no error and stops cleanly on SIGTERM.
func (r *recordedRun) end(t *testing.T) {
	t.Helper()
	if strings.Contains(r.stderr.String(), "level=ERROR") {
		t.Errorf("errors in the log:\n%s", r.stderr.String())
	}
	if _, err := r.stop(stopBound); err != nil {
		t.Errorf("vigie run exited with %v after SIGTERM\n%s", err, r.stderr.String())
	}
}

// TestRecordedDevicesThroughRun: `vigie run` polls two recorded devices
// served by snmpsimd (collector/snmp/testdata/recordings): an old switch
// with ifTable only, whose speed comes from ifSpeed and whose 32-bit
// ifInOctets/ifOutOctets wrap a few seconds in (counted as traffic, no
// discontinuity, the totals growing on past 2^32); and a Cisco access
// router that speaks CDP only, whose cache makes /api/v1 show its declared
// access link vouched for by cdp, and an undeclared LAN switch as an
// observed link.
func TestRecordedDevicesThroughRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the daemon and snmpsimd")
	}
	// Built first: the recorded counters wrap 20 s after snmpsimd starts,
	// and vigie must see them before.
	bin := buildVigie(t)
	ports := snmpsim(t, 2)
	vigie := runOnRecordings(t, bin, fmt.Sprintf(`polling:
  intervals: {collection: 5s, backbone: 5s, pfai: 5s, pfs: 5s}
  tables: [system, interfaces, lldp, bgp]
snmp_profiles:
  - {name: default, version: 2c, community: {env: VIGIE_REC_OLD}, timeout: 3s, retries: 1, max_repetitions: 10}
  - {name: cisco, version: 2c, community: {env: VIGIE_REC_CISCO}, timeout: 3s, retries: 1, max_repetitions: 10}
regions:
  - {id: idf, name: "Île-de-France"}
pops:
  - {id: pop-paris, name: "PoP Paris", region: idf}
devices:
  - {name: agg-paris-1, role: collection, pop: pop-paris, address: "127.0.0.1:%d"}
  - {name: ce-s0001-a, role: collection, site: S-0001, address: "127.0.0.1:%d", snmp_profile: cisco}
sites:
  - id: S-0001
    name: "Mairie"
    region: idf
    protection: single
    access:
      - {technology: fibre, router: ce-s0001-a, router_interface: Gi0/0/0, device: agg-paris-1, interface: FastEthernet0/1}
`, ports[0], ports[1]),
		"VIGIE_REC_OLD=old-switch", "VIGIE_REC_CISCO=cisco-access")
	base := vigie.base

	const (
		old   = "agg-paris-1"
		fa1   = "FastEthernet0/1"
		rx    = "vigie_interface_receive_bytes_total"
		tx    = "vigie_interface_transmit_bytes_total"
		top32 = 1 << 32
	)
	// ifInOctets.1 starts 20 MB short of 2^32 at 1 MB/s: vigie's total
	// starts at the device's value and passes 2^32 only if the wrap is
	// counted as the traffic it is.
	var wrapped map[string]map[string]float64
	vigie.waitFor(90*time.Second, "the old switch's ifInOctets and ifOutOctets counted past their wrap", func() bool {
		m := scrape(base + "/metrics")
		if ofDevice(m, rx, old)[fa1] > top32+1e6 && ofDevice(m, tx, old)[fa1] > top32+1e6 {
			wrapped = m
			return true
		}
		return false
	})
	for dev, want := range map[string]map[string]float64{
		old:          {fa1: 100e6 / 8, "FastEthernet0/2": 10e6 / 8},
		"ce-s0001-a": {"Gi0/0/0": 1e9 / 8, "Gi0/0/1": 1e9 / 8, "Nu0": 10e9 / 8},
	} {
		if got := ofDevice(wrapped, "vigie_interface_speed_bytes", dev); !maps.Equal(got, want) {
			t.Errorf("%s: vigie_interface_speed_bytes %v, want %v (ifSpeed where there is no ifHighSpeed, ifHighSpeed where ifSpeed is 4294967295)", dev, got, want)
		}
	}
	for _, dev := range []string{old, "ce-s0001-a"} {
		if got := ofDevice(wrapped, "vigie_device_counters_discontinuities_total", dev)[""]; got != 0 {
			t.Errorf("%s: %v counter discontinuities, want 0 (a wrap is traffic)", dev, got)
		}
	}
	// Rates after the wrap: the totals keep growing.
	vigie.waitFor(30*time.Second, "the old switch's totals growing after the wrap", func() bool {
		m := scrape(base + "/metrics")
		return ofDevice(m, rx, old)[fa1] > ofDevice(wrapped, rx, old)[fa1] && ofDevice(m, tx, old)[fa1] > ofDevice(wrapped, tx, old)[fa1]
	})

	// The CDP-only router: its access link and its LAN neighbour.
	type link struct {
		ID           string   `json:"id"`
		Kind         string   `json:"kind"`
		Sources      []string `json:"sources"`
		State        string   `json:"state"`
		Disagreement string   `json:"disagreement"`
	}
	var links map[string]link
	vigie.waitFor(30*time.Second, "the CDP links in /api/v1/topology", func() bool {
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(base + "/api/v1/topology")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		var topo struct {
			Links []link `json:"links"`
		}
		if json.NewDecoder(resp.Body).Decode(&topo) != nil {
			return false
		}
		links = map[string]link{}
		for _, l := range topo.Links {
			links[l.ID] = l
		}
		return slices.Contains(links["agg-paris-1:FastEthernet0/1--ce-s0001-a:Gi0/0/0"].Sources, "cdp") &&
			len(links["lldp:ce-s0001-a:Gi0/0/1--sw-lan-mairie.ville.fr:GigabitEthernet1/0/48"].Sources) > 0
	})
	access := links["agg-paris-1:FastEthernet0/1--ce-s0001-a:Gi0/0/0"]
	if !slices.Equal(access.Sources, []string{"declared", "ifmib", "cdp"}) || access.State != "up" || access.Disagreement != "" {
		t.Errorf("access link %+v: want sources [declared ifmib cdp] (no lldp: the router has no LLDP-MIB), up, no disagreement", access)
	}
	lan := links["lldp:ce-s0001-a:Gi0/0/1--sw-lan-mairie.ville.fr:GigabitEthernet1/0/48"]
	if lan.Kind != "observed" || !slices.Contains(lan.Sources, "cdp") || lan.Disagreement != "undeclared_neighbor" {
		t.Errorf("LAN switch link %+v: want an observed link vouched for by cdp, undeclared_neighbor", lan)
	}
	if m := scrape(base + "/metrics"); m["vigie_topology_links"][`source="cdp"`] != 2 {
		t.Errorf("vigie_topology_links{source=\"cdp\"} = %v, want 2", m["vigie_topology_links"][`source="cdp"`])
	}
	vigie.end(t)
}
