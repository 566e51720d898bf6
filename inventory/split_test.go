package inventory

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// sameTree compares what the walker reads of two node trees and returns
// where they first differ ("" if nowhere).
func sameTree(a, b *yaml.Node, at string) string {
	if a.Kind != b.Kind || a.Tag != b.Tag || a.Value != b.Value || a.Line != b.Line || a.Column != b.Column ||
		a.Style != b.Style || a.Anchor != b.Anchor || len(a.Content) != len(b.Content) {
		return fmt.Sprintf("%s: %+v vs %+v", at, *a, *b)
	}
	for i := range a.Content {
		if d := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", at, i)); d != "" {
			return d
		}
	}
	return ""
}

func TestSplitMatchesSingleParse(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, fullSize(2000)); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	whole, _, err := parseYAML(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, pieces := range []int{2, 7, 64, len(data)} {
		split, ok := parseSplit(data, pieces, 3)
		if !ok {
			t.Fatalf("%d pieces: Write's output was not split", pieces)
		}
		if d := sameTree(whole.Content[0], split.Content[0], "root"); d != "" {
			t.Fatalf("%d pieces: differs at %s", pieces, d)
		}
	}
	// A file with problems loads the same (same problems, same lines)
	// whether or not it is large enough to be split.
	broken := bytes.Replace(data, []byte("device: agg-010-1"), []byte("device: agg-999-9"), 1)
	broken = bytes.Replace(broken, []byte("role: collection"), []byte("role: colection"), 1)
	_, err = Parse("big.yml", broken, LoadOptions{})
	want := "big.yml:"
	if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), `unknown device "agg-999-9"`) || !strings.Contains(err.Error(), `invalid role "colection"`) {
		t.Fatalf("problems = %v", err)
	}
}

func TestSplitDeclines(t *testing.T) {
	base := "regions:\n  - {id: a}\n  - {id: b}\npops:\n  - {id: p, region: a}\n"
	for name, src := range map[string]string{
		"anchor":        base + "x-a: &a [1]\n",
		"alias":         base + "x-b: *a\n",
		"documents":     base + "---\nother: 1\n",
		"carriage":      strings.ReplaceAll(base, "\n", "\r\n"),
		"col0 non-key":  base + "- stray\n",
		"before key":    "  - x\n" + base,
		"broken piece":  "regions:\n  - {id: a,\n  - b}\npops: []\n",
		"unclosed flow": "regions: [\n  {id: a}\n]\n",
		"shallow line":  "A:\n  -\n  -\n 0\n",
		"list key":      "regions:\n  - {id: a}\n  id: b\n",
	} {
		if _, ok := parseSplit([]byte(src), 1000, 2); ok {
			t.Errorf("%s: split, want the single parse", name)
		}
	}
	if _, ok := parseSplit([]byte(base), 1000, 2); !ok {
		t.Error("a plain file was not split")
	}
}
