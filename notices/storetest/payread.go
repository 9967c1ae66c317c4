package storetest

import (
	"context"
	"testing"

	"github.com/multa/multa/notices"
)

// testFineAndIdempotency checks the payment's read under its lock: the
// fine as stored and the answer kept for a key, read together, the same
// as Fine and Idempotency read them one by one.
func testFineAndIdempotency(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	scope := "payment:" + f.ID

	got, rec, err := e.st.FineAndIdempotency(ctx, f.ID, scope, "key-1")
	if err != nil || rec != nil {
		t.Fatalf("before the payment: answer %+v, error %v; want none, nil", rec, err)
	}
	if jsonOf(t, got) != jsonOf(t, f) {
		t.Errorf("fine before the payment = %s, want %s", jsonOf(t, got), jsonOf(t, f))
	}

	id := receiptID(1)
	if _, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: e.receipt(f, id, 2940),
		Idempotency: &notices.Idempotent{Scope: scope, Key: "key-1", RequestHash: "h1", ResourceID: id}}); err != nil {
		t.Fatal(err)
	}
	got, rec, err = e.st.FineAndIdempotency(ctx, f.ID, scope, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	if rec == nil || rec.ResourceID != id || rec.RequestHash != "h1" {
		t.Errorf("answer after the payment = %+v, want receipt %s with hash h1", rec, id)
	}
	if got.Status != notices.StatusPaid || got.ReceiptID != id {
		t.Errorf("fine after the payment = %s/%s, want paid/%s", got.Status, got.ReceiptID, id)
	}
	if want, _ := e.st.Fine(ctx, f.ID); jsonOf(t, got) != jsonOf(t, want) {
		t.Errorf("FineAndIdempotency's fine = %s, Fine's = %s", jsonOf(t, got), jsonOf(t, want))
	}
	if _, rec, err := e.st.FineAndIdempotency(ctx, f.ID, scope, "key-2"); err != nil || rec != nil {
		t.Errorf("another key: answer %+v, error %v; want none, nil", rec, err)
	}

	// A missing fine is EFineNotFound, and a stored answer still comes
	// with it (the caller replays it whatever became of the fine).
	_, rec, err = e.st.FineAndIdempotency(ctx, "no-such-fine", scope, "key-1")
	wantCode(t, err, notices.EFineNotFound)
	if rec == nil || rec.ResourceID != id {
		t.Errorf("answer with a missing fine = %+v, want receipt %s", rec, id)
	}
	_, rec, err = e.st.FineAndIdempotency(ctx, "no-such-fine", "payment:no-such-fine", "key-1")
	wantCode(t, err, notices.EFineNotFound)
	if rec != nil {
		t.Errorf("answer for a missing fine's scope = %+v, want none", rec)
	}
}
