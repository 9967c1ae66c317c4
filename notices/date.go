package notices

import (
	"time"
	_ "time/tzdata" // the binary runs in minimal containers without a zoneinfo
)

// Rome is the time zone of every deadline and night hour: the law counts
// days and hours as they are lived in Italy, DST changes included.
var Rome = mustLoadRome()

func mustLoadRome() *time.Location {
	loc, err := time.LoadLocation("Europe/Rome")
	if err != nil {
		panic("notices: Europe/Rome time zone missing: " + err.Error())
	}
	return loc
}

// Date is a calendar day in Europe/Rome, without a time of day. Deadlines
// are days, not instants: a payment any time on the last day is in time.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the Rome calendar day on which the instant t falls.
func DateOf(t time.Time) Date {
	y, m, d := t.In(Rome).Date()
	return Date{y, m, d}
}

// ParseDate reads a YYYY-MM-DD date and rejects impossible days.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, Errorf(EInvalidDate, "%q is not a date in the form YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// IsZero reports whether d is the zero value, which means "no date".
func (d Date) IsZero() bool { return d == Date{} }

// String formats d as YYYY-MM-DD.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.noon().Format(time.DateOnly)
}

// noon avoids DST edge effects when doing calendar arithmetic via time.Time.
func (d Date) noon() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}

// AddDays returns the day n days after d (before, when n is negative).
func (d Date) AddDays(n int) Date {
	t := d.noon().AddDate(0, 0, n)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday { return d.noon().Weekday() }

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is a later day than e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	return d.noon().Compare(e.noon())
}

// Start returns the first instant of d in Rome (00:00, or whatever the
// first valid wall-clock time is on a DST change).
func (d Date) Start() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, Rome)
}

// MarshalText writes the date as YYYY-MM-DD; the zero date as empty.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a YYYY-MM-DD date; an empty text is the zero date.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}
