// Package xmlstrict reads XML documents of outside parties strictly and
// within bounds: one namespace, no DTD, no unknown attributes, elements in
// the schema's order and counts, bounded text, and errors that name the
// element and the line. The fdr and camt decoders are built on it.
package xmlstrict

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Error is a document that does not follow its schema. It names the
// element and the line, so that whoever sent the file can find the fault.
type Error struct {
	Line    int    `json:"line"`
	Element string `json:"element"`
	Message string `json:"message"`
}

func (e *Error) Error() string {
	if e.Element == "" {
		return fmt.Sprintf("line %d: %s", e.Line, e.Message)
	}
	return fmt.Sprintf("line %d: <%s>: %s", e.Line, e.Element, e.Message)
}

// ErrTooLarge is returned for a document beyond the reader's byte bound.
var ErrTooLarge = errors.New("xml document too large")

// maxText bounds one element's text: the longest value in either schema
// is 140 characters; a little room is left for surrounding whitespace.
const maxText = 512

// Reader walks a document token by token with the checks every
// decoder of this package needs: one namespace, no DTD (so no entity
// tricks), no attributes but namespace and schema-location ones, no mixed
// content, bounded text, and a line number for every error.
type Reader struct {
	d       *scanner
	ns      string   // the document's namespace, once the root is read
	allowed []string // the namespaces a root may have
	// AllowAttrs names the unqualified attributes the schema defines
	// (camt's Ccy); every other attribute but namespace declarations and
	// xsi:schemaLocation is refused.
	AllowAttrs map[string]bool
	lr         *limitedReader
	line       int // line of the last start element
	textBuf    []byte
}

// limitedReader is io.LimitedReader that says when the limit was hit, so
// that a truncated document is reported as too large, not as malformed.
type limitedReader struct {
	r   io.Reader
	n   int64
	hit bool
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.n <= 0 {
		l.hit = true
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}

// NewReader reads a document of at most maxBytes whose root is in one of
// namespaces; every other element must be in the root's namespace.
func NewReader(r io.Reader, maxBytes int64, namespaces ...string) *Reader {
	lr := &limitedReader{r: r, n: maxBytes}
	d := newScanner(lr)
	return &Reader{d: d, allowed: namespaces, lr: lr, line: 1}
}

// Errf builds an Error about elem at the line of the last start element.
func (x *Reader) Errf(elem, format string, args ...any) *Error {
	return &Error{Line: x.line, Element: elem, Message: fmt.Sprintf(format, args...)}
}

// wrap turns a tokenizer error into an Error with the current line.
func (x *Reader) wrap(err error) error {
	if x.lr.hit || errors.Is(err, ErrTooLarge) {
		return ErrTooLarge
	}
	line, _ := x.d.InputPos()
	if err == io.EOF {
		return &Error{Line: line, Message: "unexpected end of document"}
	}
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return &Error{Line: se.Line, Message: "malformed XML: " + se.Msg}
	}
	return &Error{Line: line, Message: err.Error()}
}

// token returns the next token that matters: comments and processing
// instructions are skipped, whitespace between elements too; a DTD or
// text outside a leaf is an error.
func (x *Reader) token() (xml.Token, error) {
	for {
		before, _ := x.d.InputPos()
		t, err := x.d.Token()
		if err != nil {
			return nil, x.wrap(err)
		}
		switch t := t.(type) {
		case xml.Comment, xml.ProcInst:
			continue
		case xml.Directive:
			line, _ := x.d.InputPos()
			return nil, &Error{Line: line, Message: "a DTD or other directive is not allowed"}
		case xml.CharData:
			if trimmed := bytes.TrimLeft(t, " \t\r\n"); len(trimmed) != 0 {
				// The line where the text starts, not where it ends.
				line := before + bytes.Count(t[:len(t)-len(trimmed)], []byte("\n"))
				return nil, &Error{Line: line, Message: fmt.Sprintf("unexpected text %q between elements", clip(string(t)))}
			}
			continue
		case xml.StartElement:
			x.line, _ = x.d.InputPos()
			if err := x.checkStart(t); err != nil {
				return nil, err
			}
			return t, nil
		default:
			return t, nil
		}
	}
}

// checkStart enforces the namespace and the absence of attributes that
// the schemas do not define.
func (x *Reader) checkStart(t xml.StartElement) error {
	if x.ns == "" {
		for _, ns := range x.allowed {
			if t.Name.Space == ns {
				x.ns = ns
			}
		}
		if x.ns == "" {
			return x.Errf(t.Name.Local, "root element in namespace %q, want one of %q", t.Name.Space, x.allowed)
		}
	}
	if t.Name.Space != x.ns {
		return x.Errf(t.Name.Local, "element in namespace %q, want %q", t.Name.Space, x.ns)
	}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "" && x.AllowAttrs[a.Name.Local]:
		case a.Name.Space == "xmlns", a.Name.Space == "" && a.Name.Local == "xmlns":
		case a.Name.Space == "http://www.w3.org/2001/XMLSchema-instance" && (a.Name.Local == "schemaLocation" || a.Name.Local == "noNamespaceSchemaLocation"):
		default:
			return x.Errf(t.Name.Local, "attribute %q is not allowed", a.Name.Local)
		}
	}
	return nil
}

