package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/internal/freeport"
	"github.com/vigie-rie/vigie/internal/logbuf"
	"github.com/vigie-rie/vigie/internal/simtest"
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/sim/snmpagent"
)

// TestInventoryDiffThroughBinary reviews inventories as an operator does
// before a SIGHUP: the exit status says whether anything changes (0, 1) or
// a file is unusable (2, with its problems and what to do), the text names
// each change, the JSON is machine-readable, a secret never shows.
func TestInventoryDiffThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	data := filepath.Join("..", "..", "inventory", "testdata", "diff")
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken.yml")
	if err := os.WriteFile(broken, []byte("regions:\n  - {id: ara, overseas: maybe}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	old, changed := filepath.Join(data, "changes.old.yml"), filepath.Join(data, "changes.new.yml")
	tests := []struct {
		name  string
		args  []string
		code  int
		want  []string
		never []string
	}{
		{"same", []string{old, filepath.Join(data, "none.new.yml")}, 0, []string{"no changes"}, nil},
		{"changes", []string{old, changed}, 1, []string{
			"access S-0001/ce-1a:ge-0/0/0 moved (" + old + ":",
			": interface xe-0/1/0 -> xe-0/2/0",
			"device ce-1a re-addressed",
			"region gua added (" + changed + ":",
			"auth_password env:VIGIE_SNMP_AUTH -> env:VIGIE_SNMP_AUTH_2026",
			"6 changes:",
		}, []string{"link "}},
		{"broken", []string{old, broken}, 2, []string{broken + ":2: regions[0].overseas:", "vigie check-config " + broken}, []string{"panic"}},
		{"missing", []string{old, filepath.Join(dir, "nope.yml")}, 2, []string{"cannot read the configuration"}, nil},
		{"usage", []string{old}, 2, []string{"vigie inventory diff [--format json] OLD NEW"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // against a hang only
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"inventory", "diff"}, tc.args...)...)
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			_ = cmd.Run()
			if code := cmd.ProcessState.ExitCode(); code != tc.code {
				t.Fatalf("vigie inventory diff %v: exit %d, want %d\n%s", tc.args, code, tc.code, out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, out.String())
				}
			}
			for _, n := range tc.never {
				if strings.Contains(out.String(), n) {
					t.Errorf("output contains %q:\n%s", n, out.String())
				}
			}
		})
	}
	t.Run("json", func(t *testing.T) {
		out, err := exec.Command(bin, "inventory", "diff", "--format", "json", old, changed).Output()
		if code := exitCode(err); code != 1 {
			t.Fatalf("exit %d (%v), want 1", code, err)
		}
		var changes []inventory.Change
		if err := json.Unmarshal(out, &changes); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		var moved int
		for _, c := range changes {
			if c.Change == "moved" && c.Kind == "access" && c.OldLine > 0 && c.NewLine > 0 && len(c.Fields) == 1 {
				moved++
			}
		}
		if len(changes) != 6 || moved != 1 {
			t.Errorf("%d changes with %d access moved, want 6 and 1:\n%s", len(changes), moved, out)
		}
	})
}

