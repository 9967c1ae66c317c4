package fdr_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/fdr"
	"github.com/multa/multa/internal/xmlstrict"
	"github.com/multa/multa/notices"
)

// xmllint validates doc against one of the two schemas and reports
// whether it is valid. The tests need xmllint (libxml2-utils, installed by
// .ci/run): without it they fail rather than pass untested.
func xmllint(t *testing.T, doc []byte, version string) bool {
	t.Helper()
	bin, err := exec.LookPath("xmllint")
	if err != nil {
		t.Fatal("xmllint is required (Debian package libxml2-utils)")
	}
	path := filepath.Join(t.TempDir(), "flow.xml")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "--noout", "--nonet", "--schema", "testdata/xsd/FlussoRiversamento_"+version+".xsd", path).CombinedOutput()
	if err != nil {
		t.Logf("xmllint %s: %s", version, out)
	}
	return err == nil
}

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func day(s string) notices.Date {
	d, err := notices.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestDecodeXMLAgreesWithTheSchema104(t *testing.T) {
	doc := read(t, "flow-1.0.4-revoked.xml")
	if !xmllint(t, doc, "1_0_4") {
		t.Fatal("the sample is not valid 1.0.4")
	}
	if xmllint(t, doc, "1_0_5") {
		t.Fatal("a revoked line must not be valid 1.0.5")
	}
	f, err := fdr.DecodeXML(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := notices.SettlementFlow{
		ID: "2026-03-10BPPIITRRXXX-0042", FlowTime: time.Date(2026, 3, 12, 7, 15, 0, 250e6, time.UTC),
		RegulationID: "SCT-20260311-000042", RegulationDate: day("2026-03-11"), PSP: "BPPIITRRXXX", PSPName: "Poste Italiane",
		Creditor: "01199250158", CreditorName: "Comune di Milano", DeclaredCount: 3, DeclaredCents: 12900,
	}
	if !f.FlowTime.Equal(want.FlowTime) {
		t.Errorf("flow time %v, want %v", f.FlowTime, want.FlowTime)
	}
	got := f
	got.Lines, got.FlowTime = nil, want.FlowTime
	if !equalJSON(got, want) {
		t.Errorf("header:\n got %+v\nwant %+v", got, want)
	}
	if len(f.Lines) != 3 || f.Lines[2] != (notices.SettlementLine{IUV: "01000000000000369", IUR: "IUR-A-0003", TransferIndex: 1, AmountCents: 3000, Outcome: notices.OutcomeRevoked, Date: day("2026-03-10")}) {
		t.Errorf("lines: %+v", f.Lines)
	}
	if f.PaidCents() != 12900 {
		t.Errorf("paid %d, want 12900 (the revoked line moved no money)", f.PaidCents())
	}
}

func TestDecodeXMLAgreesWithTheSchema105(t *testing.T) {
	doc := read(t, "flow-1.0.5-standin.xml")
	if !xmllint(t, doc, "1_0_5") || !xmllint(t, doc, "1_0_4") {
		t.Fatal("the sample is not valid 1.0.5 and 1.0.4")
	}
	f, err := fdr.DecodeXML(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	if f.FlowTime.In(notices.Rome).Format(time.DateTime) != "2026-03-12 07:00:00" || f.FlowTime.Location() != notices.Rome {
		t.Errorf("a date-time without zone is Rome's: %v", f.FlowTime)
	}
	wantOutcomes := []notices.FlowOutcome{0, 4, 8, 9}
	for i, l := range f.Lines {
		if l.Outcome != wantOutcomes[i] || l.AmountCents != 2501 || l.Date != day("2026-03-10") {
			t.Errorf("line %d: %+v", i+1, l)
		}
	}
	if f.Lines[0].TransferIndex != 1 || f.Lines[1].TransferIndex != 2 {
		t.Errorf("a missing index is 1: %+v", f.Lines[:2])
	}
	if f.BIC != "UNCRITMMXXX" || f.PSPName != "" || f.DeclaredCents != 10004 || f.PaidCents() != 10004 {
		t.Errorf("header: %+v", f)
	}
}

// TestDecodeXMLRefusesWhatTheSchemaRefuses mutates the valid 1.0.5 sample
// in ways the schema forbids: xmllint must refuse each, and the decoder
// too, naming the element and the line.
func TestDecodeXMLRefusesWhatTheSchemaRefuses(t *testing.T) {
	base := string(read(t, "flow-1.0.5-standin.xml"))
	cases := []struct {
		name, old, new string
		elem           string
		line           int
	}{
		{"amount with one decimal", "<singoloImportoPagato>25.01</singoloImportoPagato>\n    <codiceEsitoSingoloPagamento>4", "<singoloImportoPagato>25.1</singoloImportoPagato>\n    <codiceEsitoSingoloPagamento>4", "singoloImportoPagato", 34},
		{"zero amount", "<singoloImportoPagato>25.01</singoloImportoPagato>\n    <codiceEsitoSingoloPagamento>8", "<singoloImportoPagato>0.00</singoloImportoPagato>\n    <codiceEsitoSingoloPagamento>8", "singoloImportoPagato", 42},
		{"unknown outcome", "<codiceEsitoSingoloPagamento>9<", "<codiceEsitoSingoloPagamento>1<", "codiceEsitoSingoloPagamento", 51},
		{"index 6", "<indiceDatiSingoloPagamento>2<", "<indiceDatiSingoloPagamento>6<", "indiceDatiSingoloPagamento", 33},
		{"flow id with a dot", "2026-03-10UNCRITMMXXX-7", "2026-03-10.UNCRITMMXXX-7", "identificativoFlusso", 4},
		{"flow id too long", "2026-03-10UNCRITMMXXX-7", "2026-03-10UNCRITMMXXX-777777777777777", "identificativoFlusso", 4},
		{"receiver not a legal person", "<tipoIdentificativoUnivoco>G<", "<tipoIdentificativoUnivoco>B<", "tipoIdentificativoUnivoco", 17},
		{"missing regulation date", "  <dataRegolamento>2026-03-11</dataRegolamento>\n", "", "istitutoMittente", 7},
		{"elements out of order", "<numeroTotalePagamenti>4</numeroTotalePagamenti>\n  <importoTotalePagamenti>100.04</importoTotalePagamenti>", "<importoTotalePagamenti>100.04</importoTotalePagamenti>\n  <numeroTotalePagamenti>4</numeroTotalePagamenti>", "importoTotalePagamenti", 21},
		{"unknown element", "<versioneOggetto>1.1</versioneOggetto>", "<versioneOggetto>1.1</versioneOggetto><nota>x</nota>", "nota", 3},
		{"bad date", "<dataRegolamento>2026-03-11<", "<dataRegolamento>2026-02-30<", "dataRegolamento", 7},
		{"bad date-time", "2026-03-12T07:00:00", "2026-03-12 07:00:00", "dataOraFlusso", 5},
		{"no payments", base[strings.Index(base, "  <datiSingoliPagamenti>"):strings.Index(base, "</FlussoRiversamento>")], "", "FlussoRiversamento", 22},
		{"wrong namespace", "schemas/2011/Pagamenti/", "schemas/2011/Pagamenti/x/", "FlussoRiversamento", 2},
		{"attribute", "<identificativoFlusso>", `<identificativoFlusso id="1">`, "identificativoFlusso", 4},
		{"text in a complex element", "<istitutoMittente>\n", "<istitutoMittente>hello\n", "", 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(base, c.old) {
				t.Fatalf("the sample has no %q", c.old)
			}
			doc := []byte(strings.Replace(base, c.old, c.new, 1))
			if xmllint(t, doc, "1_0_4") {
				t.Fatal("xmllint accepts it: the case tests nothing")
			}
			_, err := fdr.DecodeXML(bytes.NewReader(doc))
			var xe *xmlstrict.Error
			if !errors.As(err, &xe) {
				t.Fatalf("got %v, want an *xmlstrict.Error", err)
			}
			if xe.Element != c.elem || xe.Line != c.line {
				t.Errorf("got <%s> line %d (%v), want <%s> line %d", xe.Element, xe.Line, err, c.elem, c.line)
			}
		})
	}
}

func TestDecodeXMLRefusesDTDsAndOtherEncodings(t *testing.T) {
	bomb := `<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">]><FlussoRiversamento xmlns="` + fdr.Namespace + `">&a;</FlussoRiversamento>`
	if _, err := fdr.DecodeXML(strings.NewReader(bomb)); err == nil || !strings.Contains(err.Error(), "DTD") {
		t.Errorf("DTD: %v", err)
	}
	if _, err := fdr.DecodeXML(strings.NewReader(`<?xml version="1.0" encoding="ISO-8859-1"?><FlussoRiversamento xmlns="` + fdr.Namespace + `"/>`)); err == nil {
		t.Error("a Latin-1 document must be refused")
	}
}

// TestEncodeXMLRoundTrip checks that what the sandbox publishes is valid
// for the schema and decodes to the same flow.
func TestEncodeXMLRoundTrip(t *testing.T) {
	for _, name := range []string{"flow-1.0.4-revoked.xml", "flow-1.0.5-standin.xml"} {
		f, err := fdr.DecodeXML(bytes.NewReader(read(t, name)))
		if err != nil {
			t.Fatal(err)
		}
		f.PSPName = "Sandbox & Co <test>"
		var buf bytes.Buffer
		if err := fdr.EncodeXML(&buf, &f); err != nil {
			t.Fatal(err)
		}
		if !xmllint(t, buf.Bytes(), "1_0_4") {
			t.Fatalf("%s: the encoded flow is not valid:\n%s", name, buf.String())
		}
		g, err := fdr.DecodeXML(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if !g.FlowTime.Equal(f.FlowTime) {
			t.Errorf("%s: flow time %v, want %v", name, g.FlowTime, f.FlowTime)
		}
		g.FlowTime = f.FlowTime
		if !equalJSON(g, f) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, g, f)
		}
	}
}

func FuzzDecodeXML(f *testing.F) {
	for _, name := range []string{"flow-1.0.4-revoked.xml", "flow-1.0.5-standin.xml"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<FlussoRiversamento xmlns="` + fdr.Namespace + `"><versioneOggetto>1.0</versioneOggetto></FlussoRiversamento>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		fl, err := fdr.DecodeXML(bytes.NewReader(doc))
		if err != nil {
			return
		}
		// What decodes is a valid flow, and encodes to something that
		// decodes to the same flow.
		if err := fl.Validate(); err != nil {
			t.Fatalf("decoded an invalid flow: %v", err)
		}
		var buf bytes.Buffer
		if err := fdr.EncodeXML(&buf, &fl); err != nil {
			t.Fatal(err)
		}
		g, err := fdr.DecodeXML(&buf)
		if err != nil {
			t.Fatalf("re-decoding: %v\n%s", err, buf.String())
		}
		if len(g.Lines) != len(fl.Lines) || g.DeclaredCents != fl.DeclaredCents || g.ID != fl.ID {
			t.Fatalf("round trip changed the flow")
		}
	})
}
