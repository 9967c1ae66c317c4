package notices_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

func paid(at time.Time, cents int64, stage notices.Stage) notices.Receipt {
	return notices.Receipt{PaidAt: at, AmountCents: cents, Stage: stage}
}

func TestStatsBuckets(t *testing.T) {
	// 2026-10-19 is a Monday; 2026-10-25 is the Sunday when Rome goes back
	// from CEST to CET (02:00–03:00 happens twice).
	receipts := []notices.Receipt{
		paid(rome(2026, time.October, 19, 8, 15, 0), 2940, notices.StageReduced),
		paid(rome(2026, time.October, 19, 8, 45, 0), 4200, notices.StageMinimum),
		// 23:30 in Rome is 21:30 UTC: still Tuesday evening, hour 23.
		paid(utc(2026, time.October, 20, 21, 30, 0), 8650, notices.StageIncreased),
		// The second 02:30 of the DST change (01:30 UTC) is hour 2 in Rome.
		paid(utc(2026, time.October, 25, 1, 30, 0), 2940, notices.StageReduced),
		// Outside the range: ignored.
		paid(rome(2026, time.October, 18, 23, 59, 59), 100000, notices.StageReduced),
		paid(rome(2026, time.October, 26, 0, 0, 0), 100000, notices.StageReduced),
	}
	from, to := day(2026, time.October, 19), day(2026, time.October, 25)
	s, err := notices.ComputeStats(receipts, nil, notices.Calendar{}, from, to, to)
	if err != nil {
		t.Fatal(err)
	}
	if s.Payments != 4 || s.AmountCents != 2940+4200+8650+2940 {
		t.Errorf("total = %d payments, %d cents; want 4, %d", s.Payments, s.AmountCents, 2940+4200+8650+2940)
	}
	if len(s.ByDay) != 7 || s.ByDay[0].Date != from || s.ByDay[6].Date != to {
		t.Fatalf("ByDay = %+v, want the 7 days from %s to %s", s.ByDay, from, to)
	}
	wantDay := []int{2, 1, 0, 0, 0, 0, 1}
	for i, w := range wantDay {
		if s.ByDay[i].Payments != w {
			t.Errorf("ByDay[%d] (%s) = %d payments, want %d", i, s.ByDay[i].Date, s.ByDay[i].Payments, w)
		}
	}
	if s.ByDay[0].AmountCents != 7140 {
		t.Errorf("ByDay[0].AmountCents = %d, want 7140", s.ByDay[0].AmountCents)
	}
	wantHour := map[int]notices.PaymentTally{8: {2, 7140}, 23: {1, 8650}, 2: {1, 2940}}
	for h, got := range s.ByHour {
		if got != wantHour[h] {
			t.Errorf("ByHour[%d] = %+v, want %+v", h, got, wantHour[h])
		}
	}
	wantWeekday := [7]notices.PaymentTally{0: {2, 7140}, 1: {1, 8650}, 6: {1, 2940}} // Monday first
	if s.ByWeekday != wantWeekday {
		t.Errorf("ByWeekday = %+v, want %+v", s.ByWeekday, wantWeekday)
	}
	wantStage := notices.StageTallies{Reduced: notices.PaymentTally{2, 5880}, Minimum: notices.PaymentTally{1, 4200}, Increased: notices.PaymentTally{1, 8650}}
	if s.ByStage != wantStage {
		t.Errorf("ByStage = %+v, want %+v", s.ByStage, wantStage)
	}
}

func TestStatsOutstanding(t *testing.T) {
	cal := notices.Calendar{PatronMonth: time.December, PatronDay: 7}
	notified := day(2026, time.March, 2)
	mk := func(status notices.Status, code string) *notices.Fine {
		f := notifiedFine(t, code, rome(2026, time.March, 1, 12, 0, 0), notified, 1300)
		f.Status = status
		return f
	}
	fines := []*notices.Fine{
		mk(notices.StatusNotified, "7-15"),  // on 03-05: reduced, 29.40 + 13.00
		mk(notices.StatusNotified, "142-9"), // not reducible: minimum, 543.00 + 13.00
		mk(notices.StatusPaid, "7-15"),      // ignored
		mk(notices.StatusCancelled, "7-15"), // ignored
	}
	each := func(fn func(*notices.Fine) error) error {
		for _, f := range fines {
			if err := fn(f); err != nil {
				return err
			}
		}
		return nil
	}
	on := day(2026, time.March, 5)
	s, err := notices.ComputeStats(nil, each, cal, on.AddDays(-29), on, on)
	if err != nil {
		t.Fatal(err)
	}
	o := s.Outstanding
	if o.Fines != 2 || o.AmountCents != 4240+55600 || o.On != on {
		t.Errorf("Outstanding = %d fines, %d cents on %s; want 2, %d on %s", o.Fines, o.AmountCents, o.On, 4240+55600, on)
	}
	if o.ByStage.Reduced != (notices.FineTally{1, 4240}) || o.ByStage.Minimum != (notices.FineTally{1, 55600}) || o.ByStage.Increased != (notices.FineTally{}) {
		t.Errorf("Outstanding.ByStage = %+v", o.ByStage)
	}
	// 61 days after notification the first fine costs half the maximum.
	later := notified.AddDays(70)
	s, err = notices.ComputeStats(nil, each, cal, later, later, later)
	if err != nil {
		t.Fatal(err)
	}
	if s.Outstanding.ByStage.Increased != (notices.FineTally{2, 8650 + 1300 + 108500 + 1300}) {
		t.Errorf("later: ByStage.Increased = %+v", s.Outstanding.ByStage.Increased)
	}

	boom := errors.New("disk on fire")
	_, err = notices.ComputeStats(nil, func(func(*notices.Fine) error) error { return boom }, cal, on, on, on)
	if !errors.Is(err, boom) {
		t.Errorf("err = %v, want the iterator's", err)
	}
}

func TestStatsRange(t *testing.T) {
	from := day(2028, time.January, 1) // 2028 is a leap year
	tests := []struct {
		to   notices.Date
		want string // error code, "" for none
	}{
		{from, ""},
		{from.AddDays(365), ""}, // 366 days
		{from.AddDays(366), notices.EInvalidDate},
		{from.AddDays(-1), notices.EInvalidDate},
		{notices.Date{}, notices.EInvalidDate},
	}
	for _, tt := range tests {
		s, err := notices.NewStats(from, tt.to)
		if tt.want == "" {
			if err != nil {
				t.Errorf("NewStats(%s, %s): %v", from, tt.to, err)
			} else if len(s.ByDay) != 1+int(tt.to.Start().Sub(from.Start()).Hours()/24) {
				t.Errorf("NewStats(%s, %s): %d days", from, tt.to, len(s.ByDay))
			}
			continue
		}
		wantCode(t, err, tt.want)
	}
}

func TestStatsJSONShape(t *testing.T) {
	s, err := notices.ComputeStats(nil, nil, notices.Calendar{}, day(2026, time.March, 1), day(2026, time.March, 2), day(2026, time.March, 2))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	for _, want := range []string{
		`"payments":0`, `"amountCents":0`, `"byDay":[{"date":"2026-03-01","payments":0,"amountCents":0},`,
		`"byHour":[{"payments":0,"amountCents":0},`, `"byWeekday":[`,
		`"byStage":{"reduced":{"payments":0,"amountCents":0},"minimum":`, `"increased":`,
		`"outstanding":{"fines":0,"amountCents":0,"byStage":{"reduced":{"fines":0,"amountCents":0}`, `"timeZone":"Europe/Rome"`, `"weekStartsOn":"monday"`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}
