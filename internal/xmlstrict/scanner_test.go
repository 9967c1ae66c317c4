package xmlstrict

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// events walks a document with next and writes what it met, comments
// and processing instructions left out and adjacent texts joined, so
// that two tokenizers can be compared.
func events(next func() (xml.Token, error)) (string, error) {
	var b strings.Builder
	var text []byte
	flush := func() {
		if len(text) > 0 {
			fmt.Fprintf(&b, "T%q\n", text)
			text = nil
		}
	}
	for {
		t, err := next()
		if err == io.EOF {
			flush()
			return b.String(), nil
		}
		if err != nil {
			return b.String(), err
		}
		switch t := t.(type) {
		case xml.StartElement:
			flush()
			fmt.Fprintf(&b, "S{%s}%s", t.Name.Space, t.Name.Local)
			for _, a := range t.Attr {
				fmt.Fprintf(&b, " {%s}%s=%q", a.Name.Space, a.Name.Local, a.Value)
			}
			b.WriteString("\n")
		case xml.EndElement:
			flush()
			fmt.Fprintf(&b, "E{%s}%s\n", t.Name.Space, t.Name.Local)
		case xml.CharData:
			text = append(text, t...)
		case xml.Directive:
			return b.String(), errors.New("directive")
		}
	}
}

func stdEvents(doc []byte) (string, error) {
	d := xml.NewDecoder(bytes.NewReader(bytes.TrimPrefix(doc, []byte("\xEF\xBB\xBF"))))
	d.Strict = true
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "us-ascii") || strings.EqualFold(label, "ascii") {
			return in, nil
		}
		return nil, fmt.Errorf("charset %s", label)
	}
	seen := false
	return events(func() (xml.Token, error) {
		t, err := d.Token()
		if _, ok := t.(xml.StartElement); ok {
			seen = true
		}
		if err == io.EOF && !seen {
			return nil, errors.New("no root")
		}
		return t, err
	})
}

// FuzzScannerAgreesWithEncodingXML: whatever the scanner accepts,
// encoding/xml accepts too, with the same elements, attributes and text.
// The scanner may refuse more (non-ASCII names, undeclared prefixes,
// other encodings), never less.
func FuzzScannerAgreesWithEncodingXML(f *testing.F) {
	for _, glob := range []string{"../../fdr/testdata/*.xml", "../../camt/testdata/*.xml"} {
		files, _ := filepath.Glob(glob)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	for _, s := range []string{
		`<a xmlns="u" xmlns:p="v"><p:b p:c="1" d='2'>x &amp; &#65;&#x42; <![CDATA[<y>]]></p:b><c/></a>`,
		"<?xml version='1.0' encoding='utf-8' standalone='yes'?>\r\n<!-- c --><a>\r\n</a><?pi x?>",
		`<a b="&lt;&gt;&quot;&apos;"/>`, `<a>]]></a>`, `<a><b></a></b>`, `<a/><b/>`, `<a xml:lang="it"/>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := events(newScanner(bytes.NewReader(doc)).Token)
		if err != nil {
			return
		}
		want, err := stdEvents(doc)
		if err != nil {
			t.Fatalf("the scanner accepts what encoding/xml refuses (%v):\n%q", err, doc)
		}
		if got != want {
			t.Fatalf("events differ for %q:\nscanner:\n%s\nencoding/xml:\n%s", doc, got, want)
		}
	})
}

func TestScannerRefuses(t *testing.T) {
	for _, doc := range []string{
		``, `<a>`, `<a></b>`, `</a>`, `<a/><b/>`, `<a/>x`, `x<a/>`, `<a b=1/>`, `<a b="1" b="2"/>`, `<a b="<"/>`,
		`<a>&foo;</a>`, `<a>&#0;</a>`, `<a>&#xD800;</a>`, `<a>]]></a>`, "<a>\x01</a>", "<a>\xff</a>", `<p:a/>`,
		`<!DOCTYPE a><a/>`, `<a><!-- -- --></a>`, `<a/><?xml version="1.0"?>`, `<?xml version="1.1"?><a/>`,
		`<?xml version="1.0" encoding="latin1"?><a/>`, `<1a/>`, `<a:b:c/>`, `<a b="1"c="2"/>`, `<a xmlns:p=""/>`,
	} {
		if _, err := events(newScanner(strings.NewReader(doc)).Token); err == nil {
			t.Errorf("accepted %q", doc)
		}
	}
}
