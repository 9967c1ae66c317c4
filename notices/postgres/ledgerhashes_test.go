package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/multa/multa/internal/pgtest"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/postgres"
)

// TestHashesMoveIntoRecords: a database of schema 4, whose stored hashes
// are rows of ledger_hashes, is migrated to hashes in their records
// (0005): the ledger still verifies, has the same root, and appends go on
// from it. The old layout is rebuilt from a new database by undoing the
// migration, so the test needs no old build.
func TestHashesMoveIntoRecords(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	st := open(t, url, now)
	var fines []*notices.Fine
	for i := range 9 { // 9 fines, 4 payments: 22 records, hashes of levels 0..3
		f := newFine(t, fmt.Sprintf("MG%03dAA", i), now().Add(-time.Duration(i+1)*time.Hour))
		if _, err := st.CreateFine(ctx, f, nil); err != nil {
			t.Fatal(err)
		}
		fines = append(fines, f)
	}
	for i, f := range fines[:4] {
		r := notices.Receipt{ID: fmt.Sprintf("mg%d", i), NAV: f.Options[0].NAV, FineID: f.ID, AmountCents: 2940, PaidAt: now()}
		if _, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r}); err != nil {
			t.Fatal(err)
		}
	}
	before, err := st.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	downgrade := `
		CREATE TABLE ledger_hashes (i bigint PRIMARY KEY, hash bytea NOT NULL CHECK (length(hash) = 32));
		INSERT INTO ledger_hashes (i, hash)
			SELECT 2 * n - bit_count(n::bit(64)) + l, substring(hashes FROM 32 * l + 1 FOR 32)
			FROM ledger_records, generate_series(0, length(hashes) / 32 - 1) AS l;
		ALTER TABLE ledger_records DROP COLUMN hashes;
		DELETE FROM multa_schema WHERE version = 5;`
	if _, err := st.Pool().Exec(ctx, downgrade); err != nil {
		t.Fatal(err)
	}
	var rows int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM ledger_hashes`).Scan(&rows); err != nil || rows < 2*int(before.Size)-4 {
		t.Fatalf("the old layout holds %d hashes (%v), want about twice the %d records", rows, err, before.Size)
	}
	st.Close()

	st = open(t, url, now)
	defer st.Close()
	if postgres.SchemaVersion() < 5 {
		t.Fatalf("SchemaVersion = %d", postgres.SchemaVersion())
	}
	if err := st.VerifyLedger(ctx); err != nil {
		t.Fatalf("VerifyLedger after the migration: %v", err)
	}
	after, err := st.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("head after the migration = %+v, want %+v", after, before)
	}
	f := fines[4]
	r := notices.Receipt{ID: "mg-after", NAV: f.Options[0].NAV, FineID: f.ID, AmountCents: 2940, PaidAt: now()}
	if _, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r}); err != nil {
		t.Fatal(err)
	}
	if err := st.VerifyLedger(ctx); err != nil {
		t.Fatalf("VerifyLedger after a payment on the migrated ledger: %v", err)
	}
}
