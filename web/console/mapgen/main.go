// Command mapgen writes the console's base map, web/console/assets/france.json,
// from two open data sets (gen.sh fetches them and runs it):
//
//   - the departments and regions of mainland France and of the five
//     overseas departments, from gregoiredavid/france-geojson (IGN ADMIN
//     EXPRESS COG 2018 and INSEE codes, Licence Ouverte / Open Licence);
//   - the overseas collectivities (Saint-Pierre-et-Miquelon,
//     Saint-Barthélemy, Saint-Martin, Wallis-et-Futuna, Polynésie française,
//     Nouvelle-Calédonie), which that set leaves out, from the npm package
//     world-atlas 2.0.2 (Natural Earth 1:10m, public domain; packaging ISC).
//
// Rings are simplified (Douglas-Peucker), quantised to a thousandth of a
// degree (about 100 m) and delta-encoded, so that the embedded file stays
// small; the sources' SHA-256 are written into the output, and the
// console's tests check them against the versions pinned here.
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
)

// The pinned sources: a different file is a different map, to review.
var pinned = map[string]string{
	"departements-avec-outre-mer.geojson": "0c331e85eef244d8014f68a4c256bb732e28776aceec53ddf849624f2eb6c163",
	"regions-avec-outre-mer.geojson":      "a573b672264184d11a2f98220867653b092fe3a964433e30e3a0a4708d72d167",
	"countries-10m.json":                  "3bc6f1d367a9bcec479841bae0e76092f512838411d0cef124e92eec4db45f79",
}

// Quantum is the number of coordinate units per degree in the output.
const Quantum = 1000

// collectivities are the overseas collectivities taken from world-atlas:
// its ISO 3166 numeric id, then the INSEE code and name the console shows.
var collectivities = []struct{ iso, code, name string }{
	{"666", "975", "Saint-Pierre-et-Miquelon"},
	{"652", "977", "Saint-Barthélemy"},
	{"663", "978", "Saint-Martin"},
	{"876", "986", "Wallis-et-Futuna"},
	{"258", "987", "Polynésie française"},
	{"540", "988", "Nouvelle-Calédonie"},
}

// Shape is one department, region or collectivity: its INSEE code, name
// and rings, each [x0, y0, dx1, dy1, ...] in 1/Quantum degrees (x is the
// longitude).
type Shape struct {
	Code  string  `json:"code"`
	Name  string  `json:"name"`
	Rings [][]int `json:"rings"`
}

// Map is the output file.
type Map struct {
	Source         string            `json:"source"`
	SHA256         map[string]string `json:"sha256"`
	Quantum        int               `json:"quantum"`
	Departments    []Shape           `json:"departments"`
	Regions        []Shape           `json:"regions"`
	Collectivities []Shape           `json:"collectivities"`
}

const source = "Departments and regions: gregoiredavid/france-geojson 5d34ee6 (IGN ADMIN EXPRESS COG 2018, INSEE; Licence Ouverte / Open Licence). Overseas collectivities: world-atlas 2.0.2 countries-10m (Natural Earth, public domain). Simplified and quantised by web/console/mapgen."

func main() {
	france := flag.String("france", "", "directory holding france-geojson's departements-avec-outre-mer.geojson and regions-avec-outre-mer.geojson")
	atlas := flag.String("atlas", "", "directory holding world-atlas's countries-10m.json")
	out := flag.String("o", "web/console/assets/france.json", "output file")
	flag.Parse()
	if *france == "" || *atlas == "" {
		fmt.Fprintln(os.Stderr, "mapgen: give -france DIR and -atlas DIR (sh web/console/mapgen/gen.sh fetches both)")
		os.Exit(2)
	}
	m, err := build(*france, *atlas, pinned)
	if err == nil {
		err = write(*out, m)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mapgen:", err)
		os.Exit(1)
	}
}

// read reads a source file and checks it is the version pins names
// (none: any).
func read(dir, name string, pins map[string]string) ([]byte, string, error) {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(b)
	h := hex.EncodeToString(sum[:])
	if want := pins[name]; want != "" && want != h {
		return nil, "", fmt.Errorf("%s: SHA-256 %s, not the pinned %s: a new source version? Review it, then update pinned in mapgen", name, h, want)
	}
	return b, h, nil
}

