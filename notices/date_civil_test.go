package notices

import (
	"testing"
	"time"
)

// viaTime is how Date did its arithmetic before day numbers: through
// time.Time at noon UTC, which normalizes any day of any month.
func viaTime(d Date) time.Time { return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC) }

func dateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

// checkAgainstTime compares every day-number operation on d with the same
// operation through time.Time.
func checkAgainstTime(t *testing.T, d Date, n int) {
	t.Helper()
	ref := viaTime(d)
	if got, want := d.AddDays(n), dateOf(ref.AddDate(0, 0, n)); got != want {
		t.Fatalf("%#v.AddDays(%d) = %#v, want %#v", d, n, got, want)
	}
	if got, want := d.Weekday(), ref.Weekday(); got != want {
		t.Fatalf("%#v.Weekday() = %s, want %s", d, got, want)
	}
	e := dateOf(ref.AddDate(0, 0, n))
	if got, want := d.Compare(e), ref.Compare(viaTime(e)); got != want {
		t.Fatalf("%#v.Compare(%#v) = %d, want %d", d, e, got, want)
	}
	if !d.IsZero() {
		if got, want := d.String(), ref.Format(time.DateOnly); got != want {
			t.Fatalf("%#v.String() = %q, want %q", d, got, want)
		}
	}
}

// TestCivilAgreesWithTime walks every day from 1600 to 2600, plus days
// out of their month's range, and compares with time.Time.
func TestCivilAgreesWithTime(t *testing.T) {
	for d := (Date{1600, time.January, 1}); d.Year < 2600; d = dateOf(viaTime(d).AddDate(0, 0, 1)) {
		checkAgainstTime(t, d, 1)
		if d.Day == 28 {
			checkAgainstTime(t, d, -400)
			checkAgainstTime(t, d, 1000)
		}
	}
	for _, d := range []Date{{2026, time.February, 30}, {2026, time.March, 0}, {2024, time.February, 29},
		{2025, time.February, 29}, {2026, time.January, -40}, {2026, time.December, 400}, {-1, time.March, 1},
		{0, time.January, 1}, {10000, time.January, 1}, {2026, 13, 1}, {2026, 0, 5}, {2026, -3, 5}} {
		checkAgainstTime(t, d, 0)
		checkAgainstTime(t, d, 60)
		checkAgainstTime(t, d, -60)
	}
}

// FuzzDateArithmetic compares the day numbers with time.Time on any date,
// valid or not, within years time.Date handles plainly.
func FuzzDateArithmetic(f *testing.F) {
	f.Add(2026, 12, 2, 60)
	f.Add(2024, 2, 29, -365)
	f.Add(1900, 3, 0, 1)
	f.Fuzz(func(t *testing.T, y, m, d, n int) {
		if y < -100000 || y > 100000 || m < -50 || m > 50 || d < -100000 || d > 100000 || n < -1000000 || n > 1000000 {
			t.Skip()
		}
		checkAgainstTime(t, Date{y, time.Month(m), d}, n)
	})
}
