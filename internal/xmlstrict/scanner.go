package xmlstrict

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// scanner is a strict, non-validating XML 1.0 tokenizer for the documents
// this package reads. It replaces encoding/xml's Decoder, which spends
// most of a settlement flow's import checking names rune by rune through
// unicode tables: this one reads the whole (bounded) document at once and
// takes ASCII names on a fast path. It accepts less than XML allows —
// element and attribute names are ASCII, there is no DTD, the encoding is
// UTF-8 — and never more: a test checks that whatever it accepts,
// encoding/xml accepts with the same events.
//
// Tokens are encoding/xml's types, with namespaces resolved as its
// Decoder.Token does; errors are *xml.SyntaxError with the line.
type scanner struct {
	src  io.Reader
	b    []byte
	pos  int
	line int
	read bool
	err  error // sticky

	stack    []openElem
	bindings []binding // prefix → namespace, innermost last
	rootSeen bool
	pending  *xml.EndElement // the end of a self-closing element
}

type openElem struct {
	qname    []byte
	bindings int // len(bindings) before this element's declarations
}

type binding struct{ prefix, uri string }

const xmlURI = "http://www.w3.org/XML/1998/namespace"

func newScanner(r io.Reader) *scanner { return &scanner{src: r, line: 1} }

// InputPos returns the current line (and no column).
func (s *scanner) InputPos() (int, int) { return s.line, 0 }

func (s *scanner) fail(format string, args ...any) error {
	s.err = &xml.SyntaxError{Msg: fmt.Sprintf(format, args...), Line: s.line}
	return s.err
}

// advance moves pos to i, counting lines.
func (s *scanner) advance(i int) {
	s.line += bytes.Count(s.b[s.pos:i], []byte{'\n'})
	s.pos = i
}

// Token returns the next token: StartElement, EndElement, CharData,
// Comment or ProcInst (without their content), or io.EOF after the root.
func (s *scanner) Token() (xml.Token, error) {
	if s.err != nil {
		return nil, s.err
	}
	if !s.read {
		s.read = true
		b, err := io.ReadAll(s.src)
		if err != nil {
			s.err = err
			return nil, err
		}
		s.b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
		if err := s.declaration(); err != nil {
			return nil, err
		}
	}
	if s.pending != nil {
		e := *s.pending
		s.pending = nil
		return s.end(e)
	}
	if s.pos >= len(s.b) {
		if len(s.stack) > 0 {
			return nil, s.fail("unexpected EOF: <%s> is not closed", s.stack[len(s.stack)-1].qname)
		}
		if !s.rootSeen {
			return nil, s.fail("no root element")
		}
		s.err = io.EOF
		return nil, io.EOF
	}
	if s.b[s.pos] != '<' {
		return s.text()
	}
	rest := s.b[s.pos:]
	switch {
	case bytes.HasPrefix(rest, []byte("<?")):
		end := bytes.Index(rest[2:], []byte("?>"))
		if end < 0 {
			return nil, s.fail("unterminated processing instruction")
		}
		end += 2
		target, _, _ := strings.Cut(string(rest[2:end]), " ")
		if strings.EqualFold(strings.TrimSpace(target), "xml") {
			return nil, s.fail("an XML declaration is allowed only at the start")
		}
		if !isName([]byte(strings.TrimSpace(target)), false) {
			return nil, s.fail("bad processing instruction")
		}
		s.advance(s.pos + end + 2)
		return xml.ProcInst{Target: target}, nil
	case bytes.HasPrefix(rest, []byte("<!--")):
		end := bytes.Index(rest[4:], []byte("--"))
		if end < 0 {
			return nil, s.fail("unterminated comment")
		}
		if !bytes.HasPrefix(rest[4+end:], []byte("-->")) {
			return nil, s.fail(`"--" inside a comment`)
		}
		if err := s.chars(rest[4 : 4+end]); err != nil {
			return nil, err
		}
		s.advance(s.pos + 4 + end + 3)
		return xml.Comment(nil), nil
	case bytes.HasPrefix(rest, []byte("<![CDATA[")):
		if len(s.stack) == 0 {
			return nil, s.fail("CDATA outside the root element")
		}
		end := bytes.Index(rest[9:], []byte("]]>"))
		if end < 0 {
			return nil, s.fail("unterminated CDATA section")
		}
		end += 9
		data := rest[9:end]
		if err := s.chars(data); err != nil {
			return nil, err
		}
		s.advance(s.pos + end + 3)
		return xml.CharData(normalizeNewlines(data)), nil
	case bytes.HasPrefix(rest, []byte("<!")):
		return xml.Directive(nil), nil // the Reader refuses it
	case bytes.HasPrefix(rest, []byte("</")):
		return s.endTag()
	}
	return s.startTag()
}

