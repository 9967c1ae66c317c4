package payment_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
)

func TestPayByCardExactlyOnceUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	f := e.fine()
	token := e.token("4242424242424242")
	const payers = 50
	type result struct {
		r        notices.Receipt
		replayed bool
		err      error
	}
	results := make([]result, payers)
	var wg sync.WaitGroup
	for i := range payers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nav := f.Options[i%2].NAV // either option settles the same fine
			key := fmt.Sprintf("payer-key-%02d", i%40)
			r, rep, err := e.svc.PayByCard(context.Background(), payment.CardPayment{
				NAV: nav, AmountCents: 2940, Token: token, IdempotencyKey: key})
			results[i] = result{r, rep, err}
		}()
	}
	wg.Wait()
	created, winner := 0, ""
	for _, r := range results {
		if r.err == nil && !r.replayed {
			created++
			winner = r.r.ID
		}
	}
	if created != 1 {
		t.Fatalf("%d payments created, want exactly 1", created)
	}
	for i, r := range results {
		var de *notices.Error
		switch {
		case r.err == nil && r.r.ID != winner:
			t.Errorf("payer %d got receipt %s, want %s", i, r.r.ID, winner)
		case r.err == nil:
		case errors.As(r.err, &de) && de.Code == notices.EAlreadyPaid:
			if de.Details["receiptId"] != winner {
				t.Errorf("payer %d: already_paid names %v, want %s", i, de.Details["receiptId"], winner)
			}
		case notices.ErrorCode(r.err) == notices.EIdempotencyConflict && i%2 != (i%40)%2:
			// the same key was first used with the other option's NAV
		default:
			t.Errorf("payer %d: %v", i, r.err)
		}
	}
	got := e.fresh(f.ID)
	if got.Status != notices.StatusPaid || got.ReceiptID != winner {
		t.Fatalf("fine = %s receipt %s, want paid by %s", got.Status, got.ReceiptID, winner)
	}
	rs, err := e.store.ReceiptsOfFine(context.Background(), f.ID)
	if err != nil || len(rs) != 1 || rs[0].Channel != notices.PaidViaCheckout || rs[0].Anomaly != "" {
		t.Fatalf("receipts of the fine = %+v, %v; want the one checkout receipt", rs, err)
	}
}

func TestPayByCardReplayConflictAndAmountChanged(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	nav := f.Options[0].NAV
	token := e.token("4242424242424242")

	_, _, err := e.svc.PayByCard(ctx, payment.CardPayment{NAV: nav, AmountCents: 4200, Token: token, IdempotencyKey: "attempt-1"})
	var de *notices.Error
	if !errors.As(err, &de) || de.Code != notices.EAmountChanged || de.Details["amountDue"].(notices.AmountDue).Cents != 2940 {
		t.Fatalf("stale amount: %v, want amount_changed with the amount due 2940", err)
	}
	_, _, err = e.svc.PayByCard(ctx, payment.CardPayment{NAV: nav, AmountCents: 2940, Token: e.token("4000000000000002"), IdempotencyKey: "attempt-2"})
	wantCode(t, err, "card_declined")
	if e.fresh(f.ID).Status != f.Status {
		t.Fatal("a decline changed the fine")
	}

	first, rep, err := e.svc.PayByCard(ctx, payment.CardPayment{NAV: nav, AmountCents: 2940, Token: token, Email: "m.rossi@example.it", IdempotencyKey: "attempt-3"})
	if err != nil || rep {
		t.Fatalf("pay: %v replayed=%v", err, rep)
	}
	if first.AmountCents != 2940 || first.Stage != notices.StageReduced || first.Email != "m.rossi@example.it" ||
		first.PSP.Name != psp.SandboxName || first.Method.Last4 != "4242" || first.Channel != notices.PaidViaCheckout {
		t.Errorf("receipt = %+v", first)
	}
	again, rep, err := e.svc.PayByCard(ctx, payment.CardPayment{NAV: nav, AmountCents: 2940, Token: token, Email: "m.rossi@example.it", IdempotencyKey: "attempt-3"})
	if err != nil || !rep || again.ID != first.ID || !again.PaidAt.Equal(first.PaidAt) {
		t.Fatalf("replay = %+v %v %v, want the first receipt replayed", again, rep, err)
	}
	_, _, err = e.svc.PayByCard(ctx, payment.CardPayment{NAV: nav, AmountCents: 2940, Token: token, IdempotencyKey: "attempt-3"})
	wantCode(t, err, notices.EIdempotencyConflict)
	_, _, err = e.svc.PayByCard(ctx, payment.CardPayment{NAV: nav, AmountCents: 2940, Token: token, IdempotencyKey: "attempt-4"})
	if !errors.As(err, &de) || de.Code != notices.EAlreadyPaid || de.Details["receiptId"] != first.ID {
		t.Fatalf("second key after payment: %v, want already_paid naming %s", err, first.ID)
	}
}

func TestPayByCardRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	token := e.token("4242424242424242")
	_, _, err := e.svc.PayByCard(ctx, payment.CardPayment{NAV: f.Options[0].NAV, Token: token, IdempotencyKey: "k-000001"})
	wantCode(t, err, notices.EValidation)
	_, _, err = e.svc.PayByCard(ctx, payment.CardPayment{NAV: "301000000000000000", AmountCents: 2940, Token: token, IdempotencyKey: "k-000002"})
	wantCode(t, err, notices.ENoticeNotFound)
	if _, err := e.store.UpdateFine(ctx, f.ID, func(x *notices.Fine) error { return x.Cancel("wrong plate", "super", e.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.svc.PayByCard(ctx, payment.CardPayment{NAV: f.Options[0].NAV, AmountCents: 2940, Token: token, IdempotencyKey: "k-000003"})
	wantCode(t, err, notices.EFineCancelled)
}

// racingProvider is the real sandbox with one twist: while it authorises
// a card, a pagoPA receipt for the same fine arrives and settles it.
type racingProvider struct {
	*psp.Sandbox
	during func()
	authID string
}

func (p *racingProvider) Authorize(ctx context.Context, req psp.AuthorizeRequest) (psp.Authorization, error) {
	a, err := p.Sandbox.Authorize(ctx, req)
	p.authID = a.ID
	if err == nil && p.during != nil {
		p.during()
	}
	return a, err
}

func TestPayByCardLostRaceVoidsTheAuthorization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	var settled payment.Recorded
	prov := &racingProvider{Sandbox: e.sandbox}
	prov.during = func() {
		var err error
		if settled, err = e.svc.RecordReceipt(ctx, pagoPA(f, "rt-race-1", 2940, e.clock.Now())); err != nil {
			t.Errorf("RecordReceipt during the authorization: %v", err)
		}
	}
	svc := payment.New(payment.Config{Store: e.store, Provider: prov, Settings: milan, Now: e.clock.Now})
	_, _, err := svc.PayByCard(ctx, payment.CardPayment{NAV: f.Options[0].NAV, AmountCents: 2940, Token: e.token("4242424242424242"), IdempotencyKey: "race-key-1"})
	var de *notices.Error
	if !errors.As(err, &de) || de.Code != notices.EAlreadyPaid || de.Details["receiptId"] != settled.Receipt.ID {
		t.Fatalf("card after the pagoPA receipt: %v, want already_paid naming %s", err, settled.Receipt.ID)
	}
	if st, err := e.sandbox.Status(prov.authID); err != nil || st != psp.StatusVoided {
		t.Fatalf("authorization %s is %s (%v), want voided", prov.authID, st, err)
	}
	if got := e.fresh(f.ID); got.ReceiptID != settled.Receipt.ID {
		t.Fatalf("fine settled by %s, want the pagoPA receipt %s", got.ReceiptID, settled.Receipt.ID)
	}
}

func TestQuote(t *testing.T) {
	e := newEnv(t)
	f := e.fine()
	got, due, err := e.svc.Quote(context.Background(), f.Options[1].NAV, notices.DateOf(e.clock.Now()))
	if err != nil || got.ID != f.ID || due.Cents != 2940 || due.Stage != notices.StageReduced {
		t.Fatalf("Quote today = %s %+v %v", got.ID, due, err)
	}
	_, due, _ = e.svc.Quote(context.Background(), f.Options[1].NAV, notices.DateOf(e.clock.Now()).AddDays(10))
	if due.Cents != 4200 || due.Stage != notices.StageMinimum {
		t.Fatalf("Quote in ten days = %+v, want 4200 minimum", due)
	}
	_, _, err = e.svc.Quote(context.Background(), "301000000000000000", notices.DateOf(e.clock.Now()))
	wantCode(t, err, notices.ENoticeNotFound)
}

// recordingProvider is the real sandbox, remembering every authorization
// it gave, so a test can check what became of each.
type recordingProvider struct {
	*psp.Sandbox
	mu    sync.Mutex
	auths map[string]bool
}

func (p *recordingProvider) Authorize(ctx context.Context, req psp.AuthorizeRequest) (psp.Authorization, error) {
	a, err := p.Sandbox.Authorize(ctx, req)
	if err == nil {
		p.mu.Lock()
		p.auths[a.ID] = true
		p.mu.Unlock()
	}
	return a, err
}

// Card payers and pagoPA receipts for one fine, all at once: exactly one
// payment settles it, no card is charged unless it is that one, and every
// pagoPA receipt that did not settle is kept, flagged for a refund.
func TestCardAndPagoPARaceSettleOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	prov := &recordingProvider{Sandbox: e.sandbox, auths: map[string]bool{}}
	svc := payment.New(payment.Config{Store: e.store, Provider: prov, Settings: milan, Now: e.clock.Now})
	token := e.token("4242424242424242")
	const cards, receipts = 20, 10
	var wg sync.WaitGroup
	cardErrs := make([]error, cards)
	recs := make([]payment.Recorded, receipts)
	for i := range cards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, cardErrs[i] = svc.PayByCard(ctx, payment.CardPayment{NAV: f.Options[0].NAV, AmountCents: 2940, Token: token, IdempotencyKey: fmt.Sprintf("card-%02d", i)})
		}()
	}
	for i := range receipts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if recs[i], err = svc.RecordReceipt(ctx, pagoPA(f, fmt.Sprintf("rt-%02d", i), 2940, e.clock.Now())); err != nil {
				t.Errorf("receipt %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	settled := e.fresh(f.ID).ReceiptID
	winners := 0
	for i, err := range cardErrs {
		switch notices.ErrorCode(err) {
		case "":
			winners++
		case notices.EAlreadyPaid:
		default:
			t.Errorf("card %d: %v", i, err)
		}
	}
	for _, r := range recs {
		if r.Receipt.ID == settled {
			winners++
			continue
		}
		if r.Receipt.Anomaly != notices.AnomalyDoublePayment || r.Receipt.RefundCents != 2940 {
			t.Errorf("pagoPA receipt %s after the settlement: %q refund %d", r.Receipt.ID, r.Receipt.Anomaly, r.Receipt.RefundCents)
		}
	}
	if winners != 1 {
		t.Fatalf("%d payments settled the fine, want 1", winners)
	}
	captured := 0
	for id := range prov.auths {
		switch st, _ := e.sandbox.Status(id); st {
		case psp.StatusCaptured:
			captured++
		case psp.StatusVoided:
		default:
			t.Errorf("authorization %s left %s", id, st)
		}
	}
	rs, err := e.store.ReceiptsOfFine(ctx, f.ID)
	if err != nil || len(rs) != captured+receipts {
		t.Fatalf("receipts of the fine = %d (%v), want %d card + %d pagoPA", len(rs), err, captured, receipts)
	}
	first, err := e.store.Receipt(ctx, settled)
	if err != nil || captured > 1 || (captured == 1) != (first.Channel == notices.PaidViaCheckout) {
		t.Fatalf("%d cards captured; the settling receipt came by %s (%v)", captured, first.Channel, err)
	}
}

// flakySandbox is the real sandbox whose Fail hook fails the named
// operations once each; its records are kept in mem, for counting.
func flakySandbox(t *testing.T, e *env, mem *psp.MemoryStore, ops ...string) *psp.Sandbox {
	t.Helper()
	var mu sync.Mutex
	pending := map[string]bool{}
	for _, op := range ops {
		pending[op] = true
	}
	sb, err := psp.NewSandbox(psp.SandboxOptions{Now: e.clock.Now, Store: mem, Fail: func(op string) error {
		mu.Lock()
		defer mu.Unlock()
		if pending[op] {
			delete(pending, op)
			return psp.Unavailable(op)
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	return sb
}

// The provider authorised the card but its answer was lost: the payer's
// retry with the same key gets that same authorization, so the fine is
// settled once and one authorization is captured.
func TestPayByCardRetryAfterLostAuthorization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	mem := &psp.MemoryStore{}
	sb := flakySandbox(t, e, mem, psp.OpAuthorizeAfter)
	prov := &recordingProvider{Sandbox: sb, auths: map[string]bool{}}
	svc := payment.New(payment.Config{Store: e.store, Provider: prov, Settings: milan, Now: e.clock.Now})
	tk, err := sb.Tokenize(psp.CardRequest{Number: psp.CardApproved, ExpMonth: 12, ExpYear: 2030, CVC: "123"})
	if err != nil {
		t.Fatal(err)
	}
	p := payment.CardPayment{NAV: f.Options[0].NAV, AmountCents: 2940, Token: tk.Token, IdempotencyKey: "lost-answer-1"}
	_, _, err = svc.PayByCard(ctx, p)
	wantCode(t, err, psp.EUnavailable)
	if got := e.fresh(f.ID); got.Status == notices.StatusPaid {
		t.Fatal("a failed attempt settled the fine")
	}
	r, replayed, err := svc.PayByCard(ctx, p)
	if err != nil || replayed {
		t.Fatalf("retry: %v (replayed %v)", err, replayed)
	}
	held := 0
	_ = mem.Each(func(key string, _ []byte) error {
		if strings.HasPrefix(key, "auth:") { // the sandbox's record of an authorization
			held++
		}
		return nil
	})
	if held != 1 || len(prov.auths) != 1 {
		t.Fatalf("the provider holds %d authorizations (%d answered), want the one the lost answer held", held, len(prov.auths))
	}
	for id := range prov.auths {
		if st, _ := sb.Status(id); st != psp.StatusCaptured {
			t.Errorf("authorization %s is %s, want captured", id, st)
		}
	}
	if got := e.fresh(f.ID); got.ReceiptID != r.ID {
		t.Errorf("fine settled by %q, want %s", got.ReceiptID, r.ID)
	}
}

// A capture that fails after the receipt is written leaves the receipt
// standing: the payer was authorised and the fine is settled, and
// reconciliation reports the missing settlement line.
func TestPayByCardCaptureFailureKeepsTheReceipt(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	f := e.fine()
	sb := flakySandbox(t, e, &psp.MemoryStore{}, psp.OpCapture)
	svc := payment.New(payment.Config{Store: e.store, Provider: sb, Settings: milan, Now: e.clock.Now})
	tk, err := sb.Tokenize(psp.CardRequest{Number: psp.CardApproved, ExpMonth: 12, ExpYear: 2030, CVC: "123"})
	if err != nil {
		t.Fatal(err)
	}
	r, _, err := svc.PayByCard(ctx, payment.CardPayment{NAV: f.Options[0].NAV, AmountCents: 2940, Token: tk.Token, IdempotencyKey: "capture-fails"})
	if err != nil {
		t.Fatalf("PayByCard with a failing capture: %v", err)
	}
	if got := e.fresh(f.ID); got.Status != notices.StatusPaid || got.ReceiptID != r.ID {
		t.Fatalf("fine = %s %q, want paid by %s", got.Status, got.ReceiptID, r.ID)
	}
}
