package licence

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"time"
)

// allowed are the licences a module linked into the vigie binaries may have,
// each with why an Apache-2.0 work may include it. Any other licence, a
// licence file the classifier does not recognise, and a linked package with
// no licence file fail TestDependencies. The categories are those of the
// Apache Software Foundation's third-party licence policy
// (https://www.apache.org/legal/resolved.html): A may be included, B may be
// included in binary form.
var allowed = map[Kind]string{
	Apache2: "vigie's own licence; a binary distribution carries the modules' NOTICE files (§4(d))",
	MIT:     "permissive (category A): keep the copyright and permission notice",
	BSD2:    "permissive (category A): keep the copyright notice, conditions and disclaimer",
	BSD3:    "permissive (category A): as BSD-2-Clause, and vigie may not use the authors' names to endorse itself",
	ISC:     "permissive (category A), MIT's terms in fewer words",
	ZeroBSD: "permissive without conditions",
	Zlib:    "permissive (category A): altered sources are marked as such",
	Unlicense: "public-domain dedication with a permissive fallback: no condition Apache-2.0 " +
		"could not meet",
	CC0: "public-domain dedication with a permissive fallback (treated as public domain by the ASF policy)",
	MPL2: "weak copyleft, file by file (category B). §3.3 lets a Larger Work be distributed under " +
		"terms of our choice; §3.2 asks that a binary's recipients be told where the MPL files' source is, " +
		"under MPL-2.0. vigie links such modules unmodified from the public module proxy, whose copy " +
		"stays available (docs/licences.md says where); a change to one of their files would have to be " +
		"published under MPL-2.0, not Apache-2.0",
}

// refused says, for the licences the classifier knows but allowed lacks, why:
// the failure message repeats it so that nobody adds them to allowed lightly.
var refused = map[Kind]string{
	GPL:     "strong copyleft: the whole binary would have to be distributed under the GPL",
	LGPL:    "copyleft on the library, and statically linked Go binaries cannot offer relinking",
	AGPL:    "strong copyleft extended to network use",
	SSPL:    "not open source (OSI); its §13 reaches the whole service",
	BUSL:    "not open source until its change date",
	Commons: "forbids selling, not open source",
	BSD4:    "the advertising clause is a condition Apache-2.0 redistribution cannot carry",
}

// reviewed are licence files that a person has read because their text
// names more licences than apply to what vigie links, each with the licence
// that does apply, why, and the package whose linking would make the other
// licences apply after all (TestDependencies then fails).
var reviewed = []reviewedFile{
	{"std", "src/crypto/internal/boring/LICENSE", BSD3, "crypto/internal/boring/syso",
		"the file says so in its first lines: the directory's Go files are under Go's licence; BoringSSL's " +
			"OpenSSL, SSLeay (advertising clause) and ISC licences cover only the goboringcrypto .syso objects, " +
			"linked only when building with GOEXPERIMENT=boringcrypto, which vigie does not"},
}

type reviewedFile struct {
	module, file string // file relative to the module's directory
	applies      Kind
	unless       string
	reason       string
}

// TestDependencies lists every module linked into the vigie binaries, the
// standard library included, classifies the licence files of the packages
// linked from each, and fails naming the module and the file when a licence
// is unknown or not in allowed, or a linked package has none. With -v it
// prints the table module -> licence (docs/licences.md).
//
// It asks `go list -deps ./cmd/...` rather than `go version -m` on built
// binaries: the same modules (the packages the linker gets, test-only imports
// excluded) without building, and with each package's directory, so that code
// vendored with its own licence inside a module is checked too. Both build tag
// sets are listed: the Makefile's (gosnmp_nodebug) and none (go install).
func TestDependencies(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mods, err := Linked(ctx, filepath.Join("..", ".."), []string{"gosnmp_nodebug", ""}, "./cmd/...")
	if err != nil {
		t.Fatal(err)
	}
	// Fewer would mean go list missed go.mod's dependencies.
	if len(mods) < 20 {
		t.Fatalf("go list found %d modules linked into ./cmd/..., want the dependencies of go.mod", len(mods))
	}
	r, err := audit(mods)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.problems {
		t.Error(p)
	}
	for _, rf := range reviewed {
		if !r.reviewed[rf.module+" "+rf.file] {
			t.Errorf("reviewed licence file %s of %s is no longer linked: remove it from reviewed", rf.file, rf.module)
		}
	}
	t.Logf("licences of the %d modules linked into the vigie binaries:\n%s", len(mods), r.table)
	var summary []string
	for _, l := range slices.Sorted(maps.Keys(r.counts)) {
		summary = append(summary, fmt.Sprintf("%s: %d", l, r.counts[l]))
	}
	t.Logf("modules by licence: %s", strings.Join(summary, ", "))
}

