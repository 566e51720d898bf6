package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Defaults the file may leave out (docs/configuration.md lists them all).
const (
	DefaultListen  = ":9742"
	DefaultHistory = 168 * time.Hour
	// DefaultProfileName is the SNMP profile of a device that names none.
	DefaultProfileName = "default"
	// MinInterval is the shortest poll interval accepted: SNMP agents run on
	// the routers' control-plane CPU, which vigie must not load.
	MinInterval = 5 * time.Second
	// MaxFileSize bounds the configuration file vigie reads: 64 MiB, eight
	// times the 7.5 MB of a generated 14,000-site RIE (vigie-sim generate).
	// Whatever is named by mistake (/dev/zero, a disk image, a log) fails
	// at once instead of filling vigie's memory.
	MaxFileSize = 64 << 20
	// MaxSecretSize bounds a {file: PATH} secret: 64 KiB is far more than
	// any community, key or password, and far less than a wrong file.
	MaxSecretSize = 64 << 10
)

// Load reads, parses and validates the configuration file at path. On
// success the inventory is indexed and every default is filled in. When the
// file has problems, the error is a *ConfigError listing all of them (see
// CheckReport); warnings alone do not fail unless opts.Strict, and reach
// opts.OnWarning.
func Load(path string, opts LoadOptions) (*Inventory, error) {
	data, err := readBounded(path, MaxFileSize)
	switch {
	case errors.Is(err, errTooLarge):
		return nil, fmt.Errorf("inventory: %s is larger than %d MiB, the limit of a configuration (a 14,000-site RIE takes about 8 MiB): check that it is vigie's inventory", path, MaxFileSize>>20)
	case err != nil:
		return nil, fmt.Errorf("inventory: cannot read the configuration (check the path and its permissions): %w", err)
	}
	return Parse(path, data, opts)
}

// errTooLarge is readBounded's answer for a file over its limit.
var errTooLarge = errors.New("file too large")

// readBounded reads the file at path, or fails with errTooLarge as soon as
// more than limit bytes come out of it: a device (/dev/zero), a FIFO or a
// file that grows while read never holds more than limit+1 bytes in memory.
func readBounded(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > limit {
		return nil, errTooLarge
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}

// Parse is Load on bytes already read; name is used in problems and as the
// base of relative {file: PATH} secrets.
func Parse(name string, data []byte, opts LoadOptions) (*Inventory, error) {
	if len(data) >= streamMin {
		if inv, err, ok := parseStream(name, data, opts, streamPiece); ok {
			return inv, err
		}
	}
	return parseWhole(name, data, opts)
}

func newDecoder(name string, opts LoadOptions) *decoder {
	d := &decoder{
		file:   name,
		dir:    filepath.Dir(name),
		opts:   opts,
		budget: aliasBudget,
		inv:    &Inventory{Source: name},
	}
	d.null = yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	return d
}

// parseWhole is Parse from a single parse of the whole file into a node
// tree (on several cores when it is large: split.go).
func parseWhole(name string, data []byte, opts LoadOptions) (*Inventory, error) {
	d := newDecoder(name, opts)
	root, extra, err := parseDocument(data)
	if err != nil {
		d.add(syntaxProblem(name, err))
		return nil, d.result()
	}
	if extra {
		d.warnf(0, fpath{}, "the file holds several YAML documents (---): only the first is read")
	}
	d.document(root)
	return d.inv, d.result()
}

// parseYAML parses the first document into a node tree, once. yaml.v3 has
// panicked on hostile input in the past: a panic becomes a syntax error.
func parseYAML(data []byte) (root *yaml.Node, extra bool, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the parser failed on this input (%v)", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &doc, false, nil
		}
		return nil, false, err
	}
	var next yaml.Node
	extra = dec.Decode(&next) == nil
	return &doc, extra, nil
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxProblem(file string, err error) Problem {
	msg := err.Error()
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return Problem{File: file, Line: line, Msg: "YAML syntax error: " + m[2] + " (check indentation, colons and quotes)"}
	}
	if len(msg) > 6 && msg[:6] == "yaml: " {
		msg = msg[6:]
	}
	return Problem{File: file, Msg: "YAML syntax error: " + msg}
}

