package main

import (
	"context"
	"io"
	"testing"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

// The demo seeder settles its paid fines through the payment use case:
// every paid fine has one checkout receipt of the amount due on its day,
// and the ledger verifies.
func TestSeedDemoPaysThroughTheUseCase(t *testing.T) {
	ctx := context.Background()
	now := testkit.Rome(2026, 11, 3, 9, 0)
	st := testkit.NewStore(t, testkit.NewClock(now)) // ledger verified at cleanup
	accounts, err := auth.NewService(st, make([]byte, 32), auth.Options{Params: testkit.CheapArgon})
	if err != nil {
		t.Fatal(err)
	}
	settings := testkit.Milan
	if err := seedDemo(ctx, st, accounts, notices.DefaultCatalogue(), settings, now, nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	page, err := st.ListFines(ctx, notices.FineFilter{Status: notices.StatusPaid, Limit: 500})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("paid demo fines: %d %v", len(page.Items), err)
	}
	for _, f := range page.Items {
		rs, err := st.ReceiptsOfFine(ctx, f.ID)
		if err != nil || len(rs) != 1 || rs[0].ID != f.ReceiptID || rs[0].Channel != notices.PaidViaCheckout || rs[0].Anomaly != "" {
			t.Fatalf("fine %s: receipts %+v %v", f.ID, rs, err)
		}
		if due := settings.Calendar.Due(&f, notices.DateOf(rs[0].PaidAt)); due.Cents != rs[0].AmountCents {
			t.Errorf("fine %s paid %d on %s, due %d", f.ID, rs[0].AmountCents, notices.DateOf(rs[0].PaidAt), due.Cents)
		}
	}
}
