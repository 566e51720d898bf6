// This file decodes a large configuration without ever holding its whole
// YAML tree. yaml.v3 spends about 150 bytes a node; the node tree of a full
// RIE (14,000 sites, 20,000 devices, 7.5 MB of YAML) weighs some 200 MiB,
// which set the peak memory of every process that loads it, a regional
// collector keeping 2,000 devices included. The file is cut as split.go cuts
// it, at its top-level keys and at the "  - " items of its long top-level
// lists; the long lists that the decoder only walks item by item (devices,
// sites, links: see streamed) keep only their first piece in the tree, and
// the pieces that continue them are parsed when the decoder walks that list,
// a few pieces ahead on the other cores, then dropped. The decoder sees the
// tree a single parse gives, in the same order, so every check and every
// problem (file, line, field, message, and their order) is the same. When
// the file is not shaped for it, or a piece does not parse, the whole load
// starts again from a single parse, which reports what is wrong:
// correctness first.

package inventory

import (
	"bytes"
	"runtime"

	"gopkg.in/yaml.v3"
)

// streamMin is the size under which the file is parsed whole: its tree is
// small enough, and a single parse is the simplest.
const streamMin = splitMin

// streamPiece is the size of the pieces a streamed list is parsed in: their
// trees, a few at a time, are all the memory the list costs beyond its
// decoded values (32 KiB pieces peak some 4 MiB lower than 64 KiB ones on
// the full RIE, for the same time).
const streamPiece = 32 << 10

// streamed lists the top-level sections that are only read item by item,
// through decoder.list and decoder.prescanSites, and can thus be streamed.
var streamed = map[string]bool{"devices": true, "sites": true, "links": true}

// lazyList is the rest of a streamed list: the pieces after the first.
type lazyList struct {
	parts    []piece
	estimate int  // their items, counted by line: a capacity, never a result
	done     bool // every piece has parsed once with the expected shape
	// expect holds, when the pre-scan read the pieces' text (prescanText),
	// the id it read from each of their items, checked as they are walked.
	expect []textID
}

// parseStream is Parse for a large file; ok is false when the file must be
// decoded from a single parse instead (see the file comment). target is the
// size of a piece (streamPiece; tests use smaller ones).
func parseStream(name string, data []byte, opts LoadOptions, target int) (inv *Inventory, err error, ok bool) {
	if !splittable(data) {
		return nil, nil, false
	}
	parts, ok := cutTarget(data, target)
	if !ok || len(parts) == 0 {
		return nil, nil, false
	}
	d := newDecoder(name, opts)
	d.data = data
	d.lazy = map[*yaml.Node]*lazyList{}
	var top *yaml.Node
	for _, p := range parts {
		if !p.items {
			r, ok := parsePiece(data, p)
			if !ok || r.Kind != yaml.MappingNode {
				return nil, nil, false
			}
			if top == nil {
				top = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: r.Line, Column: r.Column}
			}
			top.Content = append(top.Content, r.Content...)
			continue
		}
		if top == nil || len(top.Content) < 2 {
			return nil, nil, false
		}
		key, list := top.Content[len(top.Content)-2], top.Content[len(top.Content)-1]
		if list.Kind != yaml.SequenceNode || list.Style&yaml.FlowStyle != 0 || list.Anchor != "" {
			return nil, nil, false
		}
		if streamed[key.Value] {
			l := d.lazy[list]
			if l == nil {
				l = &lazyList{}
				d.lazy[list] = l
			}
			l.parts = append(l.parts, p)
			l.estimate += itemLines(data[p.start:p.end])
			continue
		}
		r, ok := parsePiece(data, p)
		if !ok || r.Kind != yaml.SequenceNode || r.Column != list.Column {
			return nil, nil, false
		}
		list.Content = append(list.Content, r.Content...)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Line: parts[0].line, Column: 1, Content: []*yaml.Node{top}}
	d.document(doc)
	// A streamed list the decoder did not walk to its end (a repeated
	// section, an x- key) must still parse, as it would in a single parse.
	for list, l := range d.lazy {
		if !d.broken && !l.done {
			d.rest(list, l, func(int, *yaml.Node) {})
		}
	}
	if d.broken {
		return nil, nil, false
	}
	return d.inv, d.result(), true
}

