package alerting

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// TestPageNamesThePlace drives the real `vigie run` on a simulated RIE
// whose inventory says where one site is, whom it serves, whom to call and
// the circuit of its only access, takes that access down in the simulator,
// and reads what Debian's Prometheus, running the shipped rules on vigie's
// /metrics, makes of it: the site's alert carries the place and the people
// (labels for Alertmanager), names them and the circuit in both languages,
// and links the site's dashboard. A site without any of it still pages
// (tests/pages.test.yml).
func TestPageNamesThePlace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs Prometheus")
	}
	binary(t, prometheusPath)
	inv := sim.Generate(sim.GenerateOptions{Sites: 6, Seed: 14})
	for r := range inv.Polling.Intervals {
		inv.Polling.Intervals[r] = inventory.MinInterval
	}
	var site *inventory.Site
	for i := range inv.Sites {
		s := &inv.Sites[i]
		if len(s.Access) == 1 && !s.Access[0].ViaInternet && s.Access[0].Interface != "" {
			site = s
			break
		}
	}
	if site == nil {
		t.Fatal("the simulated RIE has no site with a single access of its own")
	}
	site.Name, site.Commune, site.Department, site.Ministry, site.Contact =
		"Préfecture du Rhône", "Lyon", "69", "interieur", "DSI-69/astreinte"
	a := &site.Access[0]
	a.Operator, a.Circuit = "Orange", "FTTO-69-000123"

	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 14})
	if err := agent.SetLink(a.Device, a.Interface, false); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	addr := fmt.Sprintf("127.0.0.1:%d", freeport.TCP(t))
	inv.Agent.Listen, inv.Agent.DB = addr, ""
	var buf bytes.Buffer
	if err := inventory.Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(dir, "vigie.yml")
	if err := os.WriteFile(config, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(sim.EnvAuth, sim.DefaultAuthPassword)
	t.Setenv(sim.EnvPriv, sim.DefaultPrivPassword)
	t.Setenv(sim.EnvCommunity, sim.DefaultCommunity)
	bin := filepath.Join(dir, "vigie")
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(goBin, "build", "-tags", "gosnmp_nodebug", "-o", bin, "../cmd/vigie").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	startProcess(t, "vigie.log", bin, "run", "--config", config, "--log.level", "warn")
	waitReady(t, "http://"+addr+"/-/ready", 60*time.Second)

	r := endToEnd(t, "http://"+addr+"/metrics", 2*time.Second)
	type alert struct {
		Labels      map[string]string `json:"labels"`
		Annotations map[string]string `json:"annotations"`
	}
	var got *alert
	deadline := time.Now().Add(90 * time.Second)
	for got == nil {
		data, err := r.api("/api/v1/alerts", url.Values{})
		if err == nil {
			var res struct {
				Alerts []alert `json:"alerts"`
			}
			if json.Unmarshal(data, &res) == nil {
				for i, x := range res.Alerts {
					if x.Labels["alertname"] == "VigieSiteIsolated" && x.Labels["site"] == site.ID {
						got = &res.Alerts[i]
					}
				}
			}
		}
		if got == nil {
			if time.Now().After(deadline) {
				t.Fatalf("no VigieSiteIsolated for %s within 90 s (last answer: %v)", site.ID, err)
			}
			time.Sleep(time.Second)
		}
	}
	for k, v := range map[string]string{"name": site.Name, "commune": "Lyon", "department": "69", "ministry": "interieur",
		"contact": "DSI-69/astreinte", "overseas": "false", "cause_kind": "link"} {
		if got.Labels[k] != v {
			t.Errorf("label %s = %q, want %q (labels %v)", k, got.Labels[k], v, got.Labels)
		}
	}
	for k, want := range map[string]string{
		"summary":        "Site Préfecture du Rhône (69, interieur) cut off from the datacentres: access FTTO-69-000123 (Orange)",
		"summary_fr":     "Site Préfecture du Rhône (69, interieur) isolé des centres de données : accès FTTO-69-000123 (Orange)",
		"description":    "Site contact: DSI-69/astreinte.",
		"description_fr": "Accès à signaler à l'opérateur : FTTO-69-000123 (Orange, ",
		"dashboard":      "/d/vigie-site/vigie-site?var-job=vigie&",
	} {
		if !strings.Contains(got.Annotations[k], want) {
			t.Errorf("annotation %s = %q, want it to hold %q", k, got.Annotations[k], want)
		}
	}
	if !strings.HasSuffix(got.Annotations["dashboard"], "&var-site="+url.QueryEscape(site.ID)) {
		t.Errorf("dashboard link %q does not select site %s", got.Annotations["dashboard"], site.ID)
	}
}
