package licence

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestClassify reads each licence text of testdata/classify, whole texts
// (GPL-3.0 and MPL-2.0, whose text names the GPL family) and snippets as they
// appear in LICENSE files and source headers, and checks the licences found.
func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []Kind
	}{
		{"apache-2.0-notice.go.txt", []Kind{Apache2}},
		{"mit.md", []Kind{MIT}},
		{"mit-and-apache-2.0.txt", []Kind{Apache2, MIT}},
		{"bsd-2-clause.txt", []Kind{BSD2}},
		{"bsd-3-clause.txt", []Kind{BSD3}},
		{"bsd-2-and-3-clause.txt", []Kind{BSD2, BSD3}},
		{"bsd-4-clause.txt", []Kind{BSD4}},
		{"isc.txt", []Kind{ISC}},
		{"0bsd.txt", []Kind{ZeroBSD}},
		{"zlib.txt", []Kind{Zlib}},
		{"unlicense.txt", []Kind{Unlicense}},
		{"cc0-1.0.txt", []Kind{CC0}},
		{"mpl-2.0.txt", []Kind{MPL2}},
		{"mpl-2.0-notice.go.txt", []Kind{MPL2}},
		{"gpl-3.0.txt", []Kind{GPL}},
		{"gpl-2.0-notice.txt", []Kind{GPL}},
		{"lgpl-2.1.txt", []Kind{LGPL}},
		{"agpl-3.0.txt", []Kind{AGPL}},
		{"sspl.txt", []Kind{SSPL}},
		{"busl-1.1.txt", []Kind{BUSL}}, // names Apache-2.0 as its change licence, which it is not yet
		{"unknown.txt", nil},
		{"artistic-1.0-excerpt.txt", nil}, // BSD-3-Clause's endorsement clause without its grant
	} {
		t.Run(tc.file, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join("testdata", "classify", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if got := Classify(text); !slices.Equal(got, tc.want) {
				t.Errorf("Classify(%s) = %v, want %v", tc.file, got, tc.want)
			}
		})
	}
}

// TestClassifyProjectLicence checks that vigie's own LICENSE is the
// Apache-2.0 text and nothing else, and that the README says so in SPDX form.
func TestClassifyProjectLicence(t *testing.T) {
	text, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	if got := Classify(text); !slices.Equal(got, []Kind{Apache2}) {
		t.Errorf("LICENSE grants %v, want [Apache-2.0]", got)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "SPDX-License-Identifier: Apache-2.0") {
		t.Error("README.md lacks its SPDX line `SPDX-License-Identifier: Apache-2.0`")
	}
}

// TestNormalise pins what a phrase survives: case, wrapping, indentation,
// comment and markdown markers, typographic quotes, "2.0" written "2 0".
func TestNormalise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Apache License\n   Version 2.0, January 2004\n", "apache license version 2 0 january 2004"},
		{"// Licensed under the “Apache License”,\n// Version 2.0", "licensed under the apache license version 2 0"},
		{"# MIT License\n\n", "mit license"},
		{"  \t\n", ""},
		{"and/or", "and or"},
	} {
		if got := Normalise(tc.in); got != tc.want {
			t.Errorf("Normalise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestPhrasesNormalised keeps every phrase of the rules in normal form: one
// that is not (a comma, a capital) would never match.
func TestPhrasesNormalised(t *testing.T) {
	phrases := []string{bsdGrant, bsdEndorse, bsdAdvertising, iscGrant, iscNotice}
	for _, r := range rules {
		phrases = append(phrases, r.phrases...)
	}
	for _, p := range phrases {
		if Normalise(p) != p {
			t.Errorf("phrase %q is not normalised: write %q", p, Normalise(p))
		}
	}
}

// TestFiles walks a module tree of testdata: a package takes the licence
// files nearest to it, a vendored directory its own, a module without any
// none, and a .go file named license.go is code.
func TestFiles(t *testing.T) {
	mods := filepath.Join("testdata", "modules")
	m := filepath.Join(mods, "m")
	lib := filepath.Join(m, "third_party", "lib")
	for _, tc := range []struct {
		name, dir, root string
		want            []string
	}{
		{"package under the module's root", filepath.Join(m, "inner", "pkg"), m, []string{filepath.Join(m, "LICENSE")}},
		{"the module's root", m, m, []string{filepath.Join(m, "LICENSE")}},
		{"vendored code with its own licences", filepath.Join(lib, "sub"), m,
			[]string{filepath.Join(lib, "COPYING"), filepath.Join(lib, "LICENSE.md")}},
		{"no licence file up to the root", filepath.Join(mods, "bare", "pkg"), filepath.Join(mods, "bare"), nil},
		{"never above the root", filepath.Join(m, "inner", "pkg"), filepath.Join(m, "inner"), nil},
		{"dir not under root", filepath.Join(mods, "bare", "pkg"), m, nil},
		{"dir above root", mods, m, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Files(tc.dir, tc.root)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Files(%s, %s) = %v, want %v", tc.dir, tc.root, got, tc.want)
			}
		})
	}
	if _, err := Files(filepath.Join(mods, "absent"), mods); err == nil || !strings.Contains(err.Error(), "absent") {
		t.Errorf("Files of a missing directory: error %v, want one naming it", err)
	}
}
