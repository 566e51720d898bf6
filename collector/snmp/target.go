package snmp

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/gosnmp/gosnmp"
	"github.com/vigie-rie/vigie/inventory"
)

// Tables is the set of tables a poll reads beyond the system group.
type Tables uint8

// Tables that can be polled (inventory Polling.Tables words).
const (
	TableInterfaces Tables = 1 << iota // IF-MIB ifTable + ifXTable
	TableLLDP                          // LLDP-MIB lldpRemTable + lldpLocPortTable, and CISCO-CDP-MIB cdpCacheTable
	TableBGP                           // BGP4-MIB bgpPeerTable, and the vendor peer tables (bgpvendor.go)
	// TableNeighborAddrs adds the neighbours' management addresses to
	// TableLLDP: LLDP-MIB lldpRemManAddrTable, and the CDP cache from the
	// first poll rather than the second. For a crawl (vigie discover),
	// which polls each device once; not a polling.tables word.
	TableNeighborAddrs
	// TableHealth is CPU, memory and sensors (health.go): the tables of
	// HOST-RESOURCES-MIB, CISCO-PROCESS-MIB, CISCO-MEMORY-POOL-MIB and
	// ENTITY-SENSOR-MIB the device has.
	TableHealth
)

// ParseTables turns inventory Polling.Tables into a set. "system" is
// accepted and implied: the system group is always polled.
func ParseTables(words []string) (Tables, error) {
	var t Tables
	for _, w := range words {
		switch strings.ToLower(w) {
		case "system":
		case "interfaces":
			t |= TableInterfaces
		case "lldp":
			t |= TableLLDP
		case "bgp":
			t |= TableBGP
		case "health":
			t |= TableHealth
		default:
			return 0, fmt.Errorf("polling.tables: unknown table %q: use system, interfaces, lldp, bgp or health", w)
		}
	}
	return t, nil
}

// Target is everything needed to poll one device: where, how and what.
// It is built once per device from the inventory; secrets stay wrapped
// until the call into gosnmp.
type Target struct {
	Device  string
	Addr    netip.AddrPort
	Version inventory.SNMPVersion

	Community inventory.Secret

	User         string
	AuthProtocol gosnmp.SnmpV3AuthProtocol
	AuthPassword inventory.Secret
	PrivProtocol gosnmp.SnmpV3PrivProtocol
	PrivPassword inventory.Secret

	// Timeout is the wait for one response, Retries how often a request is
	// resent (from the profile).
	Timeout time.Duration
	Retries int
	// MaxRepetitions is the profile's GetBulk max-repetitions: the ceiling
	// of the adaptive value kept in DeviceState.
	MaxRepetitions int
	// MaxRows bounds the rows read from one table in one poll.
	MaxRows int
	Tables  Tables
}

var authProtocols = map[string]gosnmp.SnmpV3AuthProtocol{
	"": gosnmp.SHA, "MD5": gosnmp.MD5, "SHA": gosnmp.SHA, "SHA224": gosnmp.SHA224,
	"SHA256": gosnmp.SHA256, "SHA384": gosnmp.SHA384, "SHA512": gosnmp.SHA512,
}

var privProtocols = map[string]gosnmp.SnmpV3PrivProtocol{
	"": gosnmp.AES, "NONE": gosnmp.NoPriv, "DES": gosnmp.DES, "AES": gosnmp.AES, "AES192": gosnmp.AES192,
	"AES256": gosnmp.AES256, "AES192C": gosnmp.AES192C, "AES256C": gosnmp.AES256C,
}

// NewTarget builds the Target of device d polled with profile p under the
// fleet's polling settings.
func NewTarget(d *inventory.Device, p *inventory.SNMPProfile, pol inventory.Polling) (*Target, error) {
	if p == nil {
		return nil, fmt.Errorf("device %q: SNMP profile %q not found in the inventory", d.Name, d.Profile)
	}
	if !d.Address.IsValid() {
		return nil, fmt.Errorf("device %q: no management address to poll", d.Name)
	}
	tables, err := ParseTables(pol.Tables)
	if err != nil {
		return nil, err
	}
	t := &Target{
		Device: d.Name, Addr: d.Address, Version: p.Version,
		Timeout: p.Timeout, Retries: p.Retries, MaxRepetitions: p.MaxRepetitions,
		MaxRows: pol.MaxRows, Tables: tables,
	}
	if t.Addr.Port() == 0 {
		t.Addr = netip.AddrPortFrom(t.Addr.Addr(), 161)
	}
	if t.Timeout <= 0 {
		t.Timeout = 2 * time.Second
	}
	if t.Retries < 0 {
		t.Retries = 0
	}
	if t.MaxRepetitions <= 0 {
		t.MaxRepetitions = 25
	}
	if t.MaxRows <= 0 {
		t.MaxRows = 10000
	}
	switch p.Version {
	case inventory.SNMPv2c:
		if !p.Community.IsSet() {
			return nil, fmt.Errorf("device %q: profile %q is v2c but has no community", d.Name, p.Name)
		}
		t.Community = p.Community
	case inventory.SNMPv3:
		ap, ok := authProtocols[strings.ToUpper(p.AuthProtocol)]
		if !ok {
			return nil, fmt.Errorf("profile %q: unknown auth protocol %q: use SHA, SHA224, SHA256, SHA384, SHA512 or MD5", p.Name, p.AuthProtocol)
		}
		pp, ok := privProtocols[strings.ToUpper(p.PrivProtocol)]
		if !ok {
			return nil, fmt.Errorf("profile %q: unknown privacy protocol %q: use AES, AES192, AES256, AES192C, AES256C or DES", p.Name, p.PrivProtocol)
		}
		if p.Username == "" || !p.AuthPassword.IsSet() || (pp != gosnmp.NoPriv && !p.PrivPassword.IsSet()) {
			return nil, fmt.Errorf("profile %q: SNMPv3 needs a username, an auth password and a privacy password", p.Name)
		}
		t.User, t.AuthProtocol, t.AuthPassword, t.PrivProtocol, t.PrivPassword = p.Username, ap, p.AuthPassword, pp, p.PrivPassword
	default:
		return nil, fmt.Errorf("profile %q: unknown SNMP version %q: use 2c or 3", p.Name, p.Version)
	}
	return t, nil
}