// declaration reads an optional XML declaration and refuses any encoding
// but UTF-8 and ASCII.
func (s *scanner) declaration() error {
	if !bytes.HasPrefix(s.b, []byte("<?xml")) || len(s.b) < 6 || !isSpace(s.b[5]) && s.b[5] != '?' {
		return nil
	}
	end := bytes.Index(s.b[5:], []byte("?>"))
	if end < 0 {
		return s.fail("unterminated XML declaration")
	}
	end += 5
	decl := string(s.b[5:end])
	attrs, err := pseudoAttrs(decl)
	if err != nil {
		return s.fail("XML declaration: %v", err)
	}
	if v := attrs["version"]; v != "1.0" {
		return s.fail("XML declaration: version must be 1.0")
	}
	if enc, ok := attrs["encoding"]; ok {
		switch strings.ToLower(enc) {
		case "utf-8", "utf8", "us-ascii", "ascii":
		default:
			return s.fail("encoding %q is not supported; send UTF-8", enc)
		}
	}
	if sa, ok := attrs["standalone"]; ok && sa != "yes" && sa != "no" {
		return s.fail("XML declaration: bad standalone")
	}
	s.advance(end + 2)
	return nil
}

// pseudoAttrs parses version="1.0" encoding='UTF-8' ...
func pseudoAttrs(decl string) (map[string]string, error) {
	out := map[string]string{}
	rest := strings.TrimSpace(decl)
	for rest != "" {
		name, after, ok := strings.Cut(rest, "=")
		if !ok {
			return nil, fmt.Errorf("expected name=value")
		}
		name = strings.TrimSpace(name)
		after = strings.TrimLeft(after, " \t\r\n")
		if after == "" || after[0] != '"' && after[0] != '\'' {
			return nil, fmt.Errorf("expected a quoted value")
		}
		q := after[0]
		end := strings.IndexByte(after[1:], q)
		if end < 0 {
			return nil, fmt.Errorf("unterminated value")
		}
		if _, dup := out[name]; dup || (name != "version" && name != "encoding" && name != "standalone") {
			return nil, fmt.Errorf("unexpected %q", name)
		}
		out[name] = after[1 : 1+end]
		rest = after[2+end:]
		if rest != "" && !isSpace(rest[0]) {
			return nil, fmt.Errorf("expected a space")
		}
		rest = strings.TrimLeft(rest, " \t\r\n")
	}
	return out, nil
}

func (s *scanner) text() (xml.Token, error) {
	end := bytes.IndexByte(s.b[s.pos:], '<')
	if end < 0 {
		end = len(s.b) - s.pos
	}
	raw := s.b[s.pos : s.pos+end]
	if bytes.Contains(raw, []byte("]]>")) {
		return nil, s.fail(`"]]>" in text`)
	}
	if err := s.chars(raw); err != nil {
		return nil, err
	}
	data, err := s.unescape(raw)
	if err != nil {
		return nil, err
	}
	if len(s.stack) == 0 && len(bytes.TrimLeft(raw, " \t\r\n")) != 0 {
		return nil, s.fail("text outside the root element")
	}
	s.advance(s.pos + end)
	return xml.CharData(normalizeNewlines(data)), nil
}

func (s *scanner) endTag() (xml.Token, error) {
	i := s.pos + 2
	j := i
	for j < len(s.b) && isNameByte(s.b[j]) {
		j++
	}
	name := s.b[i:j]
	for j < len(s.b) && isSpace(s.b[j]) {
		j++
	}
	if j >= len(s.b) || s.b[j] != '>' {
		return nil, s.fail("bad end tag")
	}
	if len(s.stack) == 0 {
		return nil, s.fail("unexpected end tag </%s>", name)
	}
	top := s.stack[len(s.stack)-1]
	if !bytes.Equal(top.qname, name) {
		return nil, s.fail("element <%s> closed by </%s>", top.qname, name)
	}
	s.advance(j + 1)
	space, local, err := s.resolve(name, true)
	if err != nil {
		return nil, err
	}
	return s.end(xml.EndElement{Name: xml.Name{Space: space, Local: local}})
}

// end pops the innermost element.
func (s *scanner) end(e xml.EndElement) (xml.Token, error) {
	top := s.stack[len(s.stack)-1]
	s.stack = s.stack[:len(s.stack)-1]
	s.bindings = s.bindings[:top.bindings]
	return e, nil
}

