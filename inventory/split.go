// This file parses large configurations on several cores. yaml.v3 is about
// 90% of the cost of loading a full RIE (BenchmarkYAMLOnlyFullSize against
// BenchmarkLoadFullSize) and is sequential; a file written by Write (or by
// hand in the same style) is a few top-level sections, two of which are long
// block lists whose items start with "  - ". Such a file is cut at those
// lines, the pieces are parsed concurrently, and the trees are put back
// together with their line numbers shifted, giving the same tree a single
// parse would. Whenever that cannot be guaranteed (anchors and aliases,
// several documents, unusual line breaks, a piece that does not parse or has
// an unexpected shape) the file is parsed in one piece, so that problems are
// always reported by the ordinary path.

package inventory

import (
	"bytes"
	"runtime"
	"sync"

	"gopkg.in/yaml.v3"
)

// splitMin is the size under which splitting is not worth its overhead.
const splitMin = 256 << 10

// parseDocument parses data into a node tree, on several cores when it is
// large and shaped for it.
func parseDocument(data []byte) (root *yaml.Node, extra bool, err error) {
	if n := runtime.GOMAXPROCS(0); n > 1 && len(data) >= splitMin {
		if root, ok := parseSplit(data, 4*n, n); ok {
			return root, false, nil
		}
	}
	return parseYAML(data)
}

// piece is one part of the file, parsed on its own.
type piece struct {
	start, end int  // byte range
	line       int  // 1-based line of its first byte
	items      bool // a continuation of the previous section's list
	root       *yaml.Node
}

// parseSplit cuts data into about `pieces` parts and parses them with at
// most `workers` goroutines. ok is false when the file is not shaped for it.
func parseSplit(data []byte, pieces, workers int) (root *yaml.Node, ok bool) {
	if !splittable(data) {
		return nil, false
	}
	parts, ok := cut(data, pieces)
	if !ok || len(parts) < 2 {
		return nil, false
	}
	var wg sync.WaitGroup
	next := make(chan int)
	failed := make([]bool, len(parts))
	for range min(workers, len(parts)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				p := &parts[i]
				doc, extra, err := parseYAML(data[p.start:p.end])
				if err != nil || extra || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
					failed[i] = true
					continue
				}
				p.root = doc.Content[0]
				shift(p.root, p.line-1)
			}
		}()
	}
	for i := range parts {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, f := range failed {
		if f {
			return nil, false
		}
	}
	return assemble(parts)
}

// splittable rejects what would make pieces parse differently from the
// whole: anchors and aliases (an alias may point into another piece),
// document markers and directives, a byte order mark, and line breaks other
// than \n (YAML also breaks lines at \r, NEL, LS and PS, which would shift
// the line count).
func splittable(data []byte) bool {
	if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) || bytes.HasPrefix(data, []byte("---")) ||
		bytes.HasPrefix(data, []byte("%")) || bytes.HasPrefix(data, []byte("...")) {
		return false
	}
	for _, bad := range [][]byte{[]byte("&"), []byte("*"), []byte("\r"), []byte("\n---"), []byte("\n..."), []byte("\n%"),
		[]byte("\xc2\x85"), []byte("\xe2\x80\xa8"), []byte("\xe2\x80\xa9")} {
		if bytes.Contains(data, bad) {
			return false
		}
	}
	return true
}

// topKeyLine reports whether a line is a top-level key with nothing after
// its colon but spaces or a comment ("sites:"), or any other top-level key
// ("agent: {...}"); listHead says which.
func topKeyLine(line []byte) (isKey, listHead bool) {
	if len(line) == 0 {
		return false, false
	}
	c := line[0]
	if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') {
		return false, false
	}
	i := 1
	for i < len(line) && (line[i] >= 'a' && line[i] <= 'z' || line[i] >= 'A' && line[i] <= 'Z' || line[i] >= '0' && line[i] <= '9' || line[i] == '_' || line[i] == '-') {
		i++
	}
	if i >= len(line) || line[i] != ':' {
		return false, false
	}
	rest := bytes.TrimLeft(line[i+1:], " ")
	if len(rest) > 0 && rest[0] != '#' && i+1 < len(line) && line[i+1] != ' ' {
		return false, false // "key:value" is a plain scalar, not a key
	}
	return true, len(rest) == 0 || rest[0] == '#'
}