// exitCode is a finished command's exit status (0 for a nil error).
func exitCode(err error) int {
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestInventoryImportThroughBinary: a planner exports the inventory as
// sheets, imports them back (nothing changes, the internet-cut answer is
// the same), then imports sheets with mistakes: every problem at its
// FILE:LINE: COLUMN, exit 1, and the previous output left untouched.
func TestInventoryImportThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	dir := t.TempDir()
	base := writeConfig(t, dir, sim.Generate(sim.GenerateOptions{Sites: 2000, Seed: 21}))
	run := func(args ...string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // against a hang only
		defer cancel()
		var out bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), exitCode(err)
	}
	sheets := filepath.Join(dir, "sheets")
	if out, code := run("inventory", "export", "csv", "--config", base, "--out", sheets); code != 0 {
		t.Fatalf("export: exit %d\n%s", code, out)
	}
	files, _ := filepath.Glob(filepath.Join(sheets, "*.csv"))
	if len(files) != 8 {
		t.Fatalf("export wrote %d sheets, want 8: %v", len(files), files)
	}
	imported := filepath.Join(dir, "imported.yml")
	out, code := run(append([]string{"inventory", "import", "csv", "--base", base, "--out", imported}, files...)...)
	if code != 0 || !strings.Contains(out, "read "+filepath.Join(sheets, "sites.csv")+": 2000 rows (sites)") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	if out, code := run("inventory", "diff", base, imported); code != 0 || !strings.Contains(out, "no changes") {
		t.Fatalf("diff after the round trip: exit %d\n%s", code, out)
	}
	cut := func(config string) string {
		out, code := run("whatif", "--config", config, "--fail", "internet", "--format", "json")
		if code != 0 {
			t.Fatalf("whatif on %s: exit %d\n%s", config, code, out)
		}
		return out
	}
	if a, b := cut(base), cut(imported); a != b || !strings.Contains(a, "isolated") {
		t.Errorf("internet cut differs after the round trip:\n%.400s\n---\n%.400s", a, b)
	}

	// Mistakes: a site moved to an unknown aggregation router, a region
	// that is not yes/no; the earlier import must stay as it was.
	before, err := os.ReadFile(imported)
	if err != nil {
		t.Fatal(err)
	}
	acc, err := os.ReadFile(filepath.Join(sheets, "accesses.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(acc), "\n", 3)
	cells := strings.Split(lines[1], ",")
	cells[4] = "agg-nowhere-1"
	lines[1] = strings.Join(cells, ",")
	if err := os.WriteFile(filepath.Join(sheets, "accesses.csv"), []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	reg, _ := os.ReadFile(filepath.Join(sheets, "regions.csv"))
	reg = []byte(strings.Replace(string(reg), ",true\n", ",peut-être\n", 1))
	if err := os.WriteFile(filepath.Join(sheets, "regions.csv"), reg, 0o644); err != nil {
		t.Fatal(err)
	}
	out, code = run(append([]string{"inventory", "import", "csv", "--base", base, "--out", imported}, files...)...)
	if code != 1 {
		t.Fatalf("import of bad sheets: exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		filepath.Join(sheets, "accesses.csv") + `:2: device: site "` + cells[0] + `" access lands on unknown device "agg-nowhere-1" (add it to the devices sheet)`,
		filepath.Join(sheets, "regions.csv") + `:`,
		`: overseas: "peut-être" is not yes or no`,
		"nothing written",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if after, _ := os.ReadFile(imported); !bytes.Equal(after, before) {
		t.Error("a failed import changed the previous output file")
	}
}

// TestInventoryImportNetBoxThroughBinary: an operator imports NetBox's CSV
// exports: a clean set gives the inventory written by hand (diff empty),
// also when the NetBox names its tags and roles its own way (--config-map);
// what cannot be mapped is listed at its export's FILE:LINE: COLUMN with
// why, and counted, without stopping the import (unless --strict); errors
// stop it (exit 1) and leave the previous output as it was.
func TestInventoryImportNetBoxThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	dir := t.TempDir()
	data := filepath.Join("..", "..", "inventory", "sheet", "testdata")
	base := filepath.Join(data, "base.yml")
	exports := func(c string) string { return filepath.Join(data, "netbox", c) }
	expected := filepath.Join(data, "netbox", "good.expected.yml")
	out := filepath.Join(dir, "imported.yml")
	run := func(args ...string) (string, int) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // against a hang only
		defer cancel()
		var b bytes.Buffer
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = &b, &b
		err := cmd.Run()
		return b.String(), exitCode(err)
	}
	imp := func(extra ...string) []string {
		return append([]string{"inventory", "import", "netbox-export", "--base", base, "--out", out}, extra...)
	}
	badMap := filepath.Join(dir, "map.yml")
	if err := os.WriteFile(badMap, []byte("pop_site_tag: PoP\nsrlg_prefix: srlg-\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
		diff bool // the output is then the hand-written inventory
	}{
		{"good", imp(exports("good")), 0, []string{
			"read " + exports("good") + "/netbox_circuit terminations.csv: 4 rows",
			"imported to " + out + ": 2 regions, 1 datacentres, 2 PoPs, 9 devices, 3 sites, 4 links, 1 interconnects; 0 warning(s), 0 left out",
		}, true},
		{"config-map", imp("--config-map", exports("mapped")+".map.yml", exports("mapped")), 0, []string{"0 left out"}, true},
		{"unmapped", imp(exports("unmapped")), 0, []string{
			exports("unmapped") + "/netbox_devices.csv:12: IP Address: warning: left out: device agg-paris-3 has no primary IP",
			exports("unmapped") + "/netbox_devices.csv:11: Role: warning: left out: device console-paris-1: role \"Console server\" is not in the role map",
			exports("unmapped") + "/netbox_cables.csv:13: Device B: warning: left out: cable to device \"pp-bercy-01\", which is not in the devices export",
			exports("unmapped") + "/netbox_circuits.csv:4: Circuit ID: warning: left out: circuit SPARE-1 is cabled to no device",
			"5 left out (listed above)",
		}, false},
		{"strict", imp("--strict", exports("unmapped")), 1, []string{"nothing written"}, false},
		{"broken", imp(exports("broken")), 1, []string{
			exports("broken") + `/netbox_sites.csv:5: Protection: invalid protection "triple"`,
			exports("broken") + `/netbox_cables.csv:9: Technology: invalid technology "laser"`,
			exports("broken") + `/netbox_sites.csv:7: Region: region "Yvelines" is not in the regions export`,
			"3 error(s)", "nothing written",
		}, false},
		{"missing", imp(exports("missing")), 1, []string{
			exports("missing") + "/netbox_sites.csv:1: Region: missing column",
			exports("missing") + ": no cables export (netbox_cables.csv)",
		}, false},
		{"bad-map", imp("--config-map", badMap, exports("good")), 1, []string{badMap + ": line 2: field srlg_prefix not found"}, false},
		{"two-dirs", imp(exports("good"), exports("broken")), 2, []string{"name the one directory"}, false},
		{"map-on-csv", []string{"inventory", "import", "csv", "--base", base, "--config-map", badMap, "x.csv"}, 2, []string{"--config-map is not one of its flags"}, false},
	}
	var last []byte
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, code := run(tc.args...)
			if code != tc.code {
				t.Fatalf("vigie %v: exit %d, want %d\n%s", tc.args, code, tc.code, got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("output lacks %q:\n%s", w, got)
				}
			}
			if strings.Contains(got, "panic") {
				t.Errorf("output speaks of a panic:\n%s", got)
			}
			now, _ := os.ReadFile(out)
			if code != 0 && !bytes.Equal(now, last) {
				t.Error("a failed import changed the previous output file")
			}
			last = now
			if tc.diff {
				if d, code := run("inventory", "diff", expected, out); code != 0 || !strings.Contains(d, "no changes") {
					t.Errorf("diff against %s: exit %d\n%s", expected, code, d)
				}
			}
		})
	}
}

