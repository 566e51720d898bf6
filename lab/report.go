// This file prints a rehearsal's report as text (for a terminal), JSON
// (for a script) or Markdown (for the planners' minutes).

package lab

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteReport writes the report in a format: text, json or markdown.
func (r *RehearsalReport) WriteReport(w io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "text", "":
		return r.text(w)
	case "markdown":
		return r.markdown(w)
	}
	return fmt.Errorf("lab: unknown report format %q: use text, json or markdown", format)
}

func verdict(ok bool) string {
	if ok {
		return "prediction == observation"
	}
	return "DISAGREEMENT"
}

func list(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func (r *RehearsalReport) text(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "rehearsal of lab %s: %s\n", r.Lab, verdict(r.Agree))
	fmt.Fprintf(&b, "inventory %s; vigie nominal %.1fs after its start; packets sent from each site to %s\n", r.Inventory, r.VigieSeconds, list(r.Datacentres))
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "\nscenario %s (what-if %s; cut %s): %s\n", s.Name, list(s.Fail), list(s.Cuts), verdict(s.Agree))
		fmt.Fprintf(&b, "  %-8s %-14s %-10s %-10s %-10s %s\n", "site", "CE", "predicted", "vigie", "routers", "datacentres reached")
		for _, o := range s.Sites {
			mark := ""
			if !o.Agree {
				mark = "  <-- disagrees"
			}
			fmt.Fprintf(&b, "  %-8s %-14s %-10s %-10s %-10s %s%s\n", o.Site, o.CE, o.Predicted, o.Vigie, o.Routers, list(o.Reached), mark)
		}
		fmt.Fprintf(&b, "  degraded: predicted %s; vigie %s\n", list(s.PredictedDegraded), list(s.VigieDegraded))
		fmt.Fprintf(&b, "  interconnects surviving: predicted %s; vigie %s\n", list(s.PredictedSurviving), list(s.VigieInterconnectsUp))
		fmt.Fprintf(&b, "  converged after the cut: routing %s, vigie %s; after the restore: routing %s, vigie %s\n",
			secs(s.RoutingSeconds), secs(s.VigieSeconds), secs(s.RestoreRoutingSeconds), secs(s.RestoreVigieSeconds))
		for _, d := range s.Disagreements {
			fmt.Fprintf(&b, "  disagreement: %s\n", d)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *RehearsalReport) markdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# Rehearsal of lab %s: %s\n\n", r.Lab, verdict(r.Agree))
	fmt.Fprintf(&b, "Inventory `%s`; vigie nominal %.1f s after its start; packets sent from each site to %s.\n", r.Inventory, r.VigieSeconds, list(r.Datacentres))
	for _, s := range r.Scenarios {
		fmt.Fprintf(&b, "\n## %s: %s\n\nWhat-if `%s`; cut `%s`.\n\n", s.Name, verdict(s.Agree), list(s.Fail), list(s.Cuts))
		b.WriteString("| site | CE | predicted | vigie | routers | datacentres reached |\n| --- | --- | --- | --- | --- | --- |\n")
		for _, o := range s.Sites {
			mark := ""
			if !o.Agree {
				mark = " **disagrees**"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s%s | %s |\n", o.Site, o.CE, o.Predicted, o.Vigie, o.Routers, mark, list(o.Reached))
		}
		fmt.Fprintf(&b, "\n- Degraded: predicted %s; vigie %s.\n", list(s.PredictedDegraded), list(s.VigieDegraded))
		fmt.Fprintf(&b, "- Interconnects surviving: predicted %s; vigie %s.\n", list(s.PredictedSurviving), list(s.VigieInterconnectsUp))
		fmt.Fprintf(&b, "- Converged after the cut: routing %s, vigie %s; after the restore: routing %s, vigie %s.\n",
			secs(s.RoutingSeconds), secs(s.VigieSeconds), secs(s.RestoreRoutingSeconds), secs(s.RestoreVigieSeconds))
		for _, d := range s.Disagreements {
			fmt.Fprintf(&b, "- Disagreement: %s\n", d)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
