package sheet

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
	"github.com/vigie-rie/vigie/topology/resilience"
)

var update = flag.Bool("update", false, "rewrite the golden .err files")

// writeBase writes inv as the base inventory file of an import.
func writeBase(t testing.TB, dir string, inv *inventory.Inventory) string {
	t.Helper()
	var b bytes.Buffer
	if err := inventory.Write(&b, inv); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "base.yml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRoundTripSimulatedRIE: the simulated 14,000-site RIE exported as
// sheets and imported back is the same inventory (Diff is empty) and gives
// the same internet-cut answer.
func TestRoundTripSimulatedRIE(t *testing.T) {
	sites := 14000
	if testing.Short() {
		sites = 2000
	}
	opts := sim.DefaultGenerateOptions()
	opts.Sites, opts.Seed = sites, 7
	dir := t.TempDir()
	base := writeBase(t, dir, sim.Generate(opts))
	inv, err := inventory.Load(base, inventory.LoadOptions{}) // as an operator's file
	if err != nil {
		t.Fatal(err)
	}
	files, err := Export(inv, filepath.Join(dir, "sheets"))
	if err != nil {
		t.Fatal(err)
	}
	var seen []Kind
	res, err := Import(files, base, ImportOptions{OnSheet: func(_ string, k Kind, _ int) { seen = append(seen, k) }})
	if err != nil {
		t.Fatalf("import of the exported RIE: %v", err)
	}
	if !slices.Equal(seen, Kinds) {
		t.Errorf("sheets recognised %v, want %v", seen, Kinds)
	}
	sameAfterRoundTrip(t, inv, res)
}

// sameAfterRoundTrip checks an import of inv's own export: the same
// inventory (Diff is empty), also once its YAML is loaded again, and the
// same internet-cut answer.
func sameAfterRoundTrip(t *testing.T, inv *inventory.Inventory, res *Result) {
	t.Helper()
	if c := inventory.Diff(inv, res.Inventory); len(c) != 0 {
		t.Fatalf("%d differences after a round trip, first %+v", len(c), c[0])
	}
	back, err := inventory.Parse("imported.yml", res.YAML, inventory.LoadOptions{})
	if err != nil {
		t.Fatalf("the written YAML does not load: %v", err)
	}
	if c := inventory.Diff(inv, back); len(c) != 0 {
		t.Fatalf("the written YAML differs from the export: %d, first %+v", len(c), c[0])
	}
	cut := func(inv *inventory.Inventory) []string {
		g, err := resilience.Build(inv)
		if err != nil {
			t.Fatal(err)
		}
		return g.WhatIf(resilience.Failures{}, resilience.Failures{Internet: true}).Isolated
	}
	if want, got := cut(inv), cut(back); len(want) == 0 || !slices.Equal(want, got) {
		t.Errorf("internet cut isolates %d sites in the original, %d after the round trip", len(want), len(got))
	}
}

// TestImportSpreadsheetHabits: what real spreadsheets write reads as meant.
// A French Excel's "CSV" is semicolon-separated Windows-1252 with a decimal
// comma; its "CSV UTF-8" starts with a byte-order mark; yes/no columns say
// oui, non or x; department codes lose their leading zero.
func TestImportSpreadsheetHabits(t *testing.T) {
	dir := t.TempDir()
	base := filepath.Join("testdata", "base.yml")
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	files := []string{
		write("Régions RIE.csv", []byte("\xef\xbb\xbfid,name,overseas\nidf,Île-de-France,non\nreu,La Réunion,x\n")),
		write("pops.csv", []byte("id;name;region;address\npop-paris;PoP Paris;idf;12 rue de Bercy, Paris\n")),
		write("equipements.csv", []byte("name,role,pop,site,address\nagg-1,collection,pop-paris,,192.0.2.1\nce-1,collection,,S1,192.0.2.11\n")),
		// Windows-1252: "Préfecture" with é as the one byte 0xe9.
		write("Sites.csv", []byte("ID;Name;Region;Protection;Department;Lat;Lon;Ministry\nS1;Pr\xe9fecture;idf;single;1;48,8566;2,3522;int\xe9rieur\n")),
		write("export (3).csv", []byte("site\ttechnology\trouter\tdevice\tsrlgs\tvia_internet\toperator\tcircuit\nS1\tfibre\tce-1\tagg-1\tduct-1 | bldg-2\toui\tOrange\tFTTO-75-001\n")),
	}
	res, err := Import(files, base, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	inv := res.Inventory
	s := inv.Site("S1")
	if s == nil {
		t.Fatal("site S1 not imported")
	}
	a := s.Access[0]
	if s.Name != "Préfecture" || s.Ministry != "intérieur" || s.Department != "01" || !s.HasCoords || s.Lat != 48.8566 ||
		!slices.Equal(a.SRLGs, []string{"duct-1", "bldg-2"}) || !a.ViaInternet || a.Circuit != "FTTO-75-001" {
		t.Errorf("site %+v access %+v", s, a)
	}
	if r := inv.Region("reu"); r == nil || !r.Overseas || r.Name != "La Réunion" {
		t.Errorf("region reu %+v", r)
	}
	if p := inv.PoP("pop-paris"); p == nil || p.Address != "12 rue de Bercy, Paris" {
		t.Errorf("PoP %+v", p)
	}
	var warned []string
	for _, w := range res.Warnings {
		warned = append(warned, w.String())
	}
	text := strings.Join(warned, "\n")
	for _, want := range []string{"Sites.csv: warning: not UTF-8: read as Windows-1252", `Sites.csv:2: department: warning: read "1" as "01"`} {
		if !strings.Contains(text, want) {
			t.Errorf("warnings lack %q:\n%s", want, text)
		}
	}
}

// TestBadSheets imports each testdata/bad/CASE directory (its *.csv, with
// testdata/base.yml) and compares every problem with CASE.err
// (go test -run TestBadSheets -update rewrites them).
func TestBadSheets(t *testing.T) {
	cases, _ := filepath.Glob("testdata/bad/*")
	cases = slices.DeleteFunc(cases, func(p string) bool { return strings.HasSuffix(p, ".err") })
	if len(cases) == 0 {
		t.Fatal("no bad cases")
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
			_, err := Import(files, filepath.Join("testdata", "base.yml"), ImportOptions{})
			var ce *inventory.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("error %T %v, want problems", err, err)
			}
			got := err.Error() + "\n"
			golden := dir + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("problems differ from %s\n--- got:\n%s--- want:\n%s", golden, got, want)
			}
		})
	}
}

