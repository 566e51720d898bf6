package labgen

// Mini is the small lab for fast tests: two backbone routers (both route
// reflectors), one aggregation router and two single-homed sites.
func Mini() *Design {
	return &Design{
		Name:       "mini",
		Comment:    "mini: the smallest useful RIE lab, for fast tests (2 backbone, 1 aggregation, 2 sites).",
		MgmtSubnet: "172.31.1.0/24",
		Regions:    [][3]string{{"idf", "Île-de-France", ""}},
		PoPs:       [][3]string{{"pop-paris", "PoP Paris", "idf"}},
		Nodes: []*Node{
			{Name: "bb1", Kind: KBackbone, RR: true, PoP: "pop-paris"},
			{Name: "bb2", Kind: KBackbone, RR: true, PoP: "pop-paris"},
			{Name: "agg1", Kind: KAgg, PoP: "pop-paris"},
			{Name: "site1", Kind: KSite, AS: 65101, Site: "S-0001", Announce: []string{"10.100.1.0/24"}},
			{Name: "site2", Kind: KSite, AS: 65102, Site: "S-0002", Announce: []string{"10.100.2.0/24"}},
		},
		Links: []*Link{
			{A: "bb1:eth1", B: "bb2:eth1", Tech: "fibre"},
			{A: "bb1:eth2", B: "agg1:eth1", Tech: "fibre"},
			{A: "bb2:eth2", B: "agg1:eth2", Tech: "fibre"},
			{A: "agg1:eth3", B: "site1:eth1", Tech: "fibre", SRLGs: []string{"duct-paris-1"}},
			{A: "agg1:eth4", B: "site2:eth1", Tech: "ftth"},
		},
		Sites: []Site{
			{ID: "S-0001", Name: "Site 1", Region: "idf", Protection: "single", CE: "site1"},
			{ID: "S-0002", Name: "Site 2", Region: "idf", Protection: "single", CE: "site2"},
		},
	}
}

