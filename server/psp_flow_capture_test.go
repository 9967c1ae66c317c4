package server_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/multa/multa/fdr"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
	"github.com/multa/multa/server"
)

// slowCapture is the real sandbox taking its time over every capture.
type slowCapture struct {
	*psp.Sandbox
	delay time.Duration
}

func (p slowCapture) Capture(ctx context.Context, authID string) error {
	time.Sleep(p.delay)
	return p.Sandbox.Capture(ctx, authID)
}

// With captures in the background (as multa serve runs), a payment
// answered before the provider's flow is asked for is in that flow: the
// flow waits for the captures still running.
func TestPSPFlowWaitsForBackgroundCaptures(t *testing.T) {
	e := newEnvWith(t, rome("2026-03-10 09:00:00"), func(c *server.Config) {
		c.Payments = payment.New(payment.Config{Store: c.Store, Settings: c.Settings, Now: c.Now, CaptureInBackground: true,
			Provider: slowCapture{Sandbox: c.Sandbox, delay: 300 * time.Millisecond}})
	})
	f := e.fines(1)[0]
	nav, cents := e.due(f)
	body := map[string]any{"amountCents": cents, "token": e.cardToken("4242424242424242")}
	if r := e.do("POST", "/api/v1/notices/"+string(nav)+"/payments", body, "Idempotency-Key", "flow-wait-0001"); r.status != 201 {
		t.Fatalf("pay: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/api/v1/reconciliation/psp-flow?date=2026-03-10", nil, "Authorization", e.login("money"))
	if r.status != 200 {
		t.Fatalf("psp-flow right after the payment: %d %s", r.status, r.body)
	}
	sf, err := fdr.DecodeXML(bytes.NewReader(r.body))
	if err != nil || len(sf.Lines) != 1 || sf.Lines[0].AmountCents != cents {
		t.Fatalf("the sandbox's flow: %+v, %v; want the one payment of %d cents", sf.Lines, err, cents)
	}
}
