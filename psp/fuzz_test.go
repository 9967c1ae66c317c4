package psp_test

import (
	"strings"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

// FuzzNormalizeCardNumber: a card number as typed never panics the
// normaliser, and what it accepts is the typed digits (spaces and dashes
// dropped), 12 to 19 of them, passing Luhn, of the brand Brand names, and
// normalises to itself. Anything else is invalid_card.
func FuzzNormalizeCardNumber(f *testing.F) {
	for _, s := range []string{"4242424242424242", "4242 4242 4242 4242", "4242-4242-4242-4241", "378282246310005",
		"5018000000000009", "", "    ", "4242424242424242424242", "٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "4242\x004242424242424242"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		digits, brand, err := psp.NormalizeCardNumber(in)
		if err != nil {
			if code := notices.ErrorCode(err); code != psp.EInvalidCard {
				t.Fatalf("NormalizeCardNumber(%q): code %s, want %s", in, code, psp.EInvalidCard)
			}
			return
		}
		typed := strings.NewReplacer(" ", "", "-", "").Replace(in)
		if digits != typed || len(digits) < 12 || len(digits) > 19 || strings.Trim(digits, "0123456789") != "" {
			t.Fatalf("NormalizeCardNumber(%q) = %q, want the typed digits %q, 12 to 19 of them", in, digits, typed)
		}
		if !psp.Luhn(digits) || brand == "" || psp.Brand(digits) != brand {
			t.Fatalf("NormalizeCardNumber(%q) = %q %q: Luhn %v, Brand %q", in, digits, brand, psp.Luhn(digits), psp.Brand(digits))
		}
		if d2, b2, err := psp.NormalizeCardNumber(digits); d2 != digits || b2 != brand || err != nil {
			t.Fatalf("NormalizeCardNumber(%q) = %q %q %v; not idempotent", digits, d2, b2, err)
		}
	})
}
