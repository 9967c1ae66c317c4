package camt_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/multa/multa/camt"
	"github.com/multa/multa/internal/xmlstrict"
	"github.com/multa/multa/notices"
)

func day(s string) notices.Date {
	d, err := notices.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestDecodeVersion02(t *testing.T) {
	b, err := os.ReadFile("testdata/statement-001.02.xml")
	if err != nil {
		t.Fatal(err)
	}
	sts, err := camt.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(sts) != 1 || sts[0].ID != "IT60X0542811101000000123456-0311" || sts[0].IBAN != "IT60X0542811101000000123456" {
		t.Fatalf("statements: %+v", sts)
	}
	es := sts[0].Entries
	if len(es) != 2 {
		t.Fatalf("a pending entry is not booked money: %+v", es)
	}
	c := es[0]
	if !c.Credit || c.AmountCents != 12900 || c.BookingDate != day("2026-03-11") || c.Ref != "BANK-REF-0001" || c.Debtor != "Poste Italiane SpA" ||
		strings.Join(c.References, ",") != "SCT-20260311-000042,BANK-REF-0001" || !strings.Contains(c.Remittance, "/URI/2026-03-10BPPIITRRXXX-0042") {
		t.Errorf("credit: %+v", c)
	}
	if d := es[1]; d.Credit || d.AmountCents != 1250 || d.BookingDate != day("2026-03-11") {
		t.Errorf("debit: %+v", d)
	}
}

func TestDecodeVersion08(t *testing.T) {
	b, err := os.ReadFile("testdata/statement-001.08.xml")
	if err != nil {
		t.Fatal(err)
	}
	sts, err := camt.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	es := sts[0].Entries
	if len(es) != 2 || es[0].Debtor != "UniCredit" || es[0].References[0] != "A2A-UNCRIT-0311" || es[0].AmountCents != 10004 {
		t.Fatalf("entries: %+v", es)
	}
	if !es[1].Credit || es[1].Ref != "N-2" {
		t.Errorf("a reversed debit is a credit: %+v", es[1])
	}
}

func TestDecodeRefusals(t *testing.T) {
	b, err := os.ReadFile("testdata/statement-001.02.xml")
	if err != nil {
		t.Fatal(err)
	}
	base := string(b)
	for _, c := range []struct {
		name, old, new, elem string
		line                 int
	}{
		{"dollars", `<Amt Ccy="EUR">129.00</Amt>
        <CdtDbtInd>`, `<Amt Ccy="USD">129.00</Amt>
        <CdtDbtInd>`, "Amt", 24},
		{"bad amount", ">129.00</Amt>\n        <CdtDbtInd>", ">12,9</Amt>\n        <CdtDbtInd>", "Amt", 24},
		{"bad direction", "<CdtDbtInd>DBIT<", "<CdtDbtInd>DEBIT<", "CdtDbtInd", 45},
		{"no status", "        <Sts>BOOK</Sts>\n        <BookgDt><DtTm>", "        <BookgDt><DtTm>", "Ntry", 43},
		{"bad booking day", "<Dt>2026-03-11</Dt></BookgDt>", "<Dt>11/03/2026</Dt></BookgDt>", "Dt", 27},
		{"other namespace", "camt.053.001.02", "camt.052.001.02", "Document", 2},
		{"unknown attribute", "<Stmt>", `<Stmt x="1">`, "Stmt", 8},
		{"no statement id", "<Id>IT60X0542811101000000123456-0311</Id>", "", "Stmt", 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(base, c.old) {
				t.Fatalf("no %q in the sample", c.old)
			}
			_, err := camt.Decode(strings.NewReader(strings.Replace(base, c.old, c.new, 1)))
			var xe *xmlstrict.Error
			if !errors.As(err, &xe) || xe.Element != c.elem || xe.Line != c.line {
				t.Errorf("got %v, want <%s> at line %d", err, c.elem, c.line)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"testdata/statement-001.02.xml", "testdata/statement-001.08.xml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		sts, err := camt.Decode(bytes.NewReader(doc))
		if err != nil {
			return
		}
		for _, st := range sts {
			if err := st.Validate(); err != nil {
				t.Fatalf("decoded an invalid statement: %v", err)
			}
			for _, e := range st.Entries {
				if e.AmountCents <= 0 || e.BookingDate.IsZero() {
					t.Fatalf("entry %+v", e)
				}
			}
		}
	})
}
