package sheet

// The NetBox front end: the CSV files that NetBox's own list views export
// ("Export > All data (CSV)" or "Current view") become the sheets' rows,
// each cell remembering the export file, line and column it came from, and
// go through the same assembly and the same decoder as a spreadsheet.
//
// The column headers are those of NetBox v4.6.8 (netbox/*/tables/*.py: a
// column's verbose_name, or its model field's; a custom field's label, or
// its name). docs/netbox.md documents the mapping.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/vigie-rie/vigie/inventory"
)

// NetBoxRelease is the NetBox release whose export columns the importer reads.
const NetBoxRelease = "v4.6.8"

// NetBoxMap names the NetBox tags, custom fields and roles that say what
// vigie needs and NetBox has no field for. Names of custom fields and
// columns are compared as headers are (case, spaces and dashes do not
// matter); tags by name, case aside.
type NetBoxMap struct {
	// RoleMap maps a device role (its name or slug) to a vigie role.
	RoleMap map[string]string `yaml:"role_map"`
	// PoPSiteTag and DCSiteTag mark the NetBox sites that are PoPs and
	// datacentres (a tag, or a site group of that name).
	PoPSiteTag string `yaml:"pop_site_tag"`
	DCSiteTag  string `yaml:"dc_site_tag"`
	// SiteIDColumn is the sites' column holding vigie's site id (the slug
	// when the cell is empty).
	SiteIDColumn string `yaml:"site_id_column"`
	// OverseasField is a region's boolean custom field, or tag, saying it
	// is overseas; OverseasRegions lists region slugs known to be.
	OverseasField   string   `yaml:"overseas_field"`
	OverseasRegions []string `yaml:"overseas_regions"`
	// Site custom fields.
	ProtectionField string `yaml:"protection_field"`
	PrefixesField   string `yaml:"prefixes_field"`
	CommuneField    string `yaml:"commune_field"`
	DepartmentField string `yaml:"department_field"`
	ContactField    string `yaml:"contact_field"`
	// Device custom fields: the SNMP port (161 when empty) and profile.
	SNMPPortField    string `yaml:"snmp_port_field"`
	SNMPProfileField string `yaml:"snmp_profile_field"`
	// SRLGTagPrefix: a cable's or circuit's tag "srlg:duct-12" puts it in
	// the shared-risk group duct-12.
	SRLGTagPrefix string `yaml:"srlg_tag_prefix"`
	// ViaInternetTag marks a cable or circuit tunnelled over the internet.
	ViaInternetTag string `yaml:"via_internet_tag"`
	// TechnologyField is a cable's or circuit's custom field; without it a
	// circuit's type is looked up in TechnologyMap.
	TechnologyField string            `yaml:"technology_field"`
	TechnologyMap   map[string]string `yaml:"technology_map"`
	// InterconnectKinds maps a circuit type to an interconnect kind: such a
	// circuit cabled at one end only is an interconnect.
	InterconnectKinds map[string]string `yaml:"interconnect_kinds"`
	// InterconnectPrefixesField is a circuit's custom field holding the
	// prefixes expected from the partner.
	InterconnectPrefixesField string `yaml:"interconnect_prefixes_field"`
	// InterconnectBGPPeerField is a circuit's custom field holding the
	// address of vigie's BGP session that sees the partner's routes.
	InterconnectBGPPeerField string `yaml:"interconnect_bgp_peer_field"`
}

// DefaultNetBoxMap is the map used when --config-map does not say
// otherwise (a file's keys replace these one by one).
func DefaultNetBoxMap() NetBoxMap {
	return NetBoxMap{
		RoleMap: map[string]string{
			"ce": "collection", "cpe": "collection", "aggregation": "collection", "agg": "collection",
			"collection": "collection",
			"p":          "backbone", "pe": "backbone", "rr": "backbone", "route-reflector": "backbone",
			"backbone": "backbone", "dc-edge": "backbone",
			"internet-edge": "pfai", "vpn-concentrator": "pfai", "pfai": "pfai",
			"services": "pfs", "pfs": "pfs",
		},
		PoPSiteTag:    "pop",
		DCSiteTag:     "datacentre",
		SiteIDColumn:  "facility",
		OverseasField: "overseas",
		OverseasRegions: []string{"gua", "mtq", "guf", "reu", "myt", "ncl", "pyf", "spm", "wlf", "blm", "maf",
			"guadeloupe", "martinique", "guyane", "la-reunion", "reunion", "mayotte", "nouvelle-caledonie",
			"polynesie-francaise", "saint-pierre-et-miquelon", "wallis-et-futuna", "saint-barthelemy", "saint-martin"},
		ProtectionField:  "protection",
		PrefixesField:    "prefixes",
		CommuneField:     "commune",
		DepartmentField:  "department",
		ContactField:     "contact",
		SNMPPortField:    "snmp_port",
		SNMPProfileField: "snmp_profile",
		SRLGTagPrefix:    "srlg:",
		ViaInternetTag:   "via-internet",
		TechnologyField:  "technology",
		TechnologyMap: map[string]string{
			"fibre": "fibre", "fiber": "fibre", "ftth": "ftth", "adsl": "adsl", "xdsl": "adsl", "4g": "4g",
			"lte": "4g", "satellite": "satellite", "transoceanic": "transoceanic", "submarine": "transoceanic",
		},
		InterconnectKinds: map[string]string{
			"internet": "internet", "internet-transit": "internet", "testa": "testa", "renater": "renater",
			"partner": "partner",
		},
		InterconnectPrefixesField: "prefixes",
		InterconnectBGPPeerField:  "bgp_peer",
	}
}

