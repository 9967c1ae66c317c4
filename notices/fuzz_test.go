package notices_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/multa/multa/notices"
)

// FuzzNormalizePlate: a plate typed by an officer or read from a camera
// export never panics the normaliser; what it accepts is 2 to 10 ASCII
// letters and digits, exactly the ones typed (upper-cased, with spaces
// and dashes dropped), normalises to itself, and masks to at most half of
// its characters.
func FuzzNormalizePlate(f *testing.F) {
	for _, s := range []string{"AB123CD", "ab 123-cd", "B", "ZH 123456", "--", "AB\u0131CD", "é1", "AB123CD\x00", "ſſ", strings.Repeat("A", 11)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := notices.NormalizePlate(in)
		if err != nil {
			if code := notices.ErrorCode(err); code != notices.EValidation {
				t.Fatalf("NormalizePlate(%q): code %s, want %s", in, code, notices.EValidation)
			}
			return
		}
		var want strings.Builder
		for _, c := range in {
			switch {
			case c >= 'a' && c <= 'z':
				want.WriteRune(c - 'a' + 'A')
			case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
				want.WriteRune(c)
			case c == ' ' || c == '-':
			default:
				t.Fatalf("NormalizePlate(%q) = %q accepts %q, which is not a letter, digit, space or dash", in, got, c)
			}
		}
		if got != want.String() || len(got) < 2 || len(got) > 10 {
			t.Fatalf("NormalizePlate(%q) = %q, want %q (2 to 10 characters)", in, got, want.String())
		}
		if again, err := notices.NormalizePlate(got); again != got || err != nil {
			t.Fatalf("NormalizePlate(%q) = %q, %v; not idempotent", got, again, err)
		}
		masked := notices.MaskPlate(got)
		if shown := utf8.RuneCountInString(strings.ReplaceAll(masked, "•", "")); shown > len(got)/2 {
			t.Fatalf("MaskPlate(%q) = %q shows %d of %d characters", got, masked, shown, len(got))
		}
	})
}

// FuzzParseDate: a day from a query or a document never panics the
// parser; what it accepts is a real calendar day written exactly as
// YYYY-MM-DD, and it prints back the same.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-11-02", "2024-02-29", "2026-02-29", "2026-13-01", "2026-1-2", "02/11/2026", "", "0000-01-01", "9999-12-31", "2026-11-02T00:00:00Z", "+2026-11-02"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := notices.ParseDate(s)
		if err != nil {
			if code := notices.ErrorCode(err); code != notices.EInvalidDate {
				t.Fatalf("ParseDate(%q): code %s, want %s", s, code, notices.EInvalidDate)
			}
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q) = %v, which prints as %q", s, d, d.String())
		}
		if d.Month < 1 || d.Month > 12 || d.Day < 1 || d.Day > 31 {
			t.Fatalf("ParseDate(%q) = %+v, not a calendar day", s, d)
		}
		if again, err := notices.ParseDate(d.String()); err != nil || again != d {
			t.Fatalf("ParseDate(%q) round trip = %v, %v", d.String(), again, err)
		}
	})
}
