package inventory_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// TestStreamSimulatedRIE decodes the simulator's full RIE (14,000 sites,
// the inventory every collector and central of issue 15 loads) both ways,
// streamed as Parse does and from a single parse, and requires the same
// inventory and problems; then the same with a mistake in every site of one
// region (a collector's share) deep in the file.
func TestStreamSimulatedRIE(t *testing.T) {
	var buf bytes.Buffer
	if err := inventory.Write(&buf, sim.Generate(sim.GenerateOptions{})); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	for _, c := range []struct{ name, text string }{
		{"as generated", text},
		{"overseas sites without a protection", strings.ReplaceAll(text, "    region: reu\n    protection: ", "    region: reu\n    protecton: ")},
	} {
		if c.name != "as generated" && strings.Count(c.text, "protecton:") < 50 {
			t.Fatalf("%s: the edit hit %d sites; the generator's layout has changed", c.name, strings.Count(c.text, "protecton:"))
		}
		streamed, diff := inventory.StreamVersusWhole("vigie.yml", []byte(c.text), inventory.LoadOptions{}, 0)
		if !streamed {
			t.Errorf("%s: the simulated RIE was not streamed", c.name)
		}
		if diff != "" {
			t.Errorf("%s: %s", c.name, diff)
		}
	}
}

// BenchmarkLoadSimulatedRIE parses the simulator's full RIE (11 MB of YAML)
// both ways side by side: "whole" from a single parse into one node tree
// (split over the cores, split.go), as before, and "streamed" as Parse does
// now (stream.go). B/op counts every allocation, not the peak; the peak RSS
// of the binaries is bench/loadmem.sh's.
//
//	go test ./inventory/ -run '^$' -bench LoadSimulatedRIE -benchmem
func BenchmarkLoadSimulatedRIE(b *testing.B) {
	var buf bytes.Buffer
	if err := inventory.Write(&buf, sim.Generate(sim.GenerateOptions{})); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	for _, c := range []struct {
		name  string
		parse func(string, []byte, inventory.LoadOptions) (*inventory.Inventory, error)
	}{{"whole", inventory.ParseWhole}, {"streamed", inventory.Parse}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.parse("vigie.yml", data, inventory.LoadOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