// LoadNetBoxMap reads a --config-map file over the defaults; an unknown
// key is an error at its line.
func LoadNetBoxMap(path string) (NetBoxMap, error) {
	m := DefaultNetBoxMap()
	if path == "" {
		return m, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("cannot read the config map (check the path): %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var over NetBoxMap
	if err := dec.Decode(&over); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(strings.ReplaceAll(msg, " in type sheet.NetBoxMap", ""), "unmarshal errors:\n  ", "")
		return m, fmt.Errorf("%s: %s (docs/netbox.md lists the keys)", path, msg)
	}
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&m.PoPSiteTag, over.PoPSiteTag)
	set(&m.DCSiteTag, over.DCSiteTag)
	set(&m.SiteIDColumn, over.SiteIDColumn)
	set(&m.OverseasField, over.OverseasField)
	set(&m.ProtectionField, over.ProtectionField)
	set(&m.PrefixesField, over.PrefixesField)
	set(&m.CommuneField, over.CommuneField)
	set(&m.DepartmentField, over.DepartmentField)
	set(&m.ContactField, over.ContactField)
	set(&m.SNMPPortField, over.SNMPPortField)
	set(&m.SNMPProfileField, over.SNMPProfileField)
	set(&m.SRLGTagPrefix, over.SRLGTagPrefix)
	set(&m.ViaInternetTag, over.ViaInternetTag)
	set(&m.TechnologyField, over.TechnologyField)
	set(&m.InterconnectPrefixesField, over.InterconnectPrefixesField)
	set(&m.InterconnectBGPPeerField, over.InterconnectBGPPeerField)
	if over.OverseasRegions != nil {
		m.OverseasRegions = over.OverseasRegions
	}
	// Maps add to the defaults (a key given replaces that key).
	for k, v := range over.RoleMap {
		m.RoleMap[strings.ToLower(k)] = v
	}
	for k, v := range over.TechnologyMap {
		m.TechnologyMap[strings.ToLower(k)] = v
	}
	for k, v := range over.InterconnectKinds {
		m.InterconnectKinds[strings.ToLower(k)] = v
	}
	for k, v := range m.RoleMap {
		if !slices.Contains(inventory.Roles, inventory.Role(v)) {
			return m, fmt.Errorf("%s: role_map: %q maps to %q, which is not a vigie role (collection, backbone, pfai, pfs)", path, k, v)
		}
	}
	return m, nil
}

// The NetBox exports, by the object list they come from.
const (
	nbRegions      = "regions"
	nbTenants      = "tenants"
	nbProviders    = "providers"
	nbSites        = "sites"
	nbDevices      = "devices"
	nbInterfaces   = "interfaces"
	nbCables       = "cables"
	nbCircuits     = "circuits"
	nbTerminations = "circuit terminations"
)

var nbKinds = []string{nbRegions, nbTenants, nbProviders, nbSites, nbDevices, nbInterfaces, nbCables, nbCircuits, nbTerminations}

// NetBox names its exports netbox_<objects>.csv, with a space in
// "circuit terminations"; both spellings are read.

// nbRequired are each export's columns the import cannot do without
// (normalised headers).
var nbRequired = map[string][]string{
	nbRegions:      {"name", "slug"},
	nbTenants:      {"name"},
	nbProviders:    {"name"},
	nbSites:        {"name", "region"},
	nbDevices:      {"name", "role", "site", "ip_address"},
	nbInterfaces:   {"device", "name"},
	nbCables:       {"termination_a", "termination_b", "device_a", "device_b"},
	nbCircuits:     {"circuit_id", "provider", "type"},
	nbTerminations: {"circuit", "side"},
}

// nbHeaders are the required columns' headers as NetBox writes them.
var nbHeaders = map[string]string{
	"name": "Name", "slug": "Slug", "region": "Region", "role": "Role", "site": "Site", "ip_address": "IP Address",
	"device": "Device", "termination_a": "Termination A", "termination_b": "Termination B", "device_a": "Device A",
	"device_b": "Device B", "circuit_id": "Circuit ID", "provider": "Provider", "type": "Type", "circuit": "Circuit",
	"side": "Side",
}

