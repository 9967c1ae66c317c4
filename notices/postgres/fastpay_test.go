package postgres_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/internal/pgtest"
	"github.com/multa/multa/notices"
)

// TestFastPaymentsTwoStores: two stores (two processes) pay, at once, 60
// fines each from its own payers, and both pay 10 fines more that the
// other pays too. The fast path must be taken (one round trip per group)
// and miss when the other store appended to the ledger or paid the fine
// first; whatever path each payment took, every fine is paid exactly once
// with a receipt, the idempotency records are there, the ledger verifies
// and holds two records per payment, and the tallies count every payment.
func TestFastPaymentsTwoStores(t *testing.T) {
	ctx := context.Background()
	url := pgtest.NewDatabase(t)
	a, b := open(t, url, now), open(t, url, now)
	defer a.Close()
	defer b.Close()
	const own, shared = 60, 10
	var fines []*notices.Fine
	for i := range 2*own + shared {
		fines = append(fines, newFine(t, fmt.Sprintf("FP%05d", i), now().Add(-time.Duration(i+1)*time.Minute)))
	}
	if _, err := a.ImportFines(ctx, fines); err != nil {
		t.Fatal(err)
	}
	base, err := a.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	type job struct {
		st  interface{ FastStats() (int64, int64) }
		pay func(context.Context, notices.PaymentRecord) (notices.Receipt, error)
		i   int
		who string
	}
	var jobs []job
	for i := range fines {
		switch {
		case i < own:
			jobs = append(jobs, job{a, a.RecordPayment, i, "a"})
		case i < 2*own:
			jobs = append(jobs, job{b, b.RecordPayment, i, "b"})
		default:
			jobs = append(jobs, job{a, a.RecordPayment, i, "a"}, job{b, b.RecordPayment, i, "b"})
		}
	}
	paid := make([]int, len(fines))
	var mu sync.Mutex
	var wg sync.WaitGroup
	next := make(chan job)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				f := fines[j.i]
				id := fmt.Sprintf("r-%s-%05d", j.who, j.i)
				r := notices.Receipt{ID: id, NAV: f.Options[0].NAV, FineID: f.ID, AmountCents: 2940, PaidAt: now()}
				got, err := j.pay(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r,
					Idempotency: &notices.Idempotent{Scope: "payment:" + f.ID, Key: id, RequestHash: "h" + id, ResourceID: id}})
				switch notices.ErrorCode(err) {
				case "":
					if got.ID != id {
						t.Errorf("payment %s answered receipt %s", id, got.ID)
					}
					mu.Lock()
					paid[j.i]++
					mu.Unlock()
				case notices.EAlreadyPaid:
					if j.i < 2*own || got.ID == "" {
						t.Errorf("payment %s: %v (winner %q)", id, err, got.ID)
					}
				default:
					t.Errorf("payment %s: %v", id, err)
				}
			}
		}()
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
	for i, n := range paid {
		if n != 1 {
			t.Errorf("fine %d paid %d times", i, n)
		}
	}
	for _, st := range []interface{ FastStats() (int64, int64) }{a, b} {
		if c, _ := st.FastStats(); c == 0 {
			t.Errorf("a store never took the fast path")
		}
	}
	ca, ma := a.FastStats()
	cb, mb := b.FastStats()
	t.Logf("fast groups committed %d+%d, sent to the locked path %d+%d", ca, cb, ma, mb)
	if ma+mb == 0 {
		t.Errorf("the fast path never missed, though both stores appended and paid the same fines")
	}
	for _, st := range []interface {
		VerifyLedger(context.Context) error
	}{a, b} {
		if err := st.VerifyLedger(ctx); err != nil {
			t.Fatal(err)
		}
	}
	h, err := b.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := base.Size + 2*int64(len(fines)); h.Size != want {
		t.Errorf("ledger has %d records, want %d (two per payment)", h.Size, want)
	}
	var idem, receipts, tallied int64
	q := `SELECT (SELECT count(*) FROM idempotency), (SELECT count(*) FROM receipts), (SELECT coalesce(sum(payments), 0)::bigint FROM payment_tallies)`
	if err := a.Pool().QueryRow(ctx, q).Scan(&idem, &receipts, &tallied); err != nil {
		t.Fatal(err)
	}
	if n := int64(len(fines)); idem != n || receipts != n || tallied != n {
		t.Errorf("%d idempotency records, %d receipts, %d tallied payments; want %d each", idem, receipts, tallied, n)
	}
	for _, f := range fines {
		got, err := b.Fine(ctx, f.ID)
		if err != nil || got.Status != notices.StatusPaid || got.ReceiptID == "" {
			t.Errorf("fine %s: %v %s %q", f.ID, err, got.Status, got.ReceiptID)
		}
	}
}
