package payment_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
)

// gatedCapture is the real sandbox whose captures wait for gate to close,
// remembering the authorization they were asked for.
type gatedCapture struct {
	*psp.Sandbox
	gate    chan struct{}
	started chan string
}

func (p *gatedCapture) Capture(ctx context.Context, authID string) error {
	p.started <- authID
	<-p.gate
	return p.Sandbox.Capture(ctx, authID)
}

// With CaptureInBackground a card payment answers once its receipt is
// committed, while the capture is still running; WaitCaptures waits for
// that capture (and gives up with its context), after which the money is
// captured.
func TestCaptureInBackground(t *testing.T) {
	e := newEnv(t)
	f := e.fine()
	prov := &gatedCapture{Sandbox: e.sandbox, gate: make(chan struct{}), started: make(chan string, 1)}
	svc := payment.New(payment.Config{Store: e.store, Provider: prov, Settings: milan, Now: e.clock.Now, CaptureInBackground: true})
	type answer struct {
		rcptID string
		err    error
	}
	answered := make(chan answer, 1)
	go func() {
		r, _, err := svc.PayByCard(context.Background(), payment.CardPayment{NAV: f.Options[0].NAV, AmountCents: 2940,
			Token: e.token("4242424242424242"), IdempotencyKey: "background-1"})
		answered <- answer{r.ID, err}
	}()
	var a answer
	select {
	case a = <-answered:
	case <-time.After(10 * time.Second):
		close(prov.gate)
		t.Fatal("PayByCard waited for the capture")
	}
	if a.err != nil {
		t.Fatal(a.err)
	}
	if got := e.fresh(f.ID); got.ReceiptID != a.rcptID {
		t.Fatalf("fine settled by %q, want the answered receipt %s", got.ReceiptID, a.rcptID)
	}
	authID := <-prov.started
	if st, _ := e.sandbox.Status(authID); st != psp.StatusAuthorized {
		t.Fatalf("authorization is %s while its capture waits, want authorized", st)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := svc.WaitCaptures(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitCaptures with the capture held = %v, want the deadline", err)
	}
	close(prov.gate)
	if err := svc.WaitCaptures(context.Background()); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.sandbox.Status(authID); st != psp.StatusCaptured {
		t.Fatalf("authorization is %s after WaitCaptures, want captured", st)
	}
}

// Without it, the capture is done when PayByCard returns, and WaitCaptures
// has nothing to wait for.
func TestCaptureBeforeAnswer(t *testing.T) {
	e := newEnv(t)
	f := e.fine()
	prov := &gatedCapture{Sandbox: e.sandbox, gate: make(chan struct{}), started: make(chan string, 1)}
	close(prov.gate)
	svc := payment.New(payment.Config{Store: e.store, Provider: prov, Settings: milan, Now: e.clock.Now})
	if _, _, err := svc.PayByCard(context.Background(), payment.CardPayment{NAV: f.Options[0].NAV, AmountCents: 2940,
		Token: e.token("4242424242424242"), IdempotencyKey: "foreground-1"}); err != nil {
		t.Fatal(err)
	}
	if st, _ := e.sandbox.Status(<-prov.started); st != psp.StatusCaptured {
		t.Fatalf("authorization is %s when PayByCard returned, want captured", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := svc.WaitCaptures(ctx); err != nil {
		t.Fatalf("WaitCaptures with nothing running = %v", err)
	}
}
