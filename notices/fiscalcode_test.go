package notices_test

import (
	"testing"

	"github.com/multa/multa/notices"
)

// refFiscalCheck is domain.md §2 written out literally with 1-based
// positions, independent of the package's loop.
func refFiscalCheck(s string) int {
	x, y := 0, 0
	for pos := 1; pos <= 10; pos++ {
		d := int(s[pos-1] - '0')
		if pos%2 == 1 {
			x += d
			continue
		}
		d *= 2
		if d > 9 {
			d -= 9
		}
		y += d
	}
	return (10 - (x+y)%10) % 10
}

func TestValidateCreditorFiscalCode(t *testing.T) {
	tests := []struct {
		name, in string
		valid    bool
	}{
		{"Comune di Milano", "01199250158", true},
		{"example 2", "00085240950", true},
		{"example 3", "83000390019", true},
		{"all zeros", "00000000000", true},
		{"Milano, check changed", "01199250157", false},
		{"Milano, check +1", "01199250159", false},
		{"example 2, check changed", "00085240951", false},
		{"example 3, check changed", "83000390010", false},
		{"Milano, two digits swapped", "10199250158", false},
		{"Milano, doubled digit changed", "01199250168", false},
		{"10 digits", "0119925015", false},
		{"12 digits", "011992501580", false},
		{"empty", "", false},
		{"letter", "0119925015A", false},
		{"personal code", "RSSMRA80A01H501U", false},
		{"spaces", "011 9925 0158", false},
		{"sign", "+1199250158", false},
		{"unicode digits", "٠١١٩٩٢٥٠١٥٨", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := notices.ValidateCreditorFiscalCode(tt.in)
			if tt.valid {
				if err != nil {
					t.Errorf("ValidateCreditorFiscalCode(%q) = %v, want nil", tt.in, err)
				}
				return
			}
			wantCode(t, err, notices.EInvalidFiscalCode)
		})
	}
}

// TestFiscalCheckDigitIsUnique checks that, for a spread of ten-digit
// stems, exactly one eleventh digit is accepted and it is the one the
// reference formula gives.
func TestFiscalCheckDigitIsUnique(t *testing.T) {
	stems := []string{"0119925015", "0008524095", "8300039001", "9999999999", "1234567890", "5555555555", "0000000001"}
	for _, stem := range stems {
		accepted := 0
		for d := byte('0'); d <= '9'; d++ {
			if notices.ValidateCreditorFiscalCode(stem+string(d)) == nil {
				accepted++
				if want := refFiscalCheck(stem); int(d-'0') != want {
					t.Errorf("stem %s: accepted check %c, want %d", stem, d, want)
				}
			}
		}
		if accepted != 1 {
			t.Errorf("stem %s: %d check digits accepted, want exactly 1", stem, accepted)
		}
	}
}

func FuzzValidateCreditorFiscalCode(f *testing.F) {
	for _, s := range []string{"01199250158", "00085240950", "83000390019", "01199250157", "", "0119925015A", "RSSMRA80A01H501U", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := notices.ValidateCreditorFiscalCode(s)
		want := len(s) == 11
		for i := 0; want && i < len(s); i++ {
			want = s[i] >= '0' && s[i] <= '9'
		}
		want = want && int(s[10]-'0') == refFiscalCheck(s)
		if got := err == nil; got != want {
			t.Fatalf("ValidateCreditorFiscalCode(%q) = %v, want valid=%v", s, err, want)
		}
		if err != nil && notices.ErrorCode(err) != notices.EInvalidFiscalCode {
			t.Fatalf("ValidateCreditorFiscalCode(%q) code %s, want %s", s, notices.ErrorCode(err), notices.EInvalidFiscalCode)
		}
	})
}
