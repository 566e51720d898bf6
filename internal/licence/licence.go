// Package licence tells which licences a licence file grants, from its text,
// and finds the licence files of the modules the vigie binaries link, so that
// a test can refuse a dependency whose licence vigie, released under
// Apache-2.0, may not include.
//
// The classifier matches the key phrases of each licence in a normalised text
// (lower case, every run of punctuation and white space made one space), not
// whole files: licence files differ in wrapping, quoting, markdown and
// copyright lines, and many hold several licences (a BSD text for the code
// plus the Go authors' for a ported part, MIT for files ported from C plus
// Apache-2.0 for the rest).
package licence

import (
	"slices"
	"strings"
	"unicode"
)

// Kind names a licence by its SPDX identifier. Licences vigie refuses are
// named by family (GPL, LGPL, AGPL): their version does not change the answer.
type Kind string

// The licences the classifier recognises.
const (
	Apache2   Kind = "Apache-2.0"
	MIT       Kind = "MIT"
	BSD2      Kind = "BSD-2-Clause"
	BSD3      Kind = "BSD-3-Clause"
	BSD4      Kind = "BSD-4-Clause" // the advertising clause
	ISC       Kind = "ISC"
	ZeroBSD   Kind = "0BSD"
	Zlib      Kind = "Zlib"
	MPL2      Kind = "MPL-2.0"
	Unlicense Kind = "Unlicense"
	CC0       Kind = "CC0-1.0"
	GPL       Kind = "GPL"
	LGPL      Kind = "LGPL"
	AGPL      Kind = "AGPL"
	SSPL      Kind = "SSPL"
	BUSL      Kind = "BUSL"
	Commons   Kind = "Commons-Clause"
)

// rules maps each licence to phrases of its text or of its usual notice, any
// one of which shows the licence is there. Phrases are written normalised (a
// test keeps them so) and long enough not to occur in another licence: the
// MPL-2.0 text names the GPL, LGPL and AGPL as "Secondary Licenses", so those
// are recognised by their title lines and "as published by the Free Software
// Foundation", never by their bare names.
var rules = []struct {
	kind    Kind
	phrases []string
}{
	{Apache2, []string{
		"apache license version 2 0 january 2004",
		"licensed under the apache license version 2 0",
	}},
	{MIT, []string{
		"permission is hereby granted free of charge to any person obtaining a copy of this software",
	}},
	{Zlib, []string{
		"altered source versions must be plainly marked as such",
	}},
	{MPL2, []string{
		"mozilla public license version 2 0",
		"mozilla public license v 2 0",
	}},
	{Unlicense, []string{
		"this is free and unencumbered software released into the public domain",
	}},
	{CC0, []string{
		"cc0 1 0 universal",
	}},
	{GPL, []string{
		"gnu general public license version 2 june 1991",
		"gnu general public license version 3 29 june 2007",
		"gnu general public license as published by the free software foundation",
	}},
	{LGPL, []string{
		"gnu lesser general public license version 2 1 february 1999",
		"gnu lesser general public license version 3 29 june 2007",
		"gnu library general public license version 2 june 1991",
		"gnu lesser general public license as published by the free software foundation",
		"gnu library general public license as published by the free software foundation",
	}},
	{AGPL, []string{
		"gnu affero general public license version 3 19 november 2007",
		"gnu affero general public license as published by the free software foundation",
	}},
	{SSPL, []string{"server side public license"}},
	{BUSL, []string{"business source license"}},
	{Commons, []string{"commons clause license condition"}},
}

// Phrases of the licences that one licence's text contains another's, told
// apart by counting: a BSD-3-Clause text holds the BSD-2-Clause conditions
// plus the endorsement clause, a BSD-4-Clause one the advertising clause too;
// ISC is 0BSD's grant plus the notice condition.
const (
	bsdGrant       = "redistribution and use in source and binary forms with or without modification are permitted"
	bsdEndorse     = "endorse or promote products derived from this software"
	bsdAdvertising = "all advertising materials mentioning features or use of this software must display"
	iscGrant       = "distribute this software for any purpose with or without fee is hereby granted"
	iscNotice      = iscGrant + " provided that the above copyright notice and this permission notice appear in all copies"
)

// Classify returns the licences text grants, sorted; none when it recognises
// no licence. A file that grants several (a dual licence, or different
// licences for different files) gives them all.
func Classify(text []byte) []Kind {
	s := Normalise(string(text))
	var kinds []Kind
	for _, r := range rules {
		for _, p := range r.phrases {
			if strings.Contains(s, p) {
				kinds = append(kinds, r.kind)
				break
			}
		}
	}
	// The endorsement clause alone is no BSD licence: the Artistic licence
	// has it too.
	if grants := strings.Count(s, bsdGrant); grants > 0 {
		endorse, advertising := strings.Count(s, bsdEndorse), strings.Count(s, bsdAdvertising)
		if advertising > 0 {
			kinds = append(kinds, BSD4)
		}
		if endorse > advertising {
			kinds = append(kinds, BSD3)
		}
		if grants > endorse {
			kinds = append(kinds, BSD2)
		}
	}
	isc, zero := strings.Count(s, iscNotice), strings.Count(s, iscGrant)
	if isc > 0 {
		kinds = append(kinds, ISC)
	}
	if zero > isc {
		kinds = append(kinds, ZeroBSD)
	}
	slices.Sort(kinds)
	return kinds
}

// Normalise lower-cases s and makes every run of characters other than
// letters and digits one space, so that wrapping, indentation, quotes,
// markdown and "2.0" vs "2 0" do not matter to a phrase.
func Normalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // no leading space
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
			space = false
		} else if !space {
			b.WriteByte(' ')
			space = true
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}
