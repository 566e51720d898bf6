// Package places holds the real French geography the simulator draws its
// sites' addresses from: every department (and the overseas collectivities
// the RIE reaches) with its most populous communes, from INSEE's Code
// officiel géographique as Etalab packages it (communes.tsv, made by
// gen.sh; Licence Ouverte 2.0), and the approximate position of each
// department's prefecture, kept by hand (prefectures.tsv).
package places

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"
)

//go:embed communes.tsv
var communesTSV string

//go:embed prefectures.tsv
var prefecturesTSV string

// Commune is one commune of a department.
type Commune struct {
	// Code is the INSEE code ("69123"), Name the official name.
	Code, Name string
	// PostalCode is its first postal code.
	PostalCode string
	Population int
}

// Department is a department or overseas collectivity.
type Department struct {
	// Code is the INSEE code: "69", "2A", "971", "988".
	Code, Name string
	// Region is the vigie-sim region id the department belongs to ("ara").
	Region string
	// Prefecture is the name of the prefecture's commune, and Lat, Lon its
	// approximate WGS84 position (3 decimals).
	Prefecture string
	Lat, Lon   float64
	// Communes are the most populous communes, most populous first.
	Communes []Commune
	// Population is the sum of the Communes' populations.
	Population int
}

// Departments returns every department, in prefectures.tsv's order (by
// INSEE code), each with at least one commune. The slice is shared: do
// not modify it.
func Departments() []Department { return loaded() }

var loaded = sync.OnceValue(func() []Department {
	deps, err := parse(prefecturesTSV, communesTSV)
	if err != nil {
		// The files are embedded and checked by the package's tests.
		panic(err)
	}
	return deps
})

// rows returns the fields of each non-comment line of a TSV file, with
// its line number, checking that each has n fields.
func rows(name, text string, n int, each func(line int, f []string) error) error {
	for i, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != n {
			return fmt.Errorf("places: %s:%d: %d fields, want %d", name, i+1, len(f), n)
		}
		if err := each(i+1, f); err != nil {
			return fmt.Errorf("places: %s:%d: %w", name, i+1, err)
		}
	}
	return nil
}

func parse(prefectures, communes string) ([]Department, error) {
	var deps []Department
	at := map[string]int{}
	err := rows("prefectures.tsv", prefectures, 5, func(_ int, f []string) error {
		lat, err1 := strconv.ParseFloat(f[2], 64)
		lon, err2 := strconv.ParseFloat(f[3], 64)
		if err1 != nil || err2 != nil || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
			return fmt.Errorf("department %s: bad position %q %q", f[0], f[2], f[3])
		}
		if _, dup := at[f[0]]; dup {
			return fmt.Errorf("department %s listed twice", f[0])
		}
		at[f[0]] = len(deps)
		deps = append(deps, Department{Code: f[0], Region: f[1], Lat: lat, Lon: lon, Prefecture: f[4]})
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = rows("communes.tsv", communes, 6, func(_ int, f []string) error {
		k, ok := at[f[0]]
		if !ok {
			return fmt.Errorf("department %s is not in prefectures.tsv", f[0])
		}
		pop, err := strconv.Atoi(f[5])
		if err != nil || pop < 0 {
			return fmt.Errorf("commune %s: bad population %q", f[2], f[5])
		}
		d := &deps[k]
		d.Name = f[1]
		d.Communes = append(d.Communes, Commune{Code: f[2], Name: f[3], PostalCode: f[4], Population: pop})
		d.Population += pop
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		if len(d.Communes) == 0 {
			return nil, fmt.Errorf("places: department %s has no commune in communes.tsv: run gen.sh", d.Code)
		}
	}
	return deps, nil
}
