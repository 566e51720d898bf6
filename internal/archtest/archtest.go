// Package archtest checks the shape of vigie's packages that a compiler
// does not: the import arrows follow the one-way flow
// inventory -> collector/snmp -> collector -> topology -> exposition -> web,
// and every component takes its settings, logger and registry the same way
// (Options with DefaultOptions, Options.Logger, Options.Registerer). Its
// test runs Check on the module; Check reads the source with go/parser, so
// that its own test can run it on small trees in testdata that break each
// rule.
package archtest

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// flow lists the packages of the data flow, upstream first: a package of
// the flow (or one below it, like topology/store) may import only packages
// of its own step or of steps before it, and internal packages.
var flow = []string{"inventory", "collector/snmp", "collector", "topology", "exposition", "web"}

// flowText is the flow as the violations show it.
var flowText = strings.Join(flow, " -> ")

// forbidden are the arrows the flow alone would allow but vigie does not:
// a package at (or under) from may not import to (or a package under it).
var forbidden = []struct{ from, to, why string }{
	{"collector/bgp", "collector/snmp", "the BGP monitor and the SNMP poller are independent sources; what joins them (Reconcile's input) is built by the daemon"},
	{"daemon", "sim", "the daemon runs against real devices; the simulator is wired in by package demo"},
	{"daemon", "observe", "the daemon takes a Source of polls; the NATS consumer is wired in by cmd/vigie"},
	{"topology", "observe", "the topology is fed polls the same way from one box or from collectors; it knows nothing of NATS"},
	{"exposition", "observe", "the exposition renders polls the same way from one box or from collectors"},
	{"observe", "topology", "observations carry what collectors see (polls), upstream of the topology the central builds"},
	{"observe", "daemon", "the daemon takes the consumer as a Source; observe stays a leaf that cmd/vigie wires in"},
	{"discover", "topology", "a crawl reads devices with the SNMP poller and compares them with the inventory; it needs no live model"},
	{"discover", "sim", "discover runs against real devices; tests serve it the simulator through internal/simtest"},
}

// Violation is one broken rule, at a place in the source.
type Violation struct {
	Pos token.Position // file relative to the checked root, and line
	Msg string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s:%d: %s", filepath.ToSlash(v.Pos.Filename), v.Pos.Line, v.Msg)
}

// pkg is what Check needs of one package: its non-test files only, as the
// rules are about the code that ships.
type pkg struct {
	rel     string // path relative to the module root, "." for the root
	name    string
	files   []*ast.File
	helper  bool // a test helper: imports "testing", or named *test
	imports []imp
}

type imp struct {
	rel string // in-module import, relative to the module root
	pos token.Position
}

// Check reads the Go module at root (its go.mod names the module path) and
// returns every violation, sorted by file and line. Directories named
// testdata, vendor or starting with "." or "_" are skipped, as the go tool
// does, and so are _test.go files.
func Check(root string) ([]Violation, error) {
	module, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	pkgs, err := load(fset, root, module)
	if err != nil {
		return nil, err
	}
	byRel := make(map[string]*pkg, len(pkgs))
	for _, p := range pkgs {
		byRel[p.rel] = p
	}
	var vs []Violation
	for _, p := range pkgs {
		vs = append(vs, checkImports(p, byRel)...)
		if p.name != "main" && !p.helper {
			vs = append(vs, checkOptions(fset, p)...)
		}
	}
	slices.SortFunc(vs, func(a, b Violation) int {
		if c := strings.Compare(a.Pos.Filename, b.Pos.Filename); c != 0 {
			return c
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return strings.Compare(a.Msg, b.Msg)
	})
	return vs, nil
}

func modulePath(root string) (string, error) {
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", fmt.Errorf("archtest: %w: run the check at a module's root", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", fmt.Errorf("archtest: %s: %w", f.Name(), err)
	}
	return "", fmt.Errorf("archtest: %s has no module line", f.Name())
}

// load parses the non-test files of every package under root.
func load(fset *token.FileSet, root, module string) ([]*pkg, error) {
	var pkgs []*pkg
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		if path != root {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		p, err := loadDir(fset, root, path, module)
		if err != nil {
			return err
		}
		if p != nil {
			pkgs = append(pkgs, p)
		}
		return nil
	})
	return pkgs, err
}

func loadDir(fset *token.FileSet, root, dir, module string) (*pkg, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(root, dir)
	if err != nil {
		return nil, err
	}
	p := &pkg{rel: filepath.ToSlash(rel)}
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		// Parsed under its name relative to root, so that violations
		// read the same wherever the module is checked out.
		src, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, filepath.Join(rel, n), src, parser.SkipObjectResolution)
		if err != nil {
			return nil, fmt.Errorf("archtest: %w", err)
		}
		p.name = f.Name.Name
		p.files = append(p.files, f)
		for _, is := range f.Imports {
			path, _ := strconv.Unquote(is.Path.Value)
			if path == "testing" {
				p.helper = true
			}
			if r, ok := strings.CutPrefix(path, module+"/"); ok {
				p.imports = append(p.imports, imp{rel: r, pos: fset.Position(is.Pos())})
			}
		}
	}
	if len(p.files) == 0 {
		return nil, nil
	}
	if strings.HasSuffix(p.name, "test") && p.name != "archtest" {
		p.helper = true
	}
	return p, nil
}

// under says whether rel is dir or a package below it.
func under(rel, dir string) bool {
	return rel == dir || strings.HasPrefix(rel, dir+"/")
}

