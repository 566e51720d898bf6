package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// TestLargeInventoryProblemsThroughBinary: an inventory large enough to be
// decoded piece by piece (inventory/stream.go), with mistakes near its end,
// far from the first piece of its lists; `vigie check-config` and `vigie
// collect` name each with its file, line and field, as for a small file.
func TestLargeInventoryProblemsThroughBinary(t *testing.T) {
	bin := buildVigie(t)
	inv := sim.Generate(sim.GenerateOptions{Sites: 1500, Seed: 3})
	var regions []string
	for _, r := range inv.Regions {
		regions = append(regions, r.ID)
	}
	inv.Collectors = []inventory.CollectorShare{{Name: "all", Regions: regions}}
	var buf bytes.Buffer
	if err := inventory.Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(buf.String(), "\n")
	if len(buf.Bytes()) < 1<<20 {
		t.Fatalf("the inventory of 1,500 sites is only %d bytes: too small to be streamed", buf.Len())
	}
	// section returns the index of the line "name:", item counts the
	// items of the list from there up to line n (excluded).
	section := func(name string) int {
		for i, l := range lines {
			if l == name+":" {
				return i
			}
		}
		t.Fatalf("no %s: section in the written inventory", name)
		return 0
	}
	items := func(from, n int) int {
		k := 0
		for _, l := range lines[from+1 : n] {
			if strings.HasPrefix(l, "  - ") {
				k++
			}
		}
		return k
	}
	// The last site's protection, misspelt.
	sites := section("sites")
	prot := -1
	for i := len(lines) - 1; i > sites; i-- {
		if strings.HasPrefix(lines[i], "    protection: ") {
			prot = i
			break
		}
	}
	if prot < 0 || prot < len(lines)/2 {
		t.Fatalf("no protection in the second half of the written inventory (last at line %d)", prot+1)
	}
	lines[prot] = strings.Replace(lines[prot], "protection:", "protecton:", 1)
	// The last CE of the devices, at a site that does not exist.
	devices := section("devices")
	ce := -1
	for i := sites - 1; i > devices; i-- {
		if strings.Contains(lines[i], ", site: ") {
			ce = i
			break
		}
	}
	if ce < 0 {
		t.Fatal("no device at a site in the written inventory")
	}
	before, after, _ := strings.Cut(lines[ce], ", site: ")
	_, after, _ = strings.Cut(after, ",")
	lines[ce] = before + ", site: nowhere," + after
	dir := t.TempDir()
	config := filepath.Join(dir, "vigie.yml")
	if err := os.WriteFile(config, []byte(strings.Join(lines, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	want := []string{
		fmt.Sprintf(`%s:%d: sites[%d].protecton: unknown key (did you mean "protection"?)`, config, prot+1, items(sites, prot+1)-1),
		fmt.Sprintf(`%s:%d: devices[%d].site: device stands at unknown site "nowhere" (declare it under sites:)`, config, ce+1, items(devices, ce+1)-1),
	}
	for _, args := range [][]string{
		{"check-config", config},
		{"collect", "--config", config, "--collector", "all", "--observations", "nats://127.0.0.1:1", "--web.listen-address", "127.0.0.1:0"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), simEnv()...)
		out, err := cmd.CombinedOutput()
		cancel()
		if err == nil {
			t.Errorf("vigie %s accepted an inventory with mistakes:\n%s", args[0], out)
		}
		for _, w := range want {
			if !strings.Contains(string(out), w) {
				t.Errorf("vigie %s: the output lacks\n  %s\n--- output:\n%s", args[0], w, outputTail(string(out), 2000))
			}
		}
	}
}

// outputTail returns the last n bytes of s at most.
func outputTail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}
