// Package inventory is vigie's model of the RIE as its operators declare it:
// regions, datacentres, points of presence, sites with their access links,
// devices with their SNMP profiles, backbone links and partner
// interconnects. It is the head of vigie's data flow
// (inventory -> collector -> topology -> metrics/API): every other package
// reads these types and none writes them back.
package inventory

import (
	"net/netip"
	"time"
)

// Inventory is one loaded and validated vigie configuration. Slices keep the
// file's order; the maps index them by id or name and are built by Index.
type Inventory struct {
	// Source is the file the inventory was loaded from ("" when built in code).
	Source string

	Agent         Agent
	Polling       Polling
	Profiles      []SNMPProfile
	Regions       []Region
	Datacentres   []Datacentre
	PoPs          []PoP
	Devices       []Device
	Sites         []Site
	Links         []Link
	Interconnects []Interconnect
	// VRFs name the PFS virtual networks by their route distinguishers
	// ("vrfs:" section, vrfs.go): BGP series carry the name.
	VRFs []VRF
	// BGP is the embedded listen-only route monitor ("bgp:" section).
	BGP BGP
	// Maintenance lists the declared planned-works windows (maintenance.go).
	Maintenance []Maintenance
	// Collectors say which regional collector polls which devices when
	// vigie runs distributed (collectors.go); empty on one box.
	Collectors []CollectorShare

	regionByID     map[string]int
	datacentreByID map[string]int
	popByID        map[string]int
	deviceByName   map[string]int
	siteByID       map[string]int
	profileByName  map[string]int
}

// Agent holds the daemon's own settings.
type Agent struct {
	// Listen is the HTTP address of /metrics and /api/v1 (default ":9742").
	Listen string
	// DB is the bbolt file holding the live topology ("" = in memory only).
	DB string
	// History is how long change events are kept in the store.
	History time.Duration
	// MaxLLDPNeighbors bounds the LLDP neighbours the inventory does not
	// declare that one device may add to the live topology, and
	// MaxDeviceEvents the events a minute they may add to its history
	// (0: the topology's defaults, 1,024 and 600).
	MaxLLDPNeighbors int
	MaxDeviceEvents  int
	// AvailabilityRetention is how long site state intervals are kept in
	// the store (0: the store's default, 13 months). The event history's
	// limits never apply to them.
	AvailabilityRetention time.Duration
}

// Polling holds the fleet scheduler's settings. Zero values are replaced by
// DefaultPolling's when the file is loaded.
type Polling struct {
	// Intervals is the poll interval per device role.
	Intervals map[Role]time.Duration
	// Workers bounds the number of devices polled at once.
	Workers int
	// MaxBackoff caps the exponential back-off of an unreachable device.
	MaxBackoff time.Duration
	// MaxRows bounds the rows read from one table of one device in one poll;
	// a device that floods a table is cut there and counted.
	MaxRows int
	// Tables lists what is polled per device: any of "system", "interfaces",
	// "lldp", "bgp", "health" (CPU, memory, sensors). The system group is
	// always polled.
	Tables []string
}

// DefaultPolling returns the settings used where the file says nothing.
func DefaultPolling() Polling {
	return Polling{
		Intervals: map[Role]time.Duration{
			RoleCollection: 60 * time.Second,
			RoleBackbone:   30 * time.Second,
			RolePFAI:       30 * time.Second,
			RolePFS:        30 * time.Second,
		},
		Workers:    256,
		MaxBackoff: 10 * time.Minute,
		MaxRows:    10000,
		Tables:     []string{"system", "interfaces", "lldp", "bgp", "health"},
	}
}

// Role is what part of the RIE a device belongs to.
type Role string

// Device roles, as in RIE.md.
const (
	RoleCollection Role = "collection" // site CEs and aggregation routers
	RoleBackbone   Role = "backbone"   // P/PE, route reflectors, datacentre edges
	RolePFAI       Role = "pfai"       // internet access platform
	RolePFS        Role = "pfs"        // service platform, partner interconnects
)

// Roles lists every valid role, in display order.
var Roles = []Role{RoleCollection, RoleBackbone, RolePFAI, RolePFS}

// Technology is the physical medium of an access link.
type Technology string

// Access technologies.
const (
	TechFibre        Technology = "fibre"
	TechFTTH         Technology = "ftth"
	TechADSL         Technology = "adsl"
	Tech4G           Technology = "4g"
	TechSatellite    Technology = "satellite"
	TechTransoceanic Technology = "transoceanic"
)

