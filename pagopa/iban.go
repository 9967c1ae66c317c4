package pagopa

import (
	"fmt"
	"strings"
)

// ibanLenIT is the length of an Italian IBAN: IT, two check digits, the
// CIN letter, ABI (5 digits), CAB (5 digits) and a 12-character account.
const ibanLenIT = 27

// NormalizeIBAN upper-cases an IBAN and drops the spaces people group it
// with, then checks that it is an Italian IBAN whose mod-97 check holds
// (ISO 13616). pagoPA credits a creditor's transfers to this account, so a
// typo must stop the start rather than send money nowhere.
func NormalizeIBAN(s string) (string, error) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	if len(s) != ibanLenIT || !strings.HasPrefix(s, "IT") {
		return "", fmt.Errorf("an Italian IBAN has 27 characters starting with IT")
	}
	if !digits(s[2:4]) || s[4] < 'A' || s[4] > 'Z' || !digits(s[5:15]) {
		return "", fmt.Errorf("IBAN %s: check digits, CIN letter, ABI and CAB are malformed", s)
	}
	for i := 15; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z') {
			return "", fmt.Errorf("IBAN %s: the account number has only letters and digits", s)
		}
	}
	if ibanMod97(s) != 1 {
		return "", fmt.Errorf("IBAN %s: the check digits do not match (mod 97)", s)
	}
	return s, nil
}

// ibanMod97 computes the ISO 7064 remainder of the IBAN rearranged (first
// four characters moved to the end, letters as 10..35) digit by digit, so
// that no big integer is needed.
func ibanMod97(s string) int {
	r := 0
	for _, c := range s[4:] + s[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = (r*10 + int(c-'0')) % 97
		default:
			v := int(c-'A') + 10
			r = (r*100 + v) % 97
		}
	}
	return r
}
