package qr_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// The fuzz seeds live in testdata/fuzz/<FuzzName>; these f.Add calls add
// the worked examples so that the properties are checked on every run.

// FuzzParsePagoPA: the parser never panics, every error is a domain error,
// and whatever it accepts re-encodes to the identical string when the
// amount was written canonically (2 to 10 digits, no extra leading zeros).
// The spec lets readers accept 1 to 11 digits, so a non-canonical amount
// re-encodes to its canonical form, which parses to the same payload.
func FuzzParsePagoPA(f *testing.F) {
	f.Add(examplePayload)
	f.Add("PAGOPA|002|302032002700000251|01199250158|5")
	f.Add("PAGOPA|002|302032002700000251|01199250158|00000004200")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := qr.ParsePagoPA(s)
		if err != nil {
			if notices.ErrorCode(err) == notices.EInternal {
				t.Fatalf("ParsePagoPA(%q): not a domain error: %v", s, err)
			}
			return
		}
		amount := s[strings.LastIndexByte(s, '|')+1:]
		canonical := amount == canonicalAmount(p.AmountCents)
		enc, err := qr.EncodePagoPA(p)
		if p.AmountCents > qr.MaxAmountCents {
			// 11 significant digits: readable, but more than we write.
			wantCode(t, err, qr.EInvalidAmount)
			return
		}
		if err != nil {
			t.Fatalf("EncodePagoPA(ParsePagoPA(%q)): %v", s, err)
		}
		if canonical && enc != s {
			t.Fatalf("ParsePagoPA(%q) re-encodes to %q", s, enc)
		}
		if again, err := qr.ParsePagoPA(enc); err != nil || again != p {
			t.Fatalf("ParsePagoPA(%q) = %+v, %v; want %+v", enc, again, err, p)
		}
	})
}

// canonicalAmount is how EncodePagoPA writes cents: at least 2 digits.
func canonicalAmount(c int64) string { return fmt.Sprintf("%02d", c) }

// FuzzParseLink: never panics, and an accepted link rebuilds exactly from
// its base URL and NAV.
func FuzzParseLink(f *testing.F) {
	f.Add("https://multa.example.it/p/302032002700000251")
	f.Add("http://127.0.0.1:8080/app/p/302032002700000251")
	f.Fuzz(func(t *testing.T, s string) {
		base, n, err := qr.ParseLink(s)
		if err != nil {
			if notices.ErrorCode(err) == notices.EInternal {
				t.Fatalf("ParseLink(%q): not a domain error: %v", s, err)
			}
			return
		}
		if got := qr.LinkURL(base, n); got != s {
			t.Fatalf("ParseLink(%q) = %q, %q, which rebuilds as %q", s, base, n, got)
		}
		if _, err := notices.ParseNAV(string(n)); err != nil {
			t.Fatalf("ParseLink(%q) accepted NAV %q: %v", s, n, err)
		}
	})
}

// FuzzParse: the scanner's entry point agrees with the two parsers.
func FuzzParse(f *testing.F) {
	f.Add(examplePayload)
	f.Add("https://multa.example.it/p/302032002700000251")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := qr.Parse(s)
		if err != nil {
			if notices.ErrorCode(err) == notices.EInternal {
				t.Fatalf("Parse(%q): not a domain error: %v", s, err)
			}
			return
		}
		switch got.Kind {
		case qr.KindPagoPA:
			p, err := qr.ParsePagoPA(s)
			if err != nil || p.NAV != got.NAV || p.AmountCents != got.AmountCents || p.FiscalCode != got.FiscalCode {
				t.Fatalf("Parse(%q) = %+v, ParsePagoPA = %+v, %v", s, got, p, err)
			}
		case qr.KindLink:
			_, n, err := qr.ParseLink(s)
			if err != nil || n != got.NAV || got.AmountCents != 0 || got.FiscalCode != "" {
				t.Fatalf("Parse(%q) = %+v, ParseLink = %q, %v", s, got, n, err)
			}
		default:
			t.Fatalf("Parse(%q): kind %q", s, got.Kind)
		}
	})
}
