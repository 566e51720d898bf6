package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// streamTargets are the piece sizes the streamed decode is tried with: one
// item a piece, a few items, and larger pieces up to the real size.
var streamTargets = []int{1, 97, 4096, streamPiece}

var streamOpts = []LoadOptions{{}, {Strict: true}}

// TestStreamSameAsWhole decodes every YAML inventory of the repository's
// testdata and configs both ways, streamed and from a single parse, and
// requires the same Inventory and the same problems, in the same order.
func TestStreamSameAsWhole(t *testing.T) {
	var files []string
	for _, glob := range []string{"testdata/good/*.yml", "testdata/bad/*.yml", "testdata/diff/*.yml",
		"sheet/testdata/*.yml", "sheet/testdata/netbox/*.yml", "../configs/*.yml"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 20 {
		t.Fatalf("found only %d inventories under testdata and configs: has the layout changed?", len(files))
	}
	streamedFiles := 0
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		any := false
		for _, target := range streamTargets {
			for _, opts := range streamOpts {
				streamed, diff := StreamVersusWhole(name, data, opts, target)
				if diff != "" {
					t.Errorf("%s, pieces of %d bytes, strict %t: %s", name, target, opts.Strict, diff)
				}
				any = any || streamed
			}
		}
		if any {
			streamedFiles++
		}
	}
	t.Logf("%d of %d inventories streamed", streamedFiles, len(files))
	if streamedFiles < len(files)/2 {
		t.Errorf("only %d of %d inventories took the streamed decode: the comparison proves little", streamedFiles, len(files))
	}
}

// TestStreamProblems makes mistakes deep inside the streamed lists of a
// generated inventory (in pieces parsed long after the first), and
// requires the streamed decode to report them exactly as a single parse
// does, or to fall back to it when the text is not shaped for streaming.
func TestStreamProblems(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fullSize(400)); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	last := func(old, new string) func(string) string {
		return func(s string) string {
			i := strings.LastIndex(s, old)
			if i < 0 {
				t.Fatalf("%q is not in the generated inventory", old)
			}
			return s[:i] + new + s[i+len(old):]
		}
	}
	all := func(old, new string) func(string) string {
		return func(s string) string {
			if !strings.Contains(s, old) {
				t.Fatalf("%q is not in the generated inventory", old)
			}
			return strings.ReplaceAll(s, old, new)
		}
	}
	cases := []struct {
		name   string
		edit   func(string) string
		stream bool // whether the streamed decode must be taken
		clean  bool // whether the edited inventory is valid
	}{
		{"as written", func(s string) string { return s }, true, true},
		{"device at an unknown site", last("site: S-00390", "site: S-99999"), true, false},
		{"duplicate site", last("id: S-00390", "id: S-00010"), true, false},
		{"duplicate device", last("name: ce-00390-0", "name: ce-00010-0"), true, false},
		{"access on an unknown router", last("router: ce-00395-0", "router: ce-99999-0"), true, false},
		{"unknown key in a late site", last("    region: ", "    regoin: "), true, false},
		{"misspelt protection everywhere (past the problem limit)", all("protection: single", "protection: singel"), true, false},
		{"links to unknown devices", all("device: p-pop-", "device: x-pop-"), true, false},
		{"repeated sites section", func(s string) string {
			i := strings.Index(s, "\nsites:\n")
			j := strings.Index(s, "\nlinks:\n")
			return s + s[i+1:j+1]
		}, true, false},
		{"x- key holding a long list", func(s string) string {
			i := strings.Index(s, "\nsites:\n")
			j := strings.Index(s, "\nlinks:\n")
			return s + "x-" + s[i+1:j+1]
		}, true, true},
		{"late site id read differently from the text (a plain scalar on two lines)", last("  - id: S-00390\n", "  - id: S-00390\n      X\n"), false, false},
		{"late site id in a form the text reader declines", last("  - id: S-00390\n", "  - \"id\": S-00390\n"), true, true},
		{"late site with a second id", last("  - id: S-00390\n", "  - id: S-00390\n    id: S-00391\n"), true, false},
		{"syntax error in a late site", last("    region: ", "    region: [\n"), false, false},
		{"anchor", last("    region: ", "    region: &r "), false, true},
		{"second document (a warning)", func(s string) string { return s + "---\nagent: {}\n" }, false, true},
		{"tab in a late site", last("    region: ", "\tregion: "), false, false},
		{"odd indentation in a late site", last("    region: ", "     region: "), false, false},
		{"one-space item", last("  - id: S-00390", " - id: S-00390"), false, false},
	}
	for _, c := range cases {
		data := []byte(c.edit(text))
		if _, err := parseWhole("full.yml", data, LoadOptions{}); (err == nil) != c.clean {
			t.Fatalf("%s: the edit did not give the problem it is about: %v", c.name, err)
		}
		streamedAny := false
		for _, target := range []int{1, 5000} {
			streamed, diff := StreamVersusWhole("full.yml", data, LoadOptions{Strict: target == 1}, target)
			if diff != "" {
				t.Errorf("%s, pieces of %d bytes: %s", c.name, target, diff)
			}
			streamedAny = streamedAny || streamed
		}
		if streamedAny != c.stream {
			t.Errorf("%s: streamed %t, want %t", c.name, streamedAny, c.stream)
		}
	}
}

// TestTextIDs reads the site ids of a written inventory's pieces from their
// text, and requires what the pre-scan takes from the parsed pieces.
func TestTextIDs(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fullSize(200)); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	parts, ok := cutTarget(data, 3000)
	if !ok {
		t.Fatal("the written inventory does not cut")
	}
	d := newDecoder("t.yml", LoadOptions{})
	items := 0
	for _, p := range parts {
		if !p.items || !bytes.Contains(data[p.start:p.end], []byte("  - id: S-")) {
			continue
		}
		got, ok := textIDs(data[p.start:p.end])
		if !ok {
			t.Fatalf("line %d: the text reader declines a piece Write wrote", p.line)
		}
		r, ok := parsePiece(data, p)
		if !ok || len(r.Content) != len(got) {
			t.Fatalf("line %d: %d items read from the text, %d parsed", p.line, len(got), len(r.Content))
		}
		for i, item := range r.Content {
			id, found := d.siteID(item)
			if got[i] != (textID{id, found}) {
				t.Errorf("line %d: %+v read from the text, %q %t parsed", item.Line, got[i], id, found)
			}
		}
		items += len(got)
	}
	if items < 150 {
		t.Fatalf("only %d sites read from pieces", items)
	}
	for _, c := range []struct {
		text string
		want []textID
		ok   bool
	}{
		{"  - id: a\n    name: x\n  - name: y\n    id: 'b c'\n  -   id: \"d\"\n", []textID{{"a", true}, {"b c", true}, {"d", true}}, true},
		{"  - name: a\n  - id: b\n", []textID{{}, {"b", true}}, true},
		{"  - {id: a}\n", nil, false},
		{"  -\n    id: a\n", nil, false},
		{"  - id: \"a\\tb\"\n", nil, false},
		{"  - id: a # comment\n", nil, false},
		{"  - id:\n      x: 1\n", nil, false},
		{"  - \"id\": a\n", nil, false},
		{"   - id: a\n", nil, false},
	} {
		got, ok := textIDs([]byte(c.text))
		if ok != c.ok || ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v %t, want %+v %t", c.text, got, ok, c.want, c.ok)
		}
	}
}
