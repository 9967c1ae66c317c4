package boltdb_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

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

// env is one store on a temporary file with its clock.
type env struct {
	t     testing.TB
	path  string
	clock *clock
	st    *boltdb.Store
}

func newEnv(t testing.TB) *env {
	t.Helper()
	e := &env{t: t, path: filepath.Join(t.TempDir(), "multa.db"), clock: &clock{t: rome(2026, 3, 10, 10, 0)}}
	e.open()
	t.Cleanup(func() {
		if e.st != nil {
			e.st.Close()
		}
	})
	return e
}

func (e *env) open() {
	e.t.Helper()
	st, err := boltdb.Open(e.path, boltdb.Options{Now: e.clock.Now})
	if err != nil {
		e.t.Fatalf("Open(%s): %v", e.path, err)
	}
	e.st = st
}

func (e *env) reopen() {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatalf("Close: %v", err)
	}
	e.st = nil
	e.open()
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