// RIESlice is a slice of the RIE with every part the planners reason
// about: a backbone of four routers (two route reflectors, no bridge), two
// datacentres, two PFAI edges each with an internet upstream stand-in, a
// PFS with TESTA and RENATER stand-ins, four aggregation PoPs (two in La
// Réunion, each behind its own transoceanic cable) and twelve sites
// covering every protection level.
func RIESlice() *Design {
	site := func(name string, as uint32, id string, n int) *Node {
		return &Node{Name: name, Kind: KSite, AS: as, Site: id, Announce: []string{"10.100." + itoa(n) + ".0/24"}}
	}
	return &Design{
		Name:       "rie-slice",
		Comment:    "rie-slice: a slice of the RIE (backbone, datacentres, PFAI, PFS, PoPs, 12 sites at every protection level).",
		MgmtSubnet: "172.31.2.0/24",
		Regions: [][3]string{
			{"idf", "Île-de-France", ""}, {"ara", "Auvergne-Rhône-Alpes", ""}, {"reu", "La Réunion", "true"},
		},
		DCs: [][3]string{{"dc-paris", "Centre de production Paris", "idf"}, {"dc-lyon", "Centre de production Lyon", "ara"}},
		PoPs: [][3]string{
			{"pop-paris", "PoP Paris", "idf"}, {"pop-lyon", "PoP Lyon", "ara"}, {"pop-reunion", "PoP Saint-Denis", "reu"},
			{"pop-reunion-sud", "PoP Saint-Pierre", "reu"},
		},
		Nodes: []*Node{
			{Name: "bb-paris-1", Kind: KBackbone, RR: true, PoP: "pop-paris"},
			{Name: "bb-paris-2", Kind: KBackbone, PoP: "pop-paris"},
			{Name: "bb-lyon-1", Kind: KBackbone, RR: true, PoP: "pop-lyon"},
			{Name: "bb-lyon-2", Kind: KBackbone, PoP: "pop-lyon"},
			{Name: "dc-paris", Kind: KDC, DC: "dc-paris", Announce: []string{"10.200.1.0/24"}},
			{Name: "dc-lyon", Kind: KDC, DC: "dc-lyon", Announce: []string{"10.200.2.0/24"}},
			{Name: "pfai-paris", Kind: KPFAI, DC: "dc-paris"},
			{Name: "pfai-lyon", Kind: KPFAI, DC: "dc-lyon"},
			{Name: "inet-a", Kind: KUpstream, AS: 64501, DefaultOriginate: true, Announce: []string{"198.18.0.0/24", "198.18.1.0/24", "198.18.2.0/24"}},
			{Name: "inet-b", Kind: KUpstream, AS: 64502, DefaultOriginate: true, Announce: []string{"198.18.0.0/24", "198.18.1.0/24", "198.18.3.0/24"}},
			{Name: "pfs-paris", Kind: KPFS, DC: "dc-paris"},
			{Name: "testa", Kind: KPartner, AS: 64601, Announce: []string{"10.210.1.0/24"}, Community: "65000:100"},
			{Name: "renater", Kind: KPartner, AS: 64602, Announce: []string{"10.220.1.0/24"}, Community: "65000:200"},
			{Name: "agg-paris", Kind: KAgg, PoP: "pop-paris"},
			{Name: "agg-lyon", Kind: KAgg, PoP: "pop-lyon"},
			{Name: "agg-reunion", Kind: KAgg, PoP: "pop-reunion"},
			site("s01-diverse", 65101, "S-01", 1),
			site("s02-diverse", 65102, "S-02", 2),
			site("s03-dual-srlg", 65103, "S-03", 3),
			site("s04-dual-srlg", 65104, "S-04", 4),
			site("s05-ftth-4g", 65105, "S-05", 5),
			site("s06-ftth-4g", 65106, "S-06", 6),
			site("s07-adsl", 65107, "S-07", 7),
			site("s08-adsl", 65108, "S-08", 8),
			site("s09-4g-inet", 65109, "S-09", 9),
			site("s10-4g-inet", 65110, "S-10", 10),
			site("s11-reunion", 65111, "S-11", 11),
			site("s12-reunion", 65112, "S-12", 12),
			// Last, so that every other node keeps its loopback and mgmt
			// address: La Réunion's second PoP, behind a second cable.
			{Name: "agg-reunion-2", Kind: KAgg, PoP: "pop-reunion-sud"},
		},
		Links: []*Link{
			// Backbone: a ring with a diagonal; no link is a bridge.
			{A: "bb-paris-1:eth1", B: "bb-paris-2:eth1", Tech: "fibre", SRLGs: []string{"path-paris-intra"}},
			{A: "bb-paris-2:eth2", B: "bb-lyon-2:eth2", Tech: "fibre", SRLGs: []string{"path-a6"}},
			{A: "bb-lyon-2:eth1", B: "bb-lyon-1:eth1", Tech: "fibre", SRLGs: []string{"path-lyon-intra"}},
			{A: "bb-lyon-1:eth2", B: "bb-paris-1:eth2", Tech: "fibre", SRLGs: []string{"path-a7-a75"}},
			{A: "bb-paris-1:eth3", B: "bb-lyon-2:eth3", Tech: "fibre", SRLGs: []string{"path-a6"}},
			// Datacentres, dual-attached.
			{A: "dc-paris:eth1", B: "bb-paris-1:eth4", Tech: "fibre"},
			{A: "dc-paris:eth2", B: "bb-paris-2:eth4", Tech: "fibre"},
			{A: "dc-lyon:eth1", B: "bb-lyon-1:eth4", Tech: "fibre"},
			{A: "dc-lyon:eth2", B: "bb-lyon-2:eth4", Tech: "fibre"},
			// PFAI and their upstreams.
			{A: "pfai-paris:eth1", B: "bb-paris-1:eth5", Tech: "fibre"},
			{A: "pfai-paris:eth2", B: "bb-paris-2:eth5", Tech: "fibre"},
			{A: "pfai-lyon:eth1", B: "bb-lyon-1:eth5", Tech: "fibre"},
			{A: "pfai-lyon:eth2", B: "bb-lyon-2:eth5", Tech: "fibre"},
			{A: "pfai-paris:eth3", B: "inet-a:eth1", Tech: "fibre", Internet: true},
			{A: "pfai-lyon:eth3", B: "inet-b:eth1", Tech: "fibre", Internet: true},
			// PFS and its partners.
			{A: "pfs-paris:eth1", B: "bb-paris-1:eth6", Tech: "fibre"},
			{A: "pfs-paris:eth2", B: "bb-lyon-2:eth6", Tech: "fibre"},
			{A: "pfs-paris:eth3", B: "testa:eth1", Tech: "fibre"},
			{A: "pfs-paris:eth4", B: "renater:eth1", Tech: "fibre"},
			// Aggregation PoPs. agg-reunion's transoceanic cable lands in Paris;
			// agg-reunion-2's (last link below) in Lyon, on another cable.
			{A: "agg-paris:eth1", B: "bb-paris-1:eth7", Tech: "fibre"},
			{A: "agg-paris:eth2", B: "bb-paris-2:eth7", Tech: "fibre"},
			{A: "agg-lyon:eth1", B: "bb-lyon-1:eth7", Tech: "fibre"},
			{A: "agg-lyon:eth2", B: "bb-lyon-2:eth7", Tech: "fibre"},
			{A: "agg-reunion:eth1", B: "bb-paris-2:eth8", Tech: "transoceanic", SRLGs: []string{"cable-safe"}, DelayMS: 80},
			// Sites. Diverse: dual fibre to two PoPs, distinct paths.
			{A: "s01-diverse:eth1", B: "agg-paris:eth11", Tech: "fibre", SRLGs: []string{"duct-s01-north"}},
			{A: "s01-diverse:eth2", B: "agg-lyon:eth11", Tech: "fibre", SRLGs: []string{"duct-s01-south"}},
			{A: "s02-diverse:eth1", B: "agg-lyon:eth12", Tech: "fibre", SRLGs: []string{"duct-s02-east"}},
			{A: "s02-diverse:eth2", B: "agg-paris:eth12", Tech: "fibre", SRLGs: []string{"duct-s02-west"}},
			// Dual fibre that shares a risk group (one duct, one building entry).
			{A: "s03-dual-srlg:eth1", B: "agg-paris:eth13", Tech: "fibre", SRLGs: []string{"duct-paris-12"}},
			{A: "s03-dual-srlg:eth2", B: "agg-paris:eth14", Tech: "fibre", SRLGs: []string{"duct-paris-12"}},
			{A: "s04-dual-srlg:eth1", B: "agg-lyon:eth13", Tech: "fibre", SRLGs: []string{"entry-s04"}},
			{A: "s04-dual-srlg:eth2", B: "agg-lyon:eth14", Tech: "fibre", SRLGs: []string{"entry-s04"}},
			// FTTH with a 4G backup.
			{A: "s05-ftth-4g:eth1", B: "agg-paris:eth15", Tech: "ftth"},
			{A: "s05-ftth-4g:eth2", B: "agg-lyon:eth15", Tech: "4g"},
			{A: "s06-ftth-4g:eth1", B: "agg-lyon:eth16", Tech: "ftth"},
			{A: "s06-ftth-4g:eth2", B: "agg-paris:eth16", Tech: "4g"},
			// ADSL alone.
			{A: "s07-adsl:eth1", B: "agg-paris:eth17", Tech: "adsl"},
			{A: "s08-adsl:eth1", B: "agg-lyon:eth17", Tech: "adsl"},
			// 4G tunnelled over the internet, landing on a PFAI: the lab
			// models the tunnel as a link flagged internet, which the
			// internet cut removes with the upstreams.
			{A: "s09-4g-inet:eth1", B: "pfai-paris:eth11", Tech: "4g", ViaInternet: true},
			{A: "s10-4g-inet:eth1", B: "pfai-lyon:eth11", Tech: "4g", ViaInternet: true},
			// Overseas. S-11 hangs on one PoP and one cable. S-12 is diverse
			// end to end: one fibre to each Réunion PoP, each PoP on its own
			// cable (distinct SRLGs) landing on a different mainland router.
			{A: "s11-reunion:eth1", B: "agg-reunion:eth11", Tech: "fibre"},
			{A: "s12-reunion:eth1", B: "agg-reunion:eth12", Tech: "fibre", SRLGs: []string{"duct-stdenis-1"}},
			{A: "s12-reunion:eth2", B: "agg-reunion-2:eth11", Tech: "fibre", SRLGs: []string{"duct-stdenis-2"}},
			// Last, so that every other link keeps its addresses.
			{A: "agg-reunion-2:eth1", B: "bb-lyon-1:eth8", Tech: "transoceanic", SRLGs: []string{"cable-metiss"}, DelayMS: 90},
		},
		Sites: []Site{
			{ID: "S-01", Name: "Préfecture, dual fibre on distinct paths", Region: "idf", Protection: "diverse", CE: "s01-diverse"},
			{ID: "S-02", Name: "Rectorat, dual fibre on distinct paths", Region: "ara", Protection: "diverse", CE: "s02-diverse"},
			{ID: "S-03", Name: "Direction régionale, two fibres in one duct", Region: "idf", Protection: "dual", CE: "s03-dual-srlg"},
			{ID: "S-04", Name: "Tribunal, two fibres through one building entry", Region: "ara", Protection: "dual", CE: "s04-dual-srlg"},
			{ID: "S-05", Name: "Sous-préfecture, FTTH with a 4G backup", Region: "idf", Protection: "backup", CE: "s05-ftth-4g"},
			{ID: "S-06", Name: "DDT, FTTH with a 4G backup", Region: "ara", Protection: "backup", CE: "s06-ftth-4g"},
			{ID: "S-07", Name: "Antenne, ADSL alone", Region: "idf", Protection: "single", CE: "s07-adsl"},
			{ID: "S-08", Name: "Permanence, ADSL alone", Region: "ara", Protection: "single", CE: "s08-adsl"},
			{ID: "S-09", Name: "Antenne mobile, 4G over the internet", Region: "idf", Protection: "single", CE: "s09-4g-inet"},
			{ID: "S-10", Name: "Chantier, 4G over the internet", Region: "ara", Protection: "single", CE: "s10-4g-inet"},
			{ID: "S-11", Name: "Préfecture de La Réunion", Region: "reu", Protection: "single", CE: "s11-reunion", Overseas: true},
			{ID: "S-12", Name: "Rectorat de La Réunion", Region: "reu", Protection: "diverse", CE: "s12-reunion", Overseas: true},
		},
		Interconnects: [][5]string{
			{"inet-paris", "Transit A (stand-in)", "internet", "pfai-paris:eth3", ""},
			{"inet-lyon", "Transit B (stand-in)", "internet", "pfai-lyon:eth3", ""},
			{"testa", "TESTA (stand-in)", "testa", "pfs-paris:eth3", "testa"},
			{"renater", "RENATER (stand-in)", "renater", "pfs-paris:eth4", "renater"},
		},
	}
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

// Region is a whole region's lab for measuring the runner at scale (it is
// not committed under lab/: BenchmarkRegionLabUp writes it to a temporary
// directory): four backbone routers (two route reflectors), a datacentre,
// eight aggregation routers in four PoPs, and sites sites, every third one
// dual-homed to both aggregation routers of its PoP.
func Region(sites int) *Design {
	d := &Design{
		Name:       "region",
		Comment:    "region: a whole region at scale (4 backbone, 1 datacentre, 8 aggregation, many sites).",
		MgmtSubnet: "172.31.8.0/23",
		Regions:    [][3]string{{"ara", "Auvergne-Rhône-Alpes", ""}},
		DCs:        [][3]string{{"dc-lyon", "Centre de production Lyon", "ara"}},
	}
	for p := 1; p <= 4; p++ {
		d.PoPs = append(d.PoPs, [3]string{"pop-" + itoa(p), "PoP " + itoa(p), "ara"})
	}
	for b := 1; b <= 4; b++ {
		d.Nodes = append(d.Nodes, &Node{Name: "bb-" + itoa(b), Kind: KBackbone, RR: b <= 2, PoP: "pop-" + itoa(b)})
	}
	d.Nodes = append(d.Nodes, &Node{Name: "dc-1", Kind: KDC, DC: "dc-lyon", Announce: []string{"10.200.1.0/24"}})
	ring := [][2]string{{"bb-1:eth1", "bb-2:eth1"}, {"bb-2:eth2", "bb-3:eth1"}, {"bb-3:eth2", "bb-4:eth1"}, {"bb-4:eth2", "bb-1:eth2"}, {"bb-1:eth3", "bb-3:eth3"},
		{"dc-1:eth1", "bb-1:eth4"}, {"dc-1:eth2", "bb-2:eth4"}}
	for _, r := range ring {
		d.Links = append(d.Links, &Link{A: r[0], B: r[1], Tech: "fibre"})
	}
	for a := 1; a <= 8; a++ {
		name := "agg-" + itoa(a)
		d.Nodes = append(d.Nodes, &Node{Name: name, Kind: KAgg, PoP: "pop-" + itoa((a+1)/2)})
		// Each aggregation router to two backbone routers.
		b1, b2 := (a-1)%4+1, a%4+1
		d.Links = append(d.Links,
			&Link{A: name + ":eth1", B: "bb-" + itoa(b1) + ":eth" + itoa(4+a), Tech: "fibre"},
			&Link{A: name + ":eth2", B: "bb-" + itoa(b2) + ":eth" + itoa(12+a), Tech: "fibre"})
	}
	next := map[int]int{} // agg -> its next site-facing interface
	for i := 1; i <= sites; i++ {
		name := "s" + pad3(i)
		id := "S-" + pad3(i)
		d.Nodes = append(d.Nodes, &Node{Name: name, Kind: KSite, AS: uint32(65100 + i), Site: id, Announce: []string{"10.100." + itoa(i) + ".0/24"}})
		a := (i-1)%8 + 1
		aggs := []int{a}
		prot := "single"
		if i%3 == 0 {
			// Dual: both aggregation routers of the PoP.
			aggs = []int{a, a + 1 - 2*((a+1)%2)}
			prot = "dual"
		}
		for k, ag := range aggs {
			if next[ag] == 0 {
				next[ag] = 11
			}
			d.Links = append(d.Links, &Link{A: name + ":eth" + itoa(k+1), B: "agg-" + itoa(ag) + ":eth" + itoa(next[ag]), Tech: "fibre"})
			next[ag]++
		}
		d.Sites = append(d.Sites, Site{ID: id, Name: "Site " + itoa(i), Region: "ara", Protection: prot, CE: name})
	}
	return d
}

func pad3(n int) string {
	s := itoa(n)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}
