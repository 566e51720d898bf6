package sheet

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"gopkg.in/yaml.v3"

	"github.com/vigie-rie/vigie/inventory"
)

// MaxFileSize bounds one sheet file, as inventory.MaxFileSize bounds an
// inventory: 14,000 sites take about 3 MB of CSV.
const MaxFileSize = 64 << 20

// ImportOptions tune Import; the zero value is the default.
type ImportOptions struct {
	// Strict makes warnings fail the import, as check-config --strict.
	Strict bool
	// OnSheet, if set, is told of each file read: its sheet and rows.
	OnSheet func(file string, kind Kind, rows int)
}

// Result is an import: the inventory assembled from the base file and the
// sheets, its YAML (inventory.Write's form, ready to install), and the
// warnings met on the way, each at its sheet's FILE:LINE: COLUMN.
type Result struct {
	Inventory *inventory.Inventory
	YAML      []byte
	Warnings  []inventory.Problem
}

// Import reads the sheet files and assembles them with the sections of the
// base inventory file that sheets do not hold (agent, polling,
// snmp_profiles, bgp); the base's own regions, devices, sites... are
// replaced by the sheets'. The result is checked by the inventory's
// decoder. When anything is wrong the error is an *inventory.ConfigError
// whose problems name the sheet file, its line and column (or the base
// file's line), all of them in one run.
func Import(files []string, base string, opts ImportOptions) (*Result, error) {
	im := &importer{refs: map[string][]rowRef{}, badCells: map[cellKey]bool{}, opts: opts}
	root, err := im.readBase(base)
	if err != nil {
		return nil, err
	}
	sheets := map[Kind][]*table{}
	for _, f := range files {
		t := im.readFile(f)
		if t == nil {
			continue
		}
		sheets[t.kind] = append(sheets[t.kind], t)
		if opts.OnSheet != nil {
			opts.OnSheet(f, t.kind, len(t.rows))
		}
	}
	if len(files) == 0 {
		im.problem(inventory.Problem{File: "(command line)", Msg: "no sheet given: name the CSV files to import (sites.csv accesses.csv devices.csv ...)"})
	}
	if im.failed() {
		return nil, &inventory.ConfigError{Problems: im.problems}
	}
	// A bad cell is left out and reported; the decoder still checks the
	// rest, so that one run lists every problem.
	im.assemble(root, sheets)
	return im.check(base, root)
}

type importer struct {
	opts     ImportOptions
	problems []inventory.Problem
	// refs locate each generated list item: refs["sites"][i] is the row of
	// sites[i], refs["sites[i].access"][j] that of its j-th access.
	refs map[string][]rowRef
	// badCells are the cells already reported and left out: the decoder's
	// complaints about them (a missing value) would only repeat it.
	badCells map[cellKey]bool
}

type cellKey struct {
	file  string
	line  int
	field string
}

// rowRef is one sheet row: its file and line, and the column that filled
// each inventory key.
type rowRef struct {
	file string
	line int
	cols map[string]string // inventory key ("device", "a.device") -> column
	// at, for a row assembled from other files (a NetBox export), says
	// where each column's value came from.
	at *rowOrigin
}

// rowOrigin locates a row assembled from other files: the row it stands
// for, and each column's value (at[k] for the table's column cols[k]; an
// empty file when the column has no value).
type rowOrigin struct {
	own  origin
	cols []string // the table's, shared
	at   []origin
}

// of is where column col's value came from: its cell, else the row's own
// place under the column's name.
func (r *rowOrigin) of(col string) origin {
	for k, c := range r.cols {
		if c == col && r.at[k].file != "" {
			return r.at[k]
		}
	}
	o := r.own
	o.col = col
	return o
}

// origin is where one value was read: a file, its line and column header.
type origin struct {
	file string
	line int
	col  string
}

func (im *importer) problem(p inventory.Problem) { im.problems = append(im.problems, p) }

func (im *importer) failed() bool {
	for _, p := range im.problems {
		if !p.Warning || im.opts.Strict {
			return true
		}
	}
	return false
}

// sheetOwned are the base file's sections that the sheets replace.
var sheetOwned = []string{"regions", "datacentres", "pops", "devices", "sites", "links", "interconnects"}

