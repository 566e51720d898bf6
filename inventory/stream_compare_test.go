package inventory

import (
	"errors"
	"fmt"
	"reflect"
)

// StreamVersusWhole decodes data both ways, streamed in pieces of about
// target bytes (stream.go) and from a single parse, and returns whether the
// streamed decode was taken and, if so, the first difference between the
// two (inventory or problems), or "". target 0 is the size Parse uses. It
// is exported for the tests of package inventory_test, which decode the
// simulator's RIE.
func StreamVersusWhole(name string, data []byte, opts LoadOptions, target int) (streamed bool, diff string) {
	if target == 0 {
		target = streamPiece
	}
	sInv, sErr, ok := parseStream(name, data, opts, target)
	wInv, wErr := parseWhole(name, data, opts)
	if !ok {
		return false, ""
	}
	if d := problemsDiff(sErr, wErr); d != "" {
		return true, d
	}
	if reflect.DeepEqual(sInv, wInv) {
		return true, ""
	}
	sv, wv := reflect.ValueOf(sInv).Elem(), reflect.ValueOf(wInv).Elem()
	for i := range sv.NumField() {
		f := sv.Type().Field(i)
		a, b := sv.Field(i), wv.Field(i)
		if !f.IsExported() || reflect.DeepEqual(a.Interface(), b.Interface()) {
			continue
		}
		if a.Kind() == reflect.Slice {
			if a.Len() != b.Len() {
				return true, fmt.Sprintf("%s: %d items streamed, %d whole", f.Name, a.Len(), b.Len())
			}
			for j := range a.Len() {
				if !reflect.DeepEqual(a.Index(j).Interface(), b.Index(j).Interface()) {
					return true, fmt.Sprintf("%s[%d]: streamed %+v, whole %+v", f.Name, j, a.Index(j).Interface(), b.Index(j).Interface())
				}
			}
		}
		return true, fmt.Sprintf("%s: streamed %+v, whole %+v", f.Name, a.Interface(), b.Interface())
	}
	return true, "the inventories differ in an unexported field"
}

func problemsDiff(s, w error) string {
	if (s == nil) != (w == nil) {
		return fmt.Sprintf("error: streamed %v, whole %v", s, w)
	}
	if s == nil {
		return ""
	}
	var sc, wc *ConfigError
	if !errors.As(s, &sc) || !errors.As(w, &wc) {
		if s.Error() != w.Error() {
			return fmt.Sprintf("error: streamed %v, whole %v", s, w)
		}
		return ""
	}
	for i := range max(len(sc.Problems), len(wc.Problems)) {
		switch {
		case i >= len(sc.Problems):
			return fmt.Sprintf("problem %d: streamed none, whole %+v", i, wc.Problems[i])
		case i >= len(wc.Problems):
			return fmt.Sprintf("problem %d: streamed %+v, whole none", i, sc.Problems[i])
		case sc.Problems[i] != wc.Problems[i]:
			return fmt.Sprintf("problem %d: streamed %+v, whole %+v", i, sc.Problems[i], wc.Problems[i])
		}
	}
	return ""
}

// ParseWhole is Parse from a single parse of the whole file, for the
// benchmarks of package inventory_test.
var ParseWhole = parseWhole
