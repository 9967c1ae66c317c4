package payment_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
)

func TestRecordReceiptSettlesAndKeepsThePagoPAFacts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	at := e.clock.Now().Add(-10 * time.Minute)
	got, err := e.svc.RecordReceipt(ctx, pagoPA(f, "rt-0001", 2940, at))
	if err != nil || got.Duplicate {
		t.Fatalf("RecordReceipt: %+v %v", got, err)
	}
	r := got.Receipt
	if r.Anomaly != "" || r.RefundCents != 0 || r.ExpectedCents != 2940 || r.Channel != notices.PaidViaPagoPA ||
		r.FineID != f.ID || r.ReportNumber != f.ReportNumber || !r.PaidAt.Equal(at) || r.Stage != notices.StageReduced ||
		r.PSP.Name != "Intesa Sanpaolo" || r.SanctionCents+r.FeesCents != 2940 {
		t.Errorf("receipt = %+v", r)
	}
	stored, err := e.store.Receipt(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	p := stored.PagoPA
	if p == nil || p.ReceiptID != "rt-0001" || p.IDPSP != "BCITITMM" || p.FeeCents != 100 || len(p.Transfers) != 1 ||
		p.Transfers[0].IBAN != "IT60X0542811101000000123456" || p.Debtor.UniqueID != "RSSMRA80A01F205X" || !p.PaymentDateTime.Equal(at) {
		t.Errorf("stored pagoPA facts = %+v", p)
	}
	if fine := e.fresh(f.ID); fine.Status != notices.StatusPaid || fine.ReceiptID != r.ID {
		t.Errorf("fine = %s receipt %s, want paid by %s", fine.Status, fine.ReceiptID, r.ID)
	}
	day, err := e.store.Receipts(ctx, notices.DateOf(at), notices.DateOf(at))
	if err != nil || len(day) != 1 || day[0].ID != r.ID {
		t.Errorf("receipts of the day = %d %v", len(day), err)
	}
}

func TestRecordReceiptDuplicateWritesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	first, err := e.svc.RecordReceipt(ctx, pagoPA(f, "rt-0001", 2940, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := e.store.LedgerHead(ctx)
	again, err := e.svc.RecordReceipt(ctx, pagoPA(f, "rt-0001", 2940, e.clock.Now()))
	if err != nil || !again.Duplicate || again.Receipt.ID != first.Receipt.ID {
		t.Fatalf("same receipt again = %+v %v, want the first one as a duplicate", again, err)
	}
	after, _ := e.store.LedgerHead(ctx)
	if after.Size != before.Size {
		t.Errorf("a duplicate grew the ledger from %d to %d", before.Size, after.Size)
	}
	// The same receiptId from another creditor is another receipt.
	other := pagoPA(f, "rt-0001", 2940, e.clock.Now())
	other.PagoPA.FiscalCode = "80016350821"
	if got, err := e.svc.RecordReceipt(ctx, other); err != nil || got.Duplicate || got.Receipt.Anomaly != notices.AnomalyDoublePayment {
		t.Errorf("same receiptId, other creditor = %+v %v, want a new (double) payment", got, err)
	}
}

func TestRecordReceiptConcurrentIdenticalGiveOneRecord(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	fines := []notices.Fine{e.fine(), e.fine(), e.fine()}
	const senders = 30
	var wg sync.WaitGroup
	out := make([]payment.Recorded, senders)
	errs := make([]error, senders)
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := fines[i%3]
			out[i], errs[i] = e.svc.RecordReceipt(ctx, pagoPA(f, "rt-"+f.ID, 2940, e.clock.Now()))
		}()
	}
	wg.Wait()
	firsts := map[string]string{}
	for i := range senders {
		if errs[i] != nil {
			t.Fatalf("sender %d: %v", i, errs[i])
		}
		if !out[i].Duplicate {
			if prev, ok := firsts[out[i].Receipt.FineID]; ok {
				t.Fatalf("fine %s recorded twice: %s and %s", out[i].Receipt.FineID, prev, out[i].Receipt.ID)
			}
			firsts[out[i].Receipt.FineID] = out[i].Receipt.ID
		}
	}
	for _, f := range fines {
		rs, err := e.store.ReceiptsOfFine(ctx, f.ID)
		if err != nil || len(rs) != 1 || rs[0].ID != firsts[f.ID] || rs[0].Anomaly != "" {
			t.Errorf("receipts of fine %s = %+v %v, want one", f.ID, rs, err)
		}
	}
	for i := range senders {
		if out[i].Receipt.ID != firsts[out[i].Receipt.FineID] {
			t.Errorf("sender %d was answered receipt %s, want %s", i, out[i].Receipt.ID, firsts[out[i].Receipt.FineID])
		}
	}
	if a, err := e.store.Anomalies(ctx); err != nil || len(a) != 0 {
		t.Errorf("anomalies = %d %v, want none", len(a), err)
	}
}

