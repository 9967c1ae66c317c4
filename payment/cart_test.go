package payment_test

import (
	"context"
	"errors"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
)

func (e *env) cart(key, token string, fs ...notices.Fine) payment.CartPayment {
	p := payment.CartPayment{Token: token, IdempotencyKey: key}
	for _, f := range fs {
		p.Items = append(p.Items, payment.CartItem{NAV: f.Options[0].NAV, AmountCents: 2940})
	}
	return p
}

func TestPayCartReplayAndRefusals(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b, c := e.fine(), e.fine(), e.fine()
	tok := e.token("4242424242424242")

	// A declined card writes nothing.
	_, _, err := e.svc.PayCart(ctx, e.cart("key-declined", e.token(psp.CardDeclined), a, b))
	wantCode(t, err, psp.ECardDeclined)
	if e.fresh(a.ID).Status == notices.StatusPaid {
		t.Fatal("a declined cart paid a fine")
	}
	// The same fine twice, by either notice number, is refused.
	twice := e.cart("key-twice", tok, a)
	twice.Items = append(twice.Items, payment.CartItem{NAV: a.Options[1].NAV, AmountCents: 2940})
	_, _, err = e.svc.PayCart(ctx, twice)
	wantCode(t, err, notices.EValidation)

	rs, replayed, err := e.svc.PayCart(ctx, e.cart("key-ab", tok, a, b))
	if err != nil || replayed || len(rs) != 2 || rs[0].FineID != a.ID || rs[1].FineID != b.ID || rs[0].PSP.TransactionID != rs[1].PSP.TransactionID {
		t.Fatalf("cart: %v replayed=%v %+v", err, replayed, rs)
	}
	again, replayed, err := e.svc.PayCart(ctx, e.cart("key-ab", tok, a, b))
	if err != nil || !replayed || len(again) != 2 || again[0].ID != rs[0].ID || again[1].ID != rs[1].ID {
		t.Fatalf("replay: %v replayed=%v %+v", err, replayed, again)
	}
	_, _, err = e.svc.PayCart(ctx, e.cart("key-ab", tok, a, c))
	wantCode(t, err, notices.EIdempotencyConflict)
	// A paid fine refuses the cart whole, naming it, before the card.
	_, _, err = e.svc.PayCart(ctx, e.cart("key-bc", tok, c, b))
	var de *notices.Error
	if !errors.As(err, &de) || de.Code != notices.EAlreadyPaid || de.Details["fineId"] != b.ID {
		t.Fatalf("cart with a paid fine: %v", err)
	}
	if e.fresh(c.ID).Status == notices.StatusPaid {
		t.Fatal("half a cart was paid")
	}
}

func TestPayCartLostRaceVoidsTheAuthorization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a, b := e.fine(), e.fine()
	prov := &racingProvider{Sandbox: e.sandbox}
	prov.during = func() { // b is paid through pagoPA while the card is authorised
		if _, err := e.svc.RecordReceipt(ctx, pagoPA(b, "rt-cart-race", 2940, e.clock.Now())); err != nil {
			t.Errorf("RecordReceipt: %v", err)
		}
	}
	svc := payment.New(payment.Config{Store: e.store, Provider: prov, Settings: milan, Now: e.clock.Now})
	_, _, err := svc.PayCart(ctx, e.cart("key-race", e.token("4242424242424242"), a, b))
	var de *notices.Error
	if !errors.As(err, &de) || de.Code != notices.EAlreadyPaid || de.Details["fineId"] != b.ID {
		t.Fatalf("cart after b was paid elsewhere: %v, want already_paid naming b", err)
	}
	if st, err := e.sandbox.Status(prov.authID); err != nil || st != psp.StatusVoided {
		t.Fatalf("authorization %s is %s (%v), want voided", prov.authID, st, err)
	}
	if e.fresh(a.ID).Status == notices.StatusPaid {
		t.Fatal("a was paid by a cart that failed")
	}
}
