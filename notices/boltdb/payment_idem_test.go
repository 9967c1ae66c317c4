package boltdb_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// A card payment's idempotency record, scoped "payment:<fine id>" as the
// payment service writes it, is kept in its receipt: the look-up by scope
// and key finds it there, for that key and that fine only, and a reuse of
// the key for another request is refused as before.
func TestPaymentIdempotencyKeptInTheReceipt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	other := e.create("EF456GH", "7-15", rome(2026, 3, 9, 9, 5), notices.ContestImmediate)
	scope := "payment:" + f.ID
	if got, err := e.st.Idempotency(ctx, scope, "key-1"); err != nil || got != nil {
		t.Fatalf("before the payment: %+v, %v; want none", got, err)
	}
	r, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: e.receipt(f, receiptID(1), 2940),
		Idempotency: &notices.Idempotent{Scope: scope, Key: "key-1", RequestHash: "h1", ResourceID: receiptID(1)}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.st.Idempotency(ctx, scope, "key-1")
	if err != nil || got == nil {
		t.Fatalf("Idempotency = %+v, %v; want the payment's record", got, err)
	}
	if got.Scope != scope || got.Key != "key-1" || got.RequestHash != "h1" || got.ResourceID != r.ID || !got.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("record = %+v, want scope %s, key-1, h1, resource %s, created %v", got, scope, r.ID, e.clock.Now())
	}
	for _, q := range []struct{ scope, key string }{{scope, "key-2"}, {"payment:" + other.ID, "key-1"}, {"payment:nope", "key-1"}, {"cart", "key-1"}} {
		if got, err := e.st.Idempotency(ctx, q.scope, q.key); err != nil || got != nil {
			t.Errorf("Idempotency(%s, %s) = %+v, %v; want none", q.scope, q.key, got, err)
		}
	}
	_, err = e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: e.receipt(f, receiptID(2), 2940),
		Idempotency: &notices.Idempotent{Scope: scope, Key: "key-1", RequestHash: "h2"}})
	wantCode(t, err, notices.EIdempotencyConflict)
	existing, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: e.receipt(f, receiptID(3), 2940),
		Idempotency: &notices.Idempotent{Scope: scope, Key: "key-1", RequestHash: "h1"}})
	wantCode(t, err, notices.EAlreadyPaid)
	if existing.ID != r.ID {
		t.Errorf("replay answered receipt %s, want %s", existing.ID, r.ID)
	}
	e.reopen()
	if got, err := e.st.Idempotency(ctx, scope, "key-1"); err != nil || got == nil || got.ResourceID != r.ID {
		t.Errorf("after reopen: %+v, %v", got, err)
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Fatal(err)
	}
	e.tamper(func(tx *bolt.Tx) error {
		if n := tx.Bucket([]byte("idempotency")).Stats().KeyN; n != 0 {
			t.Errorf("the idempotency bucket holds %d records, want the payment's in its receipt only", n)
		}
		return nil
	})
}

// The receipt that settles a fine is found through the fine, not the
// receipts.fine index; later receipts of the fine are indexed, and files
// that indexed the settling receipt too still read and verify.
func TestSettlingReceiptFoundThroughItsFine(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	first := e.pay(f, receiptID(1), 2940)
	e.clock.Advance(60e9)
	second, _, err := e.st.RecordReceipt(ctx, e.pagoPAReceipt(f, receiptID(2), "rt-2", 2940))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{first.ID, second.ID}
	check := func(when string) {
		t.Helper()
		rs, err := e.st.ReceiptsOfFine(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range rs {
			ids = append(ids, r.ID)
		}
		if len(ids) != 2 || ids[0] != want[0] || ids[1] != want[1] {
			t.Errorf("%s: ReceiptsOfFine = %v, want %v", when, ids, want)
		}
		if err := e.st.VerifyLedger(ctx); err != nil {
			t.Errorf("%s: %v", when, err)
		}
	}
	check("new layout")
	var entries int
	e.tamper(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("receipts.fine"))
		entries = b.Stats().KeyN
		// As older versions wrote it: the settling receipt indexed too.
		c := b.Cursor()
		k, _ := c.First()
		if !bytes.HasPrefix(k, append([]byte(f.ID), 0)) {
			t.Fatalf("receipts.fine holds %q, want the double payment's entry", k)
		}
		old := append([]byte(f.ID), 0)
		old = binary.BigEndian.AppendUint64(old, uint64(first.PaidAt.UnixNano())^1<<63)
		return b.Put(append(old, first.ID...), nil)
	})
	if entries != 1 {
		t.Errorf("receipts.fine had %d entries, want 1 (the double payment)", entries)
	}
	e.reopen()
	check("older layout")
}
