package resilience

import (
	"slices"
	"testing"
)

// FuzzParseFailure feeds ParseFailure what an operator or an API client
// may type: it must never panic, and whatever it accepts must come back
// unchanged through Items and ParseFailure again.
func FuzzParseFailure(f *testing.F) {
	for _, s := range []string{"internet", "device:agg-1", "link:a--b", "link:a:xe-0--b:xe-1", "srlg:duct", "pop:p", "region:idf", "link:a", "x", ":", "device:", " internet "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		fl, err := ParseFailure(spec)
		if err != nil {
			return
		}
		items := fl.Items()
		if len(items) != 1 {
			t.Fatalf("ParseFailure(%q) gave %d items: %v", spec, len(items), items)
		}
		again, err := ParseFailure(items[0])
		if err != nil {
			t.Fatalf("item %q of %q does not parse again: %v", items[0], spec, err)
		}
		if !slices.Equal(again.Items(), items) {
			t.Fatalf("round trip of %q: %v then %v", spec, items, again.Items())
		}
	})
}
