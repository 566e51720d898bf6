package exposition

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"

	"github.com/vigie-rie/vigie/collector/snmp"
	"github.com/vigie-rie/vigie/inventory"
)

// labelSets parses a text exposition and returns family's label sets.
func labelSets(t *testing.T, text []byte, family string) []map[string]string {
	t.Helper()
	parser := expfmt.NewTextParser(pmodel.UTF8Validation)
	mfs, err := parser.TextToMetricFamilies(bytes.NewReader(text))
	if err != nil {
		t.Fatalf("the output does not parse: %v\n%s", err, text)
	}
	var out []map[string]string
	if mf := mfs[family]; mf != nil {
		for _, m := range mf.GetMetric() {
			ls := map[string]string{}
			for _, l := range m.GetLabel() {
				ls[l.GetName()] = l.GetValue()
			}
			if m.GetGauge().GetValue() != 1 {
				t.Errorf("%s%v = %v, want 1", family, ls, m.GetGauge().GetValue())
			}
			out = append(out, ls)
		}
	}
	return out
}

// TestPlacesText: the place families, byte for byte as
// testdata/places-<case>.txt says, and every label value back intact
// through Prometheus's parser, whatever the inventory's text holds.
func TestPlacesText(t *testing.T) {
	odd := &inventory.Inventory{
		Regions:     []inventory.Region{{ID: "reu", Name: "La Réunion", Overseas: true}, {ID: "ara", Name: "Auvergne-Rhône-Alpes"}},
		PoPs:        []inventory.PoP{{ID: "pop-lyon", Name: `PoP "Part-Dieu"`, Region: "ara", Address: "1 rue de la Part-Dieu, 69003 Lyon"}, {ID: "pop-bare", Region: "ara"}},
		Datacentres: []inventory.Datacentre{{ID: "dc-1", Name: "Centre serveur\nNord", Region: "ara", Address: `C:\salle 2`}},
		Sites: []inventory.Site{
			{ID: "S-1", Name: `Tribunal "judiciaire" de Saint-Étienne`, Region: "ara", Department: "42", Commune: "Saint-Étienne",
				Ministry: "justice", Contact: `GLPI-42\JUSTICE`, Lat: 45.43389, Lon: 4.39, HasCoords: true,
				Access: []inventory.AccessLink{
					{Technology: inventory.TechFibre, Operator: "Orange", Circuit: "OR-42-0000123456"},
					{Technology: inventory.Tech4G, Operator: `Free "Pro"`, Circuit: ""},
				}},
			{ID: "S-2", Name: "Préfecture de La Réunion", Region: "reu", Overseas: true, Department: "974", Commune: "Saint-Denis",
				Lat: -20.882, Lon: 55.4504449, HasCoords: true,
				Access: []inventory.AccessLink{{Technology: inventory.TechSatellite, Operator: "SRR", Circuit: "SRR-974-1"}}},
			{ID: "S-3", Name: "Nowhere", Region: "ara", Lat: 1, Lon: 2, // HasCoords false: no position
				Access: []inventory.AccessLink{{Technology: inventory.TechADSL}}},
		},
	}
	ids := map[string][]string{"S-1": {"agg:ge1--ce-1:eth0", "ce-1:eth1--vpn-1"}, "S-2": {"agg-reu:ge1--ce-2:eth0"}, "S-3": {""}}
	for _, tc := range []struct {
		name      string
		inv       *inventory.Inventory
		accessIDs map[string][]string
	}{
		{"odd", odd, ids},
		{"no-topology", odd, nil}, // no access ids: no vigie_access_info
		{"empty", &inventory.Inventory{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			tw := newTextWriter(&buf)
			p := places{inv: tc.inv, accessIDs: tc.accessIDs}
			p.write(tw)
			if err := tw.flush(); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "places-"+tc.name+".txt")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("places differ from %s (-update rewrites it):\n%s", golden, buf.Bytes())
			}
			text := buf.Bytes()
			sites := labelSets(t, text, "vigie_site_info")
			if len(sites) != len(tc.inv.Sites) {
				t.Fatalf("%d vigie_site_info series, want %d", len(sites), len(tc.inv.Sites))
			}
			for i, s := range tc.inv.Sites {
				got := sites[i]
				if got["site"] != s.ID || got["name"] != s.Name || got["commune"] != s.Commune || got["contact"] != s.Contact ||
					got["department"] != s.Department || got["ministry"] != s.Ministry || got["region"] != s.Region {
					t.Errorf("site %s: %v", s.ID, got)
				}
				if (got["lat"] == "") == s.HasCoords || (got["lon"] == "") == s.HasCoords {
					t.Errorf("site %s (HasCoords %v): lat %q lon %q", s.ID, s.HasCoords, got["lat"], got["lon"])
				}
				if want := map[bool]string{true: "true", false: "false"}[s.Overseas]; got["overseas"] != want {
					t.Errorf("site %s: overseas %q, want %q", s.ID, got["overseas"], want)
				}
			}
			access := labelSets(t, text, "vigie_access_info")
			wantAccess := 0
			if tc.accessIDs != nil {
				for _, s := range tc.inv.Sites {
					for _, id := range tc.accessIDs[s.ID] {
						if id != "" {
							wantAccess++
						}
					}
				}
			}
			if len(access) != wantAccess {
				t.Errorf("%d vigie_access_info series, want %d: %v", len(access), wantAccess, access)
			}
			if pops := labelSets(t, text, "vigie_pop_info"); len(pops) != len(tc.inv.PoPs) {
				t.Errorf("%d vigie_pop_info series, want %d", len(pops), len(tc.inv.PoPs))
			} else {
				for i, p := range tc.inv.PoPs {
					if pops[i]["name"] != p.Name || pops[i]["address"] != p.Address {
						t.Errorf("PoP %s: %v", p.ID, pops[i])
					}
				}
			}
			if dcs := labelSets(t, text, "vigie_datacentre_info"); len(dcs) != len(tc.inv.Datacentres) {
				t.Errorf("%d vigie_datacentre_info series, want %d", len(dcs), len(tc.inv.Datacentres))
			} else if len(dcs) > 0 && dcs[0]["name"] != tc.inv.Datacentres[0].Name {
				t.Errorf("datacentre: %v", dcs[0])
			}
		})
	}
}

