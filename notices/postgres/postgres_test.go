package postgres_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/internal/pgtest"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/postgres"
)

var (
	catalogue = notices.DefaultCatalogue()
	settings  = notices.Settings{
		Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
		Segregation: "01",
		Fees:        notices.DefaultFees,
	}
	now = func() time.Time { return time.Date(2026, 3, 10, 10, 0, 0, 0, notices.Rome) }
)

func newFine(t testing.TB, plate string, at time.Time) *notices.Fine {
	t.Helper()
	f, err := notices.NewFine(notices.FineRequest{Plate: plate, ViolationCode: "7-15", OccurredAt: at,
		Place: "Via Torino 1, Milano", Contestation: notices.ContestImmediate, Officer: "agente1"}, catalogue, settings, now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestTwoProcessesMigrateAtOnce: several stores opening one empty database
// at the same moment (two processes starting together) apply the schema
// once and all work.
func TestTwoProcessesMigrateAtOnce(t *testing.T) {
	url := pgtest.NewDatabase(t)
	const n = 4
	stores := make([]*postgres.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stores[i], errs[i] = postgres.Open(context.Background(), url, postgres.Options{Now: now})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
	var versions int
	if err := stores[0].Pool().QueryRow(context.Background(), `SELECT count(*) FROM multa_schema`).Scan(&versions); err != nil || versions != postgres.SchemaVersion() {
		t.Errorf("%d schema versions recorded (%v), want %d", versions, err, postgres.SchemaVersion())
	}
	// A database migrated by a newer build is refused, not misread.
	if _, err := stores[0].Pool().Exec(context.Background(), `INSERT INTO multa_schema (version, name) VALUES (999, 'from the future')`); err != nil {
		t.Fatal(err)
	}
	if st, err := postgres.Open(context.Background(), url, postgres.Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		if st != nil {
			st.Close()
		}
		t.Errorf("Open of a newer schema = %v, want a refusal", err)
	}
}

// TestTwoStoresPayOneFineOnce: two stores (two pools, as two processes
// have) paying the same fine at once: the row lock lets exactly one in.
func TestTwoStoresPayOneFineOnce(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	a, b := open(t, url, now), open(t, url, now)
	defer a.Close()
	defer b.Close()
	f := newFine(t, "AB123CD", now().Add(-time.Hour))
	if _, err := a.CreateFine(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	const payers = 20
	var wg sync.WaitGroup
	won := make([]bool, payers)
	for i := range payers {
		st := a
		if i%2 == 1 {
			st = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := strings.Repeat("0", 30) + string(rune('a'+i/10)) + string(rune('a'+i%10))
			r := notices.Receipt{ID: id, NAV: f.Options[0].NAV, FineID: f.ID, AmountCents: 2940, PaidAt: now()}
			_, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r})
			switch notices.ErrorCode(err) {
			case "":
				won[i] = true
			case notices.EAlreadyPaid:
			default:
				t.Errorf("payer %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	n := 0
	for _, w := range won {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d payments succeeded, want 1", n)
	}
	if err := b.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

// TestVerifyLedgerCatchesSQLTampering: what someone with write access to
// the database changes behind the store's back, VerifyLedger names.
func TestVerifyLedgerCatchesSQLTampering(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name, sql, want string
	}{
		{"receipt amount", `UPDATE receipts SET doc = convert_to(replace(convert_from(doc, 'UTF8'), '"amountCents":2940', '"amountCents":100'), 'UTF8')`,
			"amount changed since ledger entry"},
		{"fine status", `UPDATE fines SET doc = convert_to(replace(convert_from(doc, 'UTF8'), '"status":"issued"', '"status":"cancelled"'), 'UTF8') WHERE status = 'issued'`,
			"status changed since ledger entry"},
		{"fine deleted", `DELETE FROM fine_navs WHERE fine_id = (SELECT id FROM fines WHERE status = 'issued'); DELETE FROM fines WHERE status = 'issued'`,
			"deleted since ledger entry"},
		{"status index", `UPDATE fines SET status = 'paid' WHERE status = 'issued'`, "index columns"},
		{"plate index", `UPDATE fines SET plate = 'ZZ999ZZ' WHERE status = 'issued'`, "index columns"},
		{"NAV index", `UPDATE fine_navs SET fine_id = (SELECT id FROM fines WHERE status = 'paid') WHERE fine_id = (SELECT id FROM fines WHERE status = 'issued')`, "NAV"},
		{"ledger record", `UPDATE ledger_records SET record = convert_to(replace(convert_from(record, 'UTF8'), '"op":"create"', '"op":"update"'), 'UTF8') WHERE n = 0`,
			"does not match its stored hashes"},
		{"ledger hash", `UPDATE ledger_records SET hashes = overlay(hashes PLACING sha256(substring(hashes FROM 1 FOR 32)) FROM 1) WHERE n = 1`, "does not match its stored hashes"},
		{"truncated log", `DELETE FROM ledger_records WHERE n = (SELECT max(n) FROM ledger_records)`, "truncated"},
		{"fine slipped in", `INSERT INTO fines (id, report_number, status, plate, occurred_at, ledger_entry, doc)
			SELECT 'forged', report_number, status, plate, occurred_at, 999, doc FROM fines WHERE status = 'issued'`, "stored without a ledger entry"},
		{"rollback", `UPDATE fines SET ledger_entry = 0 WHERE status = 'paid'`, "rolled back to ledger entry 0"},
		{"photo swapped", `UPDATE photos SET jpeg = '\x00ff'`, "photo 1 altered"},
		{"photo deleted", `DELETE FROM photos`, "photo 1 is listed but not stored"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			url := pgtest.NewDatabase(t)
			st := open(t, url, now)
			defer st.Close()
			paid := newFine(t, "AB123CD", now().Add(-2*time.Hour))
			open := newFine(t, "EF456GH", now().Add(-time.Hour))
			for _, f := range []*notices.Fine{paid, open} {
				if _, err := st.CreateFine(ctx, f, nil); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := st.UpdateFine(ctx, open.ID, func(f *notices.Fine) error { f.Status = notices.StatusIssued; return nil }); err != nil {
				t.Fatal(err)
			}
			r := notices.Receipt{ID: "r1", NAV: paid.Options[0].NAV, FineID: paid.ID, AmountCents: 2940, PaidAt: now()}
			if _, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: paid.ID, Receipt: r}); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SavePhotos(ctx, paid.ID, []notices.NewPhoto{{JPEG: []byte{0xff, 0xd8, 1}, Width: 1, Height: 1, Source: notices.PhotoByOfficer}}, nil); err != nil {
				t.Fatal(err)
			}
			if err := st.VerifyLedger(ctx); err != nil {
				t.Fatalf("untouched: %v", err)
			}
			if _, err := st.Pool().Exec(ctx, c.sql); err != nil {
				t.Fatalf("tamper: %v", err)
			}
			err := st.VerifyLedger(ctx)
			if notices.ErrorCode(err) != notices.ELedgerMismatch || !strings.Contains(err.Error(), c.want) {
				t.Errorf("VerifyLedger = %v, want %s naming %q", err, notices.ELedgerMismatch, c.want)
			}
		})
	}
}

// TestUnreachableDatabaseIsUnavailable: with PostgreSQL gone, operations
// fail at once with store_unavailable (a 503 for clients, who retry), and
// the same store works again once the server is back, without reopening.
func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	pgtest.Shared(t)
	cl, err := pgtest.Start(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	ctx := context.Background()
	url, err := cl.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, url, postgres.Options{Now: now, ConnectTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f := newFine(t, "AB123CD", now().Add(-time.Hour))
	if _, err := st.CreateFine(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	if err := cl.StopServer(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = st.Fine(ctx, f.ID)
	if notices.ErrorCode(err) != notices.EUnavailable {
		t.Errorf("Fine with the server down = %v, want %s", err, notices.EUnavailable)
	}
	r := notices.Receipt{ID: "r1", NAV: f.Options[0].NAV, FineID: f.ID, AmountCents: 2940, PaidAt: now()}
	if _, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r}); notices.ErrorCode(err) != notices.EUnavailable {
		t.Errorf("RecordPayment with the server down = %v, want %s", err, notices.EUnavailable)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("failing took %v: clients would time out instead of retrying", d)
	}
	if err := cl.StartServer(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r}); err != nil {
		t.Fatalf("RecordPayment after the restart: %v", err)
	}
	if err := st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
	var n int
	if err := st.Pool().QueryRow(ctx, `SELECT count(*) FROM receipts`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d receipts (%v), want 1", n, err)
	}
}
