package exposition

// The pieces of the Prometheus text exposition format 0.0.4 that vigie
// writes itself, byte for byte as expfmt would (formerly internal/textformat).

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// textHeader returns a family's HELP and TYPE lines; typ is "gauge" or
// "counter".
func textHeader(name, help, typ string) []byte {
	help = strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(help)
	return []byte("# HELP " + name + " " + help + "\n# TYPE " + name + " " + typ + "\n")
}

// appendLabelValue appends a label value escaped as the format wants
// (backslash, double quote, line feed); invalid UTF-8, which a device may
// well send in an ifAlias, becomes U+FFFD so the scrape still parses.
func appendLabelValue(b []byte, v string) []byte {
	if !utf8.ValidString(v) {
		v = strings.ToValidUTF8(v, "\uFFFD")
	}
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '\\':
			b = append(b, '\\', '\\')
		case '"':
			b = append(b, '\\', '"')
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendValue formats a sample value as expfmt's text encoder does.
func appendValue(b []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(b, '1')
	case f == 0:
		return append(b, '0')
	case f == -1:
		return append(b, '-', '1')
	case math.IsNaN(f):
		return append(b, "NaN"...)
	case math.IsInf(f, +1):
		return append(b, "+Inf"...)
	case math.IsInf(f, -1):
		return append(b, "-Inf"...)
	case f > 0 && f < 1e6 && f == math.Trunc(f):
		// Most values (states, counts, small counters): strconv's
		// shortest 'g' writes these integers the same, only slower.
		return strconv.AppendInt(b, int64(f), 10)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}
