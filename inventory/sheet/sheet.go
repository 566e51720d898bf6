// Package sheet reads and writes an inventory as spreadsheets: one CSV file
// per kind of thing (sites, accesses, devices, links...), with a header row
// naming the columns. It is how a team that keeps its sites and circuits in
// a spreadsheet (or exports them from a tool that does) gives them to vigie:
// `vigie inventory import csv` reads the files, `vigie inventory export csv`
// writes them. docs/inventory-sheets.md documents every column.
//
// The sheets hold the network: regions, datacentres, PoPs, devices, sites,
// their accesses, links and interconnects. What is vigie's own business
// (agent, polling, SNMP profiles with their secrets, VRFs, BGP, planned works)
// comes from a base inventory file. Every value is checked by the
// inventory's own decoder, and each problem is reported at the sheet's
// FILE:LINE: COLUMN.
package sheet

import "strings"

// Kind names one sheet.
type Kind string

// The sheets, in the order an inventory declares them.
const (
	Regions       Kind = "regions"
	Datacentres   Kind = "datacentres"
	PoPs          Kind = "pops"
	Devices       Kind = "devices"
	Sites         Kind = "sites"
	Accesses      Kind = "accesses"
	Links         Kind = "links"
	Interconnects Kind = "interconnects"
)

// Kinds lists the sheets in the inventory's order.
var Kinds = []Kind{Regions, Datacentres, PoPs, Devices, Sites, Accesses, Links, Interconnects}

// valueType says how a cell becomes a YAML value.
type valueType int

const (
	text    valueType = iota // a string, as written
	boolean                  // true/false, yes/no, oui/non, 1/0, x
	number                   // a decimal number (lat, lon)
	words                    // a list: words separated by spaces, commas, semicolons or |
)

// column is one column of a sheet: its header name, the inventory key it
// fills (a.device for a link's end) and how its cells read.
type column struct {
	name     string
	key      string
	typ      valueType
	required bool
}

// columns are each sheet's columns, in the order export writes them.
var columns = map[Kind][]column{
	Regions: {
		{"id", "id", text, true}, {"name", "name", text, false}, {"overseas", "overseas", boolean, false},
	},
	Datacentres: {
		{"id", "id", text, true}, {"name", "name", text, false}, {"region", "region", text, true},
		{"address", "address", text, false},
	},
	PoPs: {
		{"id", "id", text, true}, {"name", "name", text, false}, {"region", "region", text, true},
		{"address", "address", text, false},
	},
	Devices: {
		{"name", "name", text, true}, {"role", "role", text, true}, {"site", "site", text, false},
		{"pop", "pop", text, false}, {"datacentre", "datacentre", text, false}, {"address", "address", text, true},
		{"snmp_profile", "snmp_profile", text, false},
	},
	Sites: {
		{"id", "id", text, true}, {"name", "name", text, false}, {"region", "region", text, true},
		{"overseas", "overseas", boolean, false}, {"protection", "protection", text, true},
		{"prefixes", "prefixes", words, false}, {"address", "address", text, false},
		{"commune", "commune", text, false}, {"department", "department", text, false},
		{"ministry", "ministry", text, false}, {"contact", "contact", text, false},
		{"lat", "lat", number, false}, {"lon", "lon", number, false},
	},
	Accesses: {
		{"site", "", text, true}, {"technology", "technology", text, true}, {"router", "router", text, true},
		{"router_interface", "router_interface", text, false}, {"device", "device", text, true},
		{"interface", "interface", text, false}, {"srlgs", "srlgs", words, false},
		{"via_internet", "via_internet", boolean, false}, {"operator", "operator", text, false},
		{"circuit", "circuit", text, false},
	},
	Links: {
		{"a_device", "a.device", text, true}, {"a_interface", "a.interface", text, false},
		{"b_device", "b.device", text, true}, {"b_interface", "b.interface", text, false},
		{"technology", "technology", text, false}, {"srlgs", "srlgs", words, false},
		{"via_internet", "via_internet", boolean, false},
	},
	Interconnects: {
		{"id", "id", text, true}, {"name", "name", text, false}, {"kind", "kind", text, true},
		{"device", "device", text, true}, {"interface", "interface", text, false}, {"vrf", "vrf", text, false},
		{"srlgs", "srlgs", words, false}, {"prefixes", "prefixes", words, false},
		{"bgp_peer", "bgp_peer", text, false},
	},
}

// fileNames are the words a sheet's file name may hold to say which sheet
// it is, English and French, without accents ("Sites RIE 2026.csv",
// "acces-fibre.csv", "equipements.csv").
var fileNames = map[Kind][]string{
	Regions:       {"region"},
	Datacentres:   {"datacentre", "datacenter", "centres", "dc"},
	PoPs:          {"pop"},
	Devices:       {"device", "equipement", "routeur", "router"},
	Sites:         {"site"},
	Accesses:      {"access", "acces"},
	Links:         {"link", "lien", "liaison"},
	Interconnects: {"interconnect", "interco"},
}

// kindOfName guesses a sheet from its file's base name: the kind whose
// word appears, unless several do (then the header decides).
func kindOfName(base string) (Kind, bool) {
	name := strings.ToLower(foldAccents(base))
	var found []Kind
	for _, k := range Kinds {
		for _, w := range fileNames[k] {
			if containsWord(name, w) {
				found = append(found, k)
				break
			}
		}
	}
	// "sites-acces.csv": the accesses of the sites.
	if len(found) == 2 && found[0] == Sites && found[1] == Accesses {
		return Accesses, true
	}
	if len(found) == 1 {
		return found[0], true
	}
	return "", false
}

// containsWord reports whether w starts a word of name (words split at
// anything that is not a letter), so that "pop" matches "pops-idf" but
// not "population".
func containsWord(name, w string) bool {
	for i := 0; i+len(w) <= len(name); i++ {
		if name[i:i+len(w)] != w || (i > 0 && isLetter(name[i-1])) {
			continue
		}
		// the word itself or its plural (-s, -es), then a separator
		rest := name[i+len(w):]
		rest = strings.TrimPrefix(strings.TrimPrefix(rest, "e"), "s")
		if rest == "" || !isLetter(rest[0]) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// kindOfHeader guesses a sheet from the columns only it has.
func kindOfHeader(header []string) (Kind, bool) {
	has := map[string]bool{}
	for _, h := range header {
		has[normalize(h)] = true
	}
	switch {
	case has["a_device"]:
		return Links, true
	case has["technology"] && has["router"]:
		return Accesses, true
	case has["protection"]:
		return Sites, true
	case has["role"]:
		return Devices, true
	case has["kind"]:
		return Interconnects, true
	}
	return "", false // regions, PoPs and datacentres look alike: the file name says
}

// normalize makes a header cell a column name: lower case, no accents,
// spaces and dashes as underscores ("Router interface" -> router_interface).
func normalize(h string) string {
	h = strings.ToLower(strings.TrimSpace(foldAccents(h)))
	return underscores.Replace(h)
}

var underscores = strings.NewReplacer(" ", "_", "-", "_")

// foldAccents drops the accents of the letters French names use.
func foldAccents(s string) string {
	return accents.Replace(s)
}

var accents = strings.NewReplacer(
	"é", "e", "è", "e", "ê", "e", "ë", "e", "à", "a", "â", "a", "ä", "a", "î", "i", "ï", "i",
	"ô", "o", "ö", "o", "ù", "u", "û", "u", "ü", "u", "ç", "c",
	"É", "E", "È", "E", "Ê", "E", "À", "A", "Â", "A", "Î", "I", "Ô", "O", "Ù", "U", "Û", "U", "Ç", "C")
