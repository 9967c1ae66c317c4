package notices_test

import (
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// notifiedFine is a fine notified on day on with the given fees, as the
// store would hold it after Notify.
func notifiedFine(t testing.TB, code string, at time.Time, on notices.Date, fees int64) *notices.Fine {
	return &notices.Fine{
		Status: notices.StatusNotified, Violation: violation(t, code), OccurredAt: at,
		Contestation: notices.ContestDeferred, NotifiedOn: on, Channel: notices.ChannelPost, FeesCents: fees,
	}
}

func TestRange(t *testing.T) {
	tests := []struct {
		name     string
		code     string
		at       time.Time
		min, max int64
	}{
		{"142-8 at 23:30: worked example", "142-8", rome(2026, time.November, 1, 23, 30, 0), 23067, 92533},
		{"142-8 by day", "142-8", rome(2026, time.November, 1, 12, 0, 0), 17300, 69400},
		{"142-9 at night: an exact third", "142-9", rome(2026, time.November, 1, 3, 0, 0), 72400, 289333},
		{"146-3 at night", "146-3", rome(2026, time.November, 1, 23, 0, 0), 22267, 88667},
		{"7-15 is never a night article", "7-15", rome(2026, time.November, 1, 23, 30, 0), 4200, 17300},
		{"7-14 is never a night article", "7-14", rome(2026, time.November, 1, 2, 0, 0), 8700, 34400},
		{"158-6 is never a night article", "158-6", rome(2026, time.November, 1, 5, 0, 0), 8700, 34400},
	}
	for _, tt := range tests {
		f := &notices.Fine{Violation: violation(t, tt.code), OccurredAt: tt.at}
		gotMin, gotMax := f.Range()
		if gotMin != tt.min || gotMax != tt.max {
			t.Errorf("%s: Range() = %d, %d; want %d, %d", tt.name, gotMin, gotMax, tt.min, tt.max)
		}
	}
}

func TestNightBoundaries(t *testing.T) {
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"winter 21:59:59", rome(2026, time.January, 15, 21, 59, 59), false},
		{"winter 22:00", rome(2026, time.January, 15, 22, 0, 0), true},
		{"winter 00:00", rome(2026, time.January, 16, 0, 0, 0), true},
		{"winter 06:59:59", rome(2026, time.January, 16, 6, 59, 59), true},
		{"winter 07:00", rome(2026, time.January, 16, 7, 0, 0), false},
		{"summer 21:59:59", rome(2026, time.July, 15, 21, 59, 59), false},
		{"summer 22:00", rome(2026, time.July, 15, 22, 0, 0), true},
		{"summer 06:59:59", rome(2026, time.July, 16, 6, 59, 59), true},
		{"summer 07:00", rome(2026, time.July, 16, 7, 0, 0), false},
		// The same instants as a device sends them, in UTC: CET is UTC+1,
		// CEST is UTC+2, and the night follows Rome's clock.
		{"winter 20:59:59 UTC = 21:59:59 CET", utc(2026, time.January, 15, 20, 59, 59), false},
		{"winter 21:00 UTC = 22:00 CET", utc(2026, time.January, 15, 21, 0, 0), true},
		{"winter 05:59:59 UTC = 06:59:59 CET", utc(2026, time.January, 16, 5, 59, 59), true},
		{"winter 06:00 UTC = 07:00 CET", utc(2026, time.January, 16, 6, 0, 0), false},
		{"summer 19:59:59 UTC = 21:59:59 CEST", utc(2026, time.July, 15, 19, 59, 59), false},
		{"summer 20:00 UTC = 22:00 CEST", utc(2026, time.July, 15, 20, 0, 0), true},
		{"summer 04:59:59 UTC = 06:59:59 CEST", utc(2026, time.July, 16, 4, 59, 59), true},
		{"summer 05:00 UTC = 07:00 CEST", utc(2026, time.July, 16, 5, 0, 0), false},
		{"winter 20:30 UTC = 21:30 CET: day", utc(2026, time.January, 15, 20, 30, 0), false},
		{"summer 20:30 UTC = 22:30 CEST: night", utc(2026, time.July, 15, 20, 30, 0), true},
		{"spring-forward day 20:00 UTC = 22:00 CEST", utc(2026, time.March, 29, 20, 0, 0), true},
		{"spring-forward day 04:59:59 UTC = 06:59:59 CEST", utc(2026, time.March, 29, 4, 59, 59), true},
		{"spring-forward day 05:00 UTC = 07:00 CEST", utc(2026, time.March, 29, 5, 0, 0), false},
		{"fall-back day 20:59:59 UTC = 21:59:59 CET", utc(2026, time.October, 25, 20, 59, 59), false},
		{"fall-back day 21:00 UTC = 22:00 CET", utc(2026, time.October, 25, 21, 0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			night := &notices.Fine{Violation: violation(t, "142-8"), OccurredAt: tt.at}
			if got := night.IsNight(); got != tt.want {
				t.Errorf("142-8 at %s: IsNight() = %v, want %v", tt.at.In(notices.Rome), got, tt.want)
			}
			wantMin := int64(17300)
			if tt.want {
				wantMin = 23067
			}
			if gotMin, _ := night.Range(); gotMin != wantMin {
				t.Errorf("142-8 at %s: min = %d, want %d", tt.at.In(notices.Rome), gotMin, wantMin)
			}
			parking := &notices.Fine{Violation: violation(t, "7-15"), OccurredAt: tt.at}
			if parking.IsNight() {
				t.Errorf("7-15 at %s: IsNight() = true, want false", tt.at.In(notices.Rome))
			}
			if gotMin, gotMax := parking.Range(); gotMin != 4200 || gotMax != 17300 {
				t.Errorf("7-15 at %s: Range() = %d, %d; want 4200, 17300", tt.at.In(notices.Rome), gotMin, gotMax)
			}
		})
	}
}