// nbKindOf recognises an export by its file name: NetBox names it
// netbox_<objects>.csv ("netbox_circuit terminations.csv").
func nbKindOf(base string) string {
	lower := strings.ToLower(base)
	name := strings.TrimSuffix(lower, filepath.Ext(lower))
	name = strings.TrimPrefix(name, "netbox_")
	name = strings.ReplaceAll(strings.TrimSpace(name), "_", " ")
	if slices.Contains(nbKinds, name) {
		return name
	}
	return ""
}

// NetBoxResult is an import from NetBox exports: the inventory, and the
// report of what could not be mapped and was left out (each at its
// export's FILE:LINE: COLUMN, also among the warnings).
type NetBoxResult struct {
	*Result
	Skipped []inventory.Problem
}

// ImportNetBox reads the NetBox CSV exports in dir and assembles them,
// through the map m, with the base inventory's sections that sheets do not
// hold (agent, polling, snmp_profiles, bgp...), as Import does with sheets.
func ImportNetBox(dir, base string, m NetBoxMap, opts ImportOptions) (*NetBoxResult, error) {
	im := &importer{refs: map[string][]rowRef{}, badCells: map[cellKey]bool{}, opts: opts}
	root, err := im.readBase(base)
	if err != nil {
		return nil, err
	}
	nb := &netbox{im: im, m: m, files: map[string]*table{}}
	nb.read(dir)
	if im.failed() {
		return nil, &inventory.ConfigError{Problems: im.problems}
	}
	sheets := nb.mapAll()
	im.assemble(root, sheets)
	res, err := im.check(base, root)
	if err != nil {
		return nil, err
	}
	var skipped []inventory.Problem
	for _, p := range res.Warnings {
		if p.Warning && strings.HasPrefix(p.Msg, "left out: ") {
			skipped = append(skipped, p)
		}
	}
	return &NetBoxResult{Result: res, Skipped: skipped}, nil
}

type netbox struct {
	im    *importer
	m     NetBoxMap
	files map[string]*table

	regions map[string]*nbRegion // by name and by slug
	places  map[string]*nbPlace  // NetBox site name -> what it is in vigie
	devices map[string]*nbDevice // by name
	vrfs    map[[2]string]string // device, interface -> VRF
	ifaces  map[[2]string]bool
	circs   map[string]*nbCircuit
	known   map[string]map[string]bool // tenants, providers by name
	ceSite  map[string]string          // device -> vigie site id
	leftOut map[string]origin          // devices left out, by name: where
}

type nbRegion struct {
	id       string
	used     bool
	overseas bool
	row      map[string]cellv
}

type nbPlace struct {
	kind string // "site", "pop", "datacentre"
	id   string
	row  int // index in its sheet
}

type nbDevice struct {
	ce bool // stands at a site (not a PoP or datacentre): its cables are accesses
}

type nbCircuit struct {
	t     *table
	i     int
	sides map[string]nbEnd // "A", "Z" -> the device end cabled to it
}

// nbEnd is one end of a cable on a device's interface.
type nbEnd struct {
	device, iface string
	t             *table // the cables export
	i             int    // its row
	devCol        string // the columns naming the end
	ifCol         string
}

// cellv is a value for a sheet column and where it came from.
type cellv struct {
	v string
	o origin
}

func (nb *netbox) skip(t *table, i int, col string, format string, args ...any) {
	p := inventory.Problem{File: t.file, Warning: true, Msg: "left out: " + fmt.Sprintf(format, args...)}
	if i >= 0 {
		p.Line = t.lines[i]
	} else {
		p.Line = t.header
	}
	if col != "" {
		p.Field = nb.header(t, col)
	}
	nb.im.problem(p)
}

func (nb *netbox) fail(t *table, i int, col string, format string, args ...any) {
	nb.skip(t, i, col, format, args...)
	p := &nb.im.problems[len(nb.im.problems)-1]
	p.Warning, p.Msg = false, strings.TrimPrefix(p.Msg, "left out: ")
}

// header is a column's header as the export wrote it.
func (nb *netbox) header(t *table, col string) string {
	for k, c := range t.cols {
		if c == col && k < len(t.names) {
			return t.names[k]
		}
	}
	return col
}

// get is a row's cell in a column (normalised name), trimmed.
func (nb *netbox) get(t *table, i int, col string) cellv {
	return cellv{strings.TrimSpace(cell(t, t.rows[i], col)), origin{t.file, t.lines[i], nb.header(t, col)}}
}