func TestRecordReceiptDoublePaymentIsStoredWithRefund(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	card, _, err := e.svc.PayByCard(ctx, payment.CardPayment{NAV: f.Options[0].NAV, AmountCents: 2940, Token: e.token("4242424242424242"), IdempotencyKey: "checkout-1"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Set(e.clock.Now().Add(2 * time.Hour))
	got, err := e.svc.RecordReceipt(ctx, pagoPA(f, "rt-twice", 2940, e.clock.Now()))
	if err != nil || got.Duplicate {
		t.Fatalf("second payment: %+v %v", got, err)
	}
	if r := got.Receipt; r.Anomaly != notices.AnomalyDoublePayment || r.RefundCents != 2940 {
		t.Errorf("second payment flagged %q refund %d, want double_payment 2940", r.Anomaly, r.RefundCents)
	}
	if fine := e.fresh(f.ID); fine.ReceiptID != card.ID || fine.Status != notices.StatusPaid {
		t.Errorf("fine receipt %s, want still the first %s", fine.ReceiptID, card.ID)
	}
	rs, err := e.store.ReceiptsOfFine(ctx, f.ID)
	if err != nil || len(rs) != 2 || rs[0].ID != card.ID || rs[1].ID != got.Receipt.ID {
		t.Fatalf("receipts of the fine = %+v %v, want the card one then the pagoPA one", rs, err)
	}
	an, err := e.store.Anomalies(ctx)
	if err != nil || len(an) != 1 || an[0].ID != got.Receipt.ID {
		t.Fatalf("anomalies = %+v %v", an, err)
	}
	day, _ := e.store.Receipts(ctx, notices.DateOf(e.clock.Now()), notices.DateOf(e.clock.Now()))
	if len(day) != 2 {
		t.Errorf("receipts of the day = %d, want both payments", len(day))
	}
}

func TestRecordReceiptAfterCancellation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	if _, err := e.store.UpdateFine(ctx, f.ID, func(x *notices.Fine) error { return x.Cancel("stolen car", "super", e.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.RecordReceipt(ctx, pagoPA(f, "rt-late", 2940, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Receipt; r.Anomaly != notices.AnomalyAfterCancel || r.RefundCents != 2940 {
		t.Errorf("flagged %q refund %d, want paid_after_cancellation 2940", r.Anomaly, r.RefundCents)
	}
	if fine := e.fresh(f.ID); fine.Status != notices.StatusCancelled || fine.ReceiptID != "" {
		t.Errorf("fine = %s %q, want still cancelled without receipt", fine.Status, fine.ReceiptID)
	}
}

func TestRecordReceiptAmountMismatchSettles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	over, under := e.fine(), e.fine()
	got, err := e.svc.RecordReceipt(ctx, pagoPA(over, "rt-over", 5000, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Receipt; r.Anomaly != notices.AnomalyAmountMismatch || r.ExpectedCents != 2940 || r.RefundCents != 2060 {
		t.Errorf("overpaid: %q expected %d refund %d, want amount_mismatch 2940 2060", r.Anomaly, r.ExpectedCents, r.RefundCents)
	}
	got, err = e.svc.RecordReceipt(ctx, pagoPA(under, "rt-under", 1000, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if r := got.Receipt; r.Anomaly != notices.AnomalyAmountMismatch || r.RefundCents != 0 {
		t.Errorf("underpaid: %q refund %d, want amount_mismatch, nothing to refund", r.Anomaly, r.RefundCents)
	}
	for _, f := range []notices.Fine{over, under} {
		if fine := e.fresh(f.ID); fine.Status != notices.StatusPaid {
			t.Errorf("fine %s is %s, want paid: money that arrived settles", f.ID, fine.Status)
		}
	}
	if an, _ := e.store.Anomalies(ctx); len(an) != 2 {
		t.Errorf("anomalies = %d, want 2", len(an))
	}
}

func TestRecordReceiptRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	_, err := e.svc.RecordReceipt(ctx, pagoPA(f, "rt-zero", 0, e.clock.Now()))
	wantCode(t, err, notices.EValidation)
	unknown := pagoPA(f, "rt-unknown", 2940, e.clock.Now())
	unknown.NAV = "301000000000000000"
	_, err = e.svc.RecordReceipt(ctx, unknown)
	wantCode(t, err, notices.ENoticeNotFound)
	noID := pagoPA(f, "", 2940, e.clock.Now())
	_, err = e.svc.RecordReceipt(ctx, noID)
	wantCode(t, err, notices.EValidation)
}