// TestAuditRefuses runs the same check on testdata/app, a module whose
// command links a GPL module, one whose licence text is unknown, one without
// a licence file and an MIT one, and whose test links another GPL module:
// each fault is reported naming its module and file, the MIT module and the
// test-only dependency are not.
func TestAuditRefuses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	app, err := filepath.Abs(filepath.Join("testdata", "app"))
	if err != nil {
		t.Fatal(err)
	}
	mods, err := Linked(ctx, app, []string{""}, "./cmd/...")
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, m := range mods {
		paths = append(paths, m.Path)
	}
	if want := []string{"example.com/bare", "example.com/gpl", "example.com/mit", "example.com/unknown", "std"}; !slices.Equal(paths, want) {
		t.Errorf("linked modules %v, want %v (not the test-only example.com/testonly)", paths, want)
	}
	r, err := audit(mods)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"module example.com/bare ./bare: package directory " + filepath.Join(app, "bare", "pkg") + " has no licence file",
		"module example.com/gpl ./gpl: " + filepath.Join(app, "gpl", "COPYING") + ": GPL may not be included",
		"module example.com/unknown ./unknown: " + filepath.Join(app, "unknown", "LICENSE") + ": licence text not recognised",
	}
	if len(r.problems) != len(want) {
		t.Errorf("problems:\n%s\nwant %d", strings.Join(r.problems, "\n"), len(want))
	}
	for _, w := range want {
		if !slices.ContainsFunc(r.problems, func(p string) bool { return strings.HasPrefix(p, w) }) {
			t.Errorf("no problem starts with %q; problems:\n%s", w, strings.Join(r.problems, "\n"))
		}
	}
	t.Logf("what the test reports:\n%s", strings.Join(r.problems, "\n"))
	if r.counts["MIT"] != 1 {
		t.Errorf("modules by licence %v, want example.com/mit as MIT", r.counts)
	}
}

// report is what audit found.
type report struct {
	table    string          // module, version, licence, notices, files; one line each
	counts   map[string]int  // modules by licence expression ("Apache-2.0 AND MIT")
	problems []string        // each names the module, the file or package directory, and what to do
	reviewed map[string]bool // the reviewed files met, by module and file
}

// audit classifies the licence files of mods against allowed, refused and
// reviewed.
func audit(mods []Module) (report, error) {
	r := report{counts: map[string]int{}, reviewed: map[string]bool{}}
	var table strings.Builder
	w := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "MODULE\tVERSION\tLICENCE\tNOTICE\tFILES")
	for _, m := range mods {
		for _, d := range m.Unlicensed {
			r.problems = append(r.problems, fmt.Sprintf("module %s %s: package directory %s has no licence file up to %s: "+
				"vigie may not redistribute it; find its licence upstream or drop the dependency", m.Path, m.Version, d, m.Dir))
		}
		var kinds []Kind
		for _, f := range m.Files {
			text, err := os.ReadFile(f)
			if err != nil {
				return r, err
			}
			got := Classify(text)
			if i := slices.IndexFunc(reviewed, func(rf reviewedFile) bool {
				return rf.module == m.Path && filepath.Join(m.Dir, rf.file) == f
			}); i >= 0 {
				rf := reviewed[i]
				r.reviewed[rf.module+" "+rf.file] = true
				if slices.Contains(m.Packages, rf.unless) {
					r.problems = append(r.problems, fmt.Sprintf("module %s %s: %s: package %s is linked, so the licences %v "+
						"of this file apply, not only %s (%s)", m.Path, m.Version, f, rf.unless, got, rf.applies, rf.reason))
				}
				got = []Kind{rf.applies}
			}
			if len(got) == 0 {
				r.problems = append(r.problems, fmt.Sprintf("module %s %s: %s: licence text not recognised: read it, and if "+
					"Apache-2.0 may include it, teach Classify its key phrases (licence.go) and add it to allowed "+
					"(modules_test.go) with the reason", m.Path, m.Version, f))
			}
			for _, k := range got {
				if _, ok := allowed[k]; !ok {
					why := refused[k]
					if why == "" {
						why = "not in the allowlist"
					}
					r.problems = append(r.problems, fmt.Sprintf("module %s %s: %s: %s may not be included in Apache-2.0 "+
						"vigie (%s): drop or replace the dependency", m.Path, m.Version, f, k, why))
				}
				if !slices.Contains(kinds, k) {
					kinds = append(kinds, k)
				}
			}
		}
		slices.Sort(kinds)
		names := make([]string, len(kinds))
		for i, k := range kinds {
			names[i] = string(k)
		}
		expr := strings.Join(names, " AND ")
		if expr == "" {
			expr = "NONE"
		}
		r.counts[expr]++
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", m.Path, m.Version, expr, relNames(m.Notices, m.Dir), relNames(m.Files, m.Dir))
	}
	w.Flush()
	r.table = table.String()
	return r, nil
}

// relNames shows files relative to their module's directory.
func relNames(files []string, dir string) string {
	if len(files) == 0 {
		return "-"
	}
	rel := make([]string, len(files))
	for i, f := range files {
		if r, err := filepath.Rel(dir, f); err == nil {
			f = r
		}
		rel[i] = f
	}
	return strings.Join(rel, ",")
}

// TestAllowlistReasons keeps the allowlist and the refusals honest: every
// licence the classifier knows is either allowed or refused, never both, and
// each with its reason.
func TestAllowlistReasons(t *testing.T) {
	kinds := []Kind{BSD2, BSD3, BSD4, ISC, ZeroBSD}
	for _, r := range rules {
		kinds = append(kinds, r.kind)
	}
	for _, k := range kinds {
		a, isAllowed := allowed[k]
		r, isRefused := refused[k]
		switch {
		case isAllowed && isRefused:
			t.Errorf("%s is both allowed and refused", k)
		case !isAllowed && !isRefused:
			t.Errorf("%s is neither allowed nor refused: say which, and why", k)
		case isAllowed && a == "", isRefused && r == "":
			t.Errorf("%s has no reason", k)
		}
	}
}
