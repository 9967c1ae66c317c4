package notices

import "strings"

// ValidatePersonFiscalCode checks a 16-character personal fiscal code
// (codice fiscale, DM Finanze 23 Dec 1976): surname and name letters, year,
// month letter, day, place code and a check letter. Digits may be replaced
// by letters (omocodia), so those positions accept either.
func ValidatePersonFiscalCode(s string) error {
	// Lengths before and after upper-casing: a non-ASCII letter can
	// change the byte count (ı becomes I) and sneak past one check.
	if len(s) != 16 {
		return Errorf(EInvalidFiscalCode, "a personal fiscal code has 16 characters")
	}
	s = strings.ToUpper(s)
	if len(s) != 16 {
		return Errorf(EInvalidFiscalCode, "a personal fiscal code has 16 characters")
	}
	for i := 0; i < 16; i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		digit := c >= '0' && c <= '9'
		switch i {
		case 0, 1, 2, 3, 4, 5, 8, 11, 15:
			if !letter {
				return Errorf(EInvalidFiscalCode, "fiscal code %s: character %d must be a letter", s, i+1)
			}
		default:
			if !letter && !digit {
				return Errorf(EInvalidFiscalCode, "fiscal code %s: character %d must be a letter or digit", s, i+1)
			}
		}
	}
	if want := personCheckLetter(s[:15]); s[15] != want {
		return Errorf(EInvalidFiscalCode, "check letter of fiscal code %s is wrong (want %c)", s, want)
	}
	return nil
}

// oddValues are the values of characters in odd (1st, 3rd, …) positions,
// by letter (a digit counts as the letter of the same index).
var oddValues = [26]int{1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23}

func personCheckLetter(fifteen string) byte {
	sum := 0
	for i := 0; i < 15; i++ {
		c := fifteen[i]
		idx := int(c - 'A')
		if c >= '0' && c <= '9' {
			idx = int(c - '0')
		}
		if i%2 == 0 {
			sum += oddValues[idx]
		} else {
			sum += idx
		}
	}
	return byte('A' + sum%26)
}
