package psp

import (
	"strconv"
	"time"

	"github.com/multa/multa/notices"
)

// Card brands, as receipts show them. Lower case and stable: they are
// stored in receipts.
const (
	BrandVisa       = "visa"
	BrandMastercard = "mastercard"
	BrandAmex       = "amex"
	BrandMaestro    = "maestro"
)

// Luhn reports whether a string of decimal digits passes the Luhn (mod 10)
// check that every payment card number carries. Anything that is not all
// digits, or is empty, fails.
func Luhn(digits string) bool {
	if digits == "" {
		return false
	}
	sum := 0
	double := false
	for i := len(digits) - 1; i >= 0; i-- {
		c := digits[i]
		if c < '0' || c > '9' {
			return false
		}
		d := int(c - '0')
		if double {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
		double = !double
	}
	return sum%10 == 0
}

// Brand returns the circuit of a card number from its leading digits (the
// issuer identification number), or "" for a circuit the provider does not
// accept. It does not check length or Luhn; see NormalizeCardNumber.
func Brand(number string) string {
	p := func(n int) int { // the first n digits as an integer, or -1
		if len(number) < n {
			return -1
		}
		v, err := strconv.Atoi(number[:n])
		if err != nil {
			return -1
		}
		return v
	}
	switch p2, p4 := p(2), p(4); {
	case p(1) == 4:
		return BrandVisa
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return BrandMastercard
	case p2 == 34 || p2 == 37:
		return BrandAmex
	// Maestro has no single range; these cover the issued BINs (50xx,
	// 56–58, 63xx, 67xx) without claiming Discover (6011, 64–65) or JCB.
	case p2 == 50, p2 >= 56 && p2 <= 58, p2 == 63, p2 == 67:
		return BrandMaestro
	}
	return ""
}

// validLength reports whether a circuit issues numbers of length n.
func validLength(brand string, n int) bool {
	switch brand {
	case BrandVisa:
		return n == 13 || n == 16 || n == 19
	case BrandMastercard:
		return n == 16
	case BrandAmex:
		return n == 15
	case BrandMaestro:
		return n >= 12 && n <= 19
	}
	return false
}

// NormalizeCardNumber drops the spaces and dashes people type between
// groups and checks the number: only digits, 12–19 of them, a Luhn check
// digit, and a length its circuit issues. It returns the digits and the
// brand. Errors: invalid_card.
func NormalizeCardNumber(s string) (digits, brand string, err error) {
	b := make([]byte, 0, 19)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			if len(b) == 19 {
				return "", "", notices.Errorf(EInvalidCard, "a card number has at most 19 digits")
			}
			b = append(b, c)
		case c == ' ' || c == '-':
		default:
			return "", "", notices.Errorf(EInvalidCard, "a card number has only digits")
		}
	}
	digits = string(b)
	if len(digits) < 12 {
		return "", "", notices.Errorf(EInvalidCard, "a card number has 12 to 19 digits, got %d", len(digits))
	}
	if !Luhn(digits) {
		return "", "", notices.Errorf(EInvalidCard, "the card number is not valid (check digit)")
	}
	brand = Brand(digits)
	if brand == "" {
		return "", "", notices.Errorf(EInvalidCard, "this card circuit is not accepted")
	}
	if !validLength(brand, len(digits)) {
		return "", "", notices.Errorf(EInvalidCard, "a %s card number cannot have %d digits", brand, len(digits))
	}
	return digits, brand, nil
}

// maxYearsAhead bounds the expiry year: issuers print at most about ten
// years ahead, so a later year is a typing mistake.
const maxYearsAhead = 20

// CheckExpiry validates an expiry month and year against the current time
// in Rome. A card is valid through the last day of its expiry month, so only
// a month before the current one is expired. Two-digit years mean 20YY, as
// printed on cards. It returns the four-digit year. Errors: invalid_expiry,
// card_expired.
func CheckExpiry(month, year int, now time.Time) (int, error) {
	if month < 1 || month > 12 {
		return 0, notices.Errorf(EInvalidExpiry, "the expiry month must be 1 to 12")
	}
	if year >= 0 && year < 100 {
		year += 2000
	}
	y, m, _ := now.In(notices.Rome).Date()
	if year > y+maxYearsAhead || year < 2000 {
		return 0, notices.Errorf(EInvalidExpiry, "the expiry year %d is not plausible", year)
	}
	if year < y || year == y && time.Month(month) < m {
		return 0, notices.Errorf(ECardExpired, "the card expired at the end of %02d/%d", month, year)
	}
	return year, nil
}

// CheckCVC validates a card security code: 3 or 4 digits (4 on Amex
// fronts, 3 on the back of the others; both are accepted for any brand, as
// the sandbox does not model issuer checks). Errors: invalid_cvc.
func CheckCVC(cvc string) error {
	if len(cvc) < 3 || len(cvc) > 4 {
		return notices.Errorf(EInvalidCVC, "the security code has 3 or 4 digits")
	}
	for i := 0; i < len(cvc); i++ {
		if cvc[i] < '0' || cvc[i] > '9' {
			return notices.Errorf(EInvalidCVC, "the security code has only digits")
		}
	}
	return nil
}
