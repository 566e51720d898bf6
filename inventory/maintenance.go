// This file decodes and writes the "maintenance:" section: the planned
// works the operators declare, so that what the works cut off does not page.

package inventory

import (
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// Maintenance is one declared window of planned works. Between Start
// (included) and End (excluded), what it names is expected to fail: vigie
// marks it (vigie_maintenance_active, vigie_site_in_maintenance) and the
// shipped Alertmanager configuration keeps it from paging.
type Maintenance struct {
	// ID names the window in metrics and alerts (e.g. a change ticket).
	ID         string
	Start, End time.Time
	// Reason says what the works are, for the person who sees them.
	Reason string
	// What the works touch: sites, PoPs, devices and shared-risk groups.
	Sites   []string
	PoPs    []string
	Devices []string
	SRLGs   []string
}

// Active reports whether the window covers t.
func (m *Maintenance) Active(t time.Time) bool {
	return !t.Before(m.Start) && t.Before(m.End)
}

// maintenancePast is how long after its end a window is reported as one to
// remove: a window that ended yesterday may be in a change not yet cleaned,
// one that ended weeks ago is forgotten clutter.
const maintenancePast = 7 * 24 * time.Hour

// now is the clock check-config compares windows with; tests replace it.
var now = time.Now

var maintenanceKeys = []string{"id", "start", "end", "reason", "sites", "pops", "devices", "srlgs"}

// maintenanceList decodes the maintenance section. It runs after sites,
// links and interconnects, whose SRLGs are the ones a window may name.
func (d *decoder) maintenanceList(n *yaml.Node, p fpath) {
	srlgs := d.knownSRLGs()
	ids := map[string]int{} // id -> line
	d.list(n, p, "[{id: CHG-1234, start: 2026-12-05T22:00:00+01:00, end: 2026-12-06T02:00:00+01:00, pops: [pop-lyon-1]}]", func(i int, item *yaml.Node) {
		q := p.i(i)
		var m Maintenance
		var hasStart, hasEnd, sawStart, sawEnd, names bool
		var endLine int
		ok := d.fields(item, q, "a maintenance window", func(key string, k, v *yaml.Node) {
			r := q.k(key)
			switch key {
			case "id":
				m.ID, _ = d.name(v, r, "maintenance id")
			case "start":
				m.Start, hasStart = d.timestamp(v, r)
				sawStart = true
			case "end":
				m.End, hasEnd = d.timestamp(v, r)
				sawEnd = true
				endLine = v.Line
			case "reason":
				m.Reason, _ = d.str(v, r)
			case "sites":
				names = true
				m.Sites = d.refs(v, r, "site", d.sites, "unknown site %q: name a site declared under sites:")
			case "pops":
				names = true
				m.PoPs = d.refs(v, r, "PoP", d.pops, "unknown PoP %q: name a PoP declared under pops:")
			case "devices":
				names = true
				m.Devices = d.refs(v, r, "device", d.devices, "unknown device %q: name a device declared under devices:")
			case "srlgs":
				names = true
				m.SRLGs = d.refs(v, r, "SRLG", srlgs, "unknown SRLG %q: name a shared-risk group some access, link or interconnect declares under srlgs:")
			default:
				d.unknown(k, q, maintenanceKeys)
			}
		})
		if !ok {
			return
		}
		line := item.Line
		if m.ID == "" {
			d.missing(line, q.k("id"), "missing id: name the window (a change ticket, e.g. CHG-1234); alerts and metrics show it")
		}
		if !sawStart {
			d.missing(line, q.k("start"), "missing start: give the window's start in RFC 3339, e.g. 2026-12-05T22:00:00+01:00")
		}
		if !sawEnd {
			d.missing(line, q.k("end"), "missing end: give the window's end in RFC 3339, e.g. 2026-12-06T02:00:00+01:00")
		}
		if hasStart && hasEnd && !m.End.After(m.Start) {
			d.errf(endLine, q.k("end"), "window %q ends (%s) before it starts (%s): swap them or fix the date", m.ID, m.End.Format(time.RFC3339), m.Start.Format(time.RFC3339))
			return
		}
		if !names {
			d.errf(line, q, "window %q names nothing: list the sites, pops, devices or srlgs the works touch", m.ID)
			return
		}
		if m.ID == "" || !hasStart || !hasEnd || len(m.Sites)+len(m.PoPs)+len(m.Devices)+len(m.SRLGs) == 0 {
			return
		}
		if first, dup := ids[m.ID]; dup {
			d.errf(line, q.k("id"), "duplicate maintenance window %q (first declared at line %d): give each window its own id", m.ID, first)
			return
		}
		ids[m.ID] = line
		if t := now(); t.Sub(m.End) > maintenancePast {
			d.warnf(endLine, q.k("end"), "window %q ended on %s, more than a week ago: remove it", m.ID, m.End.Format(time.RFC3339))
		}
		d.inv.Maintenance = append(d.inv.Maintenance, m)
	})
}

// timestamp reads an RFC 3339 date and time, kept in UTC so that a window
// written back and read again is the same value.
func (d *decoder) timestamp(v *yaml.Node, p fpath) (time.Time, bool) {
	s, ok := d.name(v, p, "date and time")
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		d.errf(v.Line, p, "%q is not an RFC 3339 date and time: write e.g. 2026-12-05T22:00:00+01:00 (with the offset, or Z for UTC)", s)
		return time.Time{}, false
	}
	return t.UTC(), true
}

// refs reads a list of references to things of ids; unknown ones are
// reported (msg has %q for the name) and left out.
func (d *decoder) refs(v *yaml.Node, p fpath, what string, ids map[string]int, msg string) []string {
	var out []string
	d.list(v, p, "[a, b]", func(i int, item *yaml.Node) {
		if s := d.ref(item, p.i(i), what, ids, msg); s != "" {
			if _, found := ids[s]; found && !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
	})
	return out
}

// knownSRLGs collects the shared-risk groups declared on access links,
// links and interconnects.
func (d *decoder) knownSRLGs() map[string]int {
	m := map[string]int{}
	add := func(gs []string) {
		for _, g := range gs {
			m[g] = 0
		}
	}
	for i := range d.inv.Sites {
		for _, a := range d.inv.Sites[i].Access {
			add(a.SRLGs)
		}
	}
	for _, l := range d.inv.Links {
		add(l.SRLGs)
	}
	for _, x := range d.inv.Interconnects {
		add(x.SRLGs)
	}
	return m
}

// maintenance writes the maintenance section, one flow-style line a window.
func (e *writer) maintenance(ms []Maintenance) {
	e.section("maintenance", len(ms))
	for _, m := range ms {
		e.raw("  - {")
		first := true
		e.kv(&first, "id", m.ID)
		e.kv(&first, "start", m.Start.Format(time.RFC3339))
		e.kv(&first, "end", m.End.Format(time.RFC3339))
		e.kvOpt(&first, "reason", m.Reason)
		e.kvList(&first, "sites", m.Sites)
		e.kvList(&first, "pops", m.PoPs)
		e.kvList(&first, "devices", m.Devices)
		e.kvList(&first, "srlgs", m.SRLGs)
		e.raw("}")
		e.line()
	}
}
