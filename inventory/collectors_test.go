package inventory

import (
	"bytes"
	"strings"
	"testing"
)

const collectorsBase = `snmp_profiles:
  - {name: default, username: vigie, auth_password: {env: A}, priv_password: {env: P}}
regions: [{id: ara}, {id: reu, overseas: true}]
pops: [{id: pop-lyon, region: ara}, {id: pop-lyon-2, region: ara}, {id: pop-reu, region: reu}]
devices:
  - {name: agg-lyon-1, role: collection, pop: pop-lyon, address: 192.0.2.1}
  - {name: agg-lyon-2, role: collection, pop: pop-lyon-2, address: 192.0.2.2}
  - {name: agg-reu-1, role: collection, pop: pop-reu, address: 192.0.2.3}
`

// TestCollectorsShare: a device goes to the collector naming it, else its
// PoP, else its region; Share keeps only its own; the section writes back.
func TestCollectorsShare(t *testing.T) {
	doc := collectorsBase + `collectors:
  - {name: mainland, regions: [ara]}
  - {name: reunion, regions: [reu], devices: [agg-lyon-2]}
  - {name: lyon-1, pops: [pop-lyon]}
`
	inv, err := Parse("vigie.yml", []byte(doc), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for dev, want := range map[string]string{"agg-lyon-1": "lyon-1", "agg-lyon-2": "reunion", "agg-reu-1": "reunion"} {
		if got := inv.CollectorOf(inv.Device(dev)); got != want {
			t.Errorf("CollectorOf(%s) = %q, want %q", dev, got, want)
		}
	}
	if s := inv.Share("reunion"); len(s.Devices) != 2 || s.Device("agg-reu-1") == nil || s.Device("agg-lyon-1") != nil {
		t.Errorf("Share(reunion) = %+v, want agg-lyon-2 and agg-reu-1", s.Devices)
	}
	if s := inv.Share("mainland"); len(s.Devices) != 0 {
		t.Errorf("Share(mainland) = %+v, want none (each of its devices is given elsewhere)", s.Devices)
	}
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	again, err := Parse("again.yml", buf.Bytes(), LoadOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if len(again.Collectors) != 3 || again.CollectorOf(again.Device("agg-lyon-2")) != "reunion" {
		t.Errorf("written and read again: %+v", again.Collectors)
	}
}

// TestCollectorsRefused: each mistake gives one line naming the field and
// what to do.
func TestCollectorsRefused(t *testing.T) {
	for _, tc := range []struct{ section, want string }{
		{`[{name: Reunion, regions: [reu]}]`, `collectors[0].name: collector name "Reunion": use lower-case letters`},
		{`[{name: a, regions: [nowhere]}]`, `unknown region "nowhere"`},
		{`[{name: a, pops: [pop-x]}]`, `unknown PoP "pop-x"`},
		{`[{name: a, regions: [ara]}, {name: a, regions: [reu]}]`, `duplicate collector "a"`},
		{`[{name: a}]`, `collector "a" polls nothing`},
		{`[{regions: [ara]}]`, `missing name`},
		{`[{name: a, regions: [ara]}, {name: b, regions: [ara]}]`, `region "ara" is given to collectors "a" and "b"`},
		{`[{name: a, region: [ara]}]`, `did you mean "regions"`},
		{`[{name: a, regions: [ara], bgp: true}]`, `collectors[0].bgp: collector "a" has bgp: true but the inventory's bgp: section has no peers`},
		{`[{name: a, regions: [ara], bgp: yes}]`, `collectors[0].bgp:`},
	} {
		_, err := Parse("vigie.yml", []byte(collectorsBase+"collectors: "+tc.section+"\n"), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("collectors: %s\n got %v\nwant an error with %q", tc.section, err, tc.want)
		}
	}
}

// TestCollectorsBGP: the collector with bgp: true runs the sessions, is
// written back with it, and only one may have it.
func TestCollectorsBGP(t *testing.T) {
	base := collectorsBase + `bgp:
  local_as: 65000
  router_id: 192.0.2.100
  peers: [{device: agg-lyon-1, address: 192.0.2.1, remote_as: 65000}]
`
	inv, err := Parse("vigie.yml", []byte(base+"collectors: [{name: mainland, regions: [ara], bgp: true}, {name: reunion, regions: [reu]}]\n"), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := inv.BGPCollector(); got != "mainland" {
		t.Errorf("BGPCollector() = %q, want mainland", got)
	}
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	again, err := Parse("again.yml", buf.Bytes(), LoadOptions{})
	if err != nil || again.BGPCollector() != "mainland" {
		t.Errorf("written and read again: %v, BGP collector %q\n%s", err, again.BGPCollector(), buf.String())
	}
	_, err = Parse("vigie.yml", []byte(base+"collectors: [{name: a, regions: [ara], bgp: true}, {name: b, regions: [reu], bgp: true}]\n"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), `collectors "a" and "b" both have bgp: true`) {
		t.Errorf("two BGP collectors: %v", err)
	}
	if inv, err := Parse("vigie.yml", []byte(base), LoadOptions{}); err != nil || inv.BGPCollector() != "" {
		t.Errorf("no collectors: section: BGP collector %q (%v), want none", inv.BGPCollector(), err)
	}
}

// TestCollectorWitnesses: a collector names the collectors that vouch for
// it, declared before or after it; two may vouch for each other; the list
// writes back; each mistake gives one line naming the field.
func TestCollectorWitnesses(t *testing.T) {
	doc := collectorsBase + `collectors:
  - {name: mainland, regions: [ara], witnesses: [reunion]}
  - {name: reunion, regions: [reu], witnesses: [mainland, reunion-b]}
  - {name: reunion-b, devices: [agg-lyon-2]}
`
	inv, err := Parse("vigie.yml", []byte(doc), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if w := inv.Collector("reunion").Witnesses; strings.Join(w, ",") != "mainland,reunion-b" {
		t.Errorf("reunion's witnesses = %v", w)
	}
	for witness, want := range map[string]string{"mainland": "reunion", "reunion": "mainland", "reunion-b": "reunion", "nobody": ""} {
		if got := strings.Join(inv.VouchesFor(witness), ","); got != want {
			t.Errorf("VouchesFor(%s) = %q, want %q", witness, got, want)
		}
	}
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	again, err := Parse("again.yml", buf.Bytes(), LoadOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if w := again.Collector("reunion").Witnesses; strings.Join(w, ",") != "mainland,reunion-b" {
		t.Errorf("written and read again, reunion's witnesses = %v\n%s", w, buf.String())
	}

	for _, tc := range []struct{ section, want string }{
		{`[{name: a, regions: [ara], witnesses: [a]}]`, `collectors[0].witnesses[0]: collector "a" is its own witness`},
		{`[{name: a, regions: [ara], witnesses: [ghost]}]`, `collectors[0].witnesses[0]: unknown witness "ghost": name a collector declared under collectors:`},
		{`[{name: a, regions: [ara], witnesses: [b, b]}, {name: b, regions: [reu]}]`, `collectors[0].witnesses[1]: witness "b" listed twice`},
		// A refused collector's witnesses are not given to the next one.
		{`[{name: A, regions: [ara], witnesses: [b]}, {name: b, regions: [reu]}]`, `collector name "A"`},
	} {
		_, err := Parse("vigie.yml", []byte(collectorsBase+"collectors: "+tc.section+"\n"), LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("collectors: %s\n got %v\nwant an error with %q", tc.section, err, tc.want)
		}
		if err != nil && strings.Count(err.Error(), "witness") > 1 && !strings.Contains(tc.want, "witness") {
			t.Errorf("collectors: %s: more than the one problem: %v", tc.section, err)
		}
	}
}

// An overseas collector publishes to a NATS leaf node of its own JetStream
// domain: the centrals' stream sources each domain, and the leaf's stream
// keeps the subjects of the collectors that publish there.
func TestCollectorJetStreamDomain(t *testing.T) {
	doc := collectorsBase + `collectors:
  - {name: mainland, regions: [ara]}
  - {name: reunion, regions: [reu], jetstream_domain: reunion}
  - {name: reunion-b, devices: [agg-lyon-2], jetstream_domain: reunion}
`
	inv, err := Parse("vigie.yml", []byte(doc), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(inv.JetStreamDomains(), ","); got != "reunion" {
		t.Errorf("JetStreamDomains = %q, want reunion", got)
	}
	if got := strings.Join(inv.CollectorsIn("reunion"), ","); got != "reunion,reunion-b" {
		t.Errorf("CollectorsIn(reunion) = %q", got)
	}
	if got := inv.CollectorsIn(""); len(got) != 0 {
		t.Errorf("CollectorsIn(\"\") = %q: the hub's collectors are no leaf's", got)
	}
	var buf bytes.Buffer
	if err := Write(&buf, inv); err != nil {
		t.Fatal(err)
	}
	again, err := Parse("again.yml", buf.Bytes(), LoadOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if d := again.Collector("reunion-b").JetStreamDomain; d != "reunion" {
		t.Errorf("written and read again, reunion-b's domain = %q\n%s", d, buf.String())
	}
	// Moved to the centrals' NATS: the collector is to restart.
	moved, err := Parse("moved.yml", []byte(strings.Replace(doc, "[reu], jetstream_domain: reunion", "[reu]", 1)), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(CollectorsAffected(Diff(inv, moved)), ","); got != "reunion" {
		t.Errorf("collectors to restart after reunion's domain changed: %q, want reunion", got)
	}

	_, err = Parse("vigie.yml", []byte(collectorsBase+"collectors: [{name: a, regions: [ara], jetstream_domain: La Réunion}]\n"), LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), `collectors[0].jetstream_domain: jetstream_domain "La Réunion": use lower-case letters`) {
		t.Errorf("a domain that is no NATS token: %v", err)
	}
}
