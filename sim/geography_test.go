package sim

import (
	"math"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/sim/places"
)

// TestGeneratePlaces: every site of the full RIE lies in a real commune of
// a department of its region, near that department's prefecture, with a
// ministry, a contact reference and, per access, an operator of its side of
// the world and a circuit; PoPs and datacentres have an address. The
// overseas regions all get sites with their own departments and operators.
func TestGeneratePlaces(t *testing.T) {
	inv := Generate(GenerateOptions{Seed: 7})
	deps := map[string]*places.Department{}
	for _, d := range places.Departments() {
		deps[d.Code] = &d
	}
	circuitRE := regexp.MustCompile(`^[A-Z]+-[0-9AB]{2,3}-[0-9]{6,10}$`)
	overseasOperator := map[string]bool{}
	for _, cs := range overseasFixed {
		for _, c := range cs {
			overseasOperator[c.name] = true
		}
	}
	byRegion := map[string]int{}
	for i := range inv.Sites {
		s := &inv.Sites[i]
		d := deps[s.Department]
		if d == nil || d.Region != s.Region {
			t.Fatalf("site %s in region %s: department %q is not one of the region's", s.ID, s.Region, s.Department)
		}
		byRegion[s.Region]++
		found := false
		for _, c := range d.Communes {
			if c.Name == s.Commune && strings.HasSuffix(s.Address, c.PostalCode+" "+c.Name) {
				found = true
			}
		}
		if !found {
			t.Errorf("site %s: commune %q, address %q: not a commune of %s with its postal code", s.ID, s.Commune, s.Address, d.Code)
		}
		if !s.HasCoords || math.Abs(s.Lat-d.Lat) > 0.26 || math.Abs(s.Lon-d.Lon) > 0.36 {
			t.Errorf("site %s at %v,%v: want within 0.25 degrees of %s's prefecture %v,%v", s.ID, s.Lat, s.Lon, d.Code, d.Lat, d.Lon)
		}
		if s.Ministry == "" || s.Contact != "GLPI-"+d.Code+"-"+strings.ToUpper(s.Ministry) {
			t.Errorf("site %s (%s): ministry %q, contact %q", s.ID, s.Name, s.Ministry, s.Contact)
		}
		for j, a := range s.Access {
			if a.Operator == "" || !circuitRE.MatchString(a.Circuit) || overseasOperator[a.Operator] != s.Overseas &&
				a.Operator != "Orange" { // Orange sells on both sides
				t.Errorf("site %s access %d (overseas %v): operator %q, circuit %q", s.ID, j, s.Overseas, a.Operator, a.Circuit)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
	for _, r := range regionSpecs {
		if byRegion[r.id] == 0 {
			t.Errorf("region %s has no site", r.id)
		}
	}
	for _, p := range inv.PoPs {
		if p.Address == "" {
			t.Errorf("PoP %s has no address", p.ID)
		}
	}
	if lyon := inv.PoP("pop-bb-lyon"); lyon == nil || !strings.HasSuffix(lyon.Address, " Lyon") {
		t.Errorf("pop-bb-lyon: %+v, want an address in Lyon", lyon)
	}
	for _, dc := range inv.Datacentres {
		if dc.Address == "" {
			t.Errorf("datacentre %s has no address", dc.ID)
		}
	}
}

// TestPlacesKeepTopology: the geography draws from its own random stream,
// so the topology a seed gives does not depend on it: clearing the fields
// it fills gives the inventory generated without it.
func TestPlacesKeepTopology(t *testing.T) {
	opts := GenerateOptions{Seed: 5, Sites: 300}
	with, without := Generate(opts), generate(opts, false)
	for i := range with.Sites {
		s := &with.Sites[i]
		s.Address, s.Commune, s.Department, s.Ministry, s.Contact = "", "", "", "", ""
		s.Lat, s.Lon, s.HasCoords = 0, 0, false
		for j := range s.Access {
			s.Access[j].Operator, s.Access[j].Circuit = "", ""
		}
	}
	for i := range with.PoPs {
		with.PoPs[i].Address = ""
	}
	for i := range with.Datacentres {
		with.Datacentres[i].Address = ""
	}
	if !reflect.DeepEqual(with, without) {
		t.Error("the inventory generated with places, places cleared, differs from the one generated without")
	}
}
