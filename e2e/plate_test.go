package e2e

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestMaskedPlateShowsAtMostHalf (issue 12 item 11): the verify answer,
// which anyone holding the notice can read, never shows more than half
// of the plate.
func TestMaskedPlateShowsAtMostHalf(t *testing.T) {
	s := start(t, "")
	tok := s.login(t, "admin", s.Admin)
	for _, plate := range []string{"AB1CD", "AB123CD", "MI0A1234", "ABCDEF"} {
		nav := firstNAV(t, s.issue(t, tok, plate, "Via Torino 1, Milano"))
		m, _ := s.call(t, "GET", "/api/v1/notices/"+nav, nil).json(t)["plateMasked"].(string)
		shown := utf8.RuneCountInString(strings.ReplaceAll(m, "•", ""))
		if utf8.RuneCountInString(m) != len(plate) || 2*shown > len(plate) {
			t.Errorf("plate %s is shown as %q: %d of %d characters", plate, m, shown, len(plate))
		}
	}
}
