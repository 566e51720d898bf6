package labgen

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the lab files under lab/ from the designs")

// TestFilesUpToDate fails when a committed lab file differs from what its
// design generates: edit the design and run with -update.
func TestFilesUpToDate(t *testing.T) {
	for dir, d := range map[string]*Design{"../../mini": Mini(), "../../rie-slice": RIESlice()} {
		files, err := d.Files()
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := d.Write(dir); err != nil {
				t.Fatal(err)
			}
			continue
		}
		for rel, want := range files {
			got, err := os.ReadFile(filepath.Join(dir, rel))
			if err != nil {
				t.Errorf("%s: %v (run go test ./lab/internal/labgen -update)", rel, err)
				continue
			}
			if string(got) != want {
				t.Errorf("%s/%s is stale: run go test ./lab/internal/labgen -update", dir, rel)
			}
		}
	}
}

// TestRegionDesign: the region design generates (addresses, sessions,
// interfaces) for at least 100 nodes.
func TestRegionDesign(t *testing.T) {
	d := Region(91)
	files, err := d.Files()
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Nodes) < 100 || files["region.clab.yml"] == "" {
		t.Errorf("%d nodes, %d files", len(d.Nodes), len(files))
	}
}
