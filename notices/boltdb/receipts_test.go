package boltdb_test

import (
	"context"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

func (e *env) pagoPAReceipt(f notices.Fine, id, rt string, cents int64) notices.Receipt {
	r := e.receipt(f, id, cents)
	r.PagoPA = &notices.PagoPAReceipt{ReceiptID: rt, FiscalCode: settings.Creditor.FiscalCode, PaymentAmountCents: cents}
	return r
}

func TestVerifyLedgerChecksTheReceiptIndexes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	if _, _, err := e.st.RecordReceipt(ctx, e.pagoPAReceipt(f, receiptID(1), "rt-1", 2940)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.st.RecordReceipt(ctx, e.pagoPAReceipt(f, receiptID(2), "rt-2", 2940)); err != nil {
		t.Fatal(err)
	}
	// Point the first pagoPA receipt at the second Multa receipt: a later
	// copy of rt-1 would be answered with the wrong money.
	e.tamper(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("receipts.pagopa"))
		c := b.Cursor()
		k, _ := c.First()
		return b.Put(append([]byte(nil), k...), []byte(receiptID(2)))
	})
	wantCode(t, e.st.VerifyLedger(ctx), "ledger_mismatch")
}

func TestLegacyIdempotencyRecordsNameTheirResource(t *testing.T) {
	e := newEnv(t)
	key := func(scope, k string) []byte { return append(append([]byte{byte(len(scope))}, scope...), k...) }
	e.tamper(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("idempotency"))
		if err := b.Put(key("payment:f1", "pay-key-1"), []byte(`{"scope":"payment:f1","key":"pay-key-1","requestHash":"h","status":201,"body":"eyJyZWNlaXB0SWQiOiJyMSIsImFtb3VudENlbnRzIjoyOTQwfQ==","createdAt":"2026-03-09T10:00:00+01:00"}`)); err != nil {
			return err
		}
		return b.Put(key("fine:anna", "fine-key-1"), []byte(`{"scope":"fine:anna","key":"fine-key-1","requestHash":"h","status":201,"resourceId":"f9","createdAt":"2026-03-09T10:00:00+01:00"}`))
	})
	ctx := context.Background()
	if got, err := e.st.Idempotency(ctx, "payment:f1", "pay-key-1"); err != nil || got == nil || got.ResourceID != "r1" {
		t.Errorf("legacy payment record = %+v, %v; want resource r1 from its body", got, err)
	}
	if got, err := e.st.Idempotency(ctx, "fine:anna", "fine-key-1"); err != nil || got == nil || got.ResourceID != "f9" {
		t.Errorf("legacy fine record = %+v, %v; want resource f9", got, err)
	}
}
