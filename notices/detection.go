package notices

import (
	"strconv"
	"strings"
	"unicode"
)

// DetectionKey identifies the camera detection a fine came from: the
// plate, the violation code, the instant to the second and the place with
// case, punctuation and runs of spaces ignored ("Via Torino 12, Milano" and
// "via torino 12 milano" are one place). Two rows with the same key are the
// same event seen twice, not two violations.
func (f *Fine) DetectionKey() string {
	var place strings.Builder
	for _, w := range strings.FieldsFunc(strings.ToLower(f.Place), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if place.Len() > 0 {
			place.WriteByte(' ')
		}
		place.WriteString(w)
	}
	return f.Plate + "\x00" + f.Violation.Code + "\x00" + strconv.FormatInt(f.OccurredAt.Unix(), 10) + "\x00" + place.String()
}
