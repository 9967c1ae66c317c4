package boltdb_test

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// TestReportIndexOfAnOlderFile: a file written before the report-number
// index (no bucket, no completion mark) is searched by report number by
// scanning when opened read-only, and gets a complete index, built in
// several transactions, at its first writable open; VerifyLedger (run at
// cleanup) checks every fine's entry and their count. An index left half
// built (its mark missing) is rebuilt, not trusted.
func TestReportIndexOfAnOlderFile(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	var fines []notices.Fine
	for i := range 25 {
		fines = append(fines, e.create("AB123CD", "7-15", rome(2026, 3, 1+i%9, 9, i), notices.ContestDeferred))
	}
	e.pay(fines[3], receiptID(3), 4200)
	search := func(st *boltdb.Store, f notices.Fine) {
		t.Helper()
		page, err := st.ListFines(ctx, notices.FineFilter{ReportNumber: f.ReportNumber})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != 1 || page.Items[0].ID != f.ID {
			t.Fatalf("search for %s found %d fines", f.ReportNumber, len(page.Items))
		}
	}
	old := func(keepBucket bool) {
		t.Helper()
		if err := e.st.Close(); err != nil {
			t.Fatal(err)
		}
		db, err := bolt.Open(e.path, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			if !keepBucket {
				if err := tx.DeleteBucket([]byte("fines.report")); err != nil {
					return err
				}
			}
			return tx.Bucket([]byte("meta")).Delete([]byte("fines.report"))
		})
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			t.Fatal(err)
		}
	}

	old(false)
	ro, err := boltdb.Open(e.path, boltdb.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	search(ro, fines[7])
	if err := ro.VerifyLedger(ctx); err != nil {
		t.Errorf("VerifyLedger of an older file: %v", err)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}

	defer boltdb.SetReportIndexChunk(4)()
	e.reopen()
	for _, f := range fines {
		search(e.st.Store, f)
	}
	wantIndexed(t, e, len(fines))
	// Half built: the bucket holds entries but the mark is gone.
	old(true)
	e.reopen()
	search(e.st.Store, fines[24])
	e.create("EF456GH", "7-15", rome(2026, 3, 9, 19, 0), notices.ContestDeferred)
	wantIndexed(t, e, len(fines)+1)
}

// wantIndexed checks, in the file itself, that the report-number index is
// marked complete and holds n entries; the store is reopened after.
func wantIndexed(t *testing.T, e *env, n int) {
	t.Helper()
	if err := e.st.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(e.path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	err = db.View(func(tx *bolt.Tx) error {
		if tx.Bucket([]byte("meta")).Get([]byte("fines.report")) == nil {
			t.Error("the report-number index is not marked complete")
		}
		if got := tx.Bucket([]byte("fines.report")).Stats().KeyN; got != n {
			t.Errorf("the report-number index has %d entries, want %d", got, n)
		}
		return nil
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	e.reopen()
}