// result sorts the problems and decides whether they fail the load.
func (d *decoder) result() error {
	if d.dropped > 0 {
		d.probs = append(d.probs, Problem{File: d.file, Msg: fmt.Sprintf("%d more problems not shown: fix those above and run again", d.dropped)})
	}
	fail := false
	for i := range d.probs {
		if d.opts.Strict {
			d.probs[i].Warning = false
		}
		if !d.probs[i].Warning {
			fail = true
		}
	}
	sortProblems(d.probs)
	if fail {
		return &ConfigError{Problems: d.probs}
	}
	if d.opts.OnWarning != nil {
		for _, p := range d.probs {
			d.opts.OnWarning(p)
		}
	}
	return nil
}

var topKeys = []string{"agent", "polling", "snmp_profiles", "regions", "datacentres", "pops", "devices", "sites", "links", "interconnects", "vrfs", "bgp", "maintenance", "collectors"}

// document decodes the sections in dependency order, whatever their order
// in the file, so that each reference is checked where it is written.
func (d *decoder) document(doc *yaml.Node) {
	inv := d.inv
	inv.Agent = Agent{Listen: DefaultListen, History: DefaultHistory}
	inv.Polling = DefaultPolling()
	if doc.Kind == 0 || len(doc.Content) == 0 {
		d.errf(0, fpath{}, "the configuration is empty: start from configs/vigie.example.yml")
		return
	}
	root := doc.Content[0]
	if r := d.deref(root); r.Kind == yaml.ScalarNode && r.Tag == "!!null" {
		d.errf(0, fpath{}, "the configuration is empty: start from configs/vigie.example.yml")
		return
	}
	sections := make(map[string]*yaml.Node, len(topKeys))
	d.fields(root, fpath{}, "the top level", func(key string, k, v *yaml.Node) {
		if !slices.Contains(topKeys, key) {
			// Keys starting with "x-" are a place for YAML anchors shared by
			// several entries (as in docker compose files).
			if !strings.HasPrefix(key, "x-") {
				d.unknown(k, fpath{}, topKeys)
			}
			return
		}
		sections[key] = v
	})
	top := fpath{}
	if v := sections["agent"]; v != nil {
		d.agent(v, top.k("agent"))
	}
	if v := sections["polling"]; v != nil {
		d.polling(v, top.k("polling"))
	}
	d.profiles = map[string]int{}
	if v := sections["snmp_profiles"]; v != nil {
		d.profileList(v, top.k("snmp_profiles"))
	}
	d.regions = map[string]int{}
	if v := sections["regions"]; v != nil {
		d.regionList(v, top.k("regions"))
	}
	d.dcs = map[string]int{}
	if v := sections["datacentres"]; v != nil {
		d.datacentreList(v, top.k("datacentres"))
	}
	d.pops = map[string]int{}
	if v := sections["pops"]; v != nil {
		d.popList(v, top.k("pops"))
	}
	d.siteIDs = d.prescanSites(sections["sites"])
	if v := sections["devices"]; v != nil {
		d.deviceList(v, top.k("devices"))
	}
	d.sites = make(map[string]int, len(d.siteIDs))
	if v := sections["sites"]; v != nil {
		d.siteList(v, top.k("sites"))
	}
	if v := sections["links"]; v != nil {
		d.linkList(v, top.k("links"))
	}
	if v := sections["vrfs"]; v != nil {
		d.vrfList(v, top.k("vrfs"))
	}
	if v := sections["interconnects"]; v != nil {
		d.interconnectList(v, top.k("interconnects"))
	}
	if v := sections["bgp"]; v != nil {
		d.bgp(v, top.k("bgp"))
	}
	d.interconnectPeers(top.k("interconnects"))
	if v := sections["maintenance"]; v != nil {
		d.maintenanceList(v, top.k("maintenance"))
	}
	if v := sections["collectors"]; v != nil {
		d.collectorList(v, top.k("collectors"))
	}
	inv.Index()
	if v := sections["collectors"]; v != nil {
		d.uncollected(v.Line, top.k("collectors"))
	}
}

// The enums as word lists, built once.
var (
	roleWords = words(Roles)
	techWords = words(Technologies)
	kindWords = words(InterconnectKinds)
)

var agentKeys = []string{"listen", "db", "history", "max_lldp_neighbors", "max_device_events_per_minute", "availability_retention"}