// readBase loads the base inventory (its problems fail the import, at its
// own lines) and returns its document's root mapping without the sections
// the sheets own.
func (im *importer) readBase(path string) (*yaml.Node, error) {
	if path == "" {
		return nil, errors.New("no base inventory: the agent, polling, SNMP profiles (with their secrets) and BGP settings come from an existing inventory file; give it with --base (for example /etc/vigie/vigie.yml, or a file holding only snmp_profiles:)")
	}
	if _, err := inventory.Load(path, inventory.LoadOptions{Strict: im.opts.Strict}); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path) // Load read it within its bound just now
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: the base inventory must be a YAML mapping (it loads, so this is a vigie bug: report it)", path)
	}
	root := doc.Content[0]
	kept := root.Content[:0]
	for i := 0; i+1 < len(root.Content); i += 2 {
		if !slices.Contains(sheetOwned, root.Content[i].Value) {
			kept = append(kept, root.Content[i], root.Content[i+1])
		}
	}
	root.Content = kept
	return root, nil
}

// table is one sheet file read: its kind, columns and rows.
type table struct {
	file   string
	kind   Kind
	cols   []string // normalised header
	names  []string // the header as written
	rows   [][]string
	lines  []int // each row's line in the file
	header int   // the header's line
	// origins, for a sheet assembled from other files, say where each
	// row's cells came from (by column name).
	origins []*rowOrigin
}

func (im *importer) readFile(path string) *table {
	fail := func(line int, format string, args ...any) *table {
		im.problem(inventory.Problem{File: path, Line: line, Msg: fmt.Sprintf(format, args...)})
		return nil
	}
	data, err := readBounded(path)
	if err != nil {
		return fail(0, "%v", err)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // Excel's UTF-8 byte order mark
	if !utf8.Valid(data) {
		// Excel's "CSV" (not "CSV UTF-8") on a French Windows is
		// Windows-1252: é is one byte.
		dec, err := charmap.Windows1252.NewDecoder().Bytes(data)
		if err != nil {
			return fail(0, "the file is neither UTF-8 nor Windows-1252 text: save it as \"CSV UTF-8\"")
		}
		data = dec
		im.problem(inventory.Problem{File: path, Warning: true,
			Msg: "not UTF-8: read as Windows-1252 (Excel's \"CSV\" on Windows); save it as \"CSV UTF-8\" to be sure of accented names"})
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delimiter(data)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	t := im.readCSV(path, data)
	if t == nil {
		return nil
	}
	if t.cols == nil {
		return fail(0, "the file is empty: a sheet starts with a header row naming its columns")
	}
	kind, ok := kindOfName(filepath.Base(path))
	if !ok {
		kind, ok = kindOfHeader(t.cols)
	}
	if !ok {
		return fail(t.header, "cannot tell which sheet this is: name the file after it (%s.csv)", joinKinds())
	}
	t.kind = kind
	return im.checkHeader(t)
}

// readCSV reads the rows of a CSV file, its header first (blank rows
// skipped), each with its line; nil when the file is not valid CSV (the
// problem is recorded). A file with no header has no cols.
func (im *importer) readCSV(path string, data []byte) *table {
	fail := func(line int, format string, args ...any) *table {
		im.problem(inventory.Problem{File: path, Line: line, Msg: fmt.Sprintf(format, args...)})
		return nil
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = delimiter(data)
	r.FieldsPerRecord = -1
	r.ReuseRecord = false
	t := &table{file: path}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return fail(pe.Line, "%v: check the quotes on this line (a quote inside a cell is written twice: \"\")", pe.Err)
			}
			return fail(0, "%v", err)
		}
		line, _ := r.FieldPos(0) // only valid after a record was read
		if blank(rec) {
			continue
		}
		if t.cols == nil {
			t.header = line
			for _, h := range rec {
				t.cols = append(t.cols, normalize(h))
				t.names = append(t.names, strings.TrimSpace(h))
			}
			continue
		}
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	return t
}

// checkHeader refuses unknown, repeated and missing columns, each with
// what to do.
func (im *importer) checkHeader(t *table) *table {
	ok := true
	valid := columns[t.kind]
	names := make([]string, len(valid))
	for i, c := range valid {
		names[i] = c.name
	}
	seen := map[string]bool{}
	for _, h := range t.cols {
		switch {
		case h == "":
			im.problem(inventory.Problem{File: t.file, Line: t.header, Msg: "a column has no name: name it, or delete it"})
			ok = false
		case seen[h]:
			im.problem(inventory.Problem{File: t.file, Line: t.header, Field: h, Msg: "this column appears twice: keep one"})
			ok = false
		case !slices.Contains(names, h):
			hint := "the " + string(t.kind) + " sheet's columns are " + strings.Join(names, ", ")
			if c := inventory.Closest(h, names); c != "" {
				hint = fmt.Sprintf("did you mean %q?", c)
			}
			im.problem(inventory.Problem{File: t.file, Line: t.header, Field: h, Msg: "unknown column (" + hint + ")"})
			ok = false
		}
		seen[h] = true
	}
	for _, c := range valid {
		if c.required && !seen[c.name] {
			im.problem(inventory.Problem{File: t.file, Line: t.header, Field: c.name,
				Msg: fmt.Sprintf("missing column: the %s sheet needs it", t.kind)})
			ok = false
		}
	}
	if !ok {
		return nil
	}
	return t
}

// assemble adds the sheets' sections to root, in the inventory's order.
func (im *importer) assemble(root *yaml.Node, sheets map[Kind][]*table) {
	// A site's accesses go under it: index the sites first.
	var sitesSeq *yaml.Node
	siteAt := map[string]int{}
	for _, kind := range Kinds {
		if kind == Accesses {
			continue
		}
		seq := &yaml.Node{Kind: yaml.SequenceNode}
		section := string(kind)
		for _, t := range sheets[kind] {
			for i, rec := range t.rows {
				item, ref := im.row(t, i, rec)
				if item == nil {
					continue
				}
				if id := strings.TrimSpace(cell(t, rec, "id")); kind == Sites && id != "" {
					siteAt[id] = len(seq.Content)
				}
				seq.Content = append(seq.Content, item)
				im.refs[section] = append(im.refs[section], ref)
			}
		}
		if len(seq.Content) == 0 {
			continue
		}
		if kind == Sites {
			sitesSeq = seq
		}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: section}, seq)
	}
	for _, t := range sheets[Accesses] {
		for i, rec := range t.rows {
			site := strings.TrimSpace(cell(t, rec, "site"))
			k, found := siteAt[site]
			if !found || sitesSeq == nil {
				im.problem(inventory.Problem{File: t.file, Line: t.lines[i], Field: "site",
					Msg: fmt.Sprintf("site %q is not in the sites sheet: add it there, or correct the id", site)})
				continue
			}
			item, ref := im.row(t, i, rec)
			if item == nil {
				continue
			}
			s := sitesSeq.Content[k]
			access := mapGet(s, "access")
			if access == nil {
				access = &yaml.Node{Kind: yaml.SequenceNode}
				s.Content = append(s.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "access"}, access)
			}
			access.Content = append(access.Content, item)
			key := fmt.Sprintf("sites[%d].access", k)
			im.refs[key] = append(im.refs[key], ref)
		}
	}
}

