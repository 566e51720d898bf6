package inventory

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse. It must never panic; what it
// rejects must come as a *ConfigError naming the file; what it accepts must
// survive Write and parse back to the same inventory.
//
//	flock /tmp/vigie-heavy.lock go test ./inventory/ -run '^$' -fuzz FuzzParse -fuzztime 60s
func FuzzParse(f *testing.F) {
	for _, glob := range []string{"testdata/good/*.yml", "testdata/bad/*.yml", "../configs/*.yml"} {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// A split parse, cut at every possible line, must give the tree a
		// single parse gives, or decline.
		if split, ok := parseSplit(data, len(data), 3); ok {
			whole, _, err := parseYAML(data)
			if err != nil {
				t.Fatalf("the split parse succeeded where the single parse fails: %v", err)
			}
			if diff := sameTree(whole.Content[0], split.Content[0], "root"); diff != "" {
				t.Fatalf("split parse differs from the single parse at %s", diff)
			}
		}
		inv, err := Parse("fuzz.yml", data, LoadOptions{})
		if err != nil {
			var ce *ConfigError
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("error %T without problems: %v", err, err)
			}
			for _, p := range ce.Problems {
				if p.File != "fuzz.yml" || p.Msg == "" {
					t.Fatalf("malformed problem %+v", p)
				}
			}
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, inv); err != nil {
			t.Fatalf("Write of an accepted inventory: %v", err)
		}
		back, err := Parse("written.yml", buf.Bytes(), LoadOptions{})
		if err != nil {
			t.Fatalf("Parse(Write(x)) failed: %v\n--- written:\n%s", err, buf.String())
		}
		clearLines(inv)
		clearLines(back)
		if !reflect.DeepEqual(inv, back) {
			t.Fatalf("Parse(Write(x)) != x\n--- written:\n%s\n--- x:    %#v\n--- back: %#v", buf.String(), inv, back)
		}
	})
}

// FuzzStream decodes arbitrary bytes both ways, streamed in pieces of a
// size the fuzzer chooses (stream.go) and from a single parse: when the
// streamed decode is taken, the inventory and every problem must be the
// same.
//
//	go test ./inventory/ -run '^$' -fuzz FuzzStream -fuzztime 60s
func FuzzStream(f *testing.F) {
	for _, glob := range []string{"testdata/good/*.yml", "testdata/bad/*.yml", "../configs/*.yml"} {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data, uint16(1))
			f.Add(data, uint16(200))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, target uint16) {
		if _, diff := StreamVersusWhole("fuzz.yml", data, LoadOptions{}, max(int(target), 1)); diff != "" {
			t.Fatalf("pieces of %d bytes: %s", target, diff)
		}
	})
}
