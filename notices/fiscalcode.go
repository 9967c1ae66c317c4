package notices

// ValidateCreditorFiscalCode checks an 11-digit fiscal code of a legal
// entity (codice fiscale / partita IVA) and its Luhn-style check digit.
func ValidateCreditorFiscalCode(s string) error {
	if len(s) != 11 || !isDigits(s) {
		return Errorf(EInvalidFiscalCode, "a creditor fiscal code has 11 digits")
	}
	if want := fiscalCheckDigit(s[:10]); int(s[10]-'0') != want {
		return Errorf(EInvalidFiscalCode, "check digit of fiscal code %s is wrong (want %d)", s, want)
	}
	return nil
}

// fiscalCheckDigit computes the 11th digit: odd positions count as they
// are, even positions doubled with 9 taken off when above 9.
func fiscalCheckDigit(ten string) int {
	sum := 0
	for i := 0; i < 10; i++ {
		d := int(ten[i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}
