package storetest

import (
	"context"
	"testing"

	"github.com/multa/multa/notices"
)

func (e *env) pagoPAReceipt(f notices.Fine, id, rt string, cents int64) notices.Receipt {
	r := e.receipt(f, id, cents)
	r.PagoPA = &notices.PagoPAReceipt{ReceiptID: rt, FiscalCode: settings.Creditor.FiscalCode, PaymentAmountCents: cents}
	return r
}

func testRecordReceiptDecidesInsideTheTransaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	first, dup, err := e.st.RecordReceipt(ctx, e.pagoPAReceipt(f, receiptID(1), "rt-1", 2940))
	if err != nil || dup || first.Channel != notices.PaidViaPagoPA {
		t.Fatalf("first: %+v %v %v", first, dup, err)
	}
	// Same pagoPA receipt under another Multa id: the stored one comes back.
	again, dup, err := e.st.RecordReceipt(ctx, e.pagoPAReceipt(f, receiptID(2), "rt-1", 2940))
	if err != nil || !dup || again.ID != first.ID {
		t.Fatalf("again: %s %v %v, want %s as a duplicate", again.ID, dup, err, first.ID)
	}
	if _, err := e.st.Receipt(ctx, receiptID(2)); notices.ErrorCode(err) != notices.EReceiptNotFound {
		t.Fatalf("the duplicate was written: %v", err)
	}
	second, _, err := e.st.RecordReceipt(ctx, e.pagoPAReceipt(f, receiptID(3), "rt-2", 2940))
	if err != nil || second.Anomaly != notices.AnomalyDoublePayment || second.RefundCents != 2940 {
		t.Fatalf("second payment: %+v %v", second, err)
	}
	e.reopen()
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Fatalf("VerifyLedger: %v", err)
	}
	rs, err := e.st.ReceiptsOfFine(ctx, f.ID)
	if err != nil || len(rs) != 2 {
		t.Fatalf("ReceiptsOfFine = %d %v", len(rs), err)
	}
	_, err = e.st.ReceiptsOfFine(ctx, "nope")
	wantCode(t, err, notices.EFineNotFound)
}

// Idempotency records written before answers were kept by resource id
// held the first answer's status and body; they still name their resource.
