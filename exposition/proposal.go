package exposition

// proposal.go answers GET /api/v1/inventory/proposal: what the live
// network shows and the inventory lacks, as inventory YAML to review and
// merge by hand. vigie never writes its inventory itself.

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vigie-rie/vigie/topology"
)

// proposal writes the links between declared devices that a neighbour
// protocol sees and the inventory does not declare, as links: entries, and
// the names it reports that no inventory device has, as commented devices:
// entries (vigie knows neither their role, nor their place, nor their
// address: a person fills them in).
func proposal(s *topology.Snapshot) []byte {
	declared := make(map[string]bool, len(s.Nodes))
	for _, n := range s.Nodes {
		if n.Declared {
			declared[n.Name] = true
		}
	}
	var links []topology.Link
	seenFrom := map[string][]string{} // unknown name -> "device:interface" it is seen from
	for _, l := range s.Links {
		if l.Kind != topology.KindObserved || l.B.Device == "" {
			continue
		}
		switch {
		case declared[l.A.Device] && declared[l.B.Device]:
			links = append(links, l)
		case declared[l.A.Device]:
			seenFrom[l.B.Device] = append(seenFrom[l.B.Device], end(l.A))
		case declared[l.B.Device]:
			seenFrom[l.A.Device] = append(seenFrom[l.A.Device], end(l.B))
		}
	}
	var b []byte
	b = fmt.Appendf(b, "# vigie: what the live network shows and the inventory lacks, at %s.\n", s.Time.UTC().Format(time.RFC3339))
	b = append(b, "# Review each entry before adding it to the inventory (then vigie inventory diff, and SIGHUP).\n"...)
	if len(links) == 0 && len(seenFrom) == 0 {
		return append(b, "# Nothing: every neighbour the devices report is declared.\n"...)
	}
	if len(links) > 0 {
		b = append(b, "\n# Links between declared devices that the neighbour protocols see and the inventory does not declare:\nlinks:\n"...)
		for _, l := range links {
			b = append(b, "  - {a: "...)
			b = appendEnd(b, l.A)
			b = append(b, ", b: "...)
			b = appendEnd(b, l.B)
			b = fmt.Appendf(b, "}  # seen by %s since %s\n", sourceWords(l.Sources), l.Since.UTC().Format(time.RFC3339))
		}
	}
	if len(seenFrom) > 0 {
		names := make([]string, 0, len(seenFrom))
		for n := range seenFrom {
			names = append(names, n)
		}
		slices.Sort(names)
		b = append(b, "\n# Neighbours no inventory device is named after: a device to declare (with its role, place and\n# management address), or a device declared under another name than its sysName.\n# vigie discover --seed ADDRESS (docs/discovery.md) finds their addresses and sysObjectID from a declared device.\n# devices:\n"...)
		for _, n := range names {
			from := seenFrom[n]
			slices.Sort(from)
			b = append(b, "#   - {name: "...)
			b = strconv.AppendQuote(b, n)
			b = fmt.Appendf(b, ", role: ?, pop: ?, address: ?}  # seen from %s\n", strings.Join(from, ", "))
		}
	}
	return b
}

func end(e topology.End) string {
	if e.Interface == "" {
		return e.Device
	}
	return e.Device + ":" + e.Interface
}

// appendEnd writes {device: D, interface: I} with quoted names, which
// YAML reads whatever they hold.
func appendEnd(b []byte, e topology.End) []byte {
	b = append(b, "{device: "...)
	b = strconv.AppendQuote(b, e.Device)
	if e.Interface != "" {
		b = append(b, ", interface: "...)
		b = strconv.AppendQuote(b, e.Interface)
	}
	return append(b, '}')
}

func sourceWords(ss []topology.Source) string {
	var w []string
	for _, s := range ss {
		if s != topology.SourceDeclared {
			w = append(w, string(s))
		}
	}
	if len(w) == 0 {
		return "a neighbour protocol"
	}
	return strings.Join(w, " and ")
}

func (a api) serveProposal(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	snap := a.t.Snapshot()
	_, _ = w.Write(proposal(&snap))
}