func (s *scanner) startTag() (xml.Token, error) {
	if len(s.stack) == 0 && s.rootSeen {
		return nil, s.fail("content after the root element")
	}
	if len(s.stack) >= 256 {
		return nil, s.fail("nested too deeply")
	}
	i := s.pos + 1
	j := i
	for j < len(s.b) && isNameByte(s.b[j]) {
		j++
	}
	qname := s.b[i:j]
	if !isName(qname, true) {
		return nil, s.fail("bad element name")
	}
	type rawAttr struct{ name, value []byte }
	var attrs []rawAttr
	selfClosing := false
	for {
		sp := j
		for j < len(s.b) && isSpace(s.b[j]) {
			j++
		}
		if j >= len(s.b) {
			return nil, s.fail("unterminated start tag <%s>", qname)
		}
		if s.b[j] == '>' {
			j++
			break
		}
		if s.b[j] == '/' {
			if j+1 >= len(s.b) || s.b[j+1] != '>' {
				return nil, s.fail("bad start tag <%s>", qname)
			}
			j += 2
			selfClosing = true
			break
		}
		if sp == j {
			return nil, s.fail("attributes of <%s> must be separated by spaces", qname)
		}
		k := j
		for k < len(s.b) && isNameByte(s.b[k]) {
			k++
		}
		an := s.b[j:k]
		if !isName(an, true) {
			return nil, s.fail("bad attribute name in <%s>", qname)
		}
		for k < len(s.b) && isSpace(s.b[k]) {
			k++
		}
		if k >= len(s.b) || s.b[k] != '=' {
			return nil, s.fail("attribute %s of <%s> has no value", an, qname)
		}
		k++
		for k < len(s.b) && isSpace(s.b[k]) {
			k++
		}
		if k >= len(s.b) || s.b[k] != '"' && s.b[k] != '\'' {
			return nil, s.fail("attribute %s of <%s> is not quoted", an, qname)
		}
		q := s.b[k]
		end := bytes.IndexByte(s.b[k+1:], q)
		if end < 0 {
			return nil, s.fail("unterminated attribute %s", an)
		}
		raw := s.b[k+1 : k+1+end]
		if bytes.IndexByte(raw, '<') >= 0 {
			return nil, s.fail("'<' in attribute %s", an)
		}
		if err := s.chars(raw); err != nil {
			return nil, err
		}
		v, err := s.unescape(raw)
		if err != nil {
			return nil, err
		}
		for _, a := range attrs {
			if bytes.Equal(a.name, an) {
				return nil, s.fail("attribute %s twice in <%s>", an, qname)
			}
		}
		attrs = append(attrs, rawAttr{an, attrValue(v)})
		j = k + 1 + end + 1
	}
	mark := len(s.bindings)
	for _, a := range attrs {
		switch {
		case string(a.name) == "xmlns":
			s.bindings = append(s.bindings, binding{"", string(a.value)})
		case bytes.HasPrefix(a.name, []byte("xmlns:")):
			p := string(a.name[6:])
			if p == "xmlns" || p == "xml" || len(a.value) == 0 {
				return nil, s.fail("bad namespace declaration %s", a.name)
			}
			s.bindings = append(s.bindings, binding{p, string(a.value)})
		}
	}
	s.stack = append(s.stack, openElem{qname: qname, bindings: mark})
	s.rootSeen = true
	space, local, err := s.resolve(qname, true)
	if err != nil {
		return nil, err
	}
	start := xml.StartElement{Name: xml.Name{Space: space, Local: local}}
	for _, a := range attrs {
		var an xml.Name
		switch {
		case string(a.name) == "xmlns":
			an = xml.Name{Space: "", Local: "xmlns"}
		case bytes.HasPrefix(a.name, []byte("xmlns:")):
			an = xml.Name{Space: "xmlns", Local: string(a.name[6:])}
		default:
			sp, lo, err := s.resolve(a.name, false)
			if err != nil {
				return nil, err
			}
			an = xml.Name{Space: sp, Local: lo}
		}
		start.Attr = append(start.Attr, xml.Attr{Name: an, Value: string(a.value)})
	}
	s.advance(j)
	if selfClosing {
		s.pending = &xml.EndElement{Name: start.Name}
	}
	return start, nil
}