// parsePiece parses one piece and shifts its lines to the file's, with the
// checks assemble makes; ok is false when the piece cannot be used.
func parsePiece(data []byte, p piece) (*yaml.Node, bool) {
	doc, extra, err := parseYAML(data[p.start:p.end])
	if err != nil || extra || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, false
	}
	r := doc.Content[0]
	if r.Style&yaml.FlowStyle != 0 || r.Anchor != "" || (r.Tag != "!!map" && r.Tag != "!!seq") {
		return nil, false
	}
	shift(r, p.line-1)
	return r, true
}

// itemLines counts the lines of b that start an item of a top-level list.
func itemLines(b []byte) int {
	n := 0
	for len(b) > 0 {
		if len(b) >= 3 && b[0] == ' ' && b[1] == ' ' && b[2] == '-' && (len(b) == 3 || b[3] == ' ' || b[3] == '\n') {
			n++
		}
		i := 0
		for i < len(b) && b[i] != '\n' {
			i++
		}
		if i == len(b) {
			break
		}
		b = b[i+1:]
	}
	return n
}

// items calls fn for each item of the sequence n, the items of the pieces
// that continue it included when it is streamed. It stops when the stream
// is broken.
func (d *decoder) items(n *yaml.Node, fn func(i int, item *yaml.Node)) {
	for i, item := range n.Content {
		if d.broken {
			return
		}
		fn(i, item)
	}
	if l := d.lazy[n]; l != nil {
		d.rest(n, l, fn)
	}
}

// rest walks the pieces that continue the streamed list n, parsed a few
// ahead on the other cores and dropped once walked. A piece that does not
// parse, or not as the list's next items, breaks the stream: the load then
// starts again from a single parse.
func (d *decoder) rest(n *yaml.Node, l *lazyList, fn func(i int, item *yaml.Node)) {
	next, stop := prefetch(d.data, l.parts, 2*runtime.GOMAXPROCS(0))
	defer stop()
	i := len(n.Content)
	for range l.parts {
		r := next()
		if r == nil || r.Kind != yaml.SequenceNode || r.Column != n.Column {
			d.broken = true
			return
		}
		for _, item := range r.Content {
			if d.broken {
				return
			}
			if l.expect != nil {
				j := i - len(n.Content)
				id, found := d.siteID(item)
				if j >= len(l.expect) || l.expect[j] != (textID{id, found}) {
					d.broken = true
					return
				}
			}
			fn(i, item)
			i++
		}
	}
	if l.expect != nil && i-len(n.Content) != len(l.expect) {
		d.broken = true
		return
	}
	l.done = true
}

// prefetch parses parts in order, up to window of them ahead of the one
// next returns (nil for a piece that cannot be used). stop must be called
// once done; parses under way then finish on their own and are dropped.
func prefetch(data []byte, parts []piece, window int) (next func() *yaml.Node, stop func()) {
	if window < 2 {
		k := 0
		return func() *yaml.Node {
			r, _ := parsePiece(data, parts[k])
			k++
			return r
		}, func() {}
	}
	out := make([]chan *yaml.Node, len(parts))
	for k := range out {
		out[k] = make(chan *yaml.Node, 1) // a parse never waits for its reader
	}
	slots := make(chan struct{}, window)
	quit := make(chan struct{})
	go func() {
		for k := range parts {
			select {
			case slots <- struct{}{}:
			case <-quit:
				return
			}
			go func() {
				r, _ := parsePiece(data, parts[k])
				out[k] <- r
			}()
		}
	}()
	k := 0
	next = func() *yaml.Node {
		r := <-out[k]
		out[k] = nil
		k++
		<-slots
		return r
	}
	return next, func() { close(quit) }
}