// step is the index in flow of the step rel belongs to (the longest match:
// collector/snmp is not collector), or -1 outside the flow.
func step(rel string) int {
	best, bestLen := -1, 0
	for i, f := range flow {
		if under(rel, f) && len(f) > bestLen {
			best, bestLen = i, len(f)
		}
	}
	return best
}

func checkImports(p *pkg, byRel map[string]*pkg) []Violation {
	var vs []Violation
	from := step(p.rel)
	for _, im := range p.imports {
		to := byRel[im.rel]
		if to != nil && to.helper && !p.helper {
			vs = append(vs, Violation{im.pos, fmt.Sprintf("%s imports the test helper %s: production code may not depend on test helpers (they import \"testing\" or are named *test); move what it needs into a production package", p.rel, im.rel)})
			continue
		}
		for _, f := range forbidden {
			if under(p.rel, f.from) && under(im.rel, f.to) {
				vs = append(vs, Violation{im.pos, fmt.Sprintf("%s imports %s: %s", p.rel, im.rel, f.why)})
			}
		}
		if from < 0 || under(im.rel, "internal") {
			continue
		}
		switch s := step(im.rel); {
		case s < 0:
			vs = append(vs, Violation{im.pos, fmt.Sprintf("%s imports %s, which is not in the flow %s: a package of the flow depends only on the flow and internal packages", p.rel, im.rel, flowText)})
		case s > from:
			vs = append(vs, Violation{im.pos, fmt.Sprintf("%s imports %s, against the flow %s: move what both need upstream, or hand it down through an Options callback", p.rel, im.rel, flowText)})
		}
	}
	return vs
}

// checkOptions checks that no exported function takes a logger or a
// registry as a parameter, and that an Options type comes with
// DefaultOptions and setDefaults.
func checkOptions(fset *token.FileSet, p *pkg) []Violation {
	var vs []Violation
	var optionsAt token.Pos
	hasDefault, hasSet := false, false
	for _, f := range p.files {
		imports := importNames(f)
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					if ts, ok := s.(*ast.TypeSpec); ok && ts.Name.Name == "Options" {
						optionsAt = ts.Pos()
					}
				}
			case *ast.FuncDecl:
				if d.Recv != nil {
					if d.Name.Name == "setDefaults" && isPtrTo(d.Recv.List[0].Type, "Options") {
						hasSet = true
					}
					continue
				}
				if d.Name.Name == "DefaultOptions" && d.Type.Params.NumFields() == 0 &&
					d.Type.Results.NumFields() == 1 && isIdent(d.Type.Results.List[0].Type, "Options") {
					hasDefault = true
				}
				if !d.Name.IsExported() {
					continue
				}
				for _, field := range d.Type.Params.List {
					if what := plumbing(field.Type, imports); what != "" {
						vs = append(vs, Violation{fset.Position(field.Pos()), fmt.Sprintf("%s.%s takes a %s parameter: pass it as the Options field %s instead (nil: %s)",
							p.name, d.Name.Name, typeString(field.Type), what, map[string]string{"Logger": "discard", "Registerer": "not registered"}[what])})
					}
				}
			}
		}
	}
	if optionsAt.IsValid() {
		pos := fset.Position(optionsAt)
		if !hasDefault {
			vs = append(vs, Violation{pos, fmt.Sprintf("%s.Options has no func DefaultOptions() Options: add it, returning and documenting the production defaults", p.name)})
		}
		if !hasSet {
			vs = append(vs, Violation{pos, fmt.Sprintf("%s.Options has no method (o *Options) setDefaults(): add it, filling only the zero fields from DefaultOptions, and call it first in the constructor", p.name)})
		}
	}
	return vs
}

// importNames maps the names a file uses for its imports to their paths.
func importNames(f *ast.File) map[string]string {
	m := map[string]string{}
	for _, is := range f.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		name := path[strings.LastIndex(path, "/")+1:]
		if is.Name != nil {
			name = is.Name.Name
		}
		m[name] = path
	}
	return m
}

// plumbing names the Options field that should carry a parameter of type
// t: "Logger" for *slog.Logger, "Registerer" for prometheus.Registerer or
// *prometheus.Registry; "" for any other type.
func plumbing(t ast.Expr, imports map[string]string) string {
	star := false
	if s, ok := t.(*ast.StarExpr); ok {
		t, star = s.X, true
	}
	sel, ok := t.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	x, ok := sel.X.(*ast.Ident)
	if !ok {
		return ""
	}
	switch path := imports[x.Name]; {
	case path == "log/slog" && sel.Sel.Name == "Logger" && star:
		return "Logger"
	case path == "github.com/prometheus/client_golang/prometheus" &&
		(sel.Sel.Name == "Registerer" && !star || sel.Sel.Name == "Registry" && star):
		return "Registerer"
	}
	return ""
}

func typeString(t ast.Expr) string {
	switch t := t.(type) {
	case *ast.StarExpr:
		return "*" + typeString(t.X)
	case *ast.SelectorExpr:
		return typeString(t.X) + "." + t.Sel.Name
	case *ast.Ident:
		return t.Name
	}
	return "?"
}

func isIdent(t ast.Expr, name string) bool {
	id, ok := t.(*ast.Ident)
	return ok && id.Name == name
}

func isPtrTo(t ast.Expr, name string) bool {
	s, ok := t.(*ast.StarExpr)
	return ok && isIdent(s.X, name)
}