// row turns one sheet row into an inventory list item (a mapping), or nil
// when a cell cannot be read (the problem is recorded).
func (im *importer) row(t *table, i int, rec []string) (*yaml.Node, rowRef) {
	ref := rowRef{file: t.file, line: t.lines[i], cols: map[string]string{}}
	if t.origins != nil {
		ref.at = t.origins[i]
	}
	if len(rec) > len(t.cols) {
		extra := strings.Join(rec[len(t.cols):], "")
		if strings.TrimSpace(extra) != "" {
			im.problem(inventory.Problem{File: t.file, Line: ref.line,
				Msg: fmt.Sprintf("%d cells but %d columns: a cell holding the separator must be quoted", len(rec), len(t.cols))})
			return nil, ref
		}
	}
	item := &yaml.Node{Kind: yaml.MappingNode}
	bad := func(p inventory.Problem) {
		im.problem(p)
		im.badCells[cellKey{p.File, p.Line, p.Field}] = true
	}
	for _, c := range columns[t.kind] {
		raw := cell(t, rec, c.name)
		v := strings.TrimSpace(raw)
		if v == "" || c.key == "" {
			continue
		}
		ref.cols[c.key] = c.name
		where := inventory.Problem{File: t.file, Line: ref.line, Field: c.name}
		if ref.at != nil {
			o := ref.at.of(c.name)
			where = inventory.Problem{File: o.file, Line: o.line, Field: o.col}
		}
		var node *yaml.Node
		switch c.typ {
		case text:
			if c.name == "department" && len(v) == 1 && v[0] >= '1' && v[0] <= '9' {
				// A spreadsheet read "01" as the number 1.
				w := where
				w.Warning, w.Msg = true, fmt.Sprintf("read %q as \"0%s\": a spreadsheet drops the leading zero of a code; format the column as text", v, v)
				im.problem(w)
				v = "0" + v
			}
			node = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
		case boolean:
			b, good := parseBool(v)
			if !good {
				where.Msg = fmt.Sprintf("%q is not yes or no: write true/false, yes/no, oui/non, 1/0, or x for yes", v)
				bad(where)
				continue
			}
			node = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(b)}
		case number:
			n := strings.Replace(v, ",", ".", 1) // a French spreadsheet's decimal comma
			if _, err := strconv.ParseFloat(n, 64); err != nil {
				where.Msg = fmt.Sprintf("%q is not a number: write it as 48.8566 (or 48,8566)", v)
				bad(where)
				continue
			}
			node = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: n}
		case words:
			node = &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, w := range splitWords(v) {
				node.Content = append(node.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: w})
			}
		}
		mapSet(item, c.key, node)
	}
	// Coordinates go in pairs: one left out takes the other with it.
	if im.badCells[cellKey{t.file, ref.line, "lat"}] || im.badCells[cellKey{t.file, ref.line, "lon"}] {
		mapDelete(item, "lat")
		mapDelete(item, "lon")
		im.badCells[cellKey{t.file, ref.line, "lat"}] = true
	}
	return item, ref
}

