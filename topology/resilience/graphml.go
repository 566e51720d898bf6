package resilience

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// ExportGraphML writes the graph as GraphML, for NetworkX, igraph, Gephi
// or yEd, and for testdata/compare.py, which checks this package against
// NetworkX and igraph.
//
// Nodes are keyed "device:NAME", "site:ID", "datacentre:ID" and
// "interconnect:ID", with attributes kind, role, site (the site a CE
// belongs to), region, failable (1 for devices: a device is a risk unit)
// and backbone (1 for the nodes the "paths to the backbone" count aims at).
// Edges carry their LinkID (link), kind (link, access, member,
// interconnect), technology, srlgs (comma-separated), via_internet,
// failable (0 for memberships, which never fail) and leaf (1 for an edge
// leaving a site's cluster; its source is the site side, and no path may
// enter a site through it).
func ExportGraphML(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	esc := func(s string) string {
		var b strings.Builder
		_ = xml.EscapeText(&b, []byte(s))
		return b.String()
	}
	fmt.Fprint(bw, `<?xml version="1.0" encoding="UTF-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key id="kind" for="node" attr.name="kind" attr.type="string"/>
  <key id="role" for="node" attr.name="role" attr.type="string"/>
  <key id="site" for="node" attr.name="site" attr.type="string"/>
  <key id="region" for="node" attr.name="region" attr.type="string"/>
  <key id="nfail" for="node" attr.name="failable" attr.type="int"/>
  <key id="backbone" for="node" attr.name="backbone" attr.type="int"/>
  <key id="lid" for="edge" attr.name="link" attr.type="string"/>
  <key id="ekind" for="edge" attr.name="kind" attr.type="string"/>
  <key id="tech" for="edge" attr.name="technology" attr.type="string"/>
  <key id="srlgs" for="edge" attr.name="srlgs" attr.type="string"/>
  <key id="via" for="edge" attr.name="via_internet" attr.type="int"/>
  <key id="efail" for="edge" attr.name="failable" attr.type="int"/>
  <key id="leaf" for="edge" attr.name="leaf" attr.type="int"/>
  <graph id="rie" edgedefault="undirected">
`)
	kinds := [...]string{kindDevice: "device", kindSite: "site", kindDatacentre: "datacentre", kindInterconnect: "interconnect"}
	ekinds := [...]string{edgeLink: "link", edgeAccess: "access", edgeMember: "member", edgeInterconnect: "interconnect"}
	b01 := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	key := func(n int32) string { return kinds[g.nodes[n].kind] + ":" + g.nodes[n].name }
	for i := range g.nodes {
		n := &g.nodes[i]
		site := ""
		if n.site >= 0 {
			site = g.sites[n.site].id
		}
		fmt.Fprintf(bw, `    <node id="%s"><data key="kind">%s</data><data key="role">%s</data><data key="site">%s</data><data key="region">%s</data><data key="nfail">%d</data><data key="backbone">%d</data></node>`+"\n",
			esc(key(int32(i))), kinds[n.kind], esc(string(n.role)), esc(site), esc(n.region),
			b01(n.kind == kindDevice), b01(g.isTarget(targetBackbone, int32(i))))
	}
	for i := range g.edges {
		e := &g.edges[i]
		src, dst := e.a, e.b
		leaf := g.nodes[src].site >= 0 != (g.nodes[dst].site >= 0)
		if leaf && g.nodes[src].site < 0 {
			src, dst = dst, src
		}
		srlgs := make([]string, len(e.srlgs))
		for j, s := range e.srlgs {
			srlgs[j] = g.srlgs[s]
		}
		fmt.Fprintf(bw, `    <edge id="e%d" source="%s" target="%s"><data key="lid">%s</data><data key="ekind">%s</data><data key="tech">%s</data><data key="srlgs">%s</data><data key="via">%d</data><data key="efail">%d</data><data key="leaf">%d</data></edge>`+"\n",
			i, esc(key(src)), esc(key(dst)), esc(string(e.id)), ekinds[e.kind], esc(string(e.tech)),
			esc(strings.Join(srlgs, ",")), b01(e.viaInternet), b01(e.kind != edgeMember), b01(leaf))
	}
	fmt.Fprint(bw, "  </graph>\n</graphml>\n")
	return bw.Flush()
}