func TestDueWorkedExample(t *testing.T) {
	// 142-8 at 23:30, notified by post on Mon 2 Nov 2026 with €13.00 fees.
	f := notifiedFine(t, "142-8", rome(2026, time.November, 1, 23, 30, 0), day(2026, time.November, 2), 1300)
	reducedBy, minimumBy := day(2026, time.November, 7), day(2027, time.January, 2) // Jan 1 is a holiday
	tests := []struct {
		name     string
		on       notices.Date
		stage    notices.Stage
		sanction int64
		payBy    notices.Date
	}{
		{"on the notification day", day(2026, time.November, 2), notices.StageReduced, 16147, reducedBy},
		{"5th day, a Saturday", day(2026, time.November, 7), notices.StageReduced, 16147, reducedBy},
		{"6th day", day(2026, time.November, 8), notices.StageMinimum, 23067, minimumBy},
		{"60th day, New Year", day(2027, time.January, 1), notices.StageMinimum, 23067, minimumBy},
		{"moved 60th day", day(2027, time.January, 2), notices.StageMinimum, 23067, minimumBy},
		{"day after", day(2027, time.January, 3), notices.StageIncreased, 46267, notices.Date{}},
		{"a year later", day(2027, time.November, 2), notices.StageIncreased, 46267, notices.Date{}},
	}
	for _, tt := range tests {
		got := notices.Calendar{}.Due(f, tt.on)
		want := notices.AmountDue{Cents: tt.sanction + 1300, SanctionCents: tt.sanction, FeesCents: 1300, Stage: tt.stage, PayBy: tt.payBy}
		if got != want {
			t.Errorf("%s: Due(%s) = %+v, want %+v", tt.name, tt.on, got, want)
		}
	}
	// The day before the notification is perfected, the notification is
	// not in force: no fees, and the windows run from the violation.
	got := notices.Calendar{}.Due(f, day(2026, time.November, 1))
	want := notices.AmountDue{Cents: 16147, SanctionCents: 16147, Stage: notices.StageReduced, PayBy: day(2026, time.November, 6)}
	if got != want {
		t.Errorf("before notification: Due = %+v, want %+v", got, want)
	}
}

