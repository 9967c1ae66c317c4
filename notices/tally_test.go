package notices_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// TestOutstandingDeltasMatchTheScan checks, day by day over half a year,
// that summing a fine's tally deltas up to a day gives what valuing the
// fine on that day does (Stats.AddOutstanding): before and after a
// notification perfected in the future, contested on the spot, not
// reducible, with a patron day and national holidays ending terms, and
// that a fine taken out (sign -1) cancels itself.
func TestOutstandingDeltasMatchTheScan(t *testing.T) {
	cal := notices.Calendar{PatronMonth: time.December, PatronDay: 7}
	at := rome(2026, time.November, 20, 9, 30, 0)
	spot := notifiedFine(t, "7-15", at, notices.Date{}, 0)
	spot.Status, spot.Contestation = notices.StatusIssued, notices.ContestImmediate
	issued := notifiedFine(t, "7-15", at, notices.Date{}, 0)
	issued.Status = notices.StatusIssued
	fines := []*notices.Fine{
		notifiedFine(t, "7-15", at, day(2026, time.December, 2), 1300),   // reduced ends near the 7th/8th
		notifiedFine(t, "142-9", at, day(2026, time.December, 20), 1300), // not reducible
		notifiedFine(t, "146-3", at, day(2027, time.January, 15), 900),   // perfected later
		spot, issued,
	}
	paid := notifiedFine(t, "7-15", at, day(2026, time.December, 2), 1300)
	paid.Status = notices.StatusPaid
	if d := cal.OutstandingDeltas(paid, 1); d != nil {
		t.Errorf("a paid fine adds %v, want nothing", d)
	}
	var deltas []notices.TallyDelta
	for _, f := range fines {
		deltas = append(deltas, cal.OutstandingDeltas(f, 1)...)
	}
	for on := day(2026, time.November, 1); on.Before(day(2027, time.June, 1)); on = on.AddDays(1) {
		var fromDeltas notices.Outstanding
		for _, d := range deltas {
			if !d.On.After(on) {
				fromDeltas.AddTally(d.Stage, d.Fines, d.Cents)
			}
		}
		s, err := notices.NewStats(on, on)
		if err != nil {
			t.Fatal(err)
		}
		each := func(fn func(*notices.Fine) error) error {
			for _, f := range fines {
				if err := fn(f); err != nil {
					return err
				}
			}
			return nil
		}
		if err := s.AddOutstanding(each, cal, on); err != nil {
			t.Fatal(err)
		}
		fromDeltas.On = on
		if fromDeltas != s.Outstanding {
			t.Fatalf("on %s: from deltas %+v, scanning %+v", on, fromDeltas, s.Outstanding)
		}
	}
	var zero notices.Outstanding
	for _, f := range fines {
		for _, d := range append(cal.OutstandingDeltas(f, 1), cal.OutstandingDeltas(f, -1)...) {
			zero.AddTally(d.Stage, d.Fines, d.Cents)
		}
	}
	if zero != (notices.Outstanding{}) {
		t.Errorf("a fine added and taken out leaves %+v", zero)
	}
}

// TestHourTalliesMatchReceipts: Stats from per-hour tallies equals Stats
// from the receipts, across the DST change and a range edge.
func TestHourTalliesMatchReceipts(t *testing.T) {
	receipts := []notices.Receipt{
		paid(rome(2026, time.October, 19, 8, 15, 0), 2940, notices.StageReduced),
		paid(rome(2026, time.October, 19, 8, 45, 0), 4200, notices.StageReduced),
		paid(utc(2026, time.October, 20, 21, 30, 0), 8650, notices.StageIncreased),
		paid(utc(2026, time.October, 25, 0, 30, 0), 2940, notices.StageMinimum),
		paid(utc(2026, time.October, 25, 1, 30, 0), 2940, notices.StageMinimum), // hour 2 again
		paid(rome(2026, time.October, 18, 23, 59, 59), 100000, notices.StageReduced),
	}
	from, to := day(2026, time.October, 19), day(2026, time.October, 25)
	want, err := notices.ComputeStats(receipts, nil, notices.Calendar{}, from, to, to)
	if err != nil {
		t.Fatal(err)
	}
	got, err := notices.NewStats(from, to)
	if err != nil {
		t.Fatal(err)
	}
	tallies := map[[3]string]notices.HourTally{}
	for _, r := range receipts {
		h := notices.ReceiptHour(r)
		k := [3]string{h.Date.String(), fmt.Sprint(h.Hour), string(h.Stage)}
		if old, ok := tallies[k]; ok {
			h.Payments += old.Payments
			h.Cents += old.Cents
		}
		tallies[k] = h
	}
	for _, h := range tallies {
		got.AddHourTally(h)
	}
	got.Outstanding.On = to
	a, _ := json.Marshal(got)
	b, _ := json.Marshal(want)
	if string(a) != string(b) {
		t.Errorf("from tallies:\n%s\nfrom receipts:\n%s", a, b)
	}
}

// BenchmarkOutstandingDeltas is what every fine written costs the
// tallies (an import calls it once per fine).
func BenchmarkOutstandingDeltas(b *testing.B) {
	cal := notices.Calendar{PatronMonth: time.December, PatronDay: 7}
	f := notifiedFine(b, "7-15", rome(2026, time.November, 20, 9, 30, 0), day(2026, time.December, 2), 1300)
	for b.Loop() {
		cal.OutstandingDeltas(f, 1)
	}
}