func (nb *netbox) read(dir string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		nb.im.problem(inventory.Problem{File: dir, Msg: fmt.Sprintf("cannot read the export directory (check the path): %v", err)})
		return
	}
	seen := map[string]bool{}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		path := filepath.Join(dir, e.Name())
		ext := strings.ToLower(filepath.Ext(e.Name()))
		kind := nbKindOf(e.Name())
		switch {
		case ext == ".yaml" || ext == ".yml":
			nb.im.problem(inventory.Problem{File: path, Warning: true,
				Msg: "not read: vigie reads NetBox's CSV exports (Export > All data (CSV)); export this list as CSV"})
			continue
		case ext != ".csv":
			continue
		case kind == "":
			nb.im.problem(inventory.Problem{File: path, Warning: true, Msg: fmt.Sprintf(
				"not read: not one of the NetBox exports vigie maps (netbox_%s.csv)",
				strings.Join(nbKinds, ".csv, netbox_"))})
			continue
		case nb.files[kind] != nil:
			nb.im.problem(inventory.Problem{File: path, Msg: fmt.Sprintf(
				"a second %s export (the first is %s): keep one", kind, nb.files[kind].file)})
			continue
		}
		seen[kind] = true
		data, err := readBounded(path)
		if err != nil {
			nb.im.problem(inventory.Problem{File: path, Msg: err.Error()})
			continue
		}
		data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(data) {
			nb.im.problem(inventory.Problem{File: path, Msg: "not UTF-8: NetBox exports UTF-8; export the list again rather than saving it from a spreadsheet"})
			continue
		}
		t := nb.im.readCSV(path, data)
		if t == nil {
			continue
		}
		if t.cols == nil {
			nb.im.problem(inventory.Problem{File: path, Msg: "the file is empty: export the list again (Export > All data (CSV))"})
			continue
		}
		ok := true
		for _, c := range nbRequired[kind] {
			if !slices.Contains(t.cols, c) {
				nb.im.problem(inventory.Problem{File: path, Line: t.header, Field: nbHeaders[c], Msg: fmt.Sprintf(
					"missing column: the %s export needs it; export \"All data (CSV)\", or add the column to the current view", kind)})
				ok = false
			}
		}
		if ok {
			nb.files[kind] = t
			if nb.im.opts.OnSheet != nil {
				nb.im.opts.OnSheet(path, Kind(kind), len(t.rows))
			}
		}
	}
	for _, k := range []string{nbRegions, nbSites, nbDevices, nbCables} {
		if !seen[k] {
			nb.im.problem(inventory.Problem{File: dir, Msg: fmt.Sprintf(
				"no %s export (netbox_%s.csv): export the %s list from NetBox (Export > All data (CSV)) into this directory", k, k, k)})
		}
	}
}

// sheetRows collects one sheet's rows, each a map from the sheet's column
// to its value and origin.
type sheetRows struct {
	kind Kind
	rows []map[string]cellv
	at   []origin // each row's own origin (the export row it stands for)
}

func (s *sheetRows) add(at origin, row map[string]cellv) int {
	s.rows = append(s.rows, row)
	s.at = append(s.at, at)
	return len(s.rows) - 1
}

// table turns the rows into a sheet table whose cells remember their origin.
func (s *sheetRows) table() *table {
	t := &table{file: "netbox", kind: s.kind}
	for _, c := range columns[s.kind] {
		t.cols = append(t.cols, c.name)
	}
	for i, r := range s.rows {
		rec := make([]string, len(t.cols))
		or := &rowOrigin{own: s.at[i], cols: t.cols, at: make([]origin, len(t.cols))}
		for k, c := range t.cols {
			if v, ok := r[c]; ok {
				rec[k] = v.v
				or.at[k] = v.o
			}
		}
		s.rows[i] = nil // read: let it go
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, s.at[i].line)
		t.origins = append(t.origins, or)
	}
	return t
}

// cf finds a custom field's column: its header normalised as field is.
func (nb *netbox) cf(t *table, field string) string {
	if field == "" {
		return ""
	}
	f := normalize(field)
	if slices.Contains(t.cols, f) {
		return f
	}
	return ""
}