func build(franceDir, atlasDir string, pins map[string]string) (*Map, error) {
	m := &Map{Source: source, SHA256: map[string]string{}, Quantum: Quantum}
	for _, f := range []struct {
		name string
		dst  *[]Shape
		tol  float64
	}{
		{"departements-avec-outre-mer.geojson", &m.Departments, 0.012},
		{"regions-avec-outre-mer.geojson", &m.Regions, 0.012},
	} {
		b, h, err := read(franceDir, f.name, pins)
		if err != nil {
			return nil, err
		}
		m.SHA256[f.name] = h
		shapes, err := fromGeoJSON(b, f.tol)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = shapes
	}
	b, h, err := read(atlasDir, "countries-10m.json", pins)
	if err != nil {
		return nil, err
	}
	m.SHA256["countries-10m.json"] = h
	if m.Collectivities, err = fromTopoJSON(b, 0.004); err != nil {
		return nil, fmt.Errorf("countries-10m.json: %w", err)
	}
	return m, nil
}

func write(path string, m *Map) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

type point [2]float64

// fromGeoJSON reads a FeatureCollection of (Multi)Polygons with code and
// nom properties.
func fromGeoJSON(b []byte, tol float64) ([]Shape, error) {
	var fc struct {
		Features []struct {
			Properties struct{ Code, Nom string }
			Geometry   struct {
				Type        string
				Coordinates json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, err
	}
	var out []Shape
	for _, f := range fc.Features {
		var polys [][][]point
		switch f.Geometry.Type {
		case "Polygon":
			var p [][]point
			if err := json.Unmarshal(f.Geometry.Coordinates, &p); err != nil {
				return nil, fmt.Errorf("feature %s: %w", f.Properties.Code, err)
			}
			polys = [][][]point{p}
		case "MultiPolygon":
			if err := json.Unmarshal(f.Geometry.Coordinates, &polys); err != nil {
				return nil, fmt.Errorf("feature %s: %w", f.Properties.Code, err)
			}
		default:
			return nil, fmt.Errorf("feature %s: geometry %q, want Polygon or MultiPolygon", f.Properties.Code, f.Geometry.Type)
		}
		var rings [][]point
		for _, p := range polys {
			if len(p) > 0 {
				rings = append(rings, p[0]) // outer rings: holes are not drawn
			}
		}
		out = append(out, shape(f.Properties.Code, f.Properties.Nom, rings, tol))
	}
	slices.SortFunc(out, func(a, b Shape) int { return cmpString(a.Code, b.Code) })
	return out, nil
}

// fromTopoJSON reads the collectivities out of world-atlas's countries
// object: quantised, delta-encoded arcs shared by the polygons.
func fromTopoJSON(b []byte, tol float64) ([]Shape, error) {
	var topo struct {
		Transform struct{ Scale, Translate [2]float64 }
		Arcs      [][][2]int
		Objects   struct {
			Countries struct {
				Geometries []struct {
					ID   string
					Type string
					Arcs json.RawMessage
				}
			}
		}
	}
	if err := json.Unmarshal(b, &topo); err != nil {
		return nil, err
	}
	arc := func(i int) []point {
		rev := i < 0
		if rev {
			i = ^i
		}
		var x, y int
		pts := make([]point, 0, len(topo.Arcs[i]))
		for _, d := range topo.Arcs[i] {
			x += d[0]
			y += d[1]
			pts = append(pts, point{float64(x)*topo.Transform.Scale[0] + topo.Transform.Translate[0],
				float64(y)*topo.Transform.Scale[1] + topo.Transform.Translate[1]})
		}
		if rev {
			slices.Reverse(pts)
		}
		return pts
	}
	ring := func(idx []int) []point {
		var r []point
		for k, i := range idx {
			a := arc(i)
			if k > 0 && len(a) > 0 {
				a = a[1:] // arcs share their end points
			}
			r = append(r, a...)
		}
		return r
	}
	var out []Shape
	for _, c := range collectivities {
		found := false
		for _, g := range topo.Objects.Countries.Geometries {
			if g.ID != c.iso {
				continue
			}
			found = true
			var polys [][][]int
			switch g.Type {
			case "Polygon":
				var p [][]int
				if err := json.Unmarshal(g.Arcs, &p); err != nil {
					return nil, err
				}
				polys = [][][]int{p}
			case "MultiPolygon":
				if err := json.Unmarshal(g.Arcs, &polys); err != nil {
					return nil, err
				}
			}
			var rings [][]point
			for _, p := range polys {
				if len(p) > 0 {
					rings = append(rings, ring(p[0]))
				}
			}
			out = append(out, shape(c.code, c.name, rings, tol))
		}
		if !found {
			return nil, fmt.Errorf("no country with id %s (%s)", c.iso, c.name)
		}
	}
	return out, nil
}

// shape simplifies, quantises and delta-encodes rings. A ring that
// simplification reduces to less than a triangle is dropped, except the
// shape's largest, so that every island territory keeps an outline.
func shape(code, name string, rings [][]point, tol float64) Shape {
	s := Shape{Code: code, Name: name}
	largest, best := -1, -1.0
	for i, r := range rings {
		if a := math.Abs(area(r)); a > best {
			largest, best = i, a
		}
	}
	for i, r := range rings {
		q := quantise(simplify(r, tol))
		if len(q) < 4 && i != largest {
			continue
		}
		if len(q) < 4 {
			q = quantise(r)
		}
		s.Rings = append(s.Rings, encode(q))
	}
	return s
}

func area(r []point) float64 {
	a := 0.0
	for i := range r {
		j := (i + 1) % len(r)
		a += r[i][0]*r[j][1] - r[j][0]*r[i][1]
	}
	return a / 2
}

// simplify is Douglas-Peucker with tolerance tol (degrees), iterative so
// that a long coast cannot exhaust the stack.
func simplify(r []point, tol float64) []point {
	if len(r) < 3 {
		return r
	}
	keep := make([]bool, len(r))
	keep[0], keep[len(r)-1] = true, true
	type span struct{ a, b int }
	stack := []span{{0, len(r) - 1}}
	// A closed ring's ends coincide: split it at its farthest point first.
	if r[0] == r[len(r)-1] {
		far, d := 0, -1.0
		for i := 1; i < len(r)-1; i++ {
			if dd := dist2(r[i], r[0]); dd > d {
				far, d = i, dd
			}
		}
		keep[far] = true
		stack = []span{{0, far}, {far, len(r) - 1}}
	}
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		far, d := -1, tol*tol
		for i := s.a + 1; i < s.b; i++ {
			if dd := segDist2(r[i], r[s.a], r[s.b]); dd > d {
				far, d = i, dd
			}
		}
		if far >= 0 {
			keep[far] = true
			stack = append(stack, span{s.a, far}, span{far, s.b})
		}
	}
	var out []point
	for i, k := range keep {
		if k {
			out = append(out, r[i])
		}
	}
	return out
}

func dist2(a, b point) float64 {
	dx, dy := a[0]-b[0], a[1]-b[1]
	return dx*dx + dy*dy
}

func segDist2(p, a, b point) float64 {
	l := dist2(a, b)
	if l == 0 {
		return dist2(p, a)
	}
	t := ((p[0]-a[0])*(b[0]-a[0]) + (p[1]-a[1])*(b[1]-a[1])) / l
	t = max(0, min(1, t))
	return dist2(p, point{a[0] + t*(b[0]-a[0]), a[1] + t*(b[1]-a[1])})
}

// quantise rounds to 1/Quantum degrees and drops repeated points.
func quantise(r []point) [][2]int {
	var out [][2]int
	for _, p := range r {
		q := [2]int{int(math.Round(p[0] * Quantum)), int(math.Round(p[1] * Quantum))}
		if len(out) > 0 && out[len(out)-1] == q {
			continue
		}
		out = append(out, q)
	}
	return out
}

func encode(q [][2]int) []int {
	out := make([]int, 0, 2*len(q))
	var px, py int
	for i, p := range q {
		if i == 0 {
			out = append(out, p[0], p[1])
		} else {
			out = append(out, p[0]-px, p[1]-py)
		}
		px, py = p[0], p[1]
	}
	return out
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
