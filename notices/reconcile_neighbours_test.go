package notices_test

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// withNeighbours is what the server gives Reconcile: the period's receipts,
// and of the days around it only those NeighbourNeed wants (none read when
// it is nil). all is every receipt of the period and a day either side, in
// order of payment.
func withNeighbours(from, to notices.Date, all []notices.Receipt, flows []notices.SettlementFlow) []notices.Receipt {
	var before, period, after []notices.Receipt
	for _, r := range all {
		switch d := notices.DateOf(r.PaidAt); {
		case d.Before(from):
			before = append(before, r)
		case d.After(to):
			after = append(after, r)
		default:
			period = append(period, r)
		}
	}
	need := notices.NeighbourNeed(from, to, period, flows)
	if need == nil {
		return period
	}
	return slices.Concat(need.Keep(before), period, need.Keep(after))
}

// A payment of 00:00:30 reported by its PSP on the day before (the PSP's
// clock, or its day cut) is matched from the neighbouring day, which is
// read only because a line of the day names a receipt the day lacks.
func TestReconcileMatchesAReceiptPastMidnightFromTheNextDay(t *testing.T) {
	d := day(2026, time.March, 10)
	own := checkout(t, 1, 4200, rome(2026, time.March, 10, 9, 0, 0))
	late := checkout(t, 2, 3300, rome(2026, time.March, 11, 0, 0, 30))
	other := checkout(t, 3, 5100, rome(2026, time.March, 11, 10, 0, 0))
	l := lineOf(late, 1, 3300, 0)
	l.Date = d
	flows := []notices.SettlementFlow{flowOf("F", "P", d.AddDays(1), lineOf(own, 1, 4200, 0), l)}
	period := []notices.Receipt{own}
	need := notices.NeighbourNeed(d, d, period, flows)
	if need == nil {
		t.Fatal("NeighbourNeed is nil, though a line of the day names a receipt of the next")
	}
	if !need.Wants(&late) || need.Wants(&other) {
		t.Errorf("Wants(late) = %v, Wants(other) = %v; want true, false", need.Wants(&late), need.Wants(&other))
	}
	in := notices.ReconInput{From: d, To: d, Today: d.AddDays(5), Flows: flows,
		Receipts: withNeighbours(d, d, []notices.Receipt{own, late, other}, flows)}
	rec := notices.Reconcile(in)
	if got := count(rec); got != "bank_pending=1 matched=2" && got != "flow_not_credited=1 matched=2" {
		t.Errorf("got %s, want both lines matched", got)
	}
	for _, it := range rec.Items {
		if it.IUR == notices.ReceiptIUR(&late) && (it.Category != notices.CatMatched || it.ReceiptID != late.ID) {
			t.Errorf("the line of the receipt past midnight: got %s receipt %q, want matched to %s", it.Category, it.ReceiptID, late.ID)
		}
	}
	// Its own receipts answer every line of the next day's flow: nothing
	// else is read.
	if need := notices.NeighbourNeed(d, d, period, []notices.SettlementFlow{flowOf("G", "P", d, lineOf(own, 1, 4200, 0))}); need != nil {
		t.Error("NeighbourNeed is not nil, though the day's receipts answer every line")
	}
}

// Reading only the neighbours' receipts that NeighbourNeed wants gives the
// same reconciliation as reading those days whole, over random days of
// every kind of line: late and early dates, duplicates, revocations,
// stand-ins, other amounts, lines naming nothing, multi-transfer receipts.
func TestReconcileWithNeededNeighboursIsTheSame(t *testing.T) {
	base := day(2026, time.March, 9) // a Monday
	for seed := range uint64(400) {
		rng := rand.New(rand.NewPCG(seed, 16))
		from := base.AddDays(rng.IntN(3))
		span := rng.IntN(2) // the period's days after the first
		to := from.AddDays(span)
		var all []notices.Receipt
		for i := range 6 + rng.IntN(20) {
			paid := from.AddDays(-1 + rng.IntN(span+3)).Start().Add(time.Duration(rng.IntN(24*60)) * time.Minute)
			if rng.IntN(4) == 0 { // just around midnight
				paid = from.AddDays(rng.IntN(span + 2)).Start().Add(time.Duration(rng.IntN(120)-60) * time.Second)
			}
			if rng.IntN(2) == 0 {
				all = append(all, checkout(t, i, int64(1000+rng.IntN(9000)), paid))
			} else {
				all = append(all, pagopa(t, i, paid, int64(1000+rng.IntN(5000)), int64(500+rng.IntN(500))))
			}
		}
		slices.SortStableFunc(all, func(a, b notices.Receipt) int { return a.PaidAt.Compare(b.PaidAt) })
		outcomes := []notices.FlowOutcome{0, 0, 0, 9, 3, 4, 8}
		var flows []notices.SettlementFlow
		for f := range 1 + rng.IntN(3) {
			var lines []notices.SettlementLine
			for range rng.IntN(12) {
				r := all[rng.IntN(len(all))]
				if rng.IntN(6) == 0 { // a receipt of no day read
					r = checkout(t, 90+rng.IntN(5), 2500, from.AddDays(-3).Start())
				}
				index := 1
				if r.PagoPA != nil {
					index = 1 + rng.IntN(len(r.PagoPA.Transfers))
				}
				l := lineOf(r, index, int64(1000+rng.IntN(9000)), outcomes[rng.IntN(len(outcomes))])
				l.Date = notices.DateOf(r.PaidAt).AddDays(rng.IntN(3) - 1)
				lines = append(lines, l)
			}
			flows = append(flows, flowOf(string(rune('F'+f)), "P", from.AddDays(rng.IntN(3)), lines...))
		}
		today := to.AddDays(rng.IntN(6))
		full := notices.Reconcile(notices.ReconInput{From: from, To: to, Today: today, Receipts: all, Flows: flows})
		got := notices.Reconcile(notices.ReconInput{From: from, To: to, Today: today, Receipts: withNeighbours(from, to, all, flows), Flows: flows})
		if !reflect.DeepEqual(got, full) {
			t.Fatalf("seed %d (%s..%s): with the needed neighbours %s, with every receipt %s", seed, from, to, count(got), count(full))
		}
	}
}

// Limit keeps the first rows, explained as in the whole answer, and
// counts and totals of every row.
func TestReconcileLimitKeepsTheFirstRows(t *testing.T) {
	d := day(2026, time.March, 10)
	var rs []notices.Receipt
	for i := range 30 {
		rs = append(rs, checkout(t, i, int64(1000+i), rome(2026, time.March, 10, 8, i, 0)))
	}
	in := notices.ReconInput{From: d, To: d, Today: d.AddDays(9), Receipts: rs,
		Flows: []notices.SettlementFlow{flowOf("F", "P", d, lineOf(rs[0], 1, 1000, 0), lineOf(rs[1], 1, 999, 0))}}
	full := notices.Reconcile(in)
	in.Limit = 5
	got := notices.Reconcile(in)
	if len(full.Items) != 31 || len(got.Items) != 5 {
		t.Fatalf("got %d rows limited, %d whole; want 5, 31", len(got.Items), len(full.Items))
	}
	if !reflect.DeepEqual(got.Items, full.Items[:5]) {
		t.Errorf("limited rows %+v, want the whole answer's first five %+v", got.Items, full.Items[:5])
	}
	if got.Items[0].Explanation.En == "" {
		t.Error("a kept row has no explanation")
	}
	got.Items, full.Items = nil, nil
	if !reflect.DeepEqual(got, full) {
		t.Errorf("counts and totals differ: limited %+v, whole %+v", got, full)
	}
}
