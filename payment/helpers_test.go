package payment_test

import (
	"context"
	"testing"
	"time"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
)

var milan = testkit.Milan

// env is the use case over a real bbolt file (checked and ledger-verified
// at cleanup by the test kit) and the real sandbox PSP.
type env struct {
	t       *testing.T
	clock   *testkit.Clock
	store   *testkit.Store
	sandbox *psp.Sandbox
	svc     *payment.Service
}

func newEnv(t *testing.T) *env {
	t.Helper()
	clk := testkit.NewClock(testkit.Rome(2026, 11, 3, 9, 0))
	st := testkit.NewStore(t, clk)
	sb := testkit.NewSandbox(t, clk)
	e := &env{t: t, clock: clk, store: st, sandbox: sb}
	e.svc = payment.New(payment.Config{Store: st, Provider: sb, Settings: milan, Now: clk.Now})
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
