package main

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/multa/multa/internal/testkit"
)

// The raw generator against Multa itself: verify GETs answer 200, and
// every payment POST of a pre-verified pool is a receipt (201) that the
// store then holds, one per fine; past the pool, errors.
func TestRawOpenLoopAgainstMulta(t *testing.T) {
	ts := testkit.StartServer(t, testkit.ServerOptions{Clock: testkit.RunningClock()})
	fines := benchFines(t, 40, 5)
	if _, err := ts.Store.ImportFines(context.Background(), fines); err != nil {
		t.Fatal(err)
	}
	c := &api{base: ts.URL, hc: newHTTPClient(4)}
	pool := make([]fineItem, len(fines))
	amounts := make([]int64, len(fines))
	for i, f := range fines {
		pool[i].ID = f.ID
		for _, o := range f.Options {
			pool[i].Options = append(pool[i].Options, struct {
				Kind         string `json:"kind"`
				NoticeNumber string `json:"noticeNumber"`
			}{string(o.Kind), string(o.NAV)})
		}
		v, err := c.verify(pool[i].Options[0].NoticeNumber)
		if err != nil {
			t.Fatal(err)
		}
		amounts[i] = v.AmountDue.Cents
	}
	host := hostOf(ts.URL)
	h := &harness{}
	for _, f := range pool {
		h.navs = append(h.navs, f.Options[0].NoticeNumber)
	}
	r := rawOpenLoop(context.Background(), host, 200, 4, 300*time.Millisecond, nil, http.StatusOK, h.verifyRequest(host))
	if r.Errors != 0 || r.Ops != expected(200, 300*time.Millisecond) {
		t.Fatalf("verify: %d answered, %d errors, first %v", r.Ops, r.Errors, r.FirstErr)
	}

	p, err := newPayers(c, pool, amounts, 2, "raw")
	if err != nil {
		t.Fatal(err)
	}
	r = rawOpenLoop(context.Background(), host, 200, 4, 250*time.Millisecond, nil, http.StatusCreated, p.request(host))
	if want := expected(200, 250*time.Millisecond); r.Ops != int64(len(fines)) || r.Errors != want-int64(len(fines)) {
		t.Fatalf("payments: %d paid, %d errors (first %v); want %d paid and %d errors (pool dry)", r.Ops, r.Errors, r.FirstErr, len(fines), want-int64(len(fines)))
	}
	for _, f := range fines {
		got, err := ts.Store.Fine(context.Background(), f.ID)
		if err != nil || got.ReceiptID == "" {
			t.Fatalf("fine %s after its payment: receipt %q, %v", f.ID, got.ReceiptID, err)
		}
	}
}