func tagsOf(v string) []string {
	var out []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.TrimSpace(t); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func hasTag(v, tag string) bool {
	for _, t := range tagsOf(v) {
		if strings.EqualFold(t, tag) {
			return true
		}
	}
	return false
}

func (nb *netbox) mapAll() map[Kind][]*table {
	regions := &sheetRows{kind: Regions}
	pops := &sheetRows{kind: PoPs}
	dcs := &sheetRows{kind: Datacentres}
	sites := &sheetRows{kind: Sites}
	devices := &sheetRows{kind: Devices}
	accesses := &sheetRows{kind: Accesses}
	links := &sheetRows{kind: Links}
	icx := &sheetRows{kind: Interconnects}

	nb.known = map[string]map[string]bool{}
	for _, k := range []string{nbTenants, nbProviders} {
		if t := nb.files[k]; t != nil {
			nb.known[k] = map[string]bool{}
			for i := range t.rows {
				nb.known[k][nb.get(t, i, "name").v] = true
			}
		}
	}
	nb.mapRegions()
	nb.mapSites(pops, dcs, sites)
	// Regions in the inventory's order of the export, those used only.
	if t := nb.files[nbRegions]; t != nil {
		for i := range t.rows {
			r := nb.regions[nb.get(t, i, "slug").v]
			if r != nil && r.used && r.row != nil {
				regions.add(origin{t.file, t.lines[i], ""}, r.row)
				r.row = nil
			}
		}
	}
	nb.mapDevices(devices)
	nb.mapInterfaces()
	nb.mapCircuits()
	nb.mapCables(accesses, links)
	nb.mapCircuitEnds(accesses, links, icx)
	out := map[Kind][]*table{}
	for _, s := range []*sheetRows{regions, dcs, pops, devices, sites, accesses, links, icx} {
		if len(s.rows) > 0 {
			out[s.kind] = []*table{s.table()}
		}
	}
	return out
}

func (nb *netbox) mapRegions() {
	nb.regions = map[string]*nbRegion{}
	t := nb.files[nbRegions]
	over := nb.cf(t, nb.m.OverseasField)
	for i := range t.rows {
		name, slug := nb.get(t, i, "name"), nb.get(t, i, "slug")
		if slug.v == "" {
			nb.skip(t, i, "slug", "a region without a slug")
			continue
		}
		r := &nbRegion{id: slug.v}
		r.overseas = slices.Contains(nb.m.OverseasRegions, slug.v) || hasTag(nb.get(t, i, "tags").v, nb.m.OverseasField)
		ov := origin{t.file, t.lines[i], nb.header(t, "slug")}
		if over != "" {
			c := nb.get(t, i, over)
			if c.v != "" {
				b, ok := parseBool(c.v)
				if !ok {
					nb.fail(t, i, over, "%q is not true or false", c.v)
				}
				r.overseas = b
				ov = c.o
			}
		}
		r.row = map[string]cellv{"id": slug, "name": name, "overseas": {strconv.FormatBool(r.overseas), ov}}
		nb.regions[slug.v] = r
		if nb.regions[name.v] == nil {
			nb.regions[name.v] = r
		}
	}
}

func (nb *netbox) mapSites(pops, dcs, sites *sheetRows) {
	nb.places = map[string]*nbPlace{}
	t := nb.files[nbSites]
	idCol := normalize(nb.m.SiteIDColumn)
	cols := map[string]string{
		"protection": nb.cf(t, nb.m.ProtectionField), "prefixes": nb.cf(t, nb.m.PrefixesField),
		"commune": nb.cf(t, nb.m.CommuneField), "department": nb.cf(t, nb.m.DepartmentField),
		"contact": nb.cf(t, nb.m.ContactField),
	}
	for i := range t.rows {
		name := nb.get(t, i, "name")
		// vigie's id: the facility (by default), else the slug, else the name.
		id := nb.get(t, i, idCol)
		if id.v == "" {
			id = nb.get(t, i, "slug")
		}
		if id.v == "" {
			id = name
		}
		if nb.places[name.v] != nil {
			nb.fail(t, i, "name", "site %q appears twice: devices name their site, so names must be unique", name.v)
			continue
		}
		region := nb.get(t, i, "region")
		r := nb.regions[region.v]
		if r == nil {
			if region.v == "" {
				nb.fail(t, i, "region", "site %q has no region: assign it one in NetBox", name.v)
			} else {
				nb.fail(t, i, "region", "region %q is not in the regions export", region.v)
			}
			continue
		}
		r.used = true
		rid := cellv{r.id, region.o}
		tags, group := nb.get(t, i, "tags").v, nb.get(t, i, "group").v
		kind := "site"
		switch {
		case hasTag(tags, nb.m.PoPSiteTag) || strings.EqualFold(group, nb.m.PoPSiteTag):
			kind = "pop"
		case hasTag(tags, nb.m.DCSiteTag) || strings.EqualFold(group, nb.m.DCSiteTag):
			kind = "datacentre"
		}
		row := map[string]cellv{"id": id, "name": name, "region": rid, "address": nb.get(t, i, "physical_address")}
		at := origin{t.file, t.lines[i], ""}
		p := &nbPlace{kind: kind, id: id.v}
		switch kind {
		case "pop":
			p.row = pops.add(at, row)
		case "datacentre":
			p.row = dcs.add(at, row)
		default:
			row["overseas"] = cellv{strconv.FormatBool(r.overseas), region.o}
			for k, c := range cols {
				if c != "" {
					row[k] = nb.get(t, i, c)
				} else if k == "protection" {
					// The decoder says it is missing, at this row and the custom field's name.
					row[k] = cellv{"", origin{t.file, t.lines[i], nb.m.ProtectionField}}
				}
			}
			if ten := nb.get(t, i, "tenant"); ten.v != "" {
				if known := nb.known[nbTenants]; known != nil && !known[ten.v] {
					nb.im.problem(inventory.Problem{File: t.file, Line: t.lines[i], Field: ten.o.col, Warning: true,
						Msg: fmt.Sprintf("tenant %q is not in the tenants export: the site's ministry is still %q", ten.v, ten.v)})
				}
				row["ministry"] = ten
			}
			lat, lon := nb.get(t, i, "latitude"), nb.get(t, i, "longitude")
			if lat.v != "" && lon.v != "" {
				row["lat"], row["lon"] = lat, lon
			}
			p.row = sites.add(at, row)
		}
		nb.places[name.v] = p
	}
}

func (nb *netbox) role(v string) (string, bool) {
	k := strings.ToLower(strings.TrimSpace(v))
	if r, ok := nb.m.RoleMap[k]; ok {
		return r, true
	}
	r, ok := nb.m.RoleMap[strings.ReplaceAll(k, " ", "-")]
	return r, ok
}

func (nb *netbox) mapDevices(devices *sheetRows) {
	nb.devices = map[string]*nbDevice{}
	nb.leftOut = map[string]origin{}
	t := nb.files[nbDevices]
	portCol, profCol := nb.cf(t, nb.m.SNMPPortField), nb.cf(t, nb.m.SNMPProfileField)
	for i := range t.rows {
		name := nb.get(t, i, "name")
		if name.v == "" {
			nb.skip(t, i, "name", "a device without a name (vigie names devices)")
			continue
		}
		if nb.devices[name.v] != nil {
			nb.fail(t, i, "name", "device %q appears twice", name.v)
			continue
		}
		nb.leftOut[name.v] = origin{t.file, t.lines[i], ""} // until it is mapped
		role := nb.get(t, i, "role")
		vr, ok := nb.role(role.v)
		if !ok {
			nb.skip(t, i, "role", "device %s: role %q is not in the role map: add it under role_map: in --config-map", name.v, role.v)
			continue
		}
		site := nb.get(t, i, "site")
		p := nb.places[site.v]
		if p == nil {
			nb.skip(t, i, "site", "device %s: site %q is not among the sites mapped", name.v, site.v)
			continue
		}
		ip := nb.get(t, i, "ip_address")
		if ip.v == "" {
			nb.skip(t, i, "ip_address", "device %s has no primary IP: vigie polls it there; set one in NetBox", name.v)
			continue
		}
		addr, err := netip.ParsePrefix(ip.v)
		if err != nil {
			a, err2 := netip.ParseAddr(ip.v)
			if err2 != nil {
				nb.skip(t, i, "ip_address", "device %s: %q is not an IP address", name.v, ip.v)
				continue
			}
			addr = netip.PrefixFrom(a, a.BitLen())
		}
		port := "161"
		if portCol != "" {
			if c := nb.get(t, i, portCol); c.v != "" {
				if n, err := strconv.ParseUint(c.v, 10, 16); err != nil || n == 0 {
					nb.skip(t, i, portCol, "device %s: SNMP port %q is not a port number (1-65535)", name.v, c.v)
					continue
				}
				port = c.v
			}
		}
		row := map[string]cellv{"name": name, "role": {vr, role.o},
			"address": {netip.AddrPortFrom(addr.Addr(), mustPort(port)).String(), ip.o}}
		switch p.kind {
		case "pop":
			row["pop"] = cellv{p.id, site.o}
		case "datacentre":
			row["datacentre"] = cellv{p.id, site.o}
		default:
			row["site"] = cellv{p.id, site.o}
		}
		if profCol != "" {
			if c := nb.get(t, i, profCol); c.v != "" {
				row["snmp_profile"] = c
			}
		}
		devices.add(origin{t.file, t.lines[i], ""}, row)
		nb.devices[name.v] = &nbDevice{ce: p.kind == "site"}
		delete(nb.leftOut, name.v)
	}
}

func mustPort(s string) uint16 {
	n, _ := strconv.ParseUint(s, 10, 16)
	return uint16(n)
}

func (nb *netbox) mapInterfaces() {
	nb.vrfs, nb.ifaces = map[[2]string]string{}, nil
	t := nb.files[nbInterfaces]
	if t == nil {
		return
	}
	nb.ifaces = map[[2]string]bool{}
	for i := range t.rows {
		k := [2]string{nb.get(t, i, "device").v, nb.get(t, i, "name").v}
		nb.ifaces[k] = true
		if v := nb.get(t, i, "vrf").v; v != "" {
			nb.vrfs[k] = v
		}
	}
}

func (nb *netbox) mapCircuits() {
	nb.circs = map[string]*nbCircuit{}
	t := nb.files[nbCircuits]
	if t == nil {
		return
	}
	for i := range t.rows {
		id := nb.get(t, i, "circuit_id")
		if nb.circs[id.v] != nil {
			nb.fail(t, i, "circuit_id", "circuit %q appears twice", id.v)
			continue
		}
		if prov := nb.get(t, i, "provider"); prov.v != "" {
			if known := nb.known[nbProviders]; known != nil && !known[prov.v] {
				nb.im.problem(inventory.Problem{File: t.file, Line: t.lines[i], Field: nb.header(t, "provider"), Warning: true,
					Msg: fmt.Sprintf("provider %q is not in the providers export: the operator is still %q", prov.v, prov.v)})
			}
		}
		nb.circs[id.v] = &nbCircuit{t: t, i: i, sides: map[string]nbEnd{}}
	}
}

// circuitEnd reads a cable termination naming a circuit's side, as NetBox
// writes it: "CID: Termination A".
var circuitEnd = regexp.MustCompile(`^(.+): Termination ([AZ])$`)

func (nb *netbox) mapCables(accesses, links *sheetRows) {
	t := nb.files[nbCables]
	for i := range t.rows {
		var ends [2]nbEnd
		var circ [2]string
		var side [2]string
		ok := true
		for k, s := range []string{"a", "b"} {
			dev, term := nb.get(t, i, "device_"+s), nb.get(t, i, "termination_"+s)
			if strings.Contains(term.v, ",") {
				nb.skip(t, i, "termination_"+s, "a cable with several terminations on one end: vigie maps point-to-point cables")
				ok = false
				break
			}
			if dev.v == "" {
				m := circuitEnd.FindStringSubmatch(term.v)
				if m == nil {
					nb.skip(t, i, "termination_"+s, "%q is neither a device's interface nor a circuit termination", term.v)
					ok = false
					break
				}
				circ[k], side[k] = m[1], m[2]
				continue
			}
			if nb.devices[dev.v] == nil {
				if o, left := nb.leftOut[dev.v]; left {
					nb.skip(t, i, "device_"+s, "cable to device %s, itself left out (%s:%d)", dev.v, o.file, o.line)
				} else {
					nb.skip(t, i, "device_"+s, "cable to device %q, which is not in the devices export (a patch panel? vigie maps cables between routers)", dev.v)
				}
				ok = false
				break
			}
			if nb.ifaces != nil && !nb.ifaces[[2]string{dev.v, term.v}] {
				nb.im.problem(inventory.Problem{File: t.file, Line: t.lines[i], Field: nb.header(t, "termination_"+s), Warning: true,
					Msg: fmt.Sprintf("interface %s of %s is not in the interfaces export", term.v, dev.v)})
			}
			ends[k] = nbEnd{device: dev.v, iface: term.v, t: t, i: i, devCol: "device_" + s, ifCol: "termination_" + s}
		}
		if !ok {
			continue
		}
		switch {
		case circ[0] != "" && circ[1] != "":
			nb.skip(t, i, "termination_a", "a cable between two circuit terminations")
		case circ[0] != "" || circ[1] != "":
			k := 0
			if circ[0] == "" {
				k = 1
			}
			c := nb.circs[circ[k]]
			if c == nil {
				nb.skip(t, i, "termination_"+[]string{"a", "b"}[k], "circuit %q is not in the circuits export", circ[k])
				continue
			}
			if prev, dup := c.sides[side[k]]; dup {
				nb.skip(t, i, "termination_"+[]string{"a", "b"}[k], "circuit %s side %s is already cabled at %s:%d", circ[k], side[k], prev.t.file, prev.t.lines[prev.i])
				continue
			}
			c.sides[side[k]] = ends[1-k]
		default:
			nb.connect(ends[0], ends[1], t, i, nil, accesses, links)
		}
	}
}

// connect maps a connection between two device interfaces (a cable, or a
// circuit cabled at both ends, c): an access when one end is a site's CE,
// else a backbone link.
func (nb *netbox) connect(a, b nbEnd, t *table, i int, c *nbCircuit, accesses, links *sheetRows) {
	at := origin{t.file, t.lines[i], ""}
	tags := nb.get(t, i, "tags").v
	srlgO := origin{t.file, t.lines[i], nb.header(t, "tags")}
	tech := cellv{}
	cables := []nbEnd{a}
	if c != nil {
		// A circuit: its own tags and fields, then its two cables'.
		tags += "," + nb.get(a.t, a.i, "tags").v + "," + nb.get(b.t, b.i, "tags").v
		cables = []nbEnd{{t: t, i: i}, a, b}
	}
	for _, e := range cables {
		if col := nb.cf(e.t, nb.m.TechnologyField); col != "" && tech.v == "" {
			tech = nb.get(e.t, e.i, col)
		}
	}
	if tech.v == "" && c != nil {
		typ := nb.get(t, i, "type")
		if v, ok := nb.m.TechnologyMap[strings.ToLower(typ.v)]; ok {
			tech = cellv{v, typ.o}
		} else {
			tech = typ
		}
	}
	var srlgs []string
	for _, tg := range tagsOf(tags) {
		if p := nb.m.SRLGTagPrefix; p != "" && strings.HasPrefix(strings.ToLower(tg), strings.ToLower(p)) {
			if s := tg[len(p):]; s != "" && !slices.Contains(srlgs, s) {
				srlgs = append(srlgs, s)
			}
		}
	}
	via := hasTag(tags, nb.m.ViaInternetTag)
	ceA, ceB := nb.devices[a.device].ce, nb.devices[b.device].ce
	end := func(e nbEnd, col string) cellv { return nb.get(e.t, e.i, col) }
	row := map[string]cellv{}
	if tech.v != "" {
		row["technology"] = tech
	}
	if len(srlgs) > 0 {
		row["srlgs"] = cellv{strings.Join(srlgs, " "), srlgO}
	}
	if via {
		row["via_internet"] = cellv{"true", srlgO}
	}
	if !ceA && !ceB {
		row["a_device"], row["a_interface"] = end(a, a.devCol), end(a, a.ifCol)
		row["b_device"], row["b_interface"] = end(b, b.devCol), end(b, b.ifCol)
		links.add(at, row)
		return
	}
	if ceA && ceB {
		nb.skip(t, i, "device_a", "a cable between two site CEs (%s, %s): vigie has no link inside a site", a.device, b.device)
		return
	}
	ce, land := a, b
	if ceB {
		ce, land = b, a
	}
	row["router"], row["router_interface"] = end(ce, ce.devCol), end(ce, ce.ifCol)
	row["device"], row["interface"] = end(land, land.devCol), end(land, land.ifCol)
	row["site"] = cellv{nb.siteOf(ce.device), at}
	if c != nil {
		row["operator"] = nb.get(c.t, c.i, "provider")
		row["circuit"] = nb.get(c.t, c.i, "circuit_id")
	}
	accesses.add(at, row)
}

// siteOf is the vigie site id a CE stands at (read from the devices export).
func (nb *netbox) siteOf(device string) string {
	if nb.ceSite == nil {
		nb.ceSite = map[string]string{}
		t := nb.files[nbDevices]
		for i := range t.rows {
			if p := nb.places[nb.get(t, i, "site").v]; p != nil {
				nb.ceSite[nb.get(t, i, "name").v] = p.id
			}
		}
	}
	return nb.ceSite[device]
}

func (nb *netbox) mapCircuitEnds(accesses, links, icx *sheetRows) {
	t := nb.files[nbCircuits]
	if t == nil {
		return
	}
	ids := make([]string, 0, len(nb.circs))
	for id := range nb.circs {
		ids = append(ids, id)
	}
	// In the export's order, for a stable inventory.
	sort.Slice(ids, func(x, y int) bool { return nb.circs[ids[x]].i < nb.circs[ids[y]].i })
	for _, id := range ids {
		c := nb.circs[id]
		a, okA := c.sides["A"]
		z, okZ := c.sides["Z"]
		switch {
		case okA && okZ:
			nb.connect(a, z, t, c.i, c, accesses, links)
		case okA || okZ:
			e := a
			if okZ {
				e = z
			}
			typ := nb.get(t, c.i, "type")
			kind, ok := nb.m.InterconnectKinds[strings.ToLower(typ.v)]
			if !ok {
				nb.skip(t, c.i, "type", "circuit %s is cabled at one end only and its type %q is not in interconnect_kinds (internet, testa, renater, partner)", id, typ.v)
				continue
			}
			row := map[string]cellv{"id": nb.get(t, c.i, "circuit_id"), "kind": {kind, typ.o},
				"device": nb.get(e.t, e.i, e.devCol), "interface": nb.get(e.t, e.i, e.ifCol)}
			if d := nb.get(t, c.i, "description"); d.v != "" {
				row["name"] = d
			}
			if v, ok := nb.vrfs[[2]string{e.device, e.iface}]; ok {
				row["vrf"] = cellv{v, origin{e.t.file, e.t.lines[e.i], nb.header(e.t, e.ifCol)}}
			}
			var srlgs []string
			tags := nb.get(t, c.i, "tags")
			for _, tg := range tagsOf(tags.v) {
				if p := nb.m.SRLGTagPrefix; p != "" && strings.HasPrefix(strings.ToLower(tg), strings.ToLower(p)) {
					srlgs = append(srlgs, tg[len(p):])
				}
			}
			if len(srlgs) > 0 {
				row["srlgs"] = cellv{strings.Join(srlgs, " "), tags.o}
			}
			if col := nb.cf(t, nb.m.InterconnectPrefixesField); col != "" {
				if p := nb.get(t, c.i, col); p.v != "" {
					row["prefixes"] = p
				}
			}
			if col := nb.cf(t, nb.m.InterconnectBGPPeerField); col != "" {
				if p := nb.get(t, c.i, col); p.v != "" {
					row["bgp_peer"] = p
				}
			}
			icx.add(origin{t.file, t.lines[c.i], ""}, row)
		default:
			nb.skip(t, c.i, "circuit_id", "circuit %s is cabled to no device", id)
		}
	}
}