func (d *decoder) agent(n *yaml.Node, p fpath) {
	a := &d.inv.Agent
	d.fields(n, p, "the agent section", func(key string, k, v *yaml.Node) {
		switch key {
		case "listen":
			if s, ok := d.name(v, p.k(key), "listen address"); ok {
				if _, _, err := net.SplitHostPort(s); err != nil {
					d.errf(v.Line, p.k(key), "invalid listen address %q: write HOST:PORT or :PORT, e.g. %q", s, DefaultListen)
				} else {
					a.Listen = s
				}
			}
		case "db":
			a.DB, _ = d.str(v, p.k(key))
		case "history":
			if x, ok := d.duration(v, p.k(key), time.Hour, " (the store keeps at least an hour of changes)"); ok {
				a.History = x
			}
		case "max_lldp_neighbors":
			if x, ok := d.integer(v, p.k(key), 1, 1_000_000); ok {
				a.MaxLLDPNeighbors = int(x)
			}
		case "max_device_events_per_minute":
			if x, ok := d.integer(v, p.k(key), 1, 1_000_000); ok {
				a.MaxDeviceEvents = int(x)
			}
		case "availability_retention":
			if x, ok := d.duration(v, p.k(key), 744*time.Hour, " (31 days: a monthly availability report needs its whole month)"); ok {
				a.AvailabilityRetention = x
			}
		default:
			d.unknown(k, p, agentKeys)
		}
	})
}

var (
	pollingKeys = []string{"intervals", "workers", "max_backoff", "max_rows", "tables"}
	// PollTables lists the tables a device may be polled for.
	PollTables = []string{"system", "interfaces", "lldp", "bgp", "health"}
)

func (d *decoder) polling(n *yaml.Node, p fpath) {
	pl := &d.inv.Polling
	d.fields(n, p, "the polling section", func(key string, k, v *yaml.Node) {
		q := p.k(key)
		switch key {
		case "intervals":
			d.fields(v, q, "a mapping of role to interval", func(role string, rk, rv *yaml.Node) {
				if !slices.Contains(Roles, Role(role)) {
					d.unknown(rk, q, roleWords)
					return
				}
				if x, ok := d.duration(rv, q.k(role), MinInterval, ": SNMP agents share the routers' control-plane CPU; poll every 5s or slower"); ok {
					pl.Intervals[Role(role)] = x
				}
			})
		case "workers":
			if x, ok := d.integer(v, q, 1, 100_000); ok {
				pl.Workers = int(x)
			}
		case "max_backoff":
			if x, ok := d.duration(v, q, time.Second, ""); ok {
				pl.MaxBackoff = x
			}
		case "max_rows":
			if x, ok := d.integer(v, q, 1, 10_000_000); ok {
				pl.MaxRows = int(x)
			}
		case "tables":
			pl.Tables = d.enums(v, q, "[system, interfaces, lldp, bgp]", "table", PollTables)
		default:
			d.unknown(k, p, pollingKeys)
		}
	})
}

var (
	profileKeys = []string{"name", "version", "community", "username", "auth_protocol", "auth_password", "priv_protocol", "priv_password", "timeout", "retries", "max_repetitions"}
	// AuthProtocols and PrivProtocols are the SNMPv3 algorithms vigie accepts.
	AuthProtocols = []string{"SHA", "SHA224", "SHA256", "SHA384", "SHA512", "MD5"}
	PrivProtocols = []string{"AES", "AES192", "AES256", "AES192C", "AES256C", "DES"}
	snmpVersions  = []string{string(SNMPv2c), string(SNMPv3)}
)

