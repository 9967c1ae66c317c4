package boltdb_test

import (
	"context"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// Receipts looks a day's receipts up in the order of their ids but answers
// in the order of payment: here the ids run backwards in time.
func TestReceiptsOfADayInOrderOfPaymentWhateverTheirIds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const n = 12
	for i := range n {
		f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 8, i), notices.ContestImmediate)
		r := e.receipt(f, receiptID(n-i), 2940)
		r.PaidAt = rome(2026, 3, 10, 9, 0).Add(time.Duration(i) * time.Minute)
		if _, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := e.st.Receipts(ctx, notices.Date{Year: 2026, Month: 3, Day: 10}, notices.Date{Year: 2026, Month: 3, Day: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("got %d receipts, want %d", len(got), n)
	}
	for i, r := range got {
		if r.ID != receiptID(n-i) || r.AmountCents != 2940 {
			t.Errorf("receipt %d: %s (%d cents), want %s, the %dth paid", i, r.ID, r.AmountCents, receiptID(n-i), i+1)
		}
	}
}
