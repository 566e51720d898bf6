package exposition

import "github.com/vigie-rie/vigie/topology"

// famAliveLocally: the sites of a lost collector that a witness still
// reaches (topology/witness.go). Only those sites have a series, and only
// while it lasts: none on one box, none while every collector is heard.
var famAliveLocally = newFamily("vigie_site_alive_locally", Gauge,
	"1 for a site partitioned from the centre, alive locally: the collector polling it is lost, and the witness (another collector) still reaches its access routers. The site stays unobserved, not isolated; absent otherwise.",
	"site", "region", "overseas", "witness")

func init() { analysisFamilies = append(analysisFamilies, famAliveLocally) }

// writeAliveLocally writes famAliveLocally; over says which sites are
// overseas, in a's order.
func writeAliveLocally(tw *textWriter, a *topology.Analysis, over []bool) {
	first := true
	for i := range a.Sites {
		if s := &a.Sites[i]; s.Witness != "" {
			if first {
				tw.header(famAliveLocally)
				first = false
			}
			tw.series(famAliveLocally, 1, s.ID, s.Region, overseas(over[i]), s.Witness)
		}
	}
}