// cut chooses the cut points: every top-level key line, and "  - " item
// lines of top-level block lists once a piece has reached its target size.
func cut(data []byte, pieces int) ([]piece, bool) {
	return cutTarget(data, max(len(data)/max(pieces, 1), 1))
}

// cutTarget is cut with pieces of about target bytes.
func cutTarget(data []byte, target int) ([]piece, bool) {
	var parts []piece
	cur := piece{start: -1}
	inList := false   // inside a top-level block list whose items start with "  - "
	listHead := false // just after a "key:" line, before its first content line
	line := 1
	for pos := 0; pos < len(data); line++ {
		end := bytes.IndexByte(data[pos:], '\n')
		if end < 0 {
			end = len(data)
		} else {
			end += pos
		}
		l := data[pos:end]
		trimmed := bytes.TrimLeft(l, " ")
		blank := len(trimmed) == 0 || trimmed[0] == '#'
		isKey, head := topKeyLine(l)
		isItem := bytes.HasPrefix(l, []byte("  - ")) || bytes.Equal(l, []byte("  -"))
		switch {
		case isKey:
			if cur.start >= 0 {
				cur.end = pos
				parts = append(parts, cur)
				cur = piece{start: pos, line: line}
			} else {
				// The first piece takes the comments before the first key
				// too: every byte must go through a parser.
				cur = piece{start: 0, line: 1}
			}
			inList, listHead = false, head
		case cur.start < 0:
			if !blank {
				return nil, false // content before the first top-level key
			}
		case blank:
		case l[0] != ' ':
			return nil, false // a column-0 line that is no key: leave it to the parser
		case !bytes.HasPrefix(l, []byte("  ")):
			return nil, false // indented by one space: leave it to the parser
		case inList && !isItem && !bytes.HasPrefix(l, []byte("   ")):
			return nil, false // in a list, neither an item nor inside one
		case listHead:
			listHead = false
			inList = isItem
		case inList && isItem && pos-cur.start >= target:
			cur.end = pos
			parts = append(parts, cur)
			cur = piece{start: pos, line: line, items: true}
		}
		pos = end + 1
	}
	if cur.start >= 0 {
		cur.end = len(data)
		parts = append(parts, cur)
	}
	return parts, true
}

// shift adds n to the line of every node of a tree.
func shift(n *yaml.Node, by int) {
	n.Line += by
	for _, c := range n.Content {
		shift(c, by)
	}
}

// assemble puts the parsed pieces back into one document: pieces that start
// at a key add their pairs to the top-level mapping; list continuations add
// their items to the list of the key before them.
func assemble(parts []piece) (*yaml.Node, bool) {
	first := parts[0].root
	top := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: first.Line, Column: first.Column}
	for _, p := range parts {
		r := p.root
		if r.Style&yaml.FlowStyle != 0 || r.Anchor != "" || (r.Tag != "!!map" && r.Tag != "!!seq") {
			return nil, false
		}
		if !p.items {
			if r.Kind != yaml.MappingNode {
				return nil, false
			}
			top.Content = append(top.Content, r.Content...)
			continue
		}
		if r.Kind != yaml.SequenceNode || len(top.Content) == 0 {
			return nil, false
		}
		list := top.Content[len(top.Content)-1]
		if list.Kind != yaml.SequenceNode || list.Style&yaml.FlowStyle != 0 || list.Column != r.Column || list.Anchor != "" {
			return nil, false
		}
		list.Content = append(list.Content, r.Content...)
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Line: parts[0].line, Column: 1, Content: []*yaml.Node{top}}, true
}