// resolve splits a qualified name and finds its namespace. An unprefixed
// attribute has no namespace; an unprefixed element has the default one.
func (s *scanner) resolve(qname []byte, element bool) (space, local string, err error) {
	prefix, lo, ok := bytes.Cut(qname, []byte{':'})
	if !ok {
		if !element {
			return "", string(qname), nil
		}
		for i := len(s.bindings) - 1; i >= 0; i-- {
			if s.bindings[i].prefix == "" {
				return s.bindings[i].uri, string(qname), nil
			}
		}
		return "", string(qname), nil
	}
	if string(prefix) == "xml" {
		return xmlURI, string(lo), nil
	}
	for i := len(s.bindings) - 1; i >= 0; i-- {
		if s.bindings[i].prefix == string(prefix) {
			return s.bindings[i].uri, string(lo), nil
		}
	}
	return "", "", s.fail("namespace prefix %s is not declared", prefix)
}

// chars checks that b is UTF-8 of characters XML allows.
func (s *scanner) chars(b []byte) error {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' && c != '\r' {
				s.advance(s.pos) // line of the token start is close enough
				return s.fail("illegal character code %U", rune(c))
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return s.fail("invalid UTF-8")
		}
		if r >= 0xD800 && r <= 0xDFFF || r == 0xFFFE || r == 0xFFFF {
			return s.fail("illegal character code %U", r)
		}
		i += n
	}
	return nil
}

// unescape replaces the five predefined entities and character
// references; any other entity is an error (there is no DTD to define it).
func (s *scanner) unescape(b []byte) ([]byte, error) {
	amp := bytes.IndexByte(b, '&')
	if amp < 0 {
		return b, nil
	}
	out := make([]byte, 0, len(b))
	for amp >= 0 {
		out = append(out, b[:amp]...)
		b = b[amp:]
		semi := bytes.IndexByte(b, ';')
		if semi < 0 || semi > 12 {
			return nil, s.fail("bad entity reference")
		}
		ref := string(b[1:semi])
		switch ref {
		case "lt":
			out = append(out, '<')
		case "gt":
			out = append(out, '>')
		case "amp":
			out = append(out, '&')
		case "quot":
			out = append(out, '"')
		case "apos":
			out = append(out, '\'')
		default:
			if !strings.HasPrefix(ref, "#") || len(ref) < 2 {
				return nil, s.fail("undefined entity &%s;", ref)
			}
			var n uint64
			var err error
			if ref[1] == 'x' {
				if len(ref) < 3 || strings.ContainsAny(ref[2:], "+-") {
					return nil, s.fail("bad character reference &%s;", ref)
				}
				n, err = strconv.ParseUint(ref[2:], 16, 32)
			} else {
				if strings.ContainsAny(ref[1:], "+-") {
					return nil, s.fail("bad character reference &%s;", ref)
				}
				n, err = strconv.ParseUint(ref[1:], 10, 32)
			}
			r := rune(n)
			if err != nil || !(r == 0x9 || r == 0xA || r == 0xD || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF) {
				return nil, s.fail("bad character reference &%s;", ref)
			}
			out = utf8.AppendRune(out, r)
		}
		b = b[semi+1:]
		amp = bytes.IndexByte(b, '&')
	}
	return append(out, b...), nil
}

// normalizeNewlines turns \r\n and \r into \n, as XML requires.
func normalizeNewlines(b []byte) []byte {
	if bytes.IndexByte(b, '\r') < 0 {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n"))
	return bytes.ReplaceAll(b, []byte("\r"), []byte("\n"))
}

// attrValue normalises an attribute value's whitespace to spaces.
func attrValue(b []byte) []byte {
	if !bytes.ContainsAny(b, "\t\r\n") {
		return b
	}
	b = bytes.ReplaceAll(b, []byte("\r\n"), []byte(" "))
	return bytes.Map(func(r rune) rune {
		if r == '\t' || r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, b)
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

// isNameByte: the bytes an ASCII name may hold (a prefix separator too).
func isNameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':'
}

// isName checks an ASCII (qualified) name: a letter or underscore first,
// and, when qualified, one colon between two non-empty parts.
func isName(b []byte, qualified bool) bool {
	if len(b) == 0 {
		return false
	}
	parts := [][]byte{b}
	if qualified {
		if n := bytes.Count(b, []byte{':'}); n > 1 {
			return false
		} else if n == 1 {
			p, l, _ := bytes.Cut(b, []byte{':'})
			parts = [][]byte{p, l}
		}
	}
	for _, p := range parts {
		if len(p) == 0 || !(p[0] >= 'a' && p[0] <= 'z' || p[0] >= 'A' && p[0] <= 'Z' || p[0] == '_') {
			return false
		}
		if !qualified && bytes.IndexByte(p, ':') >= 0 {
			return false
		}
	}
	return true
}
