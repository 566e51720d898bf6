package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
)

func TestGenerateWritesInventoryAndPrivateEnv(t *testing.T) {
	dir := t.TempDir()
	var out, errb bytes.Buffer
	if err := run([]string{"generate", "--sites", "40", "--seed", "3", "--out", dir}, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	env, err := os.Stat(filepath.Join(dir, "sim.env"))
	if err != nil {
		t.Fatal(err)
	}
	if env.Mode().Perm() != 0o600 {
		t.Errorf("sim.env has mode %v, want 0600", env.Mode().Perm())
	}
	b, _ := os.ReadFile(filepath.Join(dir, "sim.env"))
	for _, name := range []string{"VIGIE_SIM_COMMUNITY", "VIGIE_SIM_AUTH", "VIGIE_SIM_PRIV"} {
		if !strings.Contains(string(b), "export "+name+"=") {
			t.Errorf("sim.env lacks %s:\n%s", name, b)
		}
	}
	inv, err := inventory.Load(filepath.Join(dir, "vigie.yml"), inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.Sites) != 40 {
		t.Errorf("loaded %d sites, want 40", len(inv.Sites))
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"generate"},
		{"generate", "--out", "x", "--sites", "0"},
		{"serve", "--control", "0.0.0.0:9743"},
		{"serve", "--port", "70000"},
		{"serve", "--bgp-port", "-1"},
		{"generate", "--out", "x", "--bgp-port", "70000"},
		{"cut"},
		{"cut", "--control", "ftp://127.0.0.1:1", "internet"},
		{"restore", "--all", "internet"},
		{"restore"},
		{"cuts", "internet"},
	} {
		var out, errb bytes.Buffer
		if err := run(args, &out, &errb); err == nil {
			t.Errorf("vigie-sim %v succeeded, want an error", args)
		}
	}
	var out bytes.Buffer
	if err := run([]string{"help"}, &out, &out); err != nil || !strings.Contains(out.String(), "vigie-sim serve") {
		t.Errorf("help: %v\n%s", err, out.String())
	}
}
