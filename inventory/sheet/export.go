package sheet

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/vigie-rie/vigie/internal/atomicfile"
	"github.com/vigie-rie/vigie/inventory"
)

// Export writes inv's network as one CSV file per sheet in dir
// (DIR/sites.csv, DIR/accesses.csv...): comma-separated UTF-8 with a header
// row, lists space-separated. Every sheet is written, with its header even
// when empty, so that the files are also a template to fill. Each file is
// written beside its final name and renamed: an interrupted export leaves
// the previous files whole. It returns the paths written.
func Export(inv *inventory.Inventory, dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create %s: %w", dir, err)
	}
	var written []string
	for _, kind := range Kinds {
		path := filepath.Join(dir, string(kind)+".csv")
		if err := writeSheet(path, kind, rowsOf(inv, kind)); err != nil {
			return written, err
		}
		written = append(written, path)
	}
	return written, nil
}

func writeSheet(path string, kind Kind, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	header := make([]string, len(columns[kind]))
	for i, c := range columns[kind] {
		header[i] = c.name
	}
	_ = w.Write(header)
	_ = w.WriteAll(rows) // flushes; into memory, it cannot fail
	return atomicfile.Write(path, b.Bytes(), 0o644)
}

// rowsOf returns the cells of one sheet, in the columns' order.
func rowsOf(inv *inventory.Inventory, kind Kind) [][]string {
	var rows [][]string
	switch kind {
	case Regions:
		for _, r := range inv.Regions {
			rows = append(rows, []string{r.ID, r.Name, boolCell(r.Overseas)})
		}
	case Datacentres:
		for _, x := range inv.Datacentres {
			rows = append(rows, []string{x.ID, x.Name, x.Region, x.Address})
		}
	case PoPs:
		for _, x := range inv.PoPs {
			rows = append(rows, []string{x.ID, x.Name, x.Region, x.Address})
		}
	case Devices:
		for _, d := range inv.Devices {
			addr := d.Address.Addr().String()
			if d.Address.Port() != 161 {
				addr = d.Address.String()
			}
			rows = append(rows, []string{d.Name, string(d.Role), d.Site, d.PoP, d.Datacentre, addr, d.Profile})
		}
	case Sites:
		overseas := map[string]bool{}
		for _, r := range inv.Regions {
			overseas[r.ID] = r.Overseas
		}
		for i := range inv.Sites {
			s := &inv.Sites[i]
			var lat, lon, ov string
			if s.HasCoords {
				lat, lon = strconv.FormatFloat(s.Lat, 'f', -1, 64), strconv.FormatFloat(s.Lon, 'f', -1, 64)
			}
			if s.Overseas != overseas[s.Region] {
				ov = boolCell(s.Overseas) // only where it differs from its region's
			}
			rows = append(rows, []string{s.ID, s.Name, s.Region, ov, s.Protection.String(), prefixes(s.Prefixes),
				s.Address, s.Commune, s.Department, s.Ministry, s.Contact, lat, lon})
		}
	case Accesses:
		for i := range inv.Sites {
			s := &inv.Sites[i]
			for _, a := range s.Access {
				rows = append(rows, []string{s.ID, string(a.Technology), a.Router, a.RouterInterface, a.Device, a.Interface,
					strings.Join(a.SRLGs, " "), boolCell(a.ViaInternet), a.Operator, a.Circuit})
			}
		}
	case Links:
		for _, l := range inv.Links {
			rows = append(rows, []string{l.A.Device, l.A.Interface, l.B.Device, l.B.Interface, string(l.Technology),
				strings.Join(l.SRLGs, " "), boolCell(l.ViaInternet)})
		}
	case Interconnects:
		for _, x := range inv.Interconnects {
			peer := ""
			if x.BGPPeer.IsValid() {
				peer = x.BGPPeer.String()
			}
			rows = append(rows, []string{x.ID, x.Name, string(x.Kind), x.Device, x.Interface, x.VRF,
				strings.Join(x.SRLGs, " "), prefixes(x.Prefixes), peer})
		}
	}
	return rows
}

// boolCell writes true as "true" and false as an empty cell: the default.
func boolCell(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func prefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}