func TestDueByDayAfter60Days(t *testing.T) {
	f := notifiedFine(t, "142-7", rome(2026, time.March, 10, 10, 15, 0), day(2026, time.March, 12), 1300)
	got := notices.Calendar{}.Due(f, day(2026, time.June, 1))
	if got.Stage != notices.StageIncreased || got.SanctionCents != 8650 || got.Cents != 8650+1300 {
		t.Errorf("142-7 by day after 60 days: Due = %+v, want increased 86.50 + 13.00", got)
	}
}

// TestFeesNeverDiscounted walks every stage of several fines and checks
// that the fees are added whole and the discount touches only the sanction.
func TestFeesNeverDiscounted(t *testing.T) {
	on := day(2026, time.November, 2)
	probe := []notices.Date{on, on.AddDays(5), on.AddDays(6), on.AddDays(61), on.AddDays(400)}
	for _, code := range []string{"7-15", "7-14", "142-7", "142-8", "142-9", "142-9bis", "146-3"} {
		for _, fees := range []int64{0, 300, 1300, 2599} {
			f := notifiedFine(t, code, rome(2026, time.November, 1, 23, 30, 0), on, fees)
			minC, maxC := f.Range()
			want := map[notices.Stage]int64{
				notices.StageReduced:   (minC*7 + 5) / 10,
				notices.StageMinimum:   minC,
				notices.StageIncreased: (maxC + 1) / 2,
			}
			for _, d := range probe {
				got := notices.Calendar{}.Due(f, d)
				if got.FeesCents != fees || got.Cents != got.SanctionCents+fees || got.SanctionCents != want[got.Stage] {
					t.Errorf("%s fees %d on %s: Due = %+v, want sanction %d + fees %d", code, fees, d, got, want[got.Stage], fees)
				}
			}
			for _, s := range (notices.Calendar{}).Schedule(f) {
				if s.Cents != want[s.Stage]+fees {
					t.Errorf("%s fees %d: step %s = %d, want %d", code, fees, s.Stage, s.Cents, want[s.Stage]+fees)
				}
			}
		}
	}
}

func TestSchedule(t *testing.T) {
	on := day(2026, time.November, 2)
	tests := []struct {
		name string
		f    *notices.Fine
		want []notices.Step
	}{
		{"reducible, night", notifiedFine(t, "142-8", rome(2026, time.November, 1, 23, 30, 0), on, 1300), []notices.Step{
			{Stage: notices.StageReduced, Until: day(2026, time.November, 7), Cents: 16147 + 1300},
			{Stage: notices.StageMinimum, Until: day(2027, time.January, 2), Cents: 23067 + 1300},
			{Stage: notices.StageIncreased, Cents: 46267 + 1300},
		}},
		{"non-reducible: no reduced stage", notifiedFine(t, "142-9", rome(2026, time.November, 1, 12, 0, 0), on, 1300), []notices.Step{
			{Stage: notices.StageMinimum, Until: day(2027, time.January, 2), Cents: 54300 + 1300},
			{Stage: notices.StageIncreased, Cents: 108500 + 1300},
		}},
		{"non-reducible 9-bis at night", notifiedFine(t, "142-9bis", rome(2026, time.November, 1, 23, 0, 0), on, 300), []notices.Step{
			{Stage: notices.StageMinimum, Until: day(2027, time.January, 2), Cents: 112667 + 300},
			{Stage: notices.StageIncreased, Cents: 225467 + 300},
		}},
	}
	for _, tt := range tests {
		got := notices.Calendar{}.Schedule(tt.f)
		if len(got) != len(tt.want) {
			t.Fatalf("%s: Schedule = %+v, want %+v", tt.name, got, tt.want)
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("%s: step %d = %+v, want %+v", tt.name, i, got[i], tt.want[i])
			}
		}
	}
}