func (d *decoder) profileList(n *yaml.Node, p fpath) {
	d.list(n, p, "[{name: default, version: 3, ...}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		pr := DefaultProfile()
		pr.Line = item.Line
		var hasName, hasUser, hasCommunity, hasAuth, hasPriv bool
		versionOK := true
		ok := d.fields(item, q, "an SNMP profile", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "name":
				pr.Name, _ = d.name(v, r, "profile name")
				hasName = true
			case "version":
				s, ok := d.enum(v, r, "SNMP version", snmpVersions)
				pr.Version, versionOK = SNMPVersion(s), ok
			case "community":
				pr.Community, hasCommunity = d.secret(v, r)
			case "username":
				pr.Username, _ = d.name(v, r, "username")
				hasUser = true
			case "auth_protocol":
				if s, ok := d.enum(v, r, "auth protocol", AuthProtocols); ok {
					pr.AuthProtocol = s
					if s == "MD5" {
						d.warnf(v.Line, r, "MD5 is broken: prefer SHA256 or SHA if the device supports it")
					}
				}
			case "auth_password":
				pr.AuthPassword, hasAuth = d.secret(v, r)
			case "priv_protocol":
				if s, ok := d.enum(v, r, "privacy protocol", PrivProtocols); ok {
					pr.PrivProtocol = s
					if s == "DES" {
						d.warnf(v.Line, r, "DES is broken: prefer AES")
					}
				}
			case "priv_password":
				pr.PrivPassword, hasPriv = d.secret(v, r)
			case "timeout":
				if x, ok := d.duration(v, r, time.Millisecond, ""); ok {
					pr.Timeout = x
				}
			case "retries":
				if x, ok := d.integer(v, r, 0, 10); ok {
					pr.Retries = int(x)
				}
			case "max_repetitions":
				if x, ok := d.integer(v, r, 1, 255); ok {
					pr.MaxRepetitions = int(x)
				}
			default:
				d.unknown(k, q, profileKeys)
			}
		})
		if !ok {
			return
		}
		if !hasName {
			d.missing(pr.Line, q.k("name"), "missing name: every SNMP profile needs one (devices refer to it by snmp_profile)")
		}
		switch {
		case !versionOK:
		case pr.Version == SNMPv2c:
			d.warnf(pr.Line, q.k("version"), "v2c sends the community in clear; prefer version 3 authPriv")
			if !hasCommunity {
				d.missing(pr.Line, q.k("community"), "a v2c profile needs a community: write community: {env: VIGIE_SNMP_COMMUNITY}")
			}
		case pr.Version == SNMPv3:
			if !hasUser {
				d.missing(pr.Line, q.k("username"), "an SNMPv3 profile needs a username (the USM user configured on the devices)")
			}
			if !hasAuth {
				d.missing(pr.Line, q.k("auth_password"), "vigie polls SNMPv3 with authPriv only: add auth_password: {env: VIGIE_SNMP_AUTH}")
			}
			if !hasPriv {
				d.missing(pr.Line, q.k("priv_password"), "vigie polls SNMPv3 with authPriv only: add priv_password: {env: VIGIE_SNMP_PRIV}")
			}
			if hasCommunity {
				d.warnf(pr.Line, q.k("community"), "SNMPv3 ignores the community: remove it")
			}
		}
		if pr.Name != "" {
			if j, dup := d.profiles[pr.Name]; dup {
				d.errf(pr.Line, q.k("name"), "duplicate SNMP profile %q (first declared at line %d): rename one", pr.Name, d.inv.Profiles[j].Line)
				return
			}
			d.profiles[pr.Name] = len(d.inv.Profiles)
		}
		d.inv.Profiles = append(d.inv.Profiles, pr)
	})
}

var regionKeys = []string{"id", "name", "overseas"}

func (d *decoder) regionList(n *yaml.Node, p fpath) {
	d.list(n, p, "[{id: ara, name: Auvergne-Rhône-Alpes}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		r := Region{Line: item.Line}
		var hasID bool
		ok := d.fields(item, q, "a region", func(key string, k, v *yaml.Node) {
			switch key {
			case "id":
				r.ID, _ = d.name(v, q.k(key), "region id")
				hasID = true
			case "name":
				r.Name, _ = d.str(v, q.k(key))
			case "overseas":
				r.Overseas, _ = d.boolean(v, q.k(key))
			default:
				d.unknown(k, q, regionKeys)
			}
		})
		if !ok {
			return
		}
		if !hasID {
			d.missing(r.Line, q.k("id"), "missing id: every region needs one (sites, PoPs and datacentres refer to it)")
		}
		if r.ID == "" {
			return
		}
		if j, dup := d.regions[r.ID]; dup {
			d.errf(r.Line, q.k("id"), "duplicate region %q (first declared at line %d): remove or rename one", r.ID, d.inv.Regions[j].Line)
			return
		}
		d.regions[r.ID] = len(d.inv.Regions)
		d.inv.Regions = append(d.inv.Regions, r)
	})
}

// regionRef checks a reference to a region.
func (d *decoder) regionRef(v *yaml.Node, p fpath, whose string) (string, bool) {
	s, ok := d.name(v, p, "region")
	if !ok {
		return "", false
	}
	if _, found := d.regions[s]; !found {
		d.errf(v.Line, p, "%s is in unknown region %q (declare it under regions:)", whose, s)
	}
	return s, true
}

var placeKeys = []string{"id", "name", "region", "address"}

