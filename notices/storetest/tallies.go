package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// testOutstandingTallies checks TallyStore against reading every fine:
// after each kind of write (create, an import crossing chunks, a
// notification, a cancellation, a payment, a pagoPA
// receipt, a double payment, an update its change refused, a reopen),
// PaymentTallies gives the Stats the receipts give, and OutstandingOn gives,
// on days from before the fines to after every term, exactly what
// Stats.AddOutstanding gives from OutstandingFines. The suite's stores
// are opened without a calendar, so both use the zero Calendar.
func testOutstandingTallies(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var cal notices.Calendar
	check := func(step string) {
		t.Helper()
		// Payments: per-hour tallies against every receipt of the range.
		from, to := notices.DateOf(rome(2026, 2, 1, 12, 0)), notices.DateOf(rome(2026, 6, 30, 12, 0))
		byTally, err := notices.NewStats(from, to)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.PaymentTallies(ctx, from, to, byTally.AddHourTally); err != nil {
			t.Fatalf("%s: PaymentTallies: %v", step, err)
		}
		rs, err := e.st.Receipts(ctx, from, to)
		if err != nil {
			t.Fatal(err)
		}
		byReceipt, _ := notices.NewStats(from, to)
		for _, r := range rs {
			byReceipt.AddReceipt(r)
		}
		if a, b := jsonOf(t, byTally), jsonOf(t, byReceipt); a != b {
			t.Fatalf("%s: payments from the tallies %s, from %d receipts %s", step, a, len(rs), b)
		}
		for on := notices.DateOf(rome(2026, 2, 20, 12, 0)); on.Before(notices.DateOf(rome(2026, 9, 1, 12, 0))); on = on.AddDays(4) {
			got, err := e.st.OutstandingOn(ctx, on)
			if err != nil {
				t.Fatalf("%s: OutstandingOn(%s): %v", step, on, err)
			}
			s, err := notices.NewStats(on, on)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.AddOutstanding(func(fn func(*notices.Fine) error) error { return e.st.OutstandingFines(ctx, fn) }, cal, on); err != nil {
				t.Fatal(err)
			}
			if got != s.Outstanding {
				t.Fatalf("%s: on %s the tallies say %+v, the fines %+v", step, on, got, s.Outstanding)
			}
		}
	}
	check("empty")
	var fines []notices.Fine
	for i, code := range []string{"7-15", "142-9", "146-3"} {
		fines = append(fines, e.create(fmt.Sprintf("AB%03dCD", i), code, rome(2026, 3, 1+i, 9, i), notices.Contestation([]string{"immediate", "deferred"}[i%2])))
	}
	check("created")
	var in []*notices.Fine
	for i := range 70 { // the suite's stores import 64 per transaction
		in = append(in, e.fineAt(fmt.Sprintf("CD%03dEF", i), []string{"7-15", "142-9", "146-3", "158-6"}[i%4],
			rome(2026, 3, 1+i%9, i%24, i%60), notices.Contestation([]string{"immediate", "deferred"}[i%2])))
	}
	if _, err := e.st.ImportFines(ctx, in); err != nil {
		t.Fatal(err)
	}
	for _, f := range in {
		fines = append(fines, *f)
	}
	check("imported")
	notify := func(f notices.Fine, on notices.Date) {
		t.Helper()
		if _, err := e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error {
			return f.Notify(on, notices.ChannelPost, 1300, e.clock.Now())
		}); err != nil {
			t.Fatal(err)
		}
	}
	notify(fines[1], notices.DateOf(rome(2026, 3, 10, 9, 0)))
	notify(fines[4], notices.DateOf(rome(2026, 3, 9, 12, 0)))
	check("notified")
	if _, err := e.st.UpdateFine(ctx, fines[5].ID, func(f *notices.Fine) error { return f.Cancel("wrong plate", "capo", e.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("refused")
	if _, err := e.st.UpdateFine(ctx, fines[6].ID, func(f *notices.Fine) error {
		f.Status = notices.StatusCancelled
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("UpdateFine whose change fails: %v", err)
	}
	check("cancelled")
	e.pay(fines[7], receiptID(1), 2940)
	e.clock.Set(rome(2026, 3, 29, 2, 30)) // the DST change, hour 3 in Rome
	e.pay(fines[9], receiptID(3), 4200)
	if _, _, err := e.st.RecordReceipt(ctx, e.pagoPAReceipt(fines[8], receiptID(2), "rt-1", 2940)); err != nil {
		t.Fatal(err)
	}
	// A double payment is stored too, flagged, and counted as Receipts counts it.
	if _, _, err := e.st.RecordReceipt(ctx, e.pagoPAReceipt(fines[7], receiptID(4), "rt-2", 2940)); err != nil {
		t.Fatal(err)
	}
	check("paid")
	e.reopen()
	check("reopened")
	e.clock.Set(e.clock.Now().Add(30 * 24 * time.Hour))
	check("a month later")
}
