package psp_test

import (
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

func TestLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4242424242424242", true},
		{"4000000000000002", true},
		{"4000000000009995", true},
		{"378282246310005", true},  // Amex
		{"5555555555554444", true}, // Mastercard
		{"2223003122003222", true}, // Mastercard 2-series
		{"6759649826438453", true}, // Maestro
		{"79927398713", true},      // the textbook example
		{"4242424242424241", false},
		{"79927398710", false},
		{"0", true},
		{"", false},
		{"4242 4242 4242 4242", false}, // Luhn wants digits only
		{"42424242424242a2", false},
	}
	for _, tt := range tests {
		if got := psp.Luhn(tt.in); got != tt.want {
			t.Errorf("Luhn(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBrand(t *testing.T) {
	tests := []struct{ in, want string }{
		{"4242424242424242", psp.BrandVisa},
		{"4111111111111", psp.BrandVisa},
		{"5105105105105100", psp.BrandMastercard},
		{"5555555555554444", psp.BrandMastercard},
		{"2221000000000009", psp.BrandMastercard},
		{"2720999999999996", psp.BrandMastercard},
		{"2220999999999999", ""}, // just below the 2-series
		{"2721000000000000", ""}, // just above it
		{"5600000000000000", psp.BrandMaestro},
		{"5018000000000009", psp.BrandMaestro},
		{"6759649826438453", psp.BrandMaestro},
		{"6304000000000000", psp.BrandMaestro},
		{"378282246310005", psp.BrandAmex},
		{"341111111111111", psp.BrandAmex},
		{"6011111111111117", ""}, // Discover is not accepted
		{"3530111333300000", ""}, // JCB is not accepted
		{"", ""},
	}
	for _, tt := range tests {
		if got := psp.Brand(tt.in); got != tt.want {
			t.Errorf("Brand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeCardNumber(t *testing.T) {
	tests := []struct {
		in, digits, brand, code string
	}{
		{"4242 4242 4242 4242", "4242424242424242", psp.BrandVisa, ""},
		{"4242-4242-4242-4242", "4242424242424242", psp.BrandVisa, ""},
		{"3782 822463 10005", "378282246310005", psp.BrandAmex, ""},
		{"4242424242424241", "", "", psp.EInvalidCard},     // Luhn
		{"42424242424", "", "", psp.EInvalidCard},          // 11 digits
		{"42424242424242424242", "", "", psp.EInvalidCard}, // 20 digits
		{"4242.4242.4242.4242", "", "", psp.EInvalidCard},  // dots are not a card separator
		{"6011111111111117", "", "", psp.EInvalidCard},     // Discover
		{"555555555555444", "", "", psp.EInvalidCard},      // 15 digits
		{"424242424242", "", "", psp.EInvalidCard},         // 12-digit Visa: Luhn fails
		{"", "", "", psp.EInvalidCard},
	}
	for _, tt := range tests {
		digits, brand, err := psp.NormalizeCardNumber(tt.in)
		if got := notices.ErrorCode(err); got != tt.code {
			t.Errorf("NormalizeCardNumber(%q) error code = %q (%v), want %q", tt.in, got, err, tt.code)
			continue
		}
		if digits != tt.digits || brand != tt.brand {
			t.Errorf("NormalizeCardNumber(%q) = %q, %q, want %q, %q", tt.in, digits, brand, tt.digits, tt.brand)
		}
	}
}

// A Luhn-valid number of a length its circuit never issues is refused.
func TestNormalizeCardNumberBrandLength(t *testing.T) {
	// 4111 1111 1111 11 (14 digits) with a valid check digit.
	n := withCheckDigit("4111111111111")
	if len(n) != 14 || !psp.Luhn(n) {
		t.Fatalf("test number %q is wrong", n)
	}
	if _, _, err := psp.NormalizeCardNumber(n); notices.ErrorCode(err) != psp.EInvalidCard {
		t.Errorf("14-digit Visa: got %v, want invalid_card", err)
	}
	amex16 := withCheckDigit("378282246310000")
	if _, _, err := psp.NormalizeCardNumber(amex16); notices.ErrorCode(err) != psp.EInvalidCard {
		t.Errorf("16-digit Amex: got %v, want invalid_card", err)
	}
	maestro12 := withCheckDigit("50180000000")
	if d, b, err := psp.NormalizeCardNumber(maestro12); err != nil || b != psp.BrandMaestro || d != maestro12 {
		t.Errorf("12-digit Maestro: got %q, %q, %v", d, b, err)
	}
}

// withCheckDigit appends the Luhn check digit to a partial number.
func withCheckDigit(partial string) string {
	for d := '0'; d <= '9'; d++ {
		if n := partial + string(d); psp.Luhn(n) {
			return n
		}
	}
	panic("unreachable")
}

func TestCheckExpiry(t *testing.T) {
	// 23:30 UTC on 30 November is already 1 December in Rome.
	now := time.Date(2026, 11, 30, 23, 30, 0, 0, time.UTC)
	tests := []struct {
		month, year int
		wantYear    int
		code        string
	}{
		{12, 2026, 2026, ""},
		{12, 26, 2026, ""}, // two-digit year
		{1, 2027, 2027, ""},
		{11, 2026, 0, psp.ECardExpired}, // November ended in Rome
		{12, 2025, 0, psp.ECardExpired},
		{0, 2027, 0, psp.EInvalidExpiry},
		{13, 2027, 0, psp.EInvalidExpiry},
		{1, 2060, 0, psp.EInvalidExpiry},
		{1, 1999, 0, psp.EInvalidExpiry},
		{1, -1, 0, psp.EInvalidExpiry},
	}
	for _, tt := range tests {
		got, err := psp.CheckExpiry(tt.month, tt.year, now)
		if code := notices.ErrorCode(err); code != tt.code || got != tt.wantYear {
			t.Errorf("CheckExpiry(%d, %d) = %d, %q, want %d, %q", tt.month, tt.year, got, code, tt.wantYear, tt.code)
		}
	}
	// The last day of the month itself is still valid.
	lastDay := time.Date(2026, 11, 30, 22, 59, 0, 0, time.UTC) // 23:59 in Rome
	if _, err := psp.CheckExpiry(11, 2026, lastDay); err != nil {
		t.Errorf("card expiring 11/2026 on 30 November: %v", err)
	}
}

func TestCheckCVC(t *testing.T) {
	for _, tt := range []struct {
		in string
		ok bool
	}{{"123", true}, {"1234", true}, {"12", false}, {"12345", false}, {"12a", false}, {"", false}, {" 123", false}} {
		err := psp.CheckCVC(tt.in)
		if (err == nil) != tt.ok || err != nil && notices.ErrorCode(err) != psp.EInvalidCVC {
			t.Errorf("CheckCVC(%q) = %v, want ok %v", tt.in, err, tt.ok)
		}
	}
}
