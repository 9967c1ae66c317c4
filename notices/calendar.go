package notices

import "time"

// Calendar knows which days are public holidays for one municipality. The
// national holidays are fixed by law; the patron saint's day is local.
type Calendar struct {
	// PatronMonth and PatronDay give the local patron saint's day
	// (Milan: December 7). A zero month means none.
	PatronMonth time.Month
	PatronDay   int
}

// fixedHolidays are the national public holidays with a fixed date.
var fixedHolidays = []struct {
	month time.Month
	day   int
	from  int // first year the holiday applies, 0 for always
}{
	{time.January, 1, 0},
	{time.January, 6, 0},
	{time.April, 25, 0},
	{time.May, 1, 0},
	{time.June, 2, 0},
	{time.August, 15, 0},
	{time.October, 4, 2026}, // St Francis, restored as a holiday by law 151/2025
	{time.November, 1, 0},
	{time.December, 8, 0},
	{time.December, 25, 0},
	{time.December, 26, 0},
}

// IsHoliday reports whether d is a public holiday (Sundays aside).
func (c Calendar) IsHoliday(d Date) bool {
	for _, h := range fixedHolidays {
		if d.Month == h.month && d.Day == h.day && d.Year >= h.from {
			return true
		}
	}
	if c.PatronMonth != 0 && d.Month == c.PatronMonth && d.Day == c.PatronDay {
		return true
	}
	return d == Easter(d.Year).AddDays(1) // Easter Monday (Pasquetta)
}

// IsWorkingDay reports whether a deadline may fall on d: neither a Sunday
// nor a public holiday. Saturdays are working days for deadlines.
func (c Calendar) IsWorkingDay(d Date) bool {
	return d.Weekday() != time.Sunday && !c.IsHoliday(d)
}

// Deadline returns the last day of a period of n days that starts the day
// after start (the first day is not counted), moved forward past Sundays
// and public holidays.
func (c Calendar) Deadline(start Date, n int) Date {
	d := start.AddDays(n)
	for !c.IsWorkingDay(d) {
		d = d.AddDays(1)
	}
	return d
}

// Easter returns Easter Sunday of the Gregorian calendar for year y
// (the anonymous Gregorian algorithm, valid for every year after 1582).
func Easter(y int) Date {
	a := y % 19
	b, c := y/100, y%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return Date{y, time.Month(month), day}
}
