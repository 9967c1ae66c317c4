package notices_test

import (
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

var milan = notices.Calendar{PatronMonth: time.December, PatronDay: 7}

func TestEaster(t *testing.T) {
	// Known Gregorian Easter Sundays, including the earliest (March 22)
	// and latest (April 25) possible dates.
	tests := []struct {
		year int
		want notices.Date
	}{
		{1818, day(1818, time.March, 22)},
		{1943, day(1943, time.April, 25)},
		{2000, day(2000, time.April, 23)},
		{2019, day(2019, time.April, 21)},
		{2024, day(2024, time.March, 31)},
		{2025, day(2025, time.April, 20)},
		{2026, day(2026, time.April, 5)},
		{2027, day(2027, time.March, 28)},
		{2028, day(2028, time.April, 16)},
		{2038, day(2038, time.April, 25)},
		{2285, day(2285, time.March, 22)},
	}
	for _, tt := range tests {
		got := notices.Easter(tt.year)
		if got != tt.want {
			t.Errorf("Easter(%d) = %s, want %s", tt.year, got, tt.want)
		}
		if got.Weekday() != time.Sunday {
			t.Errorf("Easter(%d) = %s is a %s, want Sunday", tt.year, got, got.Weekday())
		}
	}
	for y := 1900; y <= 2200; y++ {
		e := notices.Easter(y)
		lo, hi := day(y, time.March, 22), day(y, time.April, 25)
		if e.Weekday() != time.Sunday || e.Before(lo) || e.After(hi) {
			t.Fatalf("Easter(%d) = %s (%s), want a Sunday in %s..%s", y, e, e.Weekday(), lo, hi)
		}
	}
}

func TestIsHoliday(t *testing.T) {
	tests := []struct {
		name string
		cal  notices.Calendar
		d    notices.Date
		want bool
	}{
		{"New Year", notices.Calendar{}, day(2026, time.January, 1), true},
		{"Epiphany", notices.Calendar{}, day(2026, time.January, 6), true},
		{"Easter Monday 2024", notices.Calendar{}, day(2024, time.April, 1), true},
		{"Easter Monday 2025", notices.Calendar{}, day(2025, time.April, 21), true},
		{"Easter Monday 2026", notices.Calendar{}, day(2026, time.April, 6), true},
		{"Easter Monday 2027", notices.Calendar{}, day(2027, time.March, 29), true},
		{"Easter Monday 2038", notices.Calendar{}, day(2038, time.April, 26), true},
		{"Tuesday after Easter", notices.Calendar{}, day(2026, time.April, 7), false},
		{"last year's Easter Monday date", notices.Calendar{}, day(2026, time.April, 21), false},
		{"Liberation Day", notices.Calendar{}, day(2026, time.April, 25), true},
		{"Labour Day", notices.Calendar{}, day(2026, time.May, 1), true},
		{"Republic Day", notices.Calendar{}, day(2026, time.June, 2), true},
		{"Ferragosto", notices.Calendar{}, day(2026, time.August, 15), true},
		{"St Francis 2025: not yet a holiday", notices.Calendar{}, day(2025, time.October, 4), false},
		{"St Francis 2026", notices.Calendar{}, day(2026, time.October, 4), true},
		{"St Francis 2027", notices.Calendar{}, day(2027, time.October, 4), true},
		{"All Saints", notices.Calendar{}, day(2026, time.November, 1), true},
		{"Immaculate Conception", notices.Calendar{}, day(2026, time.December, 8), true},
		{"Christmas", notices.Calendar{}, day(2026, time.December, 25), true},
		{"St Stephen", notices.Calendar{}, day(2026, time.December, 26), true},
		{"New Year's Eve", notices.Calendar{}, day(2026, time.December, 31), false},
		{"Dec 7 without a patron", notices.Calendar{}, day(2026, time.December, 7), false},
		{"Dec 7 in Milan", milan, day(2026, time.December, 7), true},
		{"Rome's patron day in Milan", milan, day(2026, time.June, 29), false},
		{"ordinary weekday", milan, day(2026, time.November, 4), false},
		{"ordinary Sunday is no holiday", notices.Calendar{}, day(2026, time.November, 8), false},
	}
	for _, tt := range tests {
		if got := tt.cal.IsHoliday(tt.d); got != tt.want {
			t.Errorf("%s: IsHoliday(%s) = %v, want %v", tt.name, tt.d, got, tt.want)
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	tests := []struct {
		d    notices.Date
		want bool
	}{
		{day(2026, time.November, 7), true},  // Saturday counts for deadlines
		{day(2026, time.November, 8), false}, // Sunday
		{day(2026, time.December, 8), false}, // holiday on a Tuesday
		{day(2026, time.December, 7), false}, // Milan's patron on a Monday
		{day(2026, time.December, 9), true},
	}
	for _, tt := range tests {
		if got := milan.IsWorkingDay(tt.d); got != tt.want {
			t.Errorf("IsWorkingDay(%s, %s) = %v, want %v", tt.d, tt.d.Weekday(), got, tt.want)
		}
	}
}

func TestDeadline(t *testing.T) {
	tests := []struct {
		name  string
		cal   notices.Calendar
		start notices.Date
		days  int
		want  notices.Date
	}{
		{"notification day not counted: Mon 2 Nov → Sat 7 Nov", notices.Calendar{}, day(2026, time.November, 2), 5, day(2026, time.November, 7)},
		{"5th day a Sunday moves to Monday", notices.Calendar{}, day(2026, time.November, 3), 5, day(2026, time.November, 9)},
		{"Easter Sunday then Easter Monday", notices.Calendar{}, day(2026, time.March, 31), 5, day(2026, time.April, 7)},
		{"Easter Monday", notices.Calendar{}, day(2026, time.April, 1), 5, day(2026, time.April, 7)},
		{"Easter Monday 2027 in March", notices.Calendar{}, day(2027, time.March, 24), 5, day(2027, time.March, 30)},
		{"New Year", notices.Calendar{}, day(2025, time.December, 27), 5, day(2026, time.January, 2)},
		{"Oct 4 2025 is a Saturday and a working day", notices.Calendar{}, day(2025, time.September, 29), 5, day(2025, time.October, 4)},
		{"Oct 4 2027 is a Monday holiday", notices.Calendar{}, day(2027, time.September, 29), 5, day(2027, time.October, 5)},
		{"Dec 7 counts only with a patron", notices.Calendar{}, day(2026, time.December, 2), 5, day(2026, time.December, 7)},
		{"Milan: patron Dec 7 then Dec 8", milan, day(2026, time.December, 2), 5, day(2026, time.December, 9)},
		{"Milan: Sunday, patron, Dec 8 chained", milan, day(2026, time.December, 1), 5, day(2026, time.December, 9)},
		{"Milan: patron, Dec 8 on Saturday, Sunday chained", milan, day(2029, time.December, 2), 5, day(2029, time.December, 10)},
		{"Christmas, St Stephen, Sunday chained", notices.Calendar{}, day(2027, time.December, 20), 5, day(2027, time.December, 27)},
		{"60 days across a year end onto New Year", notices.Calendar{}, day(2026, time.November, 2), 60, day(2027, time.January, 2)},
		{"60 days, leap year February", notices.Calendar{}, day(2028, time.January, 1), 60, day(2028, time.March, 1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Deadline(tt.start, tt.days)
			if got != tt.want {
				t.Errorf("Deadline(%s %s, %d) = %s %s, want %s %s", tt.start, tt.start.Weekday(), tt.days, got, got.Weekday(), tt.want, tt.want.Weekday())
			}
			if !tt.cal.IsWorkingDay(got) {
				t.Errorf("Deadline = %s is not a working day", got)
			}
		})
	}
}

func TestDateOf(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want notices.Date
	}{
		{"winter: 23:00 UTC is midnight in Rome", utc(2026, time.January, 15, 23, 0, 0), day(2026, time.January, 16)},
		{"winter: 22:59:59 UTC is still the same Rome day", utc(2026, time.January, 15, 22, 59, 59), day(2026, time.January, 15)},
		{"summer: 22:00 UTC is midnight in Rome", utc(2026, time.July, 15, 22, 0, 0), day(2026, time.July, 16)},
		{"summer: 21:59:59 UTC is still the same Rome day", utc(2026, time.July, 15, 21, 59, 59), day(2026, time.July, 15)},
		// DST weekends of 2026: the evening before is already the Sunday in Rome.
		{"spring forward: Sat 23:30 UTC is Sun 00:30 CET", utc(2026, time.March, 28, 23, 30, 0), day(2026, time.March, 29)},
		{"fall back: Sat 23:30 UTC is Sun 01:30 CEST", utc(2026, time.October, 24, 23, 30, 0), day(2026, time.October, 25)},
		{"fall back: Sun 22:59 UTC is Sun 23:59 CET", utc(2026, time.October, 25, 22, 59, 0), day(2026, time.October, 25)},
		{"spring forward: Sun 22:00 UTC is Mon 00:00 CEST", utc(2026, time.March, 29, 22, 0, 0), day(2026, time.March, 30)},
		{"other zone", time.Date(2026, time.November, 7, 18, 0, 0, 0, time.FixedZone("EST", -5*3600)), day(2026, time.November, 8)},
	}
	for _, tt := range tests {
		if got := notices.DateOf(tt.at); got != tt.want {
			t.Errorf("%s: DateOf(%s) = %s, want %s", tt.name, tt.at, got, tt.want)
		}
	}
}

func TestDate(t *testing.T) {
	d, err := notices.ParseDate("2026-11-02")
	if err != nil || d != day(2026, time.November, 2) {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	if got := d.String(); got != "2026-11-02" {
		t.Errorf("String() = %q, want 2026-11-02", got)
	}
	for _, bad := range []string{"2026-02-29", "2026-13-01", "2026-11-2", "02/11/2026", ""} {
		_, err := notices.ParseDate(bad)
		wantCode(t, err, notices.EInvalidDate)
	}
	if got := day(2028, time.February, 28).AddDays(1); got != day(2028, time.February, 29) {
		t.Errorf("AddDays across leap day = %s", got)
	}
	if got := day(2026, time.March, 28).AddDays(2); got != day(2026, time.March, 30) {
		t.Errorf("AddDays across spring DST = %s, want 2026-03-30", got)
	}
	if got := day(2026, time.January, 1).AddDays(-1); got != day(2025, time.December, 31) {
		t.Errorf("AddDays(-1) = %s", got)
	}
	a, b := day(2026, time.March, 31), day(2026, time.April, 1)
	if !a.Before(b) || a.After(b) || a.Compare(b) != -1 || b.Compare(a) != 1 || a.Compare(a) != 0 {
		t.Errorf("ordering of %s and %s is wrong", a, b)
	}
	if got, want := day(2026, time.October, 25).Start(), utc(2026, time.October, 24, 22, 0, 0); !got.Equal(want) {
		t.Errorf("Start() on fall-back day = %s, want %s", got, want)
	}
	var z notices.Date
	if !z.IsZero() || z.String() != "" {
		t.Errorf("zero Date: IsZero %v, String %q", z.IsZero(), z.String())
	}
	text, _ := d.MarshalText()
	var back notices.Date
	if err := back.UnmarshalText(text); err != nil || back != d {
		t.Errorf("text round trip = %v, %v", back, err)
	}
	if err := back.UnmarshalText(nil); err != nil || !back.IsZero() {
		t.Errorf("UnmarshalText(empty) = %v, %v; want zero date", back, err)
	}
}