func TestDueNonReducible(t *testing.T) {
	f := notifiedFine(t, "142-9", rome(2026, time.November, 1, 12, 0, 0), day(2026, time.November, 2), 1300)
	for _, on := range []notices.Date{day(2026, time.November, 2), day(2026, time.November, 3), day(2026, time.November, 7)} {
		if got := (notices.Calendar{}).Due(f, on); got.Stage != notices.StageMinimum || got.Cents != 54300+1300 {
			t.Errorf("142-9 on %s: Due = %+v, want minimum 543.00 + 13.00", on, got)
		}
	}
}

func TestDueLastDayRomeTime(t *testing.T) {
	f := notifiedFine(t, "142-8", rome(2026, time.November, 1, 23, 30, 0), day(2026, time.November, 2), 1300)
	tests := []struct {
		name string
		at   time.Time
		want notices.Stage
	}{
		{"23:59:59 Rome on the 5th day", rome(2026, time.November, 7, 23, 59, 59), notices.StageReduced},
		{"00:00 Rome the next day", rome(2026, time.November, 8, 0, 0, 0), notices.StageMinimum},
		// November is CET, UTC+1: a server clock in UTC must not cut the
		// last day short by an hour.
		{"22:59:59 UTC = 23:59:59 CET", utc(2026, time.November, 7, 22, 59, 59), notices.StageReduced},
		{"23:00 UTC = 00:00 CET next day", utc(2026, time.November, 7, 23, 0, 0), notices.StageMinimum},
		{"23:59:59 Rome on the 60th (moved) day", rome(2027, time.January, 2, 23, 59, 59), notices.StageMinimum},
		{"00:00 Rome after the 60th day", rome(2027, time.January, 3, 0, 0, 0), notices.StageIncreased},
	}
	for _, tt := range tests {
		if got := (notices.Calendar{}).Due(f, notices.DateOf(tt.at)).Stage; got != tt.want {
			t.Errorf("%s: stage %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestDueBeforeNotification(t *testing.T) {
	// A windscreen notice (preavviso): issued, not yet notified. The 5 days
	// run from the violation day and no notification fees are owed, even
	// if an operator pre-filled them.
	f := &notices.Fine{
		Status: notices.StatusIssued, Violation: violation(t, "7-15"),
		OccurredAt: rome(2026, time.March, 11, 9, 0, 0), Contestation: notices.ContestDeferred, FeesCents: 1300,
	}
	if got, want := f.TermStart(), day(2026, time.March, 11); got != want {
		t.Fatalf("TermStart() = %s, want %s", got, want)
	}
	tests := []struct {
		on    notices.Date
		stage notices.Stage
		cents int64
		payBy notices.Date
	}{
		{day(2026, time.March, 11), notices.StageReduced, 2940, day(2026, time.March, 16)},
		{day(2026, time.March, 16), notices.StageReduced, 2940, day(2026, time.March, 16)},
		{day(2026, time.March, 17), notices.StageMinimum, 4200, day(2026, time.May, 11)},
		{day(2026, time.May, 12), notices.StageIncreased, 8650, notices.Date{}},
	}
	for _, tt := range tests {
		got := notices.Calendar{}.Due(f, tt.on)
		want := notices.AmountDue{Cents: tt.cents, SanctionCents: tt.cents, Stage: tt.stage, PayBy: tt.payBy}
		if got != want {
			t.Errorf("preavviso on %s: Due = %+v, want %+v", tt.on, got, want)
		}
	}
	// Once notified, the term restarts from the notification with fees.
	if err := f.Notify(day(2026, time.March, 20), notices.ChannelPost, 1300, rome(2026, time.March, 20, 12, 0, 0)); err != nil {
		t.Fatal(err)
	}
	if got := (notices.Calendar{}).Due(f, day(2026, time.March, 25)); got.Stage != notices.StageReduced || got.Cents != 2940+1300 {
		t.Errorf("after notification on 20 March: Due(25 March) = %+v, want reduced 29.40 + 13.00", got)
	}
}

func TestDSTViolationDay(t *testing.T) {
	// At 23:30 UTC on the Saturday of a DST change it is already Sunday in
	// Rome, at night; a preavviso's term runs from the Rome day.
	tests := []struct {
		name    string
		at      time.Time
		start   notices.Date
		reduced notices.Date
	}{
		{"spring forward", utc(2026, time.March, 28, 23, 30, 0), day(2026, time.March, 29), day(2026, time.April, 3)},
		{"fall back", utc(2026, time.October, 24, 23, 30, 0), day(2026, time.October, 25), day(2026, time.October, 30)},
	}
	for _, tt := range tests {
		f := &notices.Fine{Status: notices.StatusIssued, Violation: violation(t, "142-8"), OccurredAt: tt.at}
		if got := f.TermStart(); got != tt.start {
			t.Errorf("%s: TermStart() = %s, want %s", tt.name, got, tt.start)
		}
		if !f.IsNight() {
			t.Errorf("%s: IsNight() = false at %s", tt.name, tt.at.In(notices.Rome))
		}
		steps := notices.Calendar{}.Schedule(f)
		if steps[0].Until != tt.reduced || steps[0].Cents != 16147 {
			t.Errorf("%s: reduced step = %+v, want 161.47 until %s", tt.name, steps[0], tt.reduced)
		}
	}
}

func TestOptions(t *testing.T) {
	on := day(2026, time.November, 2)
	f := notifiedFine(t, "142-8", rome(2026, time.November, 1, 23, 30, 0), on, 1300)
	f.Options = []notices.PaymentOption{
		{Kind: notices.OptionReduced, NAV: "302032002700000251"},
		{Kind: notices.OptionMinimum, NAV: "301368695230618304"},
	}
	got := notices.Calendar{}.Options(f)
	want := []notices.OptionAmount{
		{Kind: notices.OptionReduced, NAV: "302032002700000251", AmountCents: 16147 + 1300, DueDate: day(2026, time.November, 7)},
		{Kind: notices.OptionMinimum, NAV: "301368695230618304", AmountCents: 23067 + 1300, DueDate: day(2027, time.January, 2)},
	}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("Options = %+v, want %+v", got, want)
	}

	nr := notifiedFine(t, "142-9", rome(2026, time.November, 1, 12, 0, 0), on, 1300)
	nr.Options = []notices.PaymentOption{{Kind: notices.OptionMinimum, NAV: "302032002700000251"}}
	gotNR := notices.Calendar{}.Options(nr)
	wantNR := notices.OptionAmount{Kind: notices.OptionMinimum, NAV: "302032002700000251", AmountCents: 54300 + 1300, DueDate: day(2027, time.January, 2)}
	if len(gotNR) != 1 || gotNR[0] != wantNR {
		t.Errorf("non-reducible Options = %+v, want [%+v]", gotNR, wantNR)
	}
}

func TestDuePatronDay(t *testing.T) {
	// Milan's Dec 7 moves the 5-day deadline only where it is configured.
	f := notifiedFine(t, "7-15", rome(2026, time.December, 1, 10, 0, 0), day(2026, time.December, 2), 1300)
	onDec9 := day(2026, time.December, 9)
	if got := milan.Due(f, onDec9); got.Stage != notices.StageReduced {
		t.Errorf("Milan: Due(9 Dec) = %+v, want reduced", got)
	}
	if got := (notices.Calendar{}).Due(f, onDec9); got.Stage != notices.StageMinimum {
		t.Errorf("no patron: Due(9 Dec) = %+v, want minimum", got)
	}
}

func BenchmarkDue(b *testing.B) {
	f := notifiedFine(b, "142-8", rome(2026, time.November, 1, 23, 30, 0), day(2026, time.November, 2), 1300)
	cal := milan
	on := day(2026, time.December, 15)
	for b.Loop() {
		if got := cal.Due(f, on); got.Stage != notices.StageMinimum {
			b.Fatalf("Due = %+v", got)
		}
	}
}