func (d *decoder) datacentreList(n *yaml.Node, p fpath) {
	d.placeList(n, p, "datacentre", "[{id: dc-paris, name: ..., region: idf}]", d.dcs,
		func(x place) {
			d.dcs[x.id] = len(d.inv.Datacentres)
			d.inv.Datacentres = append(d.inv.Datacentres, Datacentre{ID: x.id, Name: x.name, Region: x.region, Address: x.address, Line: x.line})
		},
		func(j int) int { return d.inv.Datacentres[j].Line })
}

func (d *decoder) popList(n *yaml.Node, p fpath) {
	d.placeList(n, p, "PoP", "[{id: pop-lyon, name: ..., region: ara}]", d.pops,
		func(x place) {
			d.pops[x.id] = len(d.inv.PoPs)
			d.inv.PoPs = append(d.inv.PoPs, PoP{ID: x.id, Name: x.name, Region: x.region, Address: x.address, Line: x.line})
		},
		func(j int) int { return d.inv.PoPs[j].Line })
}

// place is what datacentres and PoPs share: an id, a name, a region and an
// address.
type place struct {
	id, name, region, address string
	line                      int
}

// placeList decodes a list of places of one kind (what: "datacentre",
// "PoP"), with the same keys and checks for both: seen indexes those already
// declared, add stores a new one, firstLine gives a duplicate's first line.
func (d *decoder) placeList(n *yaml.Node, p fpath, what, example string, seen map[string]int, add func(place), firstLine func(int) int) {
	d.list(n, p, example, func(i int, item *yaml.Node) {
		q := p.i(i)
		x := place{line: item.Line}
		var hasID, hasRegion bool
		ok := d.fields(item, q, "a "+what, func(key string, k, v *yaml.Node) {
			switch key {
			case "id":
				x.id, _ = d.name(v, q.k(key), what+" id")
				hasID = true
			case "name":
				x.name, _ = d.str(v, q.k(key))
			case "region":
				x.region, _ = d.regionRef(v, q.k(key), what)
				hasRegion = true
			case "address":
				x.address, _ = d.str(v, q.k(key))
			default:
				d.unknown(k, q, placeKeys)
			}
		})
		if !ok {
			return
		}
		if !hasRegion {
			d.missing(x.line, q.k("region"), "missing region: say which region the %s stands in", what)
		}
		if !hasID {
			d.missing(x.line, q.k("id"), "missing id: every %s needs one (devices refer to it)", what)
		}
		if x.id == "" {
			return
		}
		if j, dup := seen[x.id]; dup {
			d.errf(x.line, q.k("id"), "duplicate %s %q (first declared at line %d): remove or rename one", what, x.id, firstLine(j))
			return
		}
		add(x)
	})
}

// prescanSites collects the site ids before devices are decoded, since a
// site CE names its site and a site's access names its CE.
func (d *decoder) prescanSites(n *yaml.Node) map[string]int {
	ids := make(map[string]int, d.count(n))
	if n == nil {
		return ids
	}
	n = d.deref(n)
	if n.Kind != yaml.SequenceNode {
		return ids
	}
	add := func(i int, item *yaml.Node) {
		if id, ok := d.siteID(item); ok {
			if _, dup := ids[id]; !dup {
				ids[id] = i
			}
		}
	}
	if l := d.lazy[n]; l != nil && d.prescanText(n, l, ids, add) {
		return ids
	}
	d.items(n, add)
	return ids
}

// siteID returns the id the pre-scan takes from one item of sites: the
// first id key whose value is a scalar.
func (d *decoder) siteID(item *yaml.Node) (string, bool) {
	item = d.deref(item)
	if item.Kind != yaml.MappingNode {
		return "", false
	}
	for j := 0; j+1 < len(item.Content); j += 2 {
		if k, v := item.Content[j], d.deref(item.Content[j+1]); k.Value == "id" && v.Kind == yaml.ScalarNode {
			return v.Value, true
		}
	}
	return "", false
}

var deviceKeys = []string{"name", "role", "site", "pop", "datacentre", "address", "snmp_profile"}

