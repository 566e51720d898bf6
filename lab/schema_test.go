package lab

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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

func clabSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(moduleRoot(t), "..", "shared", "containerlab", "clab.schema.json")
	f, err := os.Open(path)
	if err != nil {
		needed(t, "containerlab schema: %v (it is expected at ../shared/containerlab/ from the repository root)", err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("clab.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("clab.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
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

// TestTopologiesMatchClabSchema proves the lab files deploy with
// containerlab itself, not only with vigie-lab.
func TestTopologiesMatchClabSchema(t *testing.T) {
	sch := clabSchema(t)
	files, err := filepath.Glob("*/*.clab.yml")
	if err != nil || len(files) < 2 {
		t.Fatalf("lab topologies: %v %v", files, err)
	}
	kernel, _ := filepath.Glob("testdata/kernel/*.clab.yml")
	files = append(append(files, "testdata/inherit.clab.yml"), kernel...)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(asJSON(t, data)); err != nil {
			t.Errorf("%s is not a valid containerlab topology:\n%v", f, err)
		}
	}
}

// TestClabSchemaRejects makes sure the check can fail.
func TestClabSchemaRejects(t *testing.T) {
	sch := clabSchema(t)
	for name, doc := range map[string]string{
		"no topology":    "name: x\n",
		"unknown key":    "name: x\ntopology:\n  nodes:\n    r1: {kind: linux}\nfrobnicate: 1\n",
		"bad node key":   "name: x\ntopology:\n  nodes:\n    r1: {kind: linux, bindz: [a:b]}\n",
		"bad lab name":   "name: \"-x\"\ntopology:\n  nodes:\n    r1: {kind: linux}\n",
		"bad link field": "name: x\ntopology:\n  nodes:\n    r1: {kind: linux}\n  links:\n    - endpoints: [\"r1:eth1\", \"r1:eth2\"]\n      srlg: [a]\n",
	} {
		if err := sch.Validate(asJSON(t, []byte(doc))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
