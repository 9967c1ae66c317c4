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
	return string(d.appendText(make([]byte, 0, 10)))
}

// appendText appends d as YYYY-MM-DD without time.Format, which every
// verify would otherwise call a dozen times (its schedule's days).
func (d Date) appendText(b []byte) []byte {
	n, ok := d.civil()
	if !ok {
		return d.noon().AppendFormat(b, time.DateOnly)
	}
	d = fromCivil(n)
	if d.Year < 0 || d.Year > 9999 {
		return d.noon().AppendFormat(b, time.DateOnly)
	}
	y, m, dd := d.Year, int(d.Month), d.Day
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+dd/10), byte('0'+dd%10))
}

// noon avoids DST edge effects when doing calendar arithmetic via time.Time.
func (d Date) noon() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC)
}

// AddDays returns the day n days after d (before, when n is negative).
func (d Date) AddDays(n int) Date {
	if c, ok := d.civil(); ok {
		return fromCivil(c + int64(n))
	}
	t := d.noon().AddDate(0, 0, n)
	return Date{t.Year(), t.Month(), t.Day()}
}

// Weekday returns the day of the week of d.
func (d Date) Weekday() time.Weekday {
	if c, ok := d.civil(); ok {
		// 1970-01-01, day 0, was a Thursday.
		return time.Weekday(((c+4)%7 + 7) % 7)
	}
	return d.noon().Weekday()
}

// Before reports whether d is an earlier day than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is a later day than e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// Compare returns -1, 0 or +1 as d is before, equal to or after e.
func (d Date) Compare(e Date) int {
	c, ok1 := d.civil()
	f, ok2 := e.civil()
	if !ok1 || !ok2 {
		return d.noon().Compare(e.noon())
	}
	switch {
	case c < f:
		return -1
	case c > f:
		return 1
	}
	return 0
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
