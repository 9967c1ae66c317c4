package notices

import "time"

// Calendar arithmetic on day numbers. Deadlines, schedules and holidays
// add and compare days many times per verify; going through time.Time
// for each (a time.Date to normalize, then AddDate or Compare) cost more
// than the rest of a verify's domain work. These are the proleptic
// Gregorian day counts of H. Hinnant's "chrono-compatible low-level date
// algorithms", which time.Date agrees with for every year it handles:
// TestCivilAgreesWithTime checks it day by day.

// civil returns the number of days from 1970-01-01 to d. Days outside
// the month count on (day 0 is the month's eve, day 32 of January is
// February 1), as time.Date normalizes them. ok is false for a month
// outside 1–12, which the callers hand to time.Date instead.
func (d Date) civil() (days int64, ok bool) {
	if d.Month < 1 || d.Month > 12 {
		return 0, false
	}
	y, m := int64(d.Year), int64(d.Month)
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400 // [0, 399]
	mp := (m + 9) % 12 // March is 0
	doy := (153*mp+2)/5 + int64(d.Day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468, true
}

// fromCivil is the day days after 1970-01-01.
func fromCivil(days int64) Date {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11]
	day := doy - (153*mp+2)/5 + 1
	month := mp + 3
	if month > 12 {
		month -= 12
	}
	y := yoe + era*400
	if month <= 2 {
		y++
	}
	return Date{int(y), time.Month(month), int(day)}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
