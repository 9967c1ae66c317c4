package server

import (
	"strconv"

	"github.com/multa/multa/notices"
)

// csvStyle is how a spreadsheet expects its CSV: RFC 4180 (comma, dot
// decimal) by default, or as Excel set to Italian opens it with a double
// click (semicolon, comma decimal), which is what a finance office has.
type csvStyle struct {
	sep     rune
	decimal string
}

func csvStyleOf(locale string) (csvStyle, error) {
	switch locale {
	case "":
		return csvStyle{',', "."}, nil
	case "it":
		return csvStyle{';', ","}, nil
	}
	return csvStyle{}, &notices.ValidationError{Fields: []notices.FieldError{{Field: "locale", Message: "must be empty or it"}}}
}

// amountCells formats cents as euro with the given decimal mark ("42.00")
// and as plain cents ("4200").
func amountCells(cents int64, decimal string) [2]string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	frac := strconv.FormatInt(cents%100, 10)
	if len(frac) < 2 {
		frac = "0" + frac
	}
	return [2]string{sign + strconv.FormatInt(cents/100, 10) + decimal + frac, sign + strconv.FormatInt(cents, 10)}
}
