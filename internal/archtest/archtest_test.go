package archtest

import (
	"flag"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*/want.txt from Check's answers")

// TestVigie: the module itself keeps every rule, and Check saw its
// packages (a wrong root would pass vacuously).
func TestVigie(t *testing.T) {
	const root = "../.."
	vs, err := Check(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
	module, err := modulePath(root)
	if err != nil {
		t.Fatal(err)
	}
	pkgs, err := load(token.NewFileSet(), root, module)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		seen[p.rel] = true
	}
	for _, want := range append(flow, "collector/bgp", "collector/trap", "topology/store", "daemon", "demo", "lab", "internal/simtest", "discover") {
		if !seen[want] {
			t.Errorf("Check did not read package %s", want)
		}
	}
}

// TestCheck: each tree in testdata breaks rules (or, for "ok", none; every
// other case holds only the files in which it differs from ok), and
// Check names every violation, with its file and line, as want.txt says.
func TestCheck(t *testing.T) {
	dirs, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	cases := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		cases++
		t.Run(d.Name(), func(t *testing.T) {
			dir := filepath.Join("testdata", d.Name())
			root := dir
			if d.Name() != "ok" {
				root = overlay(t, filepath.Join("testdata", "ok"), dir)
			}
			vs, err := Check(root)
			if err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, v := range vs {
				b.WriteString(v.String() + "\n")
			}
			got := b.String()
			file := filepath.Join(dir, "want.txt")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v: run go test ./internal/archtest -run TestCheck -update, then read the file", err)
			}
			if got != string(want) {
				t.Errorf("violations:\n%s\nwant (%s):\n%s", got, file, want)
			}
			if d.Name() != "ok" && got == "" {
				t.Errorf("the tree %s breaks a rule, but Check found no violation", d.Name())
			}
		})
	}
	if cases < 2 {
		t.Fatalf("%d cases in testdata", cases)
	}
}

// TestCheckErrors: a root that is not a module is refused, saying so.
func TestCheckErrors(t *testing.T) {
	_, err := Check(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "go.mod") {
		t.Errorf("Check(empty dir) = %v, want an error naming go.mod", err)
	}
}

// overlay builds in a temporary directory the tree base with the files of
// changes laid over it (want.txt aside): a case of TestCheck holds only the
// files in which it differs from the "ok" tree.
func overlay(t *testing.T, base, changes string) string {
	t.Helper()
	root := t.TempDir()
	for _, src := range []string{base, changes} {
		err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || (src == changes && d.Name() == "want.txt") {
				return err
			}
			rel, err := filepath.Rel(src, path)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			dst := filepath.Join(root, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			return os.WriteFile(dst, data, 0o644)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return root
}