func mapDelete(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = slices.Delete(m.Content, i, i+2)
			return
		}
	}
}

// check writes the assembled document and loads it with the inventory's
// decoder, moving each problem to the sheet row and column it comes from.
func (im *importer) check(base string, root *yaml.Node) (*Result, error) {
	data, byLine, err := im.text(root)
	if err != nil {
		return nil, fmt.Errorf("assembling the inventory: %w", err)
	}
	*root = yaml.Node{} // the text is all the decoder needs
	var warnings []inventory.Problem
	inv, err := inventory.Parse(base, data, inventory.LoadOptions{Strict: im.opts.Strict,
		OnWarning: func(p inventory.Problem) { warnings = append(warnings, p) }})
	var ce *inventory.ConfigError
	if errors.As(err, &ce) {
		warnings = ce.Problems
	} else if err != nil {
		return nil, err
	}
	for _, p := range warnings {
		p = im.locate(p, byLine)
		if !im.badCells[cellKey{p.File, p.Line, p.Field}] {
			im.problem(p)
		}
	}
	slices.SortStableFunc(im.problems, func(a, b inventory.Problem) int {
		if c := strings.Compare(a.File, b.File); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	if im.failed() {
		return nil, &inventory.ConfigError{Problems: im.problems}
	}
	var out bytes.Buffer
	if err := inventory.Write(&out, inv); err != nil {
		return nil, fmt.Errorf("writing the imported inventory: %w", err)
	}
	return &Result{Inventory: inv, YAML: out.Bytes(), Warnings: im.problems}, nil
}

// text writes the assembled document: the base's own sections as
// yaml.v3 writes them, then each sheet section with one list item per
// line, in flow style (yaml.v3's emitter takes a gigabyte for 14,000
// sites). It returns the line of each item's sheet row.
func (im *importer) text(root *yaml.Node) ([]byte, map[int]rowRef, error) {
	var baseKeys, sheetKeys []*yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if slices.Contains(sheetOwned, root.Content[i].Value) {
			sheetKeys = append(sheetKeys, root.Content[i], root.Content[i+1])
		} else {
			baseKeys = append(baseKeys, root.Content[i], root.Content[i+1])
		}
	}
	var b []byte
	if len(baseKeys) > 0 {
		head, err := yaml.Marshal(&yaml.Node{Kind: yaml.MappingNode, Content: baseKeys})
		if err != nil {
			return nil, nil, err
		}
		b = head
	}
	line := bytes.Count(b, []byte("\n")) + 1
	byLine := map[int]rowRef{}
	for i := 0; i+1 < len(sheetKeys); i += 2 {
		section := sheetKeys[i].Value
		b = append(b, section...)
		b = append(b, ":\n"...)
		line++
		for j, item := range sheetKeys[i+1].Content {
			if refs := im.refs[section]; j < len(refs) {
				byLine[line] = refs[j]
			}
			b = append(b, "  - "...)
			b = appendFlow(b, item)
			b = append(b, '\n')
			line++
		}
	}
	return b, byLine, nil
}

// appendFlow writes a node in YAML flow style. Strings are double-quoted
// the Go way, whose escapes YAML reads; booleans and numbers are plain.
func appendFlow(b []byte, n *yaml.Node) []byte {
	switch n.Kind {
	case yaml.MappingNode:
		b = append(b, '{')
		for i := 0; i+1 < len(n.Content); i += 2 {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, n.Content[i].Value...)
			b = append(b, ": "...)
			b = appendFlow(b, n.Content[i+1])
		}
		return append(b, '}')
	case yaml.SequenceNode:
		b = append(b, '[')
		for i, c := range n.Content {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendFlow(b, c)
		}
		return append(b, ']')
	}
	if n.Tag == "!!bool" || n.Tag == "!!float" {
		return append(b, n.Value...)
	}
	return strconv.AppendQuote(b, n.Value)
}