// prescanText is the pre-scan of a streamed sites list without parsing the
// pieces that continue it: the ids are read from the text, and the decoder
// checks each against the parsed item when it walks the list (rest), so that
// a text read differently from the parser breaks the stream and the load
// starts again from a single parse. It returns false, having added nothing,
// when the text is not plain enough to read.
func (d *decoder) prescanText(n *yaml.Node, l *lazyList, ids map[string]int, add func(int, *yaml.Node)) bool {
	var expect []textID
	for _, p := range l.parts {
		got, ok := textIDs(d.data[p.start:p.end])
		if !ok {
			return false
		}
		expect = append(expect, got...)
	}
	for i, item := range n.Content {
		add(i, item)
	}
	for j, e := range expect {
		if !e.found {
			continue
		}
		if _, dup := ids[e.id]; !dup {
			ids[e.id] = len(n.Content) + j
		}
	}
	l.expect = expect
	return true
}

// textID is the id the pre-scan would take from one item, read from text.
type textID struct {
	id    string
	found bool
}

// textIDs reads, from the text of a piece continuing a top-level list, the
// id of each item as siteID would find it in the parsed item. ok is false
// when the text is not plain enough to be sure: an item that is no block
// mapping, a key that is not a plain word, an id that is not a plain or
// simply quoted scalar on its line.
func textIDs(b []byte) (out []textID, ok bool) {
	cur := -1 // the item being read, or -1 before the first
	for len(b) > 0 {
		end := bytes.IndexByte(b, '\n')
		if end < 0 {
			end = len(b)
		}
		line := b[:end]
		if end < len(b) {
			b = b[end+1:]
		} else {
			b = nil
		}
		trimmed := bytes.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		var rest []byte
		switch {
		case len(trimmed) == 0 || trimmed[0] == '#':
			continue
		case indent == 2 && (bytes.HasPrefix(trimmed, []byte("- ")) || len(trimmed) == 1 && trimmed[0] == '-'):
			out = append(out, textID{})
			cur = len(out) - 1
			rest = bytes.TrimLeft(trimmed[1:], " ")
			if len(rest) == 0 {
				return nil, false // the item's mapping starts on the next line
			}
		case cur < 0 || indent < 4:
			return nil, false
		case indent == 4:
			rest = trimmed
		default:
			continue // inside a value
		}
		if out[cur].found {
			continue
		}
		key, value, ok := plainKey(rest)
		if !ok {
			return nil, false
		}
		if key != "id" {
			continue
		}
		id, ok := plainScalar(value)
		if !ok {
			return nil, false
		}
		out[cur] = textID{id: id, found: true}
	}
	return out, true
}

// plainKey splits "key: value" where key is a plain word; ok is false for
// anything else.
func plainKey(s []byte) (key string, value []byte, ok bool) {
	i := 0
	for i < len(s) && (s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] == '_' || i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '-')) {
		i++
	}
	if i == 0 || i >= len(s) || s[i] != ':' || i+1 < len(s) && s[i+1] != ' ' {
		return "", nil, false
	}
	return string(s[:i]), bytes.Trim(s[i+1:], " "), true
}

// plainScalar reads a value written on one line as a plain word or a
// quoted string without escapes, the way yaml.v3 gives its Value; ok is
// false for anything else (empty, a comment, a flow collection, an anchor,
// a tag, a block scalar).
func plainScalar(v []byte) (string, bool) {
	if len(v) == 0 {
		return "", false
	}
	switch v[0] {
	case '"', '\'':
		if len(v) < 2 || v[len(v)-1] != v[0] || bytes.IndexByte(v[1:len(v)-1], v[0]) >= 0 || bytes.IndexByte(v, '\\') >= 0 {
			return "", false
		}
		return string(v[1 : len(v)-1]), true
	}
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '/') {
			return "", false
		}
	}
	return string(v), true
}
