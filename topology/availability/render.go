package availability

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Write renders rep in format (one of Formats).
func Write(w io.Writer, rep *Report, format string) error {
	switch format {
	case "csv":
		return writeCSV(w, rep)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	case "html":
		return writeHTML(w, rep)
	default:
		return writeText(w, rep)
	}
}

// ContentType is the media type of a format, for the API.
func ContentType(format string) string {
	switch format {
	case "csv":
		return "text/csv; charset=utf-8"
	case "json":
		return "application/json; charset=utf-8"
	case "html":
		return "text/html; charset=utf-8"
	default:
		return "text/plain; charset=utf-8"
	}
}

func pct(a *float64) string {
	if a == nil {
		return "n/a"
	}
	return strconv.FormatFloat(*a, 'f', 3, 64)
}

func mins(m float64) string { return strconv.FormatFloat(m, 'f', 1, 64) }

func causes(cs []Cause) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%s (%d, %s min)", c.Cause, c.Incidents, mins(c.IsolatedMinutes))
	}
	return strings.Join(parts, "; ")
}

func window(rep *Report) string {
	return rep.From.Format(time.RFC3339) + " to " + rep.To.Format(time.RFC3339)
}

func writeText(w io.Writer, rep *Report) error {
	fmt.Fprintf(w, "Availability by %s, %s\n%s\n\n", rep.By, window(rep), RatioDoc)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.ToUpper(rep.By)+"\tSITES\tAVAILABILITY %\tISOLATED MIN\tDEGRADED MIN\tUNOBSERVED MIN\tINCIDENTS\tTOP CAUSES\t")
	row := func(r *Row) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%d\t%s\t\n", r.Group, r.Sites, pct(r.Availability), mins(r.IsolatedMinutes),
			mins(r.DegradedMinutes), mins(r.UnobservedMinutes), r.Incidents, causes(r.TopCauses))
	}
	for i := range rep.Groups {
		row(&rep.Groups[i])
	}
	row(&rep.Total)
	return tw.Flush()
}

func writeCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{rep.By, "name", "sites", "availability_percent", "isolated_minutes", "degraded_minutes",
		"nominal_minutes", "unobserved_minutes", "incidents", "degradations", "top_causes"})
	row := func(r *Row) {
		a := ""
		if r.Availability != nil {
			a = pct(r.Availability)
		}
		_ = cw.Write([]string{r.Group, r.Name, strconv.Itoa(r.Sites), a, mins(r.IsolatedMinutes), mins(r.DegradedMinutes),
			mins(r.NominalMinutes), mins(r.UnobservedMinutes), strconv.Itoa(r.Incidents), strconv.Itoa(r.Degradations), causes(r.TopCauses)})
	}
	for i := range rep.Groups {
		row(&rep.Groups[i])
	}
	row(&rep.Total)
	cw.Flush()
	return cw.Error()
}

// The HTML report is one self-contained page a manager prints: no script,
// no external asset, a print stylesheet that repeats table headers on each
// page and keeps a row from splitting.
var page = template.Must(template.New("report").Funcs(template.FuncMap{"pct": pct, "mins": mins, "causes": causes}).Parse(`<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<title>vigie: availability by {{.By}}, {{.From.Format "2006-01-02"}} to {{.To.Format "2006-01-02"}}</title>
<style>
body { font-family: sans-serif; font-size: 11pt; margin: 2em; color: #111; }
h1 { font-size: 16pt; } h2 { font-size: 13pt; margin-top: 1.5em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { border: 1px solid #999; padding: 0.2em 0.5em; text-align: right; }
th:first-child, td:first-child, th:last-child, td.causes { text-align: left; }
thead th { background: #e8e8e8; }
tr.total td { font-weight: bold; border-top: 2px solid #111; }
p.note { font-size: 9pt; color: #444; }
@media print {
  body { margin: 0; font-size: 9pt; }
  @page { size: A4 landscape; margin: 12mm; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; }
  section { break-before: page; }
}
</style>
</head>
<body>
<h1>Availability by {{.By}}</h1>
<p>Window: {{.From.Format "2006-01-02 15:04 MST"}} to {{.To.Format "2006-01-02 15:04 MST"}} (end excluded).</p>
<p class="note">{{.Ratio}}. Minutes are summed over the sites of a row. Incidents: isolations that overlap the window.</p>
<table id="summary">
<thead><tr><th>{{.By}}</th><th>sites</th><th>availability %</th><th>isolated min</th><th>degraded min</th><th>unobserved min</th><th>incidents</th><th>top causes</th></tr></thead>
<tbody>
{{range .Groups}}<tr><td>{{.Group}}{{if .Name}} ({{.Name}}){{end}}</td><td>{{.Sites}}</td><td>{{pct .Availability}}</td><td>{{mins .IsolatedMinutes}}</td><td>{{mins .DegradedMinutes}}</td><td>{{mins .UnobservedMinutes}}</td><td>{{.Incidents}}</td><td class="causes">{{causes .TopCauses}}</td></tr>
{{end}}{{with .Total}}<tr class="total"><td>total</td><td>{{.Sites}}</td><td>{{pct .Availability}}</td><td>{{mins .IsolatedMinutes}}</td><td>{{mins .DegradedMinutes}}</td><td>{{mins .UnobservedMinutes}}</td><td>{{.Incidents}}</td><td class="causes">{{causes .TopCauses}}</td></tr>{{end}}
</tbody>
</table>
{{range $g := .GroupNames}}<section class="group">
<h2>{{$.By}} {{$g}}</h2>
<table>
<thead><tr><th>site</th><th>availability %</th><th>isolated min</th><th>degraded min</th><th>unobserved min</th><th>incidents</th><th>top causes</th></tr></thead>
<tbody>
{{range index $.Sites $g}}<tr><td>{{.Group}}{{if .Name}} ({{.Name}}){{end}}</td><td>{{pct .Availability}}</td><td>{{mins .IsolatedMinutes}}</td><td>{{mins .DegradedMinutes}}</td><td>{{mins .UnobservedMinutes}}</td><td>{{.Incidents}}</td><td class="causes">{{causes .TopCauses}}</td></tr>
{{end}}</tbody>
</table>
</section>
{{end}}<p class="note">Generated by vigie from its store's site state intervals.</p>
</body>
</html>
`))

// GroupNames lists the groups that have a per-site table (not by site).
func (rep *Report) GroupNames() []string {
	if rep.Sites == nil {
		return nil
	}
	out := make([]string, 0, len(rep.Groups))
	for _, g := range rep.Groups {
		out = append(out, g.Group)
	}
	return out
}

func writeHTML(w io.Writer, rep *Report) error { return page.Execute(w, rep) }