// sheetWords says in sheet terms what the decoder says in YAML terms.
var sheetWords = strings.NewReplacer(
	"under devices: with site: ", "to the devices sheet with site ",
	"declare at least one under access:", "add its rows to the accesses sheet",
	"under access:", "to the accesses sheet",
	"under datacentres:", "to the datacentres sheet",
	"under devices:", "to the devices sheet",
	"under pops:", "to the pops sheet",
	"under regions:", "to the regions sheet",
	"under sites:", "to the sites sheet",
	"under snmp_profiles:", "under snmp_profiles: of the base inventory",
	"declare it", "add it",
	"declare the", "add the",
)

var (
	fieldPath = regexp.MustCompile(`^(sites\[\d+\]\.access|[a-z_]+)\[(\d+)\](?:\.(.*))?$`)
	lineWord  = regexp.MustCompile(`\bline (\d+)\b`)
)

// locate moves a problem of the assembled inventory to its sheet row and
// column. Problems of the base's own sections keep the base file's name
// (their lines moved when the sheets were added: the field path says where).
func (im *importer) locate(p inventory.Problem, byLine map[int]rowRef) inventory.Problem {
	p.Msg = lineWord.ReplaceAllStringFunc(p.Msg, func(m string) string {
		n, _ := strconv.Atoi(m[len("line "):])
		if r, ok := byLine[n]; ok {
			return fmt.Sprintf("%s:%d", r.file, r.line)
		}
		return m
	})
	m := fieldPath.FindStringSubmatch(p.Field)
	if m != nil {
		p.Msg = sheetWords.Replace(p.Msg)
	}
	if m == nil {
		p.Line = 0
		return p
	}
	j, _ := strconv.Atoi(m[2])
	refs := im.refs[m[1]]
	if j >= len(refs) {
		p.Line = 0
		return p
	}
	r := refs[j]
	col := ""
	if m[3] != "" {
		key := m[3]
		if i := strings.IndexByte(key, '['); i >= 0 {
			key = key[:i] // srlgs[1] -> srlgs
		}
		col = r.cols[key]
		if col == "" {
			col = key
		}
	}
	if r.at != nil {
		o := r.at.of(col)
		return inventory.Problem{File: o.file, Line: o.line, Field: o.col, Msg: p.Msg, Warning: p.Warning}
	}
	return inventory.Problem{File: r.file, Line: r.line, Field: col, Msg: p.Msg, Warning: p.Warning}
}

// delimiter picks the separator of a CSV file from its first line: a
// comma, the semicolon of French spreadsheets, or a tab.
func delimiter(data []byte) rune {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	best, n := ',', bytes.Count(first, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if k := bytes.Count(first, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}

func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the sheet (check the path and its permissions): %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read the sheet: %w", err)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("larger than %d MiB, the limit of a sheet (14,000 sites take about 3 MB): check that it is a CSV export", MaxFileSize>>20)
	}
	return data, nil
}

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// cell is the value of the named column in rec ("" when the row is short).
func cell(t *table, rec []string, name string) string {
	for i, c := range t.cols {
		if c == name && i < len(rec) {
			return rec[i]
		}
	}
	return ""
}

func parseBool(v string) (bool, bool) {
	switch strings.ToLower(foldAccents(v)) {
	case "true", "yes", "oui", "1", "x", "vrai", "y", "o":
		return true, true
	case "false", "no", "non", "0", "faux", "n":
		return false, true
	}
	return false, false
}

// splitWords splits a list cell at spaces, commas, semicolons and |.
func splitWords(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == '|' || r == '\t' || r == '\n'
	})
}

// mapSet sets key in a mapping node; "a.device" sets device in the
// mapping under a.
func mapSet(m *yaml.Node, key string, v *yaml.Node) {
	if outer, inner, ok := strings.Cut(key, "."); ok {
		sub := mapGet(m, outer)
		if sub == nil {
			sub = &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: outer}, sub)
		}
		mapSet(sub, inner, v)
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func joinKinds() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ".csv, ")
}
