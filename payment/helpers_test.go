package payment_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
)

var milan = notices.Settings{
	Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
	Segregation: "01",
	Fees:        notices.DefaultFees,
	Calendar:    notices.Calendar{PatronMonth: time.December, PatronDay: 7},
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

func rome(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, notices.Rome)
}

// env is the use case over a real bbolt file and the real sandbox PSP.
type env struct {
	t       *testing.T
	clock   *clock
	store   *boltdb.Store
	sandbox *psp.Sandbox
	svc     *payment.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := &clock{t: rome(2026, 11, 3, 9, 0)}
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "multa.db"), boltdb.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := psp.NewSandbox(psp.SandboxOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, clock: clk, store: st, sandbox: sb}
	e.svc = payment.New(payment.Config{Store: st, Provider: sb, Settings: milan, Now: clk.Now})
	t.Cleanup(func() {
		if err := st.VerifyLedger(context.Background()); err != nil {
			t.Errorf("ledger after the test: %v", err)
		}
		st.Close()
	})
	return e
}

// fine issues a parking fine contested on the spot an hour ago: payable
// now at €29.40 (reduced), €42.00 after five days.
func (e *env) fine() notices.Fine {
	e.t.Helper()
	f, err := notices.NewFine(notices.FineRequest{
		Plate: "AB123CD", ViolationCode: "7-15", OccurredAt: e.clock.Now().Add(-time.Hour),
		Place: "Via Torino 1, Milano", Contestation: notices.ContestImmediate, Officer: "agente1",
	}, notices.DefaultCatalogue(), milan, e.clock.Now(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.CreateFine(context.Background(), f, nil); err != nil {
		e.t.Fatal(err)
	}
	return *f
}

func (e *env) token(number string) string {
	e.t.Helper()
	tk, err := e.sandbox.Tokenize(psp.CardRequest{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: "123", Holder: "Mario Rossi"})
	if err != nil {
		e.t.Fatal(err)
	}
	return tk.Token
}

func (e *env) fresh(id string) notices.Fine {
	e.t.Helper()
	f, err := e.store.Fine(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := notices.ErrorCode(err); got != code {
		t.Fatalf("error code = %q (%v), want %q", got, err, code)
	}
}

// pagoPA builds a receipt as the station passes it on from paSendRTV2.
func pagoPA(f notices.Fine, receiptID string, cents int64, at time.Time) notices.Receipt {
	return notices.Receipt{
		NAV: f.Options[0].NAV, AmountCents: cents,
		PagoPA: &notices.PagoPAReceipt{
			ReceiptID: receiptID, NoticeNumber: string(f.Options[0].NAV), FiscalCode: milan.Creditor.FiscalCode,
			CreditorReferenceID: string(f.Options[0].NAV)[1:], PaymentAmountCents: cents,
			IDPSP: "BCITITMM", PSPCompanyName: "Intesa Sanpaolo", IDChannel: "BCITITMM_01", ChannelDescription: "app",
			PaymentMethod: "card", FeeCents: 100, PaymentDateTime: at,
			Debtor: notices.PagoPASubject{EntityType: "F", UniqueID: "RSSMRA80A01F205X", FullName: "Mario Rossi"},
			Transfers: []notices.PagoPATransfer{{IDTransfer: 1, AmountCents: cents, FiscalCodePA: milan.Creditor.FiscalCode,
				IBAN: "IT60X0542811101000000123456", RemittanceInformation: "Verbale", TransferCategory: "9/0301109AP"}},
		},
	}
}