// Next returns the next child start element of the current parent, or
// nil at the parent's end tag.
func (x *Reader) Next() (*xml.StartElement, error) {
	t, err := x.token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case xml.StartElement:
		return &t, nil
	case xml.EndElement:
		return nil, nil
	}
	return nil, x.Errf("", "unexpected %T", t)
}

// Skip reads and discards the rest of the element whose start tag was
// just read, for parts of a large schema that a decoder does not need.
// It is bounded like everything else: depth, text and document size.
func (x *Reader) Skip() error {
	depth := 1
	for depth > 0 {
		t, err := x.d.Token()
		if err != nil {
			return x.wrap(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			x.line, _ = x.d.InputPos()
			if err := x.checkStart(t); err != nil {
				return err
			}
			if depth++; depth > maxDepth {
				return x.Errf(t.Name.Local, "nested deeper than %d elements", maxDepth)
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if len(t) > maxText {
				return x.Errf("", "text longer than %d bytes", maxText)
			}
		case xml.Directive:
			return x.Errf("", "a DTD or other directive is not allowed")
		}
	}
	return nil
}

// maxDepth bounds the nesting that Skip accepts.
const maxDepth = 32

// Namespace returns the namespace of the document's root.
func (x *Reader) Namespace() string { return x.ns }

// Line returns the line of the last start element read.
func (x *Reader) Line() int { return x.line }

// Root reads the document's root element, which must be name.
func (x *Reader) Root(name string) error {
	t, err := x.token()
	if err != nil {
		return err
	}
	s, ok := t.(xml.StartElement)
	if !ok {
		return x.Errf("", "the document has no root element")
	}
	if s.Name.Local != name {
		return x.Errf(s.Name.Local, "the root element must be <%s>", name)
	}
	return nil
}

// End checks that nothing but comments and whitespace follows the root.
func (x *Reader) End() error {
	for {
		t, err := x.d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return x.wrap(err)
		}
		switch t := t.(type) {
		case xml.Comment, xml.ProcInst:
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return x.Errf("", "text after the root element")
			}
		default:
			line, _ := x.d.InputPos()
			return &Error{Line: line, Message: "content after the root element"}
		}
	}
}

// Text reads the text of a leaf element whose start tag was just read,
// up to its end tag. A child element or a text beyond maxText is an error.
func (x *Reader) Text(elem string) (string, error) {
	x.textBuf = x.textBuf[:0]
	for {
		t, err := x.d.Token()
		if err != nil {
			return "", x.wrap(err)
		}
		switch t := t.(type) {
		case xml.CharData:
			if len(x.textBuf)+len(t) > maxText {
				return "", x.Errf(elem, "text longer than %d bytes", maxText)
			}
			x.textBuf = append(x.textBuf, t...)
		case xml.Comment, xml.ProcInst:
		case xml.EndElement:
			s := string(x.textBuf)
			if !utf8.ValidString(s) {
				return "", x.Errf(elem, "text is not valid UTF-8")
			}
			return s, nil
		case xml.StartElement:
			x.line, _ = x.d.InputPos()
			return "", x.Errf(t.Name.Local, "unexpected element inside <%s>", elem)
		default:
			return "", x.Errf(elem, "unexpected content")
		}
	}
}

// Field is one child of a sequence: its name, how often it may occur,
// and what to do with it (its start tag was read; the handler reads up to
// and including its end tag).
type Field struct {
	Name     string
	Min, Max int // Max 0 means unbounded
	Read     func(x *Reader) error
}

// Sequence reads the children of the element whose start tag was just
// read, in the schema's order, until its end tag.
func (x *Reader) Sequence(parent string, fields []Field) error {
	counts := make([]int, len(fields))
	pos := 0
	for {
		s, err := x.Next()
		if err != nil {
			return err
		}
		if s == nil {
			break
		}
		name := s.Name.Local
		i := pos
		for i < len(fields) && fields[i].Name != name {
			if counts[i] < fields[i].Min {
				return x.Errf(name, "unexpected here: <%s> is required first", fields[i].Name)
			}
			i++
		}
		if i == len(fields) {
			if slicesIndex(fields, name) >= 0 {
				return x.Errf(name, "out of order in <%s>", parent)
			}
			return x.Errf(name, "not an element of <%s>", parent)
		}
		if fields[i].Max > 0 && counts[i] >= fields[i].Max {
			return x.Errf(name, "may appear at most %d time(s) in <%s>", fields[i].Max, parent)
		}
		counts[i]++
		pos = i
		if err := fields[i].Read(x); err != nil {
			return err
		}
	}
	for i := pos; i < len(fields); i++ {
		if counts[i] < fields[i].Min {
			return x.Errf(parent, "<%s> is missing", fields[i].Name)
		}
	}
	return nil
}

func slicesIndex(fields []Field, name string) int {
	for i, f := range fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Leaf makes a field whose text is parsed by set.
func Leaf(name string, min int, set func(x *Reader, v string) error) Field {
	return Field{Name: name, Min: min, Max: 1, Read: func(x *Reader) error {
		v, err := x.Text(name)
		if err != nil {
			return err
		}
		return set(x, v)
	}}
}

func clip(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
