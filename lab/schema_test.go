package lab

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// needed skips a test whose prerequisite (a file, a program, root) is
// missing, except in CI, where the project's scripts install everything
// and a skip would hide a broken setup.
func needed(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// moduleRoot returns the directory holding go.mod.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// A schema the lab files are checked against, and where it comes from.
type clabCheck struct {
	name string
	sch  *jsonschema.Schema
}

// subsetSchemaPath is the project's own schema of the containerlab subset
// its lab files use: always present, so a clone alone runs real checks.
const subsetSchemaPath = "testdata/clab-subset.schema.json"

// publishedSchemaPath is containerlab's published schema, vendored with
// its source and version (testdata/containerlab/SOURCE.md).
func publishedSchemaPath(t *testing.T) string {
	return filepath.Join(moduleRoot(t), "lab", "testdata", "containerlab", "clab.schema.json")
}

func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v (fix the JSON)", path, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return sch
}

// clabSchemas returns the project's subset and containerlab's published
// schema, and logs which ones the test uses.
func clabSchemas(t *testing.T) []clabCheck {
	t.Helper()
	checks := []clabCheck{{"subset " + subsetSchemaPath, compileSchema(t, subsetSchemaPath)}}
	pub := publishedSchemaPath(t)
	checks = append(checks, clabCheck{"published " + pub, compileSchema(t, pub)})
	for _, c := range checks {
		t.Logf("checking against containerlab's schema: %s", c.name)
	}
	return checks
}

// asJSON loads YAML as containerlab does and turns it into the JSON value
// the schema checks.
func asJSON(t *testing.T, data []byte) any {
	t.Helper()
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return inst
}

