package storetest

import (
	"context"
	"testing"

	"github.com/multa/multa/notices"
)

// testFineHistoryFollowsTheLedger: a fine created, corrected and paid has
// three ledger records, oldest first, each with who made it; the old
// plate stays in the fine's correction; the ledger still verifies; and a
// paid fine refuses a correction without a write.
func testFineHistoryFollowsTheLedger(t *testing.T) {
	e := newEnv(t)
	e.clock.Set(rome(2026, 3, 10, 9, 0))
	ctx := context.Background()
	f := e.fineAt("AB123CE", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	if _, err := e.st.CreateFine(notices.WithActor(ctx, "vigile"), f, nil); err != nil {
		t.Fatal(err)
	}
	e.create("ZZ999ZZ", "7-15", rome(2026, 3, 9, 12, 0), notices.ContestDeferred) // another fine's records in between
	got, err := e.st.UpdateFine(notices.WithActor(ctx, "capo"), f.ID, func(f *notices.Fine) error {
		return f.Correct(notices.CorrectionRequest{Plate: "ab123cd", Reason: "typo"}, "capo", e.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Plate != "AB123CD" || len(got.Corrections) != 1 || got.Corrections[0].Changes[0] != (notices.FieldChange{Field: "plate", Old: "AB123CE", New: "AB123CD"}) {
		t.Fatalf("corrected fine = %+v", got)
	}
	if page, _ := e.st.ListFines(ctx, notices.FineFilter{Plate: "AB123CE"}); len(page.Items) != 0 {
		t.Errorf("the old plate still finds the fine: the plate index did not move")
	}
	e.pay(got, "r1", 4200)
	hist, err := e.st.FineHistory(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ op, by, status string }{{"create", "vigile", "issued"}, {"update", "capo", "issued"}, {"pay", "", "paid"}}
	if len(hist) != len(want) {
		t.Fatalf("history = %+v, want %d entries", hist, len(want))
	}
	for i, w := range want {
		if h := hist[i]; h.Op != w.op || h.By != w.by || string(h.Status) != w.status || h.At.IsZero() {
			t.Errorf("history[%d] = %+v, want %v", i, h, w)
		}
		if i > 0 && hist[i].Index <= hist[i-1].Index {
			t.Errorf("history not in ledger order: %+v", hist)
		}
	}
	_, err = e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error {
		return f.Correct(notices.CorrectionRequest{Place: "Via Roma 1", Reason: "wrong street"}, "capo", e.clock.Now())
	})
	wantCode(t, err, notices.EAlreadyPaid)
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Errorf("VerifyLedger after the trail: %v", err)
	}
	_, err = e.st.FineHistory(ctx, "nope")
	wantCode(t, err, notices.EFineNotFound)
}
