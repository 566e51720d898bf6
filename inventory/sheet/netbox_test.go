package sheet

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/sim"
)

// writeNetBoxExport writes inv as the CSV files NetBox v4.6.8's list views
// export (a "Current view" holding the columns the import reads, headers as
// NetBox writes them), as a NetBox holding the RIE the way docs/netbox.md
// describes would: PoPs and datacentres are sites tagged pop/datacentre,
// vigie's site id is the facility, shared risks are tags srlg:NAME, an
// access with a circuit id runs through a circuit, an interconnect is a
// circuit cabled at one end.
func writeNetBoxExport(t testing.TB, inv *inventory.Inventory, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]*csv.Writer{}
	var closers []*os.File
	out := func(kind string, header ...string) *csv.Writer {
		f, err := os.Create(filepath.Join(dir, "netbox_"+kind+".csv"))
		if err != nil {
			t.Fatal(err)
		}
		closers = append(closers, f)
		w := csv.NewWriter(f)
		_ = w.Write(header)
		files[kind] = w
		return w
	}
	boolPy := func(b bool) string { // a boolean custom field, as Python prints it
		if b {
			return "True"
		}
		return "False"
	}
	tags := func(srlgs []string, via bool) string {
		var s []string
		for _, g := range srlgs {
			s = append(s, "srlg:"+g)
		}
		if via {
			s = append(s, "via-internet")
		}
		return strings.Join(s, ",")
	}
	id := 0
	next := func() string { id++; return strconv.Itoa(id) }

	regions := out("regions", "ID", "Name", "Parent", "Slug", "Sites", "Description", "Tags", "Overseas")
	regionName := map[string]string{}
	for _, r := range inv.Regions {
		regionName[r.ID] = r.Name
		_ = regions.Write([]string{next(), r.Name, "France", r.ID, "", "", "", boolPy(r.Overseas)})
	}
	tenants := out("tenants", "ID", "Name", "Slug", "Group", "Description", "Tags")
	seenTenant := map[string]bool{}
	for _, s := range inv.Sites {
		if s.Ministry != "" && !seenTenant[s.Ministry] {
			seenTenant[s.Ministry] = true
			_ = tenants.Write([]string{next(), s.Ministry, strings.ToLower(s.Ministry), "Ministères", "", ""})
		}
	}
	sites := out("sites", "ID", "Name", "Slug", "Status", "Facility", "Region", "Group", "Tenant", "Description",
		"Physical address", "Latitude", "Longitude", "Tags", "Protection", "Prefixes", "Commune", "Department", "Contact")
	siteName := map[string]string{} // vigie id (site, PoP, datacentre) -> NetBox site name
	for _, p := range inv.PoPs {
		siteName[p.ID] = p.Name
		_ = sites.Write([]string{next(), p.Name, strings.ToLower(p.ID), "Active", p.ID, regionName[p.Region], "", "", "", p.Address, "", "", "pop", "", "", "", "", ""})
	}
	for _, d := range inv.Datacentres {
		siteName[d.ID] = d.Name
		_ = sites.Write([]string{next(), d.Name, strings.ToLower(d.ID), "Active", d.ID, regionName[d.Region], "", "", "", d.Address, "", "", "datacentre", "", "", "", "", ""})
	}
	for _, row := range rowsOf(inv, Sites) {
		c := func(name string) string {
			return row[slices.IndexFunc(columns[Sites], func(x column) bool { return x.name == name })]
		}
		siteName[c("id")] = c("name")
		_ = sites.Write([]string{next(), c("name"), strings.ToLower(c("id")), "Active", c("id"), regionName[c("region")], "",
			c("ministry"), "", c("address"), c("lat"), c("lon"), "", c("protection"), c("prefixes"), c("commune"),
			c("department"), c("contact")})
	}
	devices := out("devices", "ID", "Name", "Status", "Tenant", "Role", "Manufacturer", "Type", "Site", "Location",
		"Rack", "IP Address", "IPv4 Address", "IPv6 Address", "Tags", "SNMP port", "SNMP profile")
	for _, d := range inv.Devices {
		role := map[inventory.Role]string{inventory.RoleBackbone: "P", inventory.RolePFAI: "Internet edge", inventory.RolePFS: "Services"}[d.Role]
		where := d.Site
		switch {
		case d.PoP != "":
			where = d.PoP
			if d.Role == inventory.RoleCollection {
				role = "Aggregation"
			}
		case d.Datacentre != "":
			where = d.Datacentre
		case d.Role == inventory.RoleCollection:
			role = "CE"
		}
		ip := fmt.Sprintf("%s/32", d.Address.Addr())
		_ = devices.Write([]string{next(), d.Name, "Active", "", role, "Juniper", "MX204", siteName[where], "", "", ip, ip, "",
			"", strconv.Itoa(int(d.Address.Port())), d.Profile})
	}
	interfaces := out("interfaces", "ID", "Name", "Device", "Label", "Enabled", "Type", "Description", "Cable", "VRF", "Tags")
	cables := out("cables", "ID", "Label", "Termination A", "Termination B", "Device A", "Device B", "Site A", "Site B",
		"Status", "Type", "Tags", "Technology")
	circuits := out("circuits", "ID", "Circuit ID", "Provider", "Type", "Status", "Tenant", "Side A", "Side Z",
		"Description", "Tags", "Technology", "Prefixes", "BGP peer")
	terms := out("circuit terminations", "ID", "Circuit", "Provider", "Side", "Termination Type", "Termination Point", "Description")
	providers := map[string]bool{}
	iface := func(dev, name, vrf string) {
		_ = interfaces.Write([]string{next(), name, dev, "", "True", "10GBASE-LR (10GE)", "", "", vrf, ""})
	}
	cable := func(devA, ifA, devB, ifB, tg, tech string) string {
		cid := next()
		_ = cables.Write([]string{cid, "", ifA, ifB, devA, devB, "", "", "Connected", "SMF", tg, tech})
		return cid
	}
	for _, l := range inv.Links {
		iface(l.A.Device, l.A.Interface, "")
		iface(l.B.Device, l.B.Interface, "")
		cable(l.A.Device, l.A.Interface, l.B.Device, l.B.Interface, tags(l.SRLGs, l.ViaInternet), string(l.Technology))
	}
	for _, s := range inv.Sites {
		for _, a := range s.Access {
			iface(a.Router, a.RouterInterface, "")
			iface(a.Device, a.Interface, "")
			if a.Circuit == "" {
				cable(a.Router, a.RouterInterface, a.Device, a.Interface, tags(a.SRLGs, a.ViaInternet), string(a.Technology))
				continue
			}
			providers[a.Operator] = true
			_ = circuits.Write([]string{next(), a.Circuit, a.Operator, string(a.Technology), "Active", "", siteName[s.ID], "", "", tags(a.SRLGs, a.ViaInternet), "", "", ""})
			cable(a.Router, a.RouterInterface, "", a.Circuit+": Termination A", "", "")
			cable("", a.Circuit+": Termination Z", a.Device, a.Interface, "", "")
			_ = terms.Write([]string{next(), a.Circuit, a.Operator, "A", "dcim.site", siteName[s.ID], ""})
			_ = terms.Write([]string{next(), a.Circuit, a.Operator, "Z", "dcim.site", "", ""})
		}
	}
	for _, x := range inv.Interconnects {
		iface(x.Device, x.Interface, x.VRF)
		providers["RIE transit"] = true
		_ = circuits.Write([]string{next(), x.ID, "RIE transit", string(x.Kind), "Active", "", "", string(x.Kind), x.Name,
			tags(x.SRLGs, false), "", prefixes(x.Prefixes), addrCell(x.BGPPeer)})
		cable(x.Device, x.Interface, "", x.ID+": Termination A", "", "")
		_ = terms.Write([]string{next(), x.ID, "RIE transit", "A", "dcim.site", "", ""})
		_ = terms.Write([]string{next(), x.ID, "RIE transit", "Z", "circuits.providernetwork", string(x.Kind), ""})
	}
	prov := out("providers", "ID", "Name", "Accounts", "Account Count", "Circuits", "Description", "Tags")
	names := make([]string, 0, len(providers))
	for p := range providers {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		_ = prov.Write([]string{next(), p, "", "", "", "", ""})
	}
	for _, w := range files {
		w.Flush()
		if err := w.Error(); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range closers {
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNetBoxRoundTripSimulatedRIE: the simulated RIE written as NetBox
// exports and imported back is the same inventory, and gives the same
// internet-cut answer. (14,000 sites without -short.)
func TestNetBoxRoundTripSimulatedRIE(t *testing.T) {
	sites := 14000
	if testing.Short() {
		sites = 2000
	}
	opts := sim.DefaultGenerateOptions()
	opts.Sites, opts.Seed = sites, 7
	dir := t.TempDir()
	base := writeBase(t, dir, sim.Generate(opts))
	inv, err := inventory.Load(base, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Give some accesses a circuit, so that circuits go round too.
	for i := 0; i < len(inv.Sites); i += 7 {
		a := &inv.Sites[i].Access[0]
		a.Operator, a.Circuit = []string{"Orange Business", "SFR Business", "Bouygues Telecom Entreprises"}[i%3], fmt.Sprintf("FTTO-%05d", i)
	}
	exp := filepath.Join(dir, "netbox")
	writeNetBoxExport(t, inv, exp)
	res, err := ImportNetBox(exp, base, DefaultNetBoxMap(), ImportOptions{})
	if err != nil {
		t.Fatalf("import of the exported RIE: %v", err)
	}
	for _, w := range res.Warnings { // the base's own (v2c in clear) aside
		if strings.HasPrefix(w.File, exp) {
			t.Errorf("warning on the exports: %v", w)
		}
	}
	sameAfterRoundTrip(t, inv, res.Result)
}

// TestNetBoxExports imports each testdata/netbox/CASE directory with
// testdata/base.yml or CASE.base.yml (and CASE.map.yml as --config-map
// when present) and
// compares the outcome with CASE.golden: the imported YAML and report, or
// the problems (go test -run TestNetBoxExports -update rewrites them).
func TestNetBoxExports(t *testing.T) {
	cases, _ := filepath.Glob("testdata/netbox/*")
	cases = slices.DeleteFunc(cases, func(p string) bool { return !isDir(p) })
	if len(cases) < 2 {
		t.Fatal("no NetBox export cases")
	}
	for _, dir := range cases {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			m := DefaultNetBoxMap()
			if _, err := os.Stat(dir + ".map.yml"); err == nil {
				var err error
				if m, err = LoadNetBoxMap(dir + ".map.yml"); err != nil {
					t.Fatal(err)
				}
			}
			base := filepath.Join("testdata", "base.yml")
			if _, err := os.Stat(dir + ".base.yml"); err == nil {
				base = dir + ".base.yml"
			}
			res, err := ImportNetBox(dir, base, m, ImportOptions{})
			var got string
			var ce *inventory.ConfigError
			switch {
			case err == nil:
				var b strings.Builder
				for _, w := range res.Warnings {
					b.WriteString(w.String() + "\n")
				}
				b.WriteString("---\n")
				b.Write(res.YAML)
				got = b.String()
			case errors.As(err, &ce):
				got = err.Error() + "\n"
			default:
				t.Fatalf("error %T %v, want an import or problems", err, err)
			}
			golden := dir + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("outcome differs from %s\n--- got:\n%s--- want:\n%s", golden, got, want)
			}
		})
	}
}

