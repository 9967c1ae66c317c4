package xmlstrict_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/multa/multa/internal/xmlstrict"
)

const ns = "urn:test"

func TestTooLargeIsSaidSo(t *testing.T) {
	doc := `<r xmlns="urn:test">` + strings.Repeat("<!-- padding -->", 100) + `</r>`
	x := xmlstrict.NewReader(strings.NewReader(doc), 512, ns)
	err := x.Root("r")
	if err == nil {
		_, err = x.Next()
	}
	if !errors.Is(err, xmlstrict.ErrTooLarge) {
		t.Errorf("got %v, want ErrTooLarge", err)
	}
}

func TestSkipIsBounded(t *testing.T) {
	doc := `<r xmlns="urn:test"><a>` + strings.Repeat("<b>", 40) + strings.Repeat("</b>", 40) + `</a></r>`
	x := xmlstrict.NewReader(strings.NewReader(doc), 1<<20, ns)
	if err := x.Root("r"); err != nil {
		t.Fatal(err)
	}
	if _, err := x.Next(); err != nil {
		t.Fatal(err)
	}
	var xe *xmlstrict.Error
	if err := x.Skip(); !errors.As(err, &xe) || !strings.Contains(xe.Message, "deeper") {
		t.Errorf("got %v, want a depth error", err)
	}
}

func TestSequenceOrderAndCounts(t *testing.T) {
	read := func(doc string) error {
		x := xmlstrict.NewReader(strings.NewReader(doc), 1<<20, ns)
		if err := x.Root("r"); err != nil {
			return err
		}
		keep := func(*xmlstrict.Reader, string) error { return nil }
		return x.Sequence("r", []xmlstrict.Field{xmlstrict.Leaf("a", 1, keep), xmlstrict.Leaf("b", 0, keep), {Name: "c", Min: 1, Max: 2, Read: func(x *xmlstrict.Reader) error { _, err := x.Text("c"); return err }}})
	}
	for doc, want := range map[string]string{
		`<r xmlns="urn:test"><a/><b/><c/></r>`:     "",
		`<r xmlns="urn:test"><a/><c/><c/></r>`:     "",
		`<r xmlns="urn:test"><a/><c/><c/><c/></r>`: "at most 2",
		`<r xmlns="urn:test"><b/><c/></r>`:         "<a> is required first",
		`<r xmlns="urn:test"><a/><c/><b/></r>`:     "out of order",
		`<r xmlns="urn:test"><a/></r>`:             "<c> is missing",
		`<r xmlns="urn:test"><a/><c/><d/></r>`:     "not an element",
		`<r xmlns="urn:test"><a>x<z/></a><c/></r>`: "unexpected element",
		`<r xmlns="urn:test"><a/><c/></r><r/>`:     "",
		`<r xmlns="urn:other"><a/><c/></r>`:        "namespace",
	} {
		err := read(doc)
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: got %v, want %q", doc, err, want)
		}
	}
}