// Technologies lists every valid technology.
var Technologies = []Technology{TechFibre, TechFTTH, TechADSL, Tech4G, TechSatellite, TechTransoceanic}

// Protection is a site's access protection level, ordered from none to the
// best the RIE offers; a larger value is better protected.
type Protection int

// Protection levels. Designed levels come from the inventory; effective
// levels are computed by topology from the links that are up.
const (
	ProtectionNone    Protection = 0 // isolated: no access up
	ProtectionSingle  Protection = 1 // one access (ADSL, FTTH, 4G, fibre...)
	ProtectionBackup  Protection = 2 // a main access and a backup of another technology
	ProtectionDual    Protection = 3 // two fibres, which may share a risk
	ProtectionDiverse Protection = 4 // dual fibre, dual building entry, distinct paths
)

// ProtectionNames maps the inventory's words to levels.
var ProtectionNames = map[string]Protection{
	"none": ProtectionNone, "single": ProtectionSingle, "backup": ProtectionBackup,
	"dual": ProtectionDual, "diverse": ProtectionDiverse,
}

// String returns the inventory's word for p.
func (p Protection) String() string {
	for k, v := range ProtectionNames {
		if v == p {
			return k
		}
	}
	return "unknown"
}

// Region is an administrative region (mainland or overseas).
type Region struct {
	ID       string
	Name     string
	Overseas bool
	Line     int
}

// Datacentre is a State production datacentre: what sites must reach.
type Datacentre struct {
	ID     string
	Name   string
	Region string
	// Address is the postal address, for the people sent there.
	Address string
	Line    int
}

// PoP is a point of presence of the collection network or backbone, where
// aggregation, backbone, PFAI or PFS routers stand.
type PoP struct {
	ID     string
	Name   string
	Region string
	// Address is the postal address, for the people sent there.
	Address string
	Line    int
}

// Device is one SNMP-managed router or switch. Exactly one of Site, PoP and
// Datacentre says where it stands.
type Device struct {
	Name       string
	Role       Role
	Site       string
	PoP        string
	Datacentre string
	// Address is the management address polled over SNMP (port 161 unless given).
	Address netip.AddrPort
	// Profile names the SNMP profile used to poll it.
	Profile string
	Line    int
}

// Site is a place with State agents. A site is a leaf of the topology: its
// routers never carry another site's traffic.
type Site struct {
	ID       string
	Name     string
	Region   string
	Overseas bool
	// What a person acting on a page needs, all optional: where the site is
	// (Address, Commune, Department: the INSEE code such as "75", "2A" or
	// "971"), whom it serves (Ministry) and whom to call (Contact: a
	// reference such as a ticket queue, never a person's details in clear).
	Address    string
	Commune    string
	Department string
	Ministry   string
	Contact    string
	// Lat and Lon are WGS84 degrees, meaningful only when HasCoords.
	Lat, Lon  float64
	HasCoords bool
	// Protection is the level the site's access was designed for.
	Protection Protection
	Access     []AccessLink
	// Prefixes are the site's LAN prefixes, looked up in the backbone RIB.
	Prefixes []netip.Prefix
	Line     int
}

// AccessLink is a site's link into the collection network.
type AccessLink struct {
	Technology Technology
	// Router is the site's CE device; Interface its interface ("" = unknown).
	Router          string
	RouterInterface string
	// Device is the aggregation (or backbone) device the access lands on.
	Device    string
	Interface string
	// SRLGs are the shared-risk groups the access belongs to (duct, building
	// entry, PoP...). Two accesses sharing one fail together.
	SRLGs []string
	// ViaInternet marks an access tunnelled over a public operator's internet:
	// it disappears in the internet-cut scenario.
	ViaInternet bool
	// Operator is the carrier selling the access and Circuit its reference
	// for it: what the NOC quotes when it opens a ticket with the carrier.
	Operator string
	Circuit  string
	Line     int
}

// Endpoint is one end of a declared link.
type Endpoint struct {
	Device    string
	Interface string
}

// Link is a declared link between two devices that is not a site access:
// backbone trunks, PoP uplinks, datacentre attachments, transoceanic links.
type Link struct {
	A, B        Endpoint
	Technology  Technology
	SRLGs       []string
	ViaInternet bool
	Line        int
}

// InterconnectKind says what is on the far side of an interconnect.
type InterconnectKind string

