package lab

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseRehearsal(t *testing.T) {
	topo, err := LoadTopology("rie-slice/rie-slice.clab.yml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		spec, cuts, fail string
	}{
		{"internet", "internet", "internet"},
		{"srlg:duct-paris-12", "srlg duct-paris-12", "srlg:duct-paris-12"},
		{"device:agg-reunion", "node agg-reunion", "device:agg-reunion"},
		// vigie names a link by its ends, sorted.
		{"link:s03-dual-srlg:eth1", "link s03-dual-srlg:eth1", "link:agg-paris:eth13--s03-dual-srlg:eth1"},
		// Both fibres of S-03 join the same two routers.
		{"link:s03-dual-srlg--agg-paris", "link s03-dual-srlg:eth1,link s03-dual-srlg:eth2",
			"link:agg-paris:eth13--s03-dual-srlg:eth1,link:agg-paris:eth14--s03-dual-srlg:eth2"},
	} {
		r, err := topo.ParseRehearsal(tc.spec)
		if err != nil {
			t.Errorf("%s: %v", tc.spec, err)
			continue
		}
		var cuts []string
		for _, c := range r.Cuts {
			cuts = append(cuts, c.String())
		}
		slices.Sort(cuts)
		if strings.Join(cuts, ",") != tc.cuts || strings.Join(r.Fail, ",") != tc.fail {
			t.Errorf("%s: cuts %v fail %v; want %s and %s", tc.spec, cuts, r.Fail, tc.cuts, tc.fail)
		}
	}
	for spec, want := range map[string]string{
		"frob":                 "use internet, srlg:ID",
		"srlg:nowhere":         `shared-risk group "nowhere"`,
		"device:ghost":         `no node "ghost"`,
		"link:ghost--agg-lyon": "no link of rie-slice joins ghost and agg-lyon",
		"link:agg-lyon:eth99":  "no link has the end agg-lyon:eth99",
	} {
		if _, err := topo.ParseRehearsal(spec); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", spec, err, want)
		}
	}
	// The lab's own scenarios file rehearses as it cuts.
	all, err := LoadScenarios("rie-slice/scenarios.yml")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range all {
		if _, err := topo.RehearsalFromScenario(s); err != nil {
			t.Errorf("scenario %s: %v", name, err)
		}
	}
}

// TestRehearsalReportFormats: every disagreement is in every format, and
// the JSON reads back.
func TestRehearsalReportFormats(t *testing.T) {
	rep := &RehearsalReport{Lab: "rie-slice", Datacentres: []string{"dc-lyon", "dc-paris"}, Scenarios: []ScenarioReport{{
		Name: "internet", Fail: []string{"internet"}, Cuts: []string{"internet"},
		PredictedIsolated: []string{"S-09"}, RoutingSeconds: 2.5, VigieSeconds: -1,
		Sites: []SiteOutcome{
			{Site: "S-09", CE: "s09-4g-inet", Predicted: "isolated", Vigie: "connected", Routers: "isolated", Reached: []string{}},
			{Site: "S-01", CE: "s01-diverse", Predicted: "connected", Vigie: "connected", Routers: "connected", Reached: []string{"dc-lyon", "dc-paris"}, Agree: true},
		},
		Disagreements: []string{"S-09 (CE s09-4g-inet): predicted isolated, but vigie's live view shows it connected"},
	}}}
	for _, f := range []string{"text", "markdown", "json"} {
		var b bytes.Buffer
		if err := rep.WriteReport(&b, f); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		for _, want := range []string{"DISAGREEMENT", "predicted isolated, but vigie's live view shows it connected", "s09-4g-inet"} {
			if f == "json" && want == "DISAGREEMENT" {
				want = `"agree": false`
			}
			if !strings.Contains(out, want) {
				t.Errorf("%s report lacks %q:\n%s", f, want, out)
			}
		}
		if f != "json" && !strings.Contains(out, "routing 2.5s, vigie never") {
			t.Errorf("%s report lacks the times:\n%s", f, out)
		}
		if f == "json" {
			var back RehearsalReport
			if err := json.Unmarshal(b.Bytes(), &back); err != nil || back.Scenarios[0].Sites[0].Vigie != "connected" {
				t.Errorf("json: %v %+v", err, back)
			}
		}
	}
	if err := rep.WriteReport(&bytes.Buffer{}, "yaml"); err == nil {
		t.Error("yaml accepted")
	}
}

// TestRehearseInternetCut is the planners' rehearsal as they run it:
// `vigie-lab rehearse lab/rie-slice/rie-slice.clab.yml --scenario
// internet` brings the lab up, runs vigie in it with the inventory written
// from the lab file, predicts, cuts, observes, restores, reports and exits
// 0 because prediction == observation: S-09 and S-10 (4G over the
// internet) isolated for vigie and for their CEs' packets, every other
// site reaching both datacentres, TESTA and RENATER surviving.
func TestRehearseInternetCut(t *testing.T) {
	requireLab(t)
	labBin, vigie := buildVigieLab(t), buildVigie(t)
	// The default state root: lldpd's control socket is refused under a
	// test's private temporary directory.
	opts := Options{}
	if Running("rie-slice") {
		needed(t, "the rie-slice lab is up already (someone's): run `vigie-lab down rie-slice` first")
	}
	t.Cleanup(func() {
		if err := Down(context.Background(), "rie-slice", opts); err != nil {
			t.Errorf("down: %v", err)
		}
		assertGone(t, "rie-slice", opts, nil)
	})
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, labBin, "rehearse", "rie-slice/rie-slice.clab.yml", "--scenario", "internet",
		"--format", "json", "-vigie", vigie, "-dir", filepath.Join(t.TempDir(), "rehearse"), "-timeout", "120s")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("vigie-lab rehearse (progress):\n%s", stderr.String())
	var rep RehearsalReport
	if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
		t.Fatalf("rehearse: %v; report is no JSON (%v):\n%s", err, jerr, stdout.String())
	}
	t.Logf("report:\n%s", stdout.String())
	if err != nil || !rep.Agree || len(rep.Scenarios) != 1 {
		t.Fatalf("rehearse: exit %v, agree %v: want exit 0 and agreement", err, rep.Agree)
	}
	s := rep.Scenarios[0]
	if !slices.Equal(s.PredictedIsolated, []string{"S-09", "S-10"}) {
		t.Errorf("predicted isolated %v, want S-09 and S-10 (4G over the internet)", s.PredictedIsolated)
	}
	if !slices.Equal(s.PredictedSurviving, []string{"renater", "testa"}) {
		t.Errorf("predicted surviving interconnects %v, want renater and testa", s.PredictedSurviving)
	}
	isolated := 0
	for _, o := range s.Sites {
		if o.Routers == "isolated" {
			isolated++
			if len(o.Reached) != 0 {
				t.Errorf("%s isolated yet reached %v", o.Site, o.Reached)
			}
		} else if len(o.Reached) != len(rep.Datacentres) {
			t.Errorf("%s connected but reached only %v of %v", o.Site, o.Reached, rep.Datacentres)
		}
	}
	if len(s.Sites) != 12 || isolated != 2 {
		t.Errorf("%d sites, %d isolated by the routers' packets; want 12 and 2", len(s.Sites), isolated)
	}
	if s.RoutingSeconds < 0 || s.VigieSeconds < 0 || s.RestoreRoutingSeconds < 0 || s.RestoreVigieSeconds < 0 {
		t.Errorf("a view never converged: %+v", s)
	}
}
