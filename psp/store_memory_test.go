package psp_test

import (
	"testing"
	"time"

	"github.com/multa/multa/psp"
)

// A sandbox on a MemoryStore keeps its state across a restart within the
// process, as demo seeding and the server share one store.
func TestMemoryStoreSharesStateBetweenSandboxes(t *testing.T) {
	var store psp.MemoryStore
	now := func() time.Time { return time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC) }
	a, err := psp.NewSandbox(psp.SandboxOptions{Store: &store, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := a.Tokenize(psp.CardRequest{Number: "4242424242424242", ExpMonth: 12, ExpYear: 2030, CVC: "123"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := psp.NewSandbox(psp.SandboxOptions{Store: &store, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Authorize(t.Context(), psp.AuthorizeRequest{Token: tok.Token, AmountCents: 100, Reference: "x", IdempotencyKey: "k-1"}); err != nil {
		t.Errorf("a token saved by one sandbox is unknown to the next: %v", err)
	}
}