// TestInventoryProposalThroughRun: vigie run on a simulated fleet whose
// inventory lost one backbone link, with an aggregation router reporting
// neighbours nobody declared. /api/v1/inventory/proposal gives the lost
// link back as a links: entry that loads, and lists the unknown neighbours
// with where they are seen, for a person to declare.
func TestInventoryProposalThroughRun(t *testing.T) {
	bin := buildVigie(t)
	dir := t.TempDir()
	inv := fastInventory(10, 15)
	agent := simtest.Serve(t, inv, snmpagent.Options{Seed: 15})
	var lost inventory.Link
	for i, l := range inv.Links {
		if l.A.Interface != "" && l.B.Interface != "" && !l.ViaInternet && l.Technology != inventory.TechTransoceanic {
			lost = l
			inv.Links = append(inv.Links[:i:i], inv.Links[i+1:]...)
			break
		}
	}
	if lost.A.Device == "" {
		t.Fatal("no backbone link with named interfaces in the simulated fleet")
	}
	agg := ""
	for _, d := range inv.Devices {
		if strings.HasPrefix(d.Name, "agg-") {
			agg = d.Name
			break
		}
	}
	if err := agent.SetFaults(agg, snmpagent.Faults{LLDPChurn: 2}); err != nil {
		t.Fatal(err)
	}
	config := writeConfig(t, dir, inv)
	port := freeport.TCP(t)
	var logs logbuf.Buffer
	vigie := startVigie(t, bin, "", simEnv(), &logs, &logs, logs.String,
		"run", "--config", config, "--web.listen-address", fmt.Sprintf("127.0.0.1:%d", port))
	client := &http.Client{Timeout: 10 * time.Second}
	var text string
	vigie.waitFor(60*time.Second, "the lost link in the proposal", func() bool {
		resp, err := client.Get(fmt.Sprintf("http://127.0.0.1:%d/api/v1/inventory/proposal", port))
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		text = string(b)
		return resp.StatusCode == 200 && strings.Contains(text, strconv.Quote(lost.A.Device)) &&
			strings.Contains(text, strconv.Quote(lost.B.Device)) && strings.Contains(text, "seen from "+agg+":")
	})
	t.Logf("proposal:\n%s", text)
	// The links: part, appended to the inventory as it is, loads and
	// declares the lost link again.
	i := strings.Index(text, "\nlinks:\n")
	j := strings.Index(text, "\n# Neighbours")
	if i < 0 || j < i {
		t.Fatalf("no links: section before the neighbours:\n%s", text)
	}
	var buf bytes.Buffer
	if err := inventory.Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	merged := strings.Replace(buf.String(), "\nlinks:\n", text[i:j]+"\n", 1)
	back, err := inventory.Parse("merged.yml", []byte(merged), inventory.LoadOptions{})
	if err != nil {
		t.Fatalf("the proposal's links do not load: %v\n%s", err, text)
	}
	found := false
	for _, l := range back.Links {
		ends := []string{l.A.Device + ":" + l.A.Interface, l.B.Device + ":" + l.B.Interface}
		want := []string{lost.A.Device + ":" + lost.A.Interface, lost.B.Device + ":" + lost.B.Interface}
		slices.Sort(ends)
		slices.Sort(want)
		found = found || slices.Equal(ends, want)
	}
	if !found {
		t.Errorf("the lost link %v -- %v is not among the proposed ones:\n%s", lost.A, lost.B, text)
	}
	if n := strings.Count(text, "#   - {name: "); n < 2 {
		t.Errorf("%d unknown neighbours proposed, want the 2 the router reports:\n%s", n, text)
	}
}
