package testkit

import (
	"bytes"
	"context"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// TestStoreCleanupCatchesTampering: the check that runs at cleanup passes
// on an untouched store and names the ledger when a stored fine is edited
// behind the store's back.
func TestStoreCleanupCatchesTampering(t *testing.T) {
	clk := NewClock(Rome(2026, 3, 10, 10, 0))
	st := NewStore(t, clk)
	ctx := context.Background()
	f, err := notices.NewFine(notices.FineRequest{Plate: "AB123CD", ViolationCode: "7-15", Place: "Via Roma 1",
		OccurredAt: Rome(2026, 3, 10, 9, 0), Contestation: notices.ContestImmediate},
		notices.DefaultCatalogue(), Milan, clk.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateFine(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	if errs := st.verify(); len(errs) != 0 {
		t.Fatalf("untouched store: %v", errs)
	}

	// Change the plate inside the stored fine, wherever the store keeps it.
	db, err := bolt.Open(st.Path(), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	edited := 0
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				if v != nil && bytes.Equal(k, []byte(f.ID)) && bytes.Contains(v, []byte("AB123CD")) {
					edited++
					return b.Put(k, bytes.ReplaceAll(v, []byte("AB123CD"), []byte("ZZ999ZZ")))
				}
				return nil
			})
		})
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil || edited == 0 {
		t.Fatalf("tamper: %v (%d values edited)", err, edited)
	}
	errs := st.verify()
	if len(errs) != 1 || notices.ErrorCode(errs[0]) != notices.ELedgerMismatch {
		t.Fatalf("tampered store: got %v, want one ledger_mismatch", errs)
	}
	st.SkipLedgerCheck() // the registered cleanup would report the same
}
