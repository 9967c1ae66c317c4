// Package storetest is the conformance suite of notices.Store: one set of
// black-box tests that every adapter (bbolt, PostgreSQL) runs from its own
// tests with Run. A behaviour that differs between two adapters is a bug
// in one of them, so a behaviour belongs here unless it is about one
// adapter's internals (file locks, tampering with the raw storage).
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// Opener opens a new, empty store of the adapter under test whose clock is
// now and whose ImportFines writes chunks of 64 fines (so that the import
// test crosses chunks); it returns the store with reopen, which closes
// the store it was given and opens the same database again (a restart of
// the process). The suite closes the last store itself.
type Opener func(t *testing.T, now func() time.Time) (st notices.Store, reopen func(st notices.Store) notices.Store)

// current is the adapter Run is testing. Run is called once per test
// binary from a top-level test, never in parallel, so one variable is
// enough and keeps the moved tests as they were.
var (
	currentMu sync.Mutex
	current   Opener
)

// Run runs every conformance test against the adapter open opens, each as
// a subtest of t.
func Run(t *testing.T, open Opener) {
	currentMu.Lock()
	defer currentMu.Unlock()
	current = open
	defer func() { current = nil }()
	for _, c := range tests {
		t.Run(c.name, c.fn)
	}
}

// tests lists the suite. Add a test here when you add one to the package.
var tests = []struct {
	name string
	fn   func(*testing.T)
}{
	{"ReopenKeepsEverything", testReopenKeepsEverything},
	{"ReportNumbersPerRomeYear", testReportNumbersPerRomeYear},
	{"ConcurrentPaymentsExactlyOnce", testConcurrentPaymentsExactlyOnce},
	{"RecordPaymentRefusals", testRecordPaymentRefusals},
	{"FineAndIdempotency", testFineAndIdempotency},
	{"CreateFineIdempotency", testCreateFineIdempotency},
	{"CreateFineNAVTakenThenRetry", testCreateFineNAVTakenThenRetry},
	{"ConcurrentCreateFineBatches", testConcurrentCreateFineBatches},
	{"UpdateFine", testUpdateFine},
	{"OutstandingFines", testOutstandingFines},
	{"OutstandingTallies", testOutstandingTallies},
	{"ReceiptsByRomeDay", testReceiptsByRomeDay},
	{"Users", testUsers},
	{"RefreshTokenRotationAndReuse", testRefreshTokenRotationAndReuse},
	{"ContextCancelled", testContextCancelled},
	{"FineRoundTripsEveryField", testFineRoundTripsEveryField},
	{"ListFinesPagesAndFilters", testListFinesPagesAndFilters},
	{"ListFinesLimitsAndCursors", testListFinesLimitsAndCursors},
	{"PlatePartSearchSeesNewWrites", testPlatePartSearchSeesNewWrites},
	{"ImportFines", testImportFines},
	{"ImportRefusesADetectionTwice", testImportRefusesADetectionTwice},
	{"UpdateUserRevokesSessions", testUpdateUserRevokesSessions},
	{"UpdateUserRefusals", testUpdateUserRefusals},
	{"UpdateUserCountsOtherAdmins", testUpdateUserCountsOtherAdmins},
	{"RecordReceiptDecidesInsideTheTransaction", testRecordReceiptDecidesInsideTheTransaction},
	{"FineHistoryFollowsTheLedger", testFineHistoryFollowsTheLedger},
	{"FlowRevisionsWithdrawalAndHistory", testFlowRevisionsWithdrawalAndHistory},
	{"ReceiptProofVerifiesWithTlogAlone", testReceiptProofVerifiesWithTlogAlone},
	{"LedgerExtendsPublishedHead", testLedgerExtendsPublishedHead},
	{"LedgerConsistencyProofs", testLedgerConsistencyProofs},
	{"CartPaysAllOrNothing", testCartPaysAllOrNothing},
	{"ConcurrentCartsShareAFine", testConcurrentCartsShareAFine},
	{"PhotosStoredWithTheFine", testPhotosStoredWithTheFine},
}

var (
	catalogue = notices.DefaultCatalogue()
	settings  = notices.Settings{
		Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
		Segregation: "01",
		Fees:        notices.DefaultFees,
	}
)

// rome builds an instant on Rome's wall clock.
func rome(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, notices.Rome)
}

// clock is an injectable, settable clock shared by a store and a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// env is one store of the adapter under test with its clock.
type env struct {
	t      testing.TB
	clock  *clock
	st     notices.Store
	reopen func()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	if current == nil {
		t.Fatal("storetest: tests run only through storetest.Run")
	}
	e := &env{t: t, clock: &clock{t: rome(2026, 3, 10, 10, 0)}}
	st, reopen := current(t, e.clock.Now)
	e.st = st
	e.reopen = func() {
		t.Helper()
		e.st = reopen(e.st)
	}
	t.Cleanup(func() {
		if e.st != nil {
			e.st.Close()
		}
	})
	return e
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

func ids(fs []notices.Fine) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

func receiptID(i int) string { return fmt.Sprintf("r%031d", i) }
