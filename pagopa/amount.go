package pagopa

import (
	"fmt"
	"strconv"
	"strings"
)

// maxAmountCents is stAmount's maxInclusive, 999999999.99 euro.
const maxAmountCents = 99_999_999_999

// FormatAmount writes cents as the schema's stAmount: euro with exactly
// two decimals and no sign, e.g. 4200 → "42.00". Money stays integer
// cents everywhere else; this is the only place it becomes text.
func FormatAmount(cents int64) string {
	if cents < 0 {
		cents = 0
	}
	s := strconv.FormatInt(cents, 10)
	if len(s) < 3 {
		s = strings.Repeat("0", 3-len(s)) + s
	}
	return s[:len(s)-2] + "." + s[len(s)-2:]
}

// ParseAmount reads an stAmount (\d+\.\d{2}, at most 999999999.99) into
// cents without floating point. Surrounding whitespace is dropped, as the
// xsd:decimal whitespace facet collapses it.
func ParseAmount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || len(frac) != 2 || whole == "" || len(whole) > 9 || !digits(whole) || !digits(frac) {
		return 0, fmt.Errorf("amount %q is not euro with two decimals like 42.00", truncate(s, 40))
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt(frac, 10, 64)
	c := w*100 + f
	if c > maxAmountCents {
		return 0, fmt.Errorf("amount %q is over 999999999.99", s)
	}
	return c, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

// truncate cuts s to at most n runes, so that hostile input quoted in an
// error or a fault stays short.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
