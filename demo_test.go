package main

import (
	"context"
	"io"
	"testing"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
)

// The demo seeder settles its paid fines through the payment use case,
// some at Multa's checkout and some in pagoPA channels through the station:
// every paid fine has one settling receipt of the amount due on its day
// (any other is a second payment flagged for refund), and the ledger
// verifies (the test kit checks it at cleanup).
func TestSeedDemoPaysThroughTheUseCase(t *testing.T) {
	ctx := context.Background()
	now := testkit.Rome(2026, 11, 3, 9, 0)
	st := testkit.NewStore(t, testkit.NewClock(now)) // ledger verified at cleanup
	accounts, err := auth.NewService(st, make([]byte, 32), auth.Options{Params: testkit.CheapArgon})
	if err != nil {
		t.Fatal(err)
	}
	settings := testkit.Milan
	if err := seedDemo(ctx, st, accounts, notices.DefaultCatalogue(), settings, pagopa.Settings{}, now, nil, io.Discard); err != nil {
		t.Fatal(err)
	}
	page, err := st.ListFines(ctx, notices.FineFilter{Status: notices.StatusPaid, Limit: 500})
	if err != nil || len(page.Items) == 0 {
		t.Fatalf("paid demo fines: %d %v", len(page.Items), err)
	}
	channels := map[notices.PaymentChannel]int{}
	doubles := 0
	for _, f := range page.Items {
		rs, err := st.ReceiptsOfFine(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		settling := 0
		for _, r := range rs {
			if r.ID != f.ReceiptID {
				// A second payment of the same fine is kept for a refund.
				if r.Anomaly != notices.AnomalyDoublePayment || r.RefundCents != r.AmountCents {
					t.Errorf("fine %s: extra receipt %s flagged %q refund %d", f.ID, r.ID, r.Anomaly, r.RefundCents)
				}
				doubles++
				continue
			}
			settling++
			channels[r.Channel]++
			if r.Channel == notices.PaidViaPagoPA && (r.PagoPA == nil || r.PagoPA.IDPSP == "" || len(r.PagoPA.Transfers) != 1) {
				t.Errorf("fine %s: pagoPA receipt without its facts: %+v", f.ID, r.PagoPA)
			}
			if r.Anomaly != "" {
				t.Errorf("fine %s: the settling receipt is flagged %q", f.ID, r.Anomaly)
			}
			if due := settings.Calendar.Due(&f, notices.DateOf(r.PaidAt)); due.Cents != r.AmountCents {
				t.Errorf("fine %s paid %d on %s, due %d", f.ID, r.AmountCents, notices.DateOf(r.PaidAt), due.Cents)
			}
		}
		if settling != 1 {
			t.Errorf("fine %s: %d settling receipts among %d, want 1", f.ID, settling, len(rs))
		}
	}
	if channels[notices.PaidViaCheckout] == 0 || channels[notices.PaidViaPagoPA] == 0 || doubles == 0 {
		t.Errorf("paid at the checkout %d, in pagoPA channels %d, twice %d: want some of each", channels[notices.PaidViaCheckout], channels[notices.PaidViaPagoPA], doubles)
	}
}