// labFiles lists every topology of the repository that containerlab must
// accept (the bad ones in testdata/bad are bad for vigie-lab on purpose).
func labFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*/*.clab.yml")
	if err != nil || len(files) < 2 {
		t.Fatalf("lab topologies: %v %v", files, err)
	}
	more, _ := filepath.Glob("testdata/*.clab.yml")
	kernel, _ := filepath.Glob("testdata/kernel/*.clab.yml")
	// containerlab's own FRR example, which a planner runs unchanged.
	frr01, _ := filepath.Glob("testdata/frr01/*.clab.yml")
	if len(more) == 0 || len(kernel) == 0 || len(frr01) == 0 {
		t.Fatalf("lab test topologies: %v %v %v", more, kernel, frr01)
	}
	return append(append(append(files, more...), kernel...), frr01...)
}

// TestTopologiesMatchClabSchema proves the lab files deploy with
// containerlab itself, not only with vigie-lab.
func TestTopologiesMatchClabSchema(t *testing.T) {
	files := labFiles(t)
	for _, c := range clabSchemas(t) {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := c.sch.Validate(asJSON(t, data)); err != nil {
				t.Errorf("%s is not a valid containerlab topology (%s):\n%v", f, c.name, err)
			}
		}
	}
}

// clabBad are topologies containerlab refuses; each schema must refuse
// every one.
var clabBad = map[string]string{
	"no topology":         "name: x\n",
	"no nodes":            "name: x\ntopology:\n  links:\n    - endpoints: [\"r1:eth1\", \"r2:eth1\"]\n",
	"unknown key":         "name: x\ntopology:\n  nodes:\n    r1: {kind: linux}\nfrobnicate: 1\n",
	"unknown topo key":    "name: x\ntopology:\n  nodes:\n    r1: {kind: linux}\n  node: {}\n",
	"bad node key":        "name: x\ntopology:\n  nodes:\n    r1: {kind: linux, bindz: [a:b]}\n",
	"bad defaults key":    "name: x\ntopology:\n  defaults: {kind: linux, imag: x}\n  nodes:\n    r1: {}\n",
	"bad kinds key":       "name: x\ntopology:\n  kinds:\n    linux: {exe: [ls]}\n  nodes:\n    r1: {kind: linux}\n",
	"unknown kind":        "name: x\ntopology:\n  nodes:\n    r1: {kind: frobos}\n",
	"bad group key":       "name: x\ntopology:\n  groups:\n    g: {label: {a: b}}\n  nodes:\n    r1: {group: g}\n",
	"bad mgmt key":        "name: x\nmgmt: {ipv4subnet: 172.31.1.0/24}\ntopology:\n  nodes:\n    r1: {kind: linux}\n",
	"empty mgmt":          "name: x\nmgmt: {}\ntopology:\n  nodes:\n    r1: {kind: linux}\n",
	"bad mgmt subnet":     "name: x\nmgmt: {ipv4-subnet: 172.31.1.0}\ntopology:\n  nodes:\n    r1: {kind: linux}\n",
	"bad lab name":        "name: \"-x\"\ntopology:\n  nodes:\n    r1: {kind: linux}\n",
	"bad prefix":          "prefix: \"-p\"\nname: x\ntopology:\n  nodes:\n    r1: {kind: linux}\n",
	"bad node name":       "name: x\ntopology:\n  nodes:\n    \"-r1\": {kind: linux}\n",
	"bad mgmt-ipv4":       "name: x\ntopology:\n  nodes:\n    r1: {kind: linux, mgmt-ipv4: 300.1.1.1}\n",
	"twice the same bind": "name: x\ntopology:\n  nodes:\n    r1: {kind: linux, binds: [a:/b, a:/b]}\n",
	"empty label":         "name: x\ntopology:\n  nodes:\n    r1: {kind: linux, labels: {vigie.role: \"\"}}\n",
	"binds not a list":    "name: x\ntopology:\n  nodes:\n    r1: {kind: linux, binds: a:/b}\n",
	"no links":            "name: x\ntopology:\n  nodes:\n    r1: {kind: linux}\n  links: []\n",
	"bad link field":      "name: x\ntopology:\n  nodes:\n    r1: {kind: linux}\n  links:\n    - endpoints: [\"r1:eth1\", \"r1:eth2\"]\n      srlg: [a]\n",
	"link without ends":   "name: x\ntopology:\n  nodes:\n    r1: {kind: linux}\n  links:\n    - vars: {srlg: [a]}\n",
}

// TestClabSchemaRejects makes sure the check can fail, under every schema.
func TestClabSchemaRejects(t *testing.T) {
	for _, c := range clabSchemas(t) {
		for name, doc := range clabBad {
			if err := c.sch.Validate(asJSON(t, []byte(doc))); err == nil {
				t.Errorf("%s: accepted by %s", name, c.name)
			}
		}
	}
}

// TestClabSubsetIsNotLooser holds the project's subset to containerlab's
// published schema where it matters: the subset refuses what vigie-lab
// would silently ignore (a misspelt key), every key it allows is one
// containerlab knows at the same place, and a document using every key
// the subset allows is also a valid containerlab topology.
func TestClabSubsetIsNotLooser(t *testing.T) {
	checks := clabSchemas(t)
	// A misspelt key anywhere vigie-lab reads is refused by every schema,
	// even where vigie-lab's parser would ignore it.
	for _, where := range []struct{ name, doc string }{
		{"node", "name: x\ntopology:\n  nodes:\n    r1: {kind: linux, KEY: 1}\n"},
		{"defaults", "name: x\ntopology:\n  defaults: {KEY: 1}\n  nodes:\n    r1: {}\n"},
		{"kinds.linux", "name: x\ntopology:\n  kinds:\n    linux: {KEY: 1}\n  nodes:\n    r1: {}\n"},
		{"group", "name: x\ntopology:\n  groups:\n    g: {KEY: 1}\n  nodes:\n    r1: {group: g}\n"},
		{"mgmt", "name: x\nmgmt: {network: n, KEY: 1}\ntopology:\n  nodes:\n    r1: {}\n"},
		{"topology", "name: x\ntopology:\n  KEY: 1\n  nodes:\n    r1: {}\n"},
		{"top level", "name: x\nKEY: 1\ntopology:\n  nodes:\n    r1: {}\n"},
		{"link", "name: x\ntopology:\n  nodes:\n    r1: {}\n  links:\n    - endpoints: [\"r1:eth1\", \"r1:eth2\"]\n      KEY: 1\n"},
	} {
		for _, key := range []string{"bindz", "mgmt_ipv4", "Labels", "frobnicate"} {
			doc := strings.Replace(where.doc, "KEY", key, 1)
			for _, c := range checks {
				if err := c.sch.Validate(asJSON(t, []byte(doc))); err == nil {
					t.Errorf("%s key %q: accepted by %s", where.name, key, c.name)
				}
			}
		}
	}
	// The subset's own link vars: vigie-lab gives them meaning, so a
	// misspelling is refused by the subset (containerlab's vars are free).
	typo := "name: x\ntopology:\n  nodes:\n    r1: {}\n  links:\n    - endpoints: [\"r1:eth1\", \"r1:eth2\"]\n      vars: {srgl: [a]}\n"
	if err := checks[0].sch.Validate(asJSON(t, []byte(typo))); err == nil {
		t.Errorf("link var srgl: accepted by %s", checks[0].name)
	}

	// Every key the subset allows, at once: valid for every schema.
	full := `name: every-key.1
prefix: __lab-name
mgmt: {network: n, bridge: br-n, ipv4-subnet: 172.31.9.0/24, ipv4-gw: 172.31.9.1}
topology:
  defaults: {kind: linux, image: "vigie-lab-frr:latest"}
  kinds:
    linux: {env: {A: a, N: 1, B: true}}
  groups:
    g: {binds: ["d:/etc/frr/daemons"], labels: {vigie.role: backbone, n: 2}}
  nodes:
    r1:
      kind: linux
      image: "vigie-lab-frr:latest"
      group: g
      startup-config: r1/frr.conf
      binds: ["r1/frr.conf:/etc/frr/frr.conf:ro"]
      exec: ["ip link set lo up"]
      env: {X: y}
      labels: {vigie.role: site}
      mgmt-ipv4: 172.31.9.2
    r2:
  links:
    - endpoints: ["r1:eth1", "r2:eth1"]
      vars: {srlg: [duct-1], internet: true, netem: {delay: 20ms, jitter: 1.5ms, loss: 0.5, rate: 1000}}
`
	for _, c := range checks {
		if err := c.sch.Validate(asJSON(t, []byte(full))); err != nil {
			t.Errorf("a document using every key of the subset is refused by %s:\n%v", c.name, err)
		}
	}

	// Key by key, the subset's objects against containerlab's: a key only
	// the subset knows would let a clone pass a file containerlab refuses.
	pub := publishedSchemaPath(t)
	if _, err := os.Stat(pub); err != nil {
		t.Logf("containerlab's published schema is not at %s: the key-by-key comparison needs it and did not run", pub)
		return
	}
	subset, published := readJSON(t, subsetSchemaPath), readJSON(t, pub)
	for _, pair := range [][2][]string{
		{{"properties"}, {"properties"}},
		{{"properties", "mgmt", "properties"}, {"properties", "mgmt", "properties"}},
		{{"properties", "topology", "properties"}, {"properties", "topology", "properties"}},
		{{"properties", "topology", "properties", "kinds", "properties"}, {"properties", "topology", "properties", "kinds", "properties"}},
		{{"definitions", "node", "properties"}, {"definitions", "node-config", "properties"}},
		{{"definitions", "link", "properties"}, {"definitions", "link-config-short", "properties"}},
	} {
		ours, theirs := objectAt(t, subset, pair[0]), objectAt(t, published, pair[1])
		for key := range ours {
			if _, ok := theirs[key]; !ok {
				t.Errorf("%s: key %q is not in containerlab's %s: remove it from the subset", strings.Join(pair[0], "."), key, strings.Join(pair[1], "."))
			}
		}
	}
	kinds := objectAt(t, objectAt(t, published, []string{"definitions", "node-config", "properties"}), []string{"kind"})
	known := map[string]bool{}
	for _, k := range kinds["enum"].([]any) {
		known[k.(string)] = true
	}
	for _, k := range objectAt(t, objectAt(t, subset, []string{"definitions", "node", "properties"}), []string{"kind"})["enum"].([]any) {
		if !known[k.(string)] {
			t.Errorf("kind %q of the subset is not one of containerlab's kinds", k)
		}
	}
}

func readJSON(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// objectAt follows keys down nested JSON objects.
func objectAt(t *testing.T, v map[string]any, keys []string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := v[k].(map[string]any)
		if !ok {
			t.Fatalf("no object at %s (step %q): the schema's layout changed", strings.Join(keys, "."), k)
		}
		v = next
	}
	return v
}
