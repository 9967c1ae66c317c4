package importcsv

import (
	"errors"
	"time"
)

// ErrTime is returned for a time in neither accepted form.
var ErrTime = errors.New("importcsv: time must be dd/mm/yyyy hh:mm or RFC 3339 with offset")

// italianLayouts are the wall-clock forms of Italian exports, read in the
// given location (Rome): the camera's clock runs on local time.
var italianLayouts = []string{"02/01/2006 15:04", "02/01/2006 15:04:05", "2/1/2006 15:04", "2/1/2006 15:04:05"}

// ParseTime reads an RFC 3339 instant, or a dd/mm/yyyy hh:mm[:ss] wall
// time in loc. A wall time that the autumn clock change makes ambiguous
// takes its first (summer-time) instant, as time.Date does; a time without
// offset in any other form is refused rather than guessed.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, l := range italianLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, ErrTime
}