func BenchmarkImportFullRIE(b *testing.B) {
	opts := sim.DefaultGenerateOptions()
	opts.Seed = 7
	inv := sim.Generate(opts)
	dir := b.TempDir()
	base := writeBase(b, dir, inv)
	files, err := Export(inv, filepath.Join(dir, "sheets"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Import(files, base, ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzImport: whatever a sheet holds, Import answers with an inventory or
// located problems, and never panics.
func FuzzImport(f *testing.F) {
	f.Add("id,region,protection\nS1,idf,single\n", "site,technology,router,device\nS1,fibre,ce-1,agg-1\n")
	f.Add("id;region;protection;lat;lon\nS1;idf;dual;48,8;2,3\n", "site\ttechnology\trouter\tdevice\nS1\t4g\tce-1\tagg-1\n")
	f.Add("\"id,region\nS1,\"\"", "\xef\xbb\xbfsite,router\n\xe9,x")
	dir := f.TempDir()
	base := filepath.Join("testdata", "base.yml")
	fixed := []string{
		filepath.Join(dir, "regions.csv"), filepath.Join(dir, "pops.csv"), filepath.Join(dir, "devices.csv"),
	}
	for i, data := range []string{"id\nidf\n", "id,region\npop-1,idf\n", "name,role,pop,site,address\nagg-1,collection,pop-1,,192.0.2.1\nce-1,collection,,S1,192.0.2.11\n"} {
		if err := os.WriteFile(fixed[i], []byte(data), 0o644); err != nil {
			f.Fatal(err)
		}
	}
	f.Fuzz(func(t *testing.T, sites, accesses string) {
		d := t.TempDir()
		files := slices.Clone(fixed)
		for name, data := range map[string]string{"sites.csv": sites, "accesses.csv": accesses} {
			p := filepath.Join(d, name)
			if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, p)
		}
		res, err := Import(files, base, ImportOptions{})
		checkImported(t, res, err)
	})
}

// checkImported is what any input may give an import: an inventory whose
// YAML loads again, or problems each with a place and a message.
func checkImported(t *testing.T, res *Result, err error) {
	t.Helper()
	var ce *inventory.ConfigError
	switch {
	case err == nil:
		if _, perr := inventory.Parse("again.yml", res.YAML, inventory.LoadOptions{}); perr != nil {
			t.Fatalf("imported YAML does not load: %v", perr)
		}
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			if p.File == "" || p.Msg == "" {
				t.Fatalf("problem without a place or a message: %+v", p)
			}
		}
	default:
		t.Fatalf("error that is not a list of problems: %v", err)
	}
}
