package storetest

import (
	"context"
	"testing"

	"github.com/multa/multa/notices"
)

// testFineAndIdempotency checks a payment's reads: the fine of a NAV with
// the answer kept for a key in that fine's payment scope (before the
// payment's lock), and by id (again under the lock when the first may be
// stale), the same as FineByNAV, Fine and Idempotency read them one by
// one.
func testFineAndIdempotency(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	scope := "payment:" + f.ID

	for _, o := range f.Options {
		got, rec, err := e.st.FineByNAVWithIdempotency(ctx, o.NAV, "payment:", "key-1")
		if err != nil || rec != nil || jsonOf(t, got) != jsonOf(t, f) {
			t.Errorf("FineByNAVWithIdempotency(%s) before the payment = %s, %+v, %v; want the fine, no answer", o.NAV, jsonOf(t, got), rec, err)
		}
	}
	other := e.create("AB123CD", "7-15", rome(2026, 3, 9, 12, 0), notices.ContestImmediate)
	_, _, err := e.st.FineByNAVWithIdempotency(ctx, "000000000000000000", "payment:", "key-1")
	wantCode(t, err, notices.ENoticeNotFound)

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
	got, rec, err = e.st.FineByNAVWithIdempotency(ctx, f.Options[0].NAV, "payment:", "key-1")
	if err != nil || rec == nil || rec.ResourceID != id || rec.RequestHash != "h1" || got.ID != f.ID || got.ReceiptID != id {
		t.Errorf("FineByNAVWithIdempotency after the payment = %s/%s, %+v, %v; want paid/%s, receipt %s with hash h1", got.ID, got.ReceiptID, rec, err, id, id)
	}
	// The scope is the prefix and the id of the NAV's fine: not another's.
	if got, rec, err := e.st.FineByNAVWithIdempotency(ctx, other.Options[0].NAV, "payment:", "key-1"); err != nil || rec != nil || got.ID != other.ID {
		t.Errorf("another fine's NAV, the same key: %s, %+v, %v; want %s, no answer", got.ID, rec, err, other.ID)
	}
	if _, rec, err := e.st.FineByNAVWithIdempotency(ctx, f.Options[0].NAV, "other:", "key-1"); err != nil || rec != nil {
		t.Errorf("another scope prefix: answer %+v, error %v; want none, nil", rec, err)
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
