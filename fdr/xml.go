// Package fdr reads and writes pagoPA settlement flows (Flussi di
// Rendicontazione): the FlussoRiversamento XML of schemas 1.0.4 and 1.0.5,
// and the FdR 3 REST API of the creditor side. It turns them into
// notices.SettlementFlow; matching is the domain's business.
package fdr

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/multa/multa/internal/xmlstrict"
	"github.com/multa/multa/notices"
)

// Namespace is the target namespace of FlussoRiversamento 1.0.4 and 1.0.5.
const Namespace = "http://www.digitpa.gov.it/schemas/2011/Pagamenti/"

// MaxXMLBytes bounds one flow document: MaxFlowLines payments of about
// 450 bytes each, with room for indentation.
const MaxXMLBytes = 64 << 20

// DecodeXML reads one FlussoRiversamento document strictly, with the
// limits of both schemas (1.0.5 is 1.0.4 without outcome 3, so the union
// is accepted and a revoked line is reported as such). A document that
// does not follow the schema gives an *xmlstrict.Error naming the element
// and line; one that does but is not a usable flow (too many lines) gives
// a *notices.ValidationError.
func DecodeXML(r io.Reader) (notices.SettlementFlow, error) {
	var f notices.SettlementFlow
	x := xmlstrict.NewReader(r, MaxXMLBytes, Namespace)
	if err := x.Root("FlussoRiversamento"); err != nil {
		return f, err
	}
	// ident reads an identificativoUnivoco; a receiver (legal) must be
	// a legal person (G), a sender may also be an ABI or BIC code.
	ident := func(legal bool, set func(code string)) func(*xmlstrict.Reader) error {
		return func(x *xmlstrict.Reader) error {
			return x.Sequence("identificativoUnivoco", []xmlstrict.Field{
				xmlstrict.Leaf("tipoIdentificativoUnivoco", 1, func(x *xmlstrict.Reader, v string) error {
					if legal && v != "G" {
						return x.Errf("tipoIdentificativoUnivoco", "the receiver is a legal person: G, not %q", clip(v))
					}
					if v != "G" && v != "A" && v != "B" {
						return x.Errf("tipoIdentificativoUnivoco", "must be G, A or B, not %q", clip(v))
					}
					return nil
				}),
				xmlstrict.Leaf("codiceIdentificativoUnivoco", 1, func(x *xmlstrict.Reader, v string) error {
					set(v)
					return text(x, "codiceIdentificativoUnivoco", v, 1, 35)
				}),
			})
		}
	}
	f.Lines = make([]notices.SettlementLine, 0, 64)
	// The fields of a payment are built once, not once per payment: a
	// flow has thousands.
	var l notices.SettlementLine
	lineFields := []xmlstrict.Field{
		xmlstrict.Leaf("identificativoUnivocoVersamento", 1, func(x *xmlstrict.Reader, v string) error {
			l.IUV = v
			return text(x, "identificativoUnivocoVersamento", v, 1, 35)
		}),
		xmlstrict.Leaf("identificativoUnivocoRiscossione", 1, func(x *xmlstrict.Reader, v string) error {
			l.IUR = v
			return text(x, "identificativoUnivocoRiscossione", v, 1, 35)
		}),
		xmlstrict.Leaf("indiceDatiSingoloPagamento", 0, func(x *xmlstrict.Reader, v string) error {
			n, err := integer(strings.TrimSpace(v))
			if err != nil || n < 1 || n > 5 {
				return x.Errf("indiceDatiSingoloPagamento", "must be an integer from 1 to 5, not %q", clip(v))
			}
			l.TransferIndex = int(n)
			return nil
		}),
		xmlstrict.Leaf("singoloImportoPagato", 1, func(x *xmlstrict.Reader, v string) (err error) {
			l.AmountCents, err = amount(x, "singoloImportoPagato", v, 1)
			return err
		}),
		xmlstrict.Leaf("codiceEsitoSingoloPagamento", 1, func(x *xmlstrict.Reader, v string) error {
			v = strings.TrimSpace(v)
			if len(v) != 1 || !notices.FlowOutcome(v[0]-'0').Valid() {
				return x.Errf("codiceEsitoSingoloPagamento", "must be 0, 3, 4, 8 or 9, not %q", clip(v))
			}
			l.Outcome = notices.FlowOutcome(v[0] - '0')
			return nil
		}),
		xmlstrict.Leaf("dataEsitoSingoloPagamento", 1, func(x *xmlstrict.Reader, v string) (err error) {
			l.Date, err = date(x, "dataEsitoSingoloPagamento", v)
			return err
		}),
	}
	line := func(x *xmlstrict.Reader) error {
		if len(f.Lines) >= notices.MaxFlowLines {
			return x.Errf("datiSingoliPagamenti", "a flow has at most %d payments", notices.MaxFlowLines)
		}
		l = notices.SettlementLine{TransferIndex: 1}
		err := x.Sequence("datiSingoliPagamenti", lineFields)
		f.Lines = append(f.Lines, l)
		return err
	}
	err := x.Sequence("FlussoRiversamento", []xmlstrict.Field{
		xmlstrict.Leaf("versioneOggetto", 1, func(x *xmlstrict.Reader, v string) error {
			if v != "1.0" && v != "1.1" {
				return x.Errf("versioneOggetto", "must be 1.0 or 1.1, not %q", clip(v))
			}
			return nil
		}),
		xmlstrict.Leaf("identificativoFlusso", 1, func(x *xmlstrict.Reader, v string) error {
			if !flowID(v) {
				return x.Errf("identificativoFlusso", "must be 1 to 35 letters, digits, dashes or underscores, not %q", clip(v))
			}
			f.ID = v
			return nil
		}),
		xmlstrict.Leaf("dataOraFlusso", 1, func(x *xmlstrict.Reader, v string) (err error) {
			f.FlowTime, err = dateTime(x, "dataOraFlusso", v)
			return err
		}),
		xmlstrict.Leaf("identificativoUnivocoRegolamento", 1, func(x *xmlstrict.Reader, v string) error {
			f.RegulationID = v
			return text(x, "identificativoUnivocoRegolamento", v, 1, 35)
		}),
		xmlstrict.Leaf("dataRegolamento", 1, func(x *xmlstrict.Reader, v string) (err error) {
			f.RegulationDate, err = date(x, "dataRegolamento", v)
			return err
		}),
		{Name: "istitutoMittente", Min: 1, Max: 1, Read: func(x *xmlstrict.Reader) error {
			return x.Sequence("istitutoMittente", []xmlstrict.Field{
				{Name: "identificativoUnivocoMittente", Min: 1, Max: 1, Read: ident(false, func(code string) { f.PSP = code })},
				xmlstrict.Leaf("denominazioneMittente", 0, func(x *xmlstrict.Reader, v string) error {
					f.PSPName = v
					return text(x, "denominazioneMittente", v, 3, 70)
				}),
			})
		}},
		xmlstrict.Leaf("codiceBicBancaDiRiversamento", 0, func(x *xmlstrict.Reader, v string) error {
			f.BIC = v
			return text(x, "codiceBicBancaDiRiversamento", v, 1, 35)
		}),
		{Name: "istitutoRicevente", Min: 1, Max: 1, Read: func(x *xmlstrict.Reader) error {
			return x.Sequence("istitutoRicevente", []xmlstrict.Field{
				{Name: "identificativoUnivocoRicevente", Min: 1, Max: 1, Read: ident(true, func(code string) { f.Creditor = code })},
				xmlstrict.Leaf("denominazioneRicevente", 0, func(x *xmlstrict.Reader, v string) error {
					f.CreditorName = v
					return text(x, "denominazioneRicevente", v, 1, 140)
				}),
			})
		}},
		xmlstrict.Leaf("numeroTotalePagamenti", 1, func(x *xmlstrict.Reader, v string) error {
			n, err := integer(strings.TrimSpace(v))
			if err != nil || n < 1 || n > 999_999_999_999_999 {
				return x.Errf("numeroTotalePagamenti", "must be a whole number from 1, not %q", clip(v))
			}
			f.DeclaredCount = int(min(n, 1<<31-1))
			return nil
		}),
		xmlstrict.Leaf("importoTotalePagamenti", 1, func(x *xmlstrict.Reader, v string) (err error) {
			f.DeclaredCents, err = amount(x, "importoTotalePagamenti", v, 0)
			return err
		}),
		{Name: "datiSingoliPagamenti", Min: 1, Read: line},
	})
	if err != nil {
		return notices.SettlementFlow{}, err
	}
	if err := x.End(); err != nil {
		return notices.SettlementFlow{}, err
	}
	return f, f.Validate()
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

// text checks an xsd:string of minLen..maxLen characters. The schema
// allows any character; control characters are refused all the same, as
// no identifier has them and they would end up in CSV cells and logs.
func text(x *xmlstrict.Reader, elem, v string, minLen, maxLen int) error {
	n := utf8.RuneCountInString(v)
	if n < minLen || n > maxLen {
		return x.Errf(elem, "must be %d to %d characters, not %d", minLen, maxLen, n)
	}
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return x.Errf(elem, "contains a control character")
		}
	}
	return nil
}

