package exposition

// routing.go renders the topology's published Routing: BGP's verdict per
// site with prefixes (up to 2 x 14,000 series on the full RIE), rendered
// at each scrape like the analysis families.

import (
	"github.com/vigie-rie/vigie/inventory"
	"github.com/vigie-rie/vigie/topology"
)

var (
	famSiteRouted = newFamily("vigie_site_routed", Gauge,
		"Share of the site's inventory prefixes present in the backbone routes vigie receives (1 = routed, 0 = unrouted); absent while BGP cannot tell.",
		"site", "region", "overseas")
	famSiteNextHops = newFamily("vigie_site_route_next_hops", Gauge,
		"Fewest distinct BGP next hops over the site's prefixes (0 = a prefix is missing); absent while BGP cannot tell.",
		"site", "region", "overseas")

	routingFamilies = []*Family{famSiteRouted, famSiteNextHops}
)

// writeRouting writes the per-site routing families of r, sites in name
// order; nothing while BGP can tell about no site. inv says which sites
// are overseas.
func writeRouting(tw *textWriter, r *topology.Routing, inv *inventory.Inventory) {
	if r == nil || len(r.Sites) == 0 {
		return
	}
	tw.header(famSiteRouted)
	for i := range r.Sites {
		s := &r.Sites[i]
		tw.float(famSiteRouted, s.Routed, s.Site, s.Region, overseas(isOverseas(inv, s.Site)))
	}
	tw.header(famSiteNextHops)
	for i := range r.Sites {
		s := &r.Sites[i]
		tw.float(famSiteNextHops, float64(s.NextHops), s.Site, s.Region, overseas(isOverseas(inv, s.Site)))
	}
}