func addrCell(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

func BenchmarkImportNetBoxFullRIE(b *testing.B) {
	opts := sim.DefaultGenerateOptions()
	opts.Seed = 7
	inv := sim.Generate(opts)
	dir := b.TempDir()
	base := writeBase(b, dir, inv)
	writeNetBoxExport(b, inv, filepath.Join(dir, "netbox"))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ImportNetBox(filepath.Join(dir, "netbox"), base, DefaultNetBoxMap(), ImportOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzImportNetBox: whatever the sites and cables exports hold, the import
// answers with an inventory or located problems, and never panics.
func FuzzImportNetBox(f *testing.F) {
	good := filepath.Join("testdata", "netbox", "good")
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(good, name))
		if err != nil {
			f.Fatal(err)
		}
		return string(b)
	}
	f.Add(read("netbox_sites.csv"), read("netbox_cables.csv"))
	f.Add("Name,Slug,Region\nx,x,Île-de-France\n", "Device A,Termination A,Device B,Termination B\n,X: Termination A,,Y: Termination Z\n")
	f.Add("Name,Slug,Region,Tags\n\"a,b\",a,idf,\"pop,datacentre\"\n", "Device A,Termination A,Device B,Termination B\nce-75-001-1,\"eth1,eth2\",agg-paris-1,ge-0/0/0\n")
	fixed := map[string]string{}
	for _, n := range []string{"netbox_regions.csv", "netbox_devices.csv", "netbox_circuits.csv", "netbox_interfaces.csv", "netbox_tenants.csv"} {
		fixed[n] = read(n)
	}
	base := filepath.Join("testdata", "base.yml")
	f.Fuzz(func(t *testing.T, sites, cables string) {
		d := t.TempDir()
		files := map[string]string{"netbox_sites.csv": sites, "netbox_cables.csv": cables}
		for n, v := range fixed {
			files[n] = v
		}
		for n, v := range files {
			if err := os.WriteFile(filepath.Join(d, n), []byte(v), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		res, err := ImportNetBox(d, base, DefaultNetBoxMap(), ImportOptions{})
		var r *Result
		if res != nil {
			r = res.Result
		}
		checkImported(t, r, err)
	})
}
