package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/multa/multa/notices"
)

// cartOf builds the record of a cart paying fines, receipts named prefix-i.
func (e *env) cartOf(prefix, key string, fs ...notices.Fine) notices.CartRecord {
	c := notices.CartRecord{Idempotency: &notices.Idempotent{Scope: "cart", Key: key, RequestHash: "h-" + key}}
	for i, f := range fs {
		c.Payments = append(c.Payments, notices.PaymentRecord{FineID: f.ID, Receipt: e.receipt(f, fmt.Sprintf("%s-%d", prefix, i), 2940)})
	}
	return c
}

// testCartPaysAllOrNothing: a cart settles each fine with its own receipt
// and one idempotency record; a cart with one fine already paid or
// cancelled writes nothing at all and names that fine.
func testCartPaysAllOrNothing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	a := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	b := e.create("AB123CD", "7-15", rome(2026, 3, 9, 12, 0), notices.ContestImmediate)
	c := e.create("AB123CD", "7-15", rome(2026, 3, 9, 13, 0), notices.ContestImmediate)
	d := e.create("AB123CD", "7-15", rome(2026, 3, 9, 14, 0), notices.ContestImmediate)

	rs, err := e.st.RecordCart(ctx, e.cartOf("ab", "key-ab", a, b))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 2 || rs[0].FineID != a.ID || rs[1].FineID != b.ID {
		t.Fatalf("receipts = %+v", rs)
	}
	for i, f := range []notices.Fine{a, b} {
		got, err := e.st.Fine(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != notices.StatusPaid || got.ReceiptID != rs[i].ID {
			t.Errorf("fine %d = %s/%s, want paid/%s", i, got.Status, got.ReceiptID, rs[i].ID)
		}
	}
	rec, err := e.st.Idempotency(ctx, "cart", "key-ab")
	if err != nil || rec == nil || rec.ResourceID != "ab-0,ab-1" {
		t.Fatalf("idempotency record = %+v, %v; want resource ab-0,ab-1", rec, err)
	}
	head, _ := e.st.LedgerHead(ctx)

	// b is paid: a cart of c and b writes nothing, not even c's receipt.
	_, err = e.st.RecordCart(ctx, e.cartOf("cb", "key-cb", c, b))
	wantCode(t, err, notices.EAlreadyPaid)
	var de *notices.Error
	if !asError(err, &de) || de.Details["fineId"] != b.ID || de.Details["receiptId"] != "ab-1" {
		t.Errorf("refusal = %#v, want it to name fine %s and receipt ab-1", err, b.ID)
	}
	if _, err := e.st.UpdateFine(ctx, d.ID, func(f *notices.Fine) error { return f.Cancel("wrong plate", "capo", e.clock.Now()) }); err != nil {
		t.Fatal(err)
	}
	head, _ = e.st.LedgerHead(ctx)
	_, err = e.st.RecordCart(ctx, e.cartOf("cd", "key-cd", c, d))
	wantCode(t, err, notices.EFineCancelled)
	if got, _ := e.st.Fine(ctx, c.ID); got.Status == notices.StatusPaid {
		t.Errorf("fine c is paid after refused carts")
	}
	for _, id := range []string{"cb-0", "cd-0"} {
		if _, err := e.st.Receipt(ctx, id); notices.ErrorCode(err) != notices.EReceiptNotFound {
			t.Errorf("receipt %s of a refused cart: %v", id, err)
		}
	}
	for _, k := range []string{"key-cb", "key-cd"} {
		if rec, _ := e.st.Idempotency(ctx, "cart", k); rec != nil {
			t.Errorf("refused cart %s left an idempotency record", k)
		}
	}
	if h, _ := e.st.LedgerHead(ctx); h.Size != head.Size {
		t.Errorf("ledger grew from %d to %d on a refused cart", head.Size, h.Size)
	}

	// The same key for another cart is refused; a fine twice, an empty
	// cart and a missing fine are refused before anything is written.
	bad := e.cartOf("x", "key-ab", c)
	bad.Idempotency.RequestHash = "other"
	_, err = e.st.RecordCart(ctx, bad)
	wantCode(t, err, notices.EIdempotencyConflict)
	_, err = e.st.RecordCart(ctx, e.cartOf("cc", "key-cc", c, c))
	wantCode(t, err, notices.EValidation)
	_, err = e.st.RecordCart(ctx, notices.CartRecord{})
	wantCode(t, err, notices.EValidation)
	ghost := c
	ghost.ID = "nope"
	_, err = e.st.RecordCart(ctx, e.cartOf("g", "key-g", c, ghost))
	wantCode(t, err, notices.EFineNotFound)
	if got, _ := e.st.Fine(ctx, c.ID); got.Status == notices.StatusPaid {
		t.Errorf("fine c is paid by a refused cart")
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

// testConcurrentCartsShareAFine: 50 carts, each paying the shared fine and
// a fine of its own, at once: the shared fine is paid once, by exactly
// one cart, and every other cart left its own fine unpaid.
func testConcurrentCartsShareAFine(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	shared := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	const n = 50
	own := make([]notices.Fine, n)
	for i := range own {
		own[i] = e.create("AB123CD", "7-15", rome(2026, 3, 8, 8, i), notices.ContestImmediate)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c := e.cartOf(fmt.Sprintf("c%02d", i), fmt.Sprintf("key-%02d", i), own[i], shared)
			if i%2 == 1 { // the shared fine first in half of the carts
				c.Payments[0], c.Payments[1] = c.Payments[1], c.Payments[0]
			}
			_, errs[i] = e.st.RecordCart(ctx, c)
		}()
	}
	close(start)
	wg.Wait()
	winners := 0
	for i, err := range errs {
		got, ferr := e.st.Fine(ctx, own[i].ID)
		if ferr != nil {
			t.Fatal(ferr)
		}
		switch {
		case err == nil:
			winners++
			if got.Status != notices.StatusPaid {
				t.Errorf("cart %d succeeded but its own fine is %s", i, got.Status)
			}
		default:
			wantCode(t, err, notices.EAlreadyPaid)
			if got.Status == notices.StatusPaid {
				t.Errorf("cart %d was refused but its own fine is paid: half-paid", i)
			}
		}
	}
	if winners != 1 {
		t.Fatalf("%d carts paid the shared fine, want exactly 1", winners)
	}
	rs, err := e.st.ReceiptsOfFine(ctx, shared.ID)
	if err != nil || len(rs) != 1 {
		t.Fatalf("receipts of the shared fine = %d, %v; want 1", len(rs), err)
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

// testPhotosStoredWithTheFine: photos are numbered, described in the fine
// with their hash, read back byte for byte after a reopen, and a change
// that fails stores neither the photos nor the change.
func testPhotosStoredWithTheFine(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	jpeg1, jpeg2 := bytes.Repeat([]byte{0xff, 1}, 100), bytes.Repeat([]byte{0xff, 2}, 300)
	got, err := e.st.SavePhotos(ctx, f.ID, []notices.NewPhoto{
		{JPEG: jpeg1, Width: 10, Height: 20, Source: notices.PhotoByOfficer, AddedBy: "agente1"},
		{JPEG: jpeg2, Width: 30, Height: 40, Source: notices.PhotoByOfficer, AddedBy: "agente1"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Photos) != 2 || got.Photos[1].N != 2 || got.Photos[1].Bytes != len(jpeg2) || len(got.Photos[0].SHA256) != 64 {
		t.Fatalf("photos = %+v", got.Photos)
	}
	// A driver's review with an attachment: one transaction.
	got, err = e.st.SavePhotos(ctx, f.ID, []notices.NewPhoto{{JPEG: jpeg1, Width: 1, Height: 1, Source: notices.PhotoByDriver}},
		func(f *notices.Fine, added []int) error {
			return f.SubmitReview("The sign was covered by a tree.", added, e.clock.Now())
		})
	if err != nil {
		t.Fatal(err)
	}
	if r := got.PendingReview(); r == nil || len(r.Attachments) != 1 || r.Attachments[0] != 3 {
		t.Fatalf("review = %+v", got.Reviews)
	}
	// A second review while one waits fails: its photo is not stored.
	_, err = e.st.SavePhotos(ctx, f.ID, []notices.NewPhoto{{JPEG: jpeg2, Width: 1, Height: 1, Source: notices.PhotoByDriver}},
		func(f *notices.Fine, added []int) error {
			return f.SubmitReview("Another request meanwhile.", added, e.clock.Now())
		})
	wantCode(t, err, notices.EInvalidTransition)
	e.reopen()
	if _, err := e.st.PhotoJPEG(ctx, f.ID, 4); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("photo of a refused change: %v, want not_found", err)
	}
	for n, want := range map[int][]byte{1: jpeg1, 2: jpeg2, 3: jpeg1} {
		b, err := e.st.PhotoJPEG(ctx, f.ID, n)
		if err != nil || !bytes.Equal(b, want) {
			t.Errorf("photo %d = %d bytes, %v", n, len(b), err)
		}
	}
	if _, err := e.st.PhotoJPEG(ctx, "nope", 1); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("photo of an unknown fine: %v", err)
	}
	again, err := e.st.Fine(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, again.Photos) != jsonOf(t, got.Photos) || !strings.Contains(jsonOf(t, again.Reviews), "covered by a tree") {
		t.Errorf("after reopen: photos %s reviews %s", jsonOf(t, again.Photos), jsonOf(t, again.Reviews))
	}
	_, err = e.st.SavePhotos(ctx, f.ID, []notices.NewPhoto{{JPEG: jpeg1, Width: 1, Height: 1, Source: "stranger"}}, nil)
	wantCode(t, err, notices.EValidation)
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

func asError(err error, target **notices.Error) bool { return errors.As(err, target) }
