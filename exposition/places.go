package exposition

// places.go renders the inventory's places as info series (value 1): what a
// person acting on a page needs (a site's name, commune, ministry, contact
// reference; an access's operator and circuit; a PoP's address), for
// dashboards and alerts to join onto the state series with group_left
// rather than repeat on every series. They are written at each scrape from
// the inventory the exposition was made with: a reload makes a new
// exposition, so a renamed site leaves no stale series behind.

import (
	"strconv"

	"github.com/vigie-rie/vigie/inventory"
)

// The place families: one series per site, access link, PoP and
// datacentre of the inventory, every label present (empty when the
// inventory leaves the field out) so that a join never drops a series.
var (
	famSiteInfo = newFamily("vigie_site_info", Gauge,
		"Inventory facts of the site for a person acting on a page (empty when not declared; lat and lon WGS84 degrees to 5 decimals); always 1.",
		"site", "name", "region", "department", "ministry", "overseas", "commune", "lat", "lon", "contact")
	famAccessInfo = newFamily("vigie_access_info", Gauge,
		"Carrier and circuit reference of a site's access link (access: the link id of /api/v1/sites/{id} and of vigie_site_isolation_cause); always 1.",
		"site", "access", "operator", "circuit", "technology")
	famPoPInfo = newFamily("vigie_pop_info", Gauge,
		"Inventory facts of the point of presence; always 1.", "pop", "name", "region", "address")
	famDatacentreInfo = newFamily("vigie_datacentre_info", Gauge,
		"Inventory facts of the datacentre; always 1.", "datacentre", "name", "region", "address")

	placeFamilies = []*Family{famSiteInfo, famAccessInfo, famPoPInfo, famDatacentreInfo}
)

// places is what the place families are written from: the inventory and
// the link id of each site's access links (nil without a topology, and then
// no vigie_access_info).
type places struct {
	inv       *inventory.Inventory
	accessIDs map[string][]string
}

// write writes the place families, in inventory order.
func (p *places) write(tw *textWriter) {
	inv := p.inv
	if len(inv.Sites) > 0 {
		tw.header(famSiteInfo)
		var lat, lon [24]byte
		for i := range inv.Sites {
			s := &inv.Sites[i]
			la, lo := lat[:0], lon[:0]
			if s.HasCoords {
				la = strconv.AppendFloat(la, s.Lat, 'f', 5, 64)
				lo = strconv.AppendFloat(lo, s.Lon, 'f', 5, 64)
			}
			tw.series(famSiteInfo, 1, s.ID, s.Name, s.Region, s.Department, s.Ministry,
				strconv.FormatBool(s.Overseas), s.Commune, string(la), string(lo), s.Contact)
		}
	}
	if p.accessIDs != nil {
		first := true
		for i := range inv.Sites {
			s := &inv.Sites[i]
			ids := p.accessIDs[s.ID]
			for j := range s.Access {
				if j >= len(ids) || ids[j] == "" {
					continue
				}
				if first {
					tw.header(famAccessInfo)
					first = false
				}
				a := &s.Access[j]
				tw.series(famAccessInfo, 1, s.ID, ids[j], a.Operator, a.Circuit, string(a.Technology))
			}
		}
	}
	if len(inv.PoPs) > 0 {
		tw.header(famPoPInfo)
		for i := range inv.PoPs {
			x := &inv.PoPs[i]
			tw.series(famPoPInfo, 1, x.ID, x.Name, x.Region, x.Address)
		}
	}
	if len(inv.Datacentres) > 0 {
		tw.header(famDatacentreInfo)
		for i := range inv.Datacentres {
			x := &inv.Datacentres[i]
			tw.series(famDatacentreInfo, 1, x.ID, x.Name, x.Region, x.Address)
		}
	}
}