// Interconnect kinds. Internet interconnects hang on PFAI devices and are
// removed by the internet-cut scenario; the others hang on PFS devices.
const (
	InterconnectInternet InterconnectKind = "internet"
	InterconnectTESTA    InterconnectKind = "testa"
	InterconnectRENATER  InterconnectKind = "renater"
	InterconnectPartner  InterconnectKind = "partner"
)

// Interconnect is a link to a network outside the RIE.
type Interconnect struct {
	ID        string
	Name      string
	Kind      InterconnectKind
	Device    string
	Interface string
	// VRF is the PFS virtual network the interconnect belongs to ("" = global).
	// With a vrfs: section it must name one of its VRFs.
	VRF string
	// Prefixes are the prefixes the partner is expected to announce in
	// that VRF: the interconnect is up only while BGP carries them all.
	Prefixes []netip.Prefix
	// BGPPeer is vigie's BGP session (an address under bgp.peers) whose
	// state the interconnect depends on; invalid = vigie's session with
	// the interconnect's device, if any.
	BGPPeer netip.Addr
	SRLGs   []string
	Line    int
}

// SNMPVersion is "2c" or "3".
type SNMPVersion string

// SNMP versions.
const (
	SNMPv2c SNMPVersion = "2c"
	SNMPv3  SNMPVersion = "3"
)

// SNMPProfile holds how to talk SNMP to a class of devices. Profiles are
// values: no setting of one ever leaks into another.
type SNMPProfile struct {
	Name    string
	Version SNMPVersion
	// Community is the v2c community.
	Community Secret
	// v3 USM: authPriv with SHA-family auth and AES privacy.
	Username     string
	AuthProtocol string // SHA, SHA224, SHA256, SHA384, SHA512, MD5
	AuthPassword Secret
	PrivProtocol string // AES, AES192, AES256, AES192C, AES256C, DES
	PrivPassword Secret
	// Timeout is the wait for one response; Retries how often a request is resent.
	Timeout time.Duration
	Retries int
	// MaxRepetitions is the GetBulk max-repetitions; halved automatically for
	// devices that time out on large responses.
	MaxRepetitions int
	Line           int
}

// DefaultProfile returns the settings a profile gets where the file is silent.
func DefaultProfile() SNMPProfile {
	return SNMPProfile{Version: SNMPv3, Timeout: 2 * time.Second, Retries: 1, MaxRepetitions: 25,
		AuthProtocol: "SHA", PrivProtocol: "AES"}
}

// BGP configures vigie's embedded, listen-only BGP speaker. vigie never
// announces a route: every export is rejected.
type BGP struct {
	// LocalAS and RouterID identify vigie's speaker; zero LocalAS disables BGP.
	LocalAS  uint32
	RouterID netip.Addr
	// ListenPort is where vigie accepts sessions (0 = only connect out).
	ListenPort int
	Peers      []BGPPeer
	// Canaries are internet prefixes whose presence from each PFAI shows
	// that the internet is reachable (the default route is always checked).
	Canaries []netip.Prefix
	// RouteSettle is how long an established session that sends no
	// End-of-RIB must have been up before its silence about a prefix is
	// trusted (0 = the monitor's default, 60s).
	RouteSettle time.Duration
	Line        int
}

// BGP address families a peer may carry.
const (
	FamilyIPv4Unicast = "ipv4-unicast"
	FamilyIPv6Unicast = "ipv6-unicast"
	FamilyVPNv4       = "l3vpn-ipv4-unicast"
	FamilyVPNv6       = "l3vpn-ipv6-unicast"
)

// BGPPeer is one session of the embedded speaker with a router.
type BGPPeer struct {
	// Device is the inventory device the session is with (for reconciliation
	// with its BGP4-MIB table, and for role and region labels).
	Device   string
	Address  netip.Addr
	RemoteAS uint32
	// LocalAddress is the source address vigie uses (zero = chosen by the OS).
	LocalAddress netip.Addr
	Port         int      // remote TCP port (default 179)
	Families     []string // default: ipv4-unicast
	// Password is the TCP-MD5 key, by reference like every secret.
	Password Secret
	// MaxPrefixes tears the session down past this many prefixes (0 = none).
	MaxPrefixes uint32
	// TTLSecurity enables GTSM with this many hops (0 = off).
	TTLSecurity int
	// AddPath asks the peer to send every path, not only its best.
	AddPath bool
	// Passive waits for the router to connect instead of connecting out.
	Passive bool
	Line    int
}