// TestInterfaceInfo: vigie_interface_info carries ifAlias and ifDescr as
// the device sends them, made valid UTF-8 and cut to 256 bytes on a rune
// boundary; an edited alias replaces the series rather than adding one,
// and an interface with no alias has alias="" so that a join keeps it.
func TestInterfaceInfo(t *testing.T) {
	long := strings.Repeat("é", 150) // 300 bytes
	for _, tc := range []struct {
		name, alias, descr string
		wantAlias          string
	}{
		{"circuit", "OR-69-0000123456", "ge-0/0/1", "OR-69-0000123456"},
		{"no alias", "", "GigabitEthernet0/1", ""},
		{"quotes", `WAN "Orange" \ lien 1`, "ge\n0", `WAN "Orange" \ lien 1`},
		{"latin-1", "pr\xe9fecture", "x", "pr\uFFFDfecture"},
		{"long", long, long, strings.Repeat("é", 128)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := New(testInventory(1), nil, Options{})
			if err != nil {
				t.Fatal(err)
			}
			p := benchPoll("d000")
			p.Interfaces = p.Interfaces[:2]
			p.Interfaces[0].Alias, p.Interfaces[0].Descr = tc.alias, tc.descr
			e.Poll(p, snmp.NewDeviceState())
			infos := labelSets(t, writeText(t, e), "vigie_interface_info")
			if len(infos) != 2 {
				t.Fatalf("%d vigie_interface_info series, want one per interface (2): %v", len(infos), infos)
			}
			got := infos[0]
			if got["device"] != "d000" || got["interface"] != p.Interfaces[0].Name || got["alias"] != tc.wantAlias {
				t.Errorf("vigie_interface_info %v, want alias %q", got, tc.wantAlias)
			}
			if len(got["description"]) > maxInfoValue {
				t.Errorf("description of %d bytes, want at most %d", len(got["description"]), maxInfoValue)
			}

			// The NOC edits the alias: one series, the new one.
			p2 := benchPoll("d000")
			p2.Start, p2.End = p.Start.Add(time.Minute), p.End.Add(time.Minute)
			p2.Interfaces = p2.Interfaces[:2]
			p2.Interfaces[0].Alias, p2.Interfaces[0].Descr = "SFRB-69-1", tc.descr
			e.Poll(p2, snmp.NewDeviceState())
			infos = labelSets(t, writeText(t, e), "vigie_interface_info")
			if len(infos) != 2 || infos[0]["alias"] != "SFRB-69-1" {
				t.Errorf("after the alias was edited: %v, want 2 series, the first with alias SFRB-69-1", infos)
			}
		})
	}
}