func flowID(s string) bool {
	if len(s) < 1 || len(s) > 35 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// integer parses an xsd:integer lexical form: optional sign, digits.
func integer(s string) (int64, error) {
	s = strings.TrimPrefix(s, "+")
	if s == "" || len(s) > 18 {
		return 0, strconv.ErrSyntax
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, strconv.ErrSyntax
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

// amount parses the schemas' stImporto pattern \d+\.\d{2} into cents,
// between minCents and 999999999.99.
func amount(x *xmlstrict.Reader, elem, v string, minCents int64) (int64, error) {
	v = strings.TrimSpace(v)
	dot := len(v) - 3
	bad := func() (int64, error) {
		return 0, x.Errf(elem, "must be an amount like 12.34 from %d.%02d to 999999999.99, not %q", minCents/100, minCents%100, clip(v))
	}
	if dot < 1 || v[dot] != '.' || dot > 12 {
		return bad()
	}
	var cents int64
	for i := 0; i < len(v); i++ {
		if i == dot {
			continue
		}
		if v[i] < '0' || v[i] > '9' {
			return bad()
		}
		cents = cents*10 + int64(v[i]-'0')
	}
	if cents < minCents || cents > 99_999_999_999 {
		return bad()
	}
	return cents, nil
}

// date parses an xsd:date; a time zone suffix is allowed and ignored, as
// the day is what pagoPA means.
func date(x *xmlstrict.Reader, elem, v string) (notices.Date, error) {
	v = strings.TrimSpace(v)
	day := v
	if len(v) > 10 {
		if tz := v[10:]; tz == "Z" || len(tz) == 6 && (tz[0] == '+' || tz[0] == '-') && tz[3] == ':' {
			day = v[:10]
		}
	}
	d, err := notices.ParseDate(day)
	if err != nil || len(day) != 10 {
		return notices.Date{}, x.Errf(elem, "must be a date like 2026-03-10, not %q", clip(v))
	}
	return d, nil
}

// dateTime parses an xsd:dateTime. Without a time zone it is Rome's
// local time, as the node writes it.
func dateTime(x *xmlstrict.Reader, elem, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05.999999999", v, notices.Rome); err == nil {
		return t, nil
	}
	return time.Time{}, x.Errf(elem, "must be a date and time like 2026-03-10T09:30:00, not %q", clip(v))
}

// EncodeXML writes f as a FlussoRiversamento 1.0.4 document (1.0.5 when
// no line is revoked: the two differ only in that code). It is what the
// sandbox PSP publishes, and what tests feed the decoder.
func EncodeXML(w io.Writer, f *notices.SettlementFlow) error {
	if err := f.Validate(); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	esc := func(s string) string {
		var b strings.Builder
		_ = xmlEscape(&b, s)
		return b.String()
	}
	cents := func(c int64) string { return fmt.Sprintf("%d.%02d", c/100, c%100) }
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<FlussoRiversamento xmlns=\"%s\">\n", Namespace)
	fmt.Fprintf(bw, "  <versioneOggetto>1.0</versioneOggetto>\n  <identificativoFlusso>%s</identificativoFlusso>\n", esc(f.ID))
	fmt.Fprintf(bw, "  <dataOraFlusso>%s</dataOraFlusso>\n", f.FlowTime.In(notices.Rome).Format("2006-01-02T15:04:05.000"))
	fmt.Fprintf(bw, "  <identificativoUnivocoRegolamento>%s</identificativoUnivocoRegolamento>\n", esc(f.RegulationID))
	fmt.Fprintf(bw, "  <dataRegolamento>%s</dataRegolamento>\n", f.RegulationDate)
	fmt.Fprintf(bw, "  <istitutoMittente>\n    <identificativoUnivocoMittente>\n      <tipoIdentificativoUnivoco>B</tipoIdentificativoUnivoco>\n      <codiceIdentificativoUnivoco>%s</codiceIdentificativoUnivoco>\n    </identificativoUnivocoMittente>\n", esc(f.PSP))
	if f.PSPName != "" {
		fmt.Fprintf(bw, "    <denominazioneMittente>%s</denominazioneMittente>\n", esc(f.PSPName))
	}
	bw.WriteString("  </istitutoMittente>\n")
	if f.BIC != "" {
		fmt.Fprintf(bw, "  <codiceBicBancaDiRiversamento>%s</codiceBicBancaDiRiversamento>\n", esc(f.BIC))
	}
	fmt.Fprintf(bw, "  <istitutoRicevente>\n    <identificativoUnivocoRicevente>\n      <tipoIdentificativoUnivoco>G</tipoIdentificativoUnivoco>\n      <codiceIdentificativoUnivoco>%s</codiceIdentificativoUnivoco>\n    </identificativoUnivocoRicevente>\n", esc(f.Creditor))
	if f.CreditorName != "" {
		fmt.Fprintf(bw, "    <denominazioneRicevente>%s</denominazioneRicevente>\n", esc(f.CreditorName))
	}
	bw.WriteString("  </istitutoRicevente>\n")
	fmt.Fprintf(bw, "  <numeroTotalePagamenti>%d</numeroTotalePagamenti>\n  <importoTotalePagamenti>%s</importoTotalePagamenti>\n", f.DeclaredCount, cents(f.DeclaredCents))
	for _, l := range f.Lines {
		fmt.Fprintf(bw, "  <datiSingoliPagamenti>\n    <identificativoUnivocoVersamento>%s</identificativoUnivocoVersamento>\n    <identificativoUnivocoRiscossione>%s</identificativoUnivocoRiscossione>\n    <indiceDatiSingoloPagamento>%d</indiceDatiSingoloPagamento>\n    <singoloImportoPagato>%s</singoloImportoPagato>\n    <codiceEsitoSingoloPagamento>%d</codiceEsitoSingoloPagamento>\n    <dataEsitoSingoloPagamento>%s</dataEsitoSingoloPagamento>\n  </datiSingoliPagamenti>\n",
			esc(l.IUV), esc(l.IUR), l.TransferIndex, cents(l.AmountCents), l.Outcome, l.Date)
	}
	bw.WriteString("</FlussoRiversamento>\n")
	return bw.Flush()
}

func xmlEscape(b *strings.Builder, s string) error { return xml.EscapeText(b, []byte(s)) }
