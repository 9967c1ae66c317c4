package boltdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

var (
	catalogue = notices.DefaultCatalogue()
	settings  = testkit.Milan
)

// rome builds an instant on Rome's wall clock.
var rome = testkit.Rome

// env is one store on a temporary file with its clock; the store checks
// the file and the ledger when the test ends.
type env struct {
	t     testing.TB
	path  string
	clock *testkit.Clock
	st    *testkit.Store
}

func newEnv(t testing.TB) *env {
	t.Helper()
	clk := testkit.NewClock(rome(2026, 3, 10, 10, 0))
	st := testkit.NewStore(t, clk)
	return &env{t: t, path: st.Path(), clock: clk, st: st}
}

func (e *env) reopen() {
	e.t.Helper()
	e.st.Reopen()
}

// fineAt builds (without saving) a valid fine from the domain.
func (e *env) fineAt(plate, code string, at time.Time, c notices.Contestation) *notices.Fine {
	e.t.Helper()
	f, err := notices.NewFine(notices.FineRequest{
		Plate: plate, ViolationCode: code, OccurredAt: at,
		Place: "Via Torino 1, Milano", Contestation: c, Officer: "agente1",
	}, catalogue, settings, e.clock.Now(), nil)
	if err != nil {
		e.t.Fatalf("NewFine: %v", err)
	}
	return f
}

// create saves a fine and fails the test on error.
func (e *env) create(plate, code string, at time.Time, c notices.Contestation) notices.Fine {
	e.t.Helper()
	f := e.fineAt(plate, code, at, c)
	if _, err := e.st.CreateFine(context.Background(), f, nil); err != nil {
		e.t.Fatalf("CreateFine: %v", err)
	}
	return *f
}

func (e *env) receipt(f notices.Fine, id string, cents int64) notices.Receipt {
	return notices.Receipt{
		ID: id, NAV: f.Options[0].NAV, FineID: f.ID, ReportNumber: f.ReportNumber,
		Creditor: settings.Creditor, AmountCents: cents, SanctionCents: cents, Stage: notices.StageReduced,
		PaidAt: e.clock.Now(), PSP: notices.PSPRef{Name: "sandbox", TransactionID: "tx-" + id},
		Method: notices.CardMethod{Brand: "visa", Last4: "4242"},
	}
}

func (e *env) pay(f notices.Fine, id string, cents int64) notices.Receipt {
	e.t.Helper()
	r, err := e.st.RecordPayment(context.Background(), notices.PaymentRecord{FineID: f.ID, Receipt: e.receipt(f, id, cents)})
	if err != nil {
		e.t.Fatalf("RecordPayment(%s): %v", id, err)
	}
	return r
}

// jsonOf is how tests compare domain values: time.Time values that are
// equal instants in the same offset marshal the same, whatever their
// *time.Location pointer or monotonic reading.
func jsonOf(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if got := notices.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

func receiptID(i int) string { return fmt.Sprintf("r%031d", i) }
