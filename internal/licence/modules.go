package licence

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Module is one module linked into a binary, with the licence files that
// cover the packages linked from it.
type Module struct {
	Path    string // "std" for Go's standard library
	Version string
	Dir     string // where its source is, in the module cache or GOROOT
	// Packages are the import paths of the packages linked from it.
	Packages []string
	// Files are the licence files nearest to each linked package, walking up
	// from the package's directory to the module's: a package may carry its
	// own (code vendored from elsewhere). Empty when a package has none.
	Files []string
	// Unlicensed lists the linked packages that have no licence file between
	// their directory and the module's.
	Unlicensed []string
	// Notices are the module's NOTICE files, which Apache-2.0 §4(d) asks a
	// binary distribution to carry.
	Notices []string
}

// Linked lists the modules that the packages pkgs (e.g. "./cmd/...") link,
// the standard library included and the main module excluded, as
// `go list -deps` sees them from the module in dir with each of the build tag
// sets given. Test-only dependencies are not linked and not listed.
//
// It runs the go command with GOPROXY=off: it reads the module cache that the
// build filled and never reaches the network.
func Linked(ctx context.Context, dir string, tagSets []string, pkgs ...string) ([]Module, error) {
	goroot, err := goCmd(ctx, dir, "env", "GOROOT")
	if err != nil {
		return nil, err
	}
	goVersion, err := goCmd(ctx, dir, "env", "GOVERSION")
	if err != nil {
		return nil, err
	}
	std := &Module{Path: "std", Version: strings.TrimSpace(string(goVersion)), Dir: strings.TrimSpace(string(goroot))}
	mods := map[string]*Module{std.Path: std}
	pkgDirs := map[string]map[string]bool{} // module path -> linked package directories
	for _, tags := range tagSets {
		out, err := goCmd(ctx, dir, append([]string{"list", "-deps", "-tags", tags, "-json=ImportPath,Dir,Standard,Module"}, pkgs...)...)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p struct {
				ImportPath, Dir string
				Standard        bool
				Module          *struct {
					Path, Version, Dir string
					Main               bool
					Replace            *struct{ Path, Version, Dir string }
				}
			}
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return nil, fmt.Errorf("go list -deps %s: %w", strings.Join(pkgs, " "), err)
			}
			var m *Module
			switch {
			case p.Standard:
				m = std
			case p.Module == nil:
				return nil, fmt.Errorf("go list: package %s belongs to no module", p.ImportPath)
			case p.Module.Main:
				continue
			default:
				mp := p.Module
				if m = mods[mp.Path]; m == nil {
					m = &Module{Path: mp.Path, Version: mp.Version, Dir: mp.Dir}
					if r := mp.Replace; r != nil {
						// The replacement's source is what gets linked.
						m.Version = strings.TrimSpace(r.Path + " " + r.Version)
						m.Dir = r.Dir
					}
					mods[mp.Path] = m
				}
			}
			if m.Dir == "" || p.Dir == "" {
				return nil, fmt.Errorf("go list: package %s of module %s has no source directory: run `go mod download` or build once with network access", p.ImportPath, m.Path)
			}
			if pkgDirs[m.Path] == nil {
				pkgDirs[m.Path] = map[string]bool{}
			}
			if !pkgDirs[m.Path][p.Dir] {
				pkgDirs[m.Path][p.Dir] = true
				m.Packages = append(m.Packages, p.ImportPath)
			}
		}
	}
	var list []Module
	for path, m := range mods {
		files := map[string]bool{}
		for d := range pkgDirs[path] {
			found, err := Files(d, m.Dir)
			if err != nil {
				return nil, err
			}
			if len(found) == 0 {
				m.Unlicensed = append(m.Unlicensed, d)
			}
			for _, f := range found {
				files[f] = true
			}
		}
		for f := range files {
			m.Files = append(m.Files, f)
		}
		slices.Sort(m.Files)
		slices.Sort(m.Unlicensed)
		slices.Sort(m.Packages)
		if m.Notices, err = notices(m.Dir); err != nil {
			return nil, err
		}
		list = append(list, *m)
	}
	slices.SortFunc(list, func(a, b Module) int { return strings.Compare(a.Path, b.Path) })
	return list, nil
}

// goCmd runs the go command in dir, offline, and returns its standard output;
// its error carries the go command's own message.
func goCmd(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	// GOWORK=off: the module's own go.mod says what is linked.
	cmd.Env = append(os.Environ(), "GOPROXY=off", "GOWORK=off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		abs, _ := filepath.Abs(dir)
		return nil, fmt.Errorf("go %s (in %s, with GOPROXY=off): %w; the module cache must hold every dependency "+
			"(build ./cmd/... first, or go mod download); the go command said:\n%s",
			strings.Join(args, " "), abs, err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// Files returns the licence files of the directory nearest to dir, walking
// up to root (dir itself included) until one holds any: LICENSE, LICENCE,
// COPYING, UNLICENSE in any case, with any suffix (LICENSE.md, LICENSE.txt,
// LICENSE.libyaml, COPYING.LESSER ...). None when no directory up to root
// has one, or when dir is not under root.
func Files(dir, root string) ([]string, error) {
	dir, root = filepath.Clean(dir), filepath.Clean(root)
	if dir != root && !strings.HasPrefix(dir, root+string(filepath.Separator)) {
		return nil, nil
	}
	for {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, fmt.Errorf("licence files of %s: %w", dir, err)
		}
		var found []string
		for _, e := range entries {
			if e.Type().IsRegular() && isLicenceName(e.Name()) {
				found = append(found, filepath.Join(dir, e.Name()))
			}
		}
		if len(found) > 0 {
			return found, nil
		}
		if dir == root {
			return nil, nil
		}
		dir = filepath.Dir(dir)
	}
}

func isLicenceName(name string) bool {
	n := strings.ToLower(name)
	if strings.HasSuffix(n, ".go") {
		return false
	}
	for _, p := range []string{"license", "licence", "copying", "unlicense"} {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// notices returns the NOTICE files at the root of a module.
func notices(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("notice files of %s: %w", dir, err)
	}
	var found []string
	for _, e := range entries {
		if e.Type().IsRegular() && strings.HasPrefix(strings.ToLower(e.Name()), "notice") {
			found = append(found, filepath.Join(dir, e.Name()))
		}
	}
	return found, nil
}
