// This file decodes the fields that say where a site is and whom to call:
// what a person acting on a page needs, all optional.

package inventory

import (
	"math"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// float reads a decimal number in [lo, hi].
func (d *decoder) float(v *yaml.Node, p fpath, lo, hi float64) (float64, bool) {
	s, ok := d.scalar(v, p, "a number")
	if !ok {
		return 0, false
	}
	f, err := strconv.ParseFloat(s.Value, 64)
	if err != nil || s.Tag == "!!str" || math.IsNaN(f) || math.IsInf(f, 0) {
		d.errf(s.Line, p, "expected a number, found %q", s.Value)
		return 0, false
	}
	if f < lo || f > hi {
		d.errf(s.Line, p, "%g is out of range: use a value from %g to %g", f, lo, hi)
		return 0, false
	}
	return f, true
}

// departmentCode matches INSEE department codes: mainland 01-95 (Corsica as
// 2A and 2B, never 20), the overseas departments 971-976, and the overseas
// collectivities 975, 977, 978 and 984-989.
var departmentCode = regexp.MustCompile(`^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-8]|98[4-9])$`)

// department reads an INSEE department code. A YAML number such as 75 is
// taken as its text; 1 is refused with a hint, since the code is "01".
func (d *decoder) department(v *yaml.Node, p fpath) (string, bool) {
	s, ok := d.scalar(v, p, "a department code")
	if !ok {
		return "", false
	}
	code := strings.ToUpper(strings.TrimSpace(s.Value))
	if departmentCode.MatchString(code) {
		return code, true
	}
	hint := `an INSEE code such as "75", "2A" or "971"`
	if len(code) == 1 && code >= "1" && code <= "9" {
		hint = `"0` + code + `" (quote it: the code has two characters)`
	} else if code == "20" {
		hint = `"2A" (Corse-du-Sud) or "2B" (Haute-Corse)`
	}
	d.errf(s.Line, p, "%q is not a department code: use %s", s.Value, hint)
	return "", false
}

// phoneSeparators are what people write between a number's digits.
var phoneSeparators = strings.NewReplacer(" ", "", ".", "", "-", "", "(", "", ")", "")

// phoneLike matches what looks like a telephone number once spaces, dots
// and dashes are gone.
var phoneLike = regexp.MustCompile(`^\+?[0-9]{8,15}$`)

// contact reads whom to call about a site. It ends up in an info metric that
// anyone with Prometheus access reads, so it must be a reference (a ticket
// queue, a directory id, a team's mailbox), not a person's number.
func (d *decoder) contact(v *yaml.Node, p fpath) (string, bool) {
	c, ok := d.str(v, p)
	if !ok {
		return "", false
	}
	bare := phoneSeparators.Replace(c)
	if phoneLike.MatchString(bare) {
		d.errf(v.Line, p, "contact %q looks like a telephone number: it is exposed in metrics, so give a reference instead (a ticket queue, a directory id) and keep numbers in the directory", c)
		return "", false
	}
	if at := strings.IndexByte(c, '@'); at > 0 && strings.Contains(c[:at], ".") {
		d.warnf(v.Line, p, "contact %q looks like a person's e-mail address: it is exposed in metrics; prefer a team's mailbox, a ticket queue or a directory id", c)
	}
	return c, true
}