func (d *decoder) deviceList(n *yaml.Node, p fpath) {
	if c := d.count(n); c > 0 {
		d.inv.Devices = make([]Device, 0, c)
	}
	d.devices = make(map[string]int, d.count(n))
	d.agents = make(map[netip.AddrPort]int, d.count(n))
	d.list(n, p, "[{name: agg-lyon-1, role: collection, pop: pop-lyon, address: 192.0.2.1}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		x := Device{Line: item.Line}
		var hasName, hasRole, hasAddr, hasProfile bool
		places := 0
		ok := d.fields(item, q, "a device", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "name":
				x.Name, _ = d.name(v, r, "device name")
				hasName = true
			case "role":
				hasRole = true
				if s, ok := d.enum(v, r, "role", roleWords); ok {
					x.Role = Role(s)
				}
			case "site":
				places++
				x.Site = d.ref(v, r, "site", d.siteIDs, "device stands at unknown site %q (declare it under sites:)")
			case "pop":
				places++
				x.PoP = d.ref(v, r, "PoP", d.pops, "device stands at unknown PoP %q (declare it under pops:)")
			case "datacentre":
				places++
				x.Datacentre = d.ref(v, r, "datacentre", d.dcs, "device stands in unknown datacentre %q (declare it under datacentres:)")
			case "address":
				x.Address, _ = d.addrPort(v, r)
				hasAddr = true
			case "snmp_profile":
				hasProfile = true
				if s, ok := d.name(v, r, "snmp_profile"); ok {
					x.Profile = s
					if _, found := d.profiles[s]; !found {
						d.errf(v.Line, r, "unknown SNMP profile %q (declare it under snmp_profiles:)", s)
					}
				}
			default:
				d.unknown(k, q, deviceKeys)
			}
		})
		if !ok {
			return
		}
		if !hasRole {
			d.missing(x.Line, q.k("role"), "missing role: use one of %s", joinWords(Roles))
		}
		if !hasAddr {
			d.missing(x.Line, q.k("address"), "missing address: give the management address vigie polls, e.g. 192.0.2.1")
		}
		switch places {
		case 0:
			d.errf(x.Line, q, "device %q stands nowhere: give exactly one of site, pop or datacentre", x.Name)
		case 1:
		default:
			d.errf(x.Line, q, "device %q has %d of site, pop and datacentre: give exactly one", x.Name, places)
		}
		if !hasProfile {
			x.Profile = DefaultProfileName
			if _, found := d.profiles[DefaultProfileName]; !found {
				d.errf(x.Line, q.k("snmp_profile"), "no snmp_profile and no profile named %q: add snmp_profile or declare a %q profile", DefaultProfileName, DefaultProfileName)
			}
		}
		if !hasName {
			d.missing(x.Line, q.k("name"), "missing name: every device needs one (links and sites refer to it)")
		}
		if x.Name == "" {
			return
		}
		if j, dup := d.devices[x.Name]; dup {
			d.errf(x.Line, q.k("name"), "duplicate device %q (first declared at line %d): remove or rename one", x.Name, d.inv.Devices[j].Line)
			return
		}
		if x.Address.IsValid() {
			// Two devices on one agent would both show its answers (its
			// sysName, its interfaces) as their own: the second looks up
			// while it is never polled. One IP with distinct ports is
			// allowed: agents behind a NAT or proxy, and the lab's.
			key := netip.AddrPortFrom(x.Address.Addr().Unmap(), x.Address.Port())
			if j, dup := d.agents[key]; dup {
				o := &d.inv.Devices[j]
				d.errf(x.Line, q.k("address"), "device %q has the address %s of device %q (line %d): one SNMP agent answers for one device; give each its own management address (or, behind one IP, its own port)", x.Name, key, o.Name, o.Line)
			} else {
				d.agents[key] = len(d.inv.Devices)
			}
		}
		d.devices[x.Name] = len(d.inv.Devices)
		d.inv.Devices = append(d.inv.Devices, x)
	})
}

func joinWords[T ~string](xs []T) string {
	b := make([]byte, 0, 64)
	for i, x := range xs {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, x...)
	}
	return string(b)
}

// deviceRef reads a reference to a device and looks it up. found is false
// when the name is valid but no device has it (the caller says what the
// reference was for); dev is nil then.
func (d *decoder) deviceRef(v *yaml.Node, p fpath) (name string, dev *Device, found bool) {
	s, ok := d.name(v, p, "device")
	if !ok {
		return "", nil, true // already reported
	}
	j, found := d.devices[s]
	if !found {
		return s, nil, false
	}
	return s, &d.inv.Devices[j], true
}

// count returns the number of items of a sequence (0 for anything else),
// to size slices once.
func (d *decoder) count(n *yaml.Node) int {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	if n == nil || n.Kind != yaml.SequenceNode {
		return 0
	}
	if l := d.lazy[n]; l != nil {
		return len(n.Content) + l.estimate
	}
	return len(n.Content)
}
