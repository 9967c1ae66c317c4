package storetest

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

func testReopenKeepsEverything(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f1 := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	f2 := e.create("EF456GH", "142-8", rome(2026, 3, 8, 23, 30), notices.ContestDeferred)
	r := e.pay(f1, receiptID(1), 2940)
	if err := e.st.CreateUser(ctx, notices.User{Username: "anna", Role: notices.RoleOfficer, PasswordHash: "h"}); err != nil {
		t.Fatal(err)
	}
	tok := notices.RefreshToken{Hash: "t1", Username: "anna", Family: "fam", ExpiresAt: rome(2026, 4, 1, 0, 0)}
	if err := e.st.SaveRefreshToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	idem := &notices.Idempotent{Scope: "fine:anna", Key: "k-12345678", RequestHash: "h1"}
	f3 := e.fineAt("IJ789KL", "7-14", rome(2026, 3, 9, 12, 0), notices.ContestDeferred)
	if _, err := e.st.CreateFine(ctx, f3, idem); err != nil {
		t.Fatal(err)
	}
	headBefore, err := e.st.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}

	e.reopen()

	got1, err := e.st.Fine(ctx, f1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got1.Status != notices.StatusPaid || got1.ReceiptID != r.ID {
		t.Errorf("paid fine after reopen: status %s receipt %s, want paid %s", got1.Status, got1.ReceiptID, r.ID)
	}
	got2, err := e.st.FineByNAV(ctx, f2.Options[1].NAV)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, got2) != jsonOf(t, f2) {
		t.Errorf("fine after reopen:\n got %s\nwant %s", jsonOf(t, got2), jsonOf(t, f2))
	}
	if got2.OccurredAt.Location() != notices.Rome {
		t.Errorf("OccurredAt location = %v, want Europe/Rome", got2.OccurredAt.Location())
	}
	gotR, err := e.st.Receipt(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, gotR) != jsonOf(t, r) {
		t.Errorf("receipt after reopen:\n got %s\nwant %s", jsonOf(t, gotR), jsonOf(t, r))
	}
	if u, err := e.st.User(ctx, "anna"); err != nil || u.Role != notices.RoleOfficer {
		t.Errorf("User(anna) = %+v, %v", u, err)
	}
	if got, err := e.st.RefreshToken(ctx, "t1"); err != nil || got.Family != "fam" {
		t.Errorf("RefreshToken(t1) = %+v, %v", got, err)
	}
	if got, err := e.st.Idempotency(ctx, "fine:anna", "k-12345678"); err != nil || got == nil || got.ResourceID != f3.ID || got.RequestHash != "h1" {
		t.Errorf("Idempotency = %+v, %v", got, err)
	}
	headAfter, err := e.st.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if headAfter != headBefore {
		t.Errorf("ledger head after reopen = %+v, want %+v", headAfter, headBefore)
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Errorf("VerifyLedger: %v", err)
	}
	// The per-year counter survives too.
	f4 := e.create("MN012OP", "7-15", rome(2026, 3, 10, 9, 0), notices.ContestDeferred)
	if f4.ReportNumber != "2026/000004" {
		t.Errorf("report number after reopen = %s, want 2026/000004", f4.ReportNumber)
	}
}

func testReportNumbersPerRomeYear(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		at   time.Time
		want string
	}{
		{rome(2025, 12, 31, 10, 0), "2025/000001"},
		// 00:30 in Rome on New Year's Day is still 2025 in UTC: Rome decides.
		{rome(2026, 1, 1, 0, 30), "2026/000001"},
		{rome(2026, 3, 1, 8, 0), "2026/000002"},
		{rome(2025, 12, 31, 23, 59), "2025/000002"},
	}
	for _, c := range cases {
		if got := e.create("AB123CD", "7-15", c.at, notices.ContestDeferred).ReportNumber; got != c.want {
			t.Errorf("report number of a fine at %v = %s, want %s", c.at, got, c.want)
		}
	}
}

func testConcurrentPaymentsExactlyOnce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)

	const n = 50
	type result struct {
		id  string
		r   notices.Receipt
		err error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id := receiptID(i)
			r, err := e.st.RecordPayment(ctx, notices.PaymentRecord{
				FineID:      f.ID,
				Receipt:     e.receipt(f, id, 2940),
				Idempotency: &notices.Idempotent{Scope: "payment:" + f.Options[0].NAV.String(), Key: "key-" + id, RequestHash: id, ResourceID: id},
			})
			results[i] = result{id, r, err}
		}()
	}
	close(start)
	wg.Wait()

	var winner string
	for _, r := range results {
		if r.err == nil {
			if winner != "" {
				t.Fatalf("two payments succeeded: %s and %s", winner, r.id)
			}
			winner = r.id
		}
	}
	if winner == "" {
		t.Fatal("no payment succeeded")
	}
	for _, r := range results {
		if r.id == winner {
			continue
		}
		wantCode(t, r.err, notices.EAlreadyPaid)
		if r.r.ID != winner {
			t.Errorf("loser %s got receipt %q with already_paid, want the winner's %s", r.id, r.r.ID, winner)
		}
	}
	got, err := e.st.Fine(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != notices.StatusPaid || got.ReceiptID != winner {
		t.Errorf("fine = %s/%s, want paid/%s", got.Status, got.ReceiptID, winner)
	}
	rs, err := e.st.Receipts(ctx, notices.DateOf(e.clock.Now()), notices.DateOf(e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].ID != winner {
		t.Errorf("Receipts = %v, want only %s", rs, winner)
	}
	// Only the winner's idempotency record exists: losers changed nothing.
	for _, r := range results {
		rec, err := e.st.Idempotency(ctx, "payment:"+f.Options[0].NAV.String(), "key-"+r.id)
		if err != nil {
			t.Fatal(err)
		}
		if (rec != nil) != (r.id == winner) {
			t.Errorf("idempotency record for %s present = %v", r.id, rec != nil)
		}
	}
	if h, _ := e.st.LedgerHead(ctx); h.Size != 3 { // fine created, receipt, fine paid
		t.Errorf("ledger size = %d, want 3", h.Size)
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

func testRecordPaymentRefusals(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	paid := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	first := e.pay(paid, receiptID(1), 2940)
	cancelled := e.create("AB123CD", "7-15", rome(2026, 3, 9, 12, 0), notices.ContestImmediate)
	if _, err := e.st.UpdateFine(ctx, cancelled.ID, func(f *notices.Fine) error {
		return f.Cancel("wrong plate", "capo", e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	open := e.create("AB123CD", "7-15", rome(2026, 3, 9, 13, 0), notices.ContestImmediate)
	head, _ := e.st.LedgerHead(ctx)

	t.Run("already paid returns the receipt", func(t *testing.T) {
		r, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: paid.ID, Receipt: e.receipt(paid, receiptID(2), 2940)})
		wantCode(t, err, notices.EAlreadyPaid)
		if jsonOf(t, r) != jsonOf(t, first) {
			t.Errorf("receipt with already_paid = %s, want %s", jsonOf(t, r), jsonOf(t, first))
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		_, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: cancelled.ID, Receipt: e.receipt(cancelled, receiptID(3), 2940)})
		wantCode(t, err, notices.EFineCancelled)
	})
	t.Run("unknown fine", func(t *testing.T) {
		_, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: "nope", Receipt: notices.Receipt{ID: receiptID(4), AmountCents: 1}})
		wantCode(t, err, notices.EFineNotFound)
	})
	t.Run("receipt id reused", func(t *testing.T) {
		_, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: open.ID, Receipt: e.receipt(open, receiptID(1), 2940)})
		wantCode(t, err, notices.EConflict)
	})
	t.Run("idempotency key reused for another request", func(t *testing.T) {
		scope := "payment:" + paid.Options[0].NAV.String()
		if _, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: open.ID, Receipt: e.receipt(open, receiptID(5), 2940),
			Idempotency: &notices.Idempotent{Scope: scope, Key: "same-key-1", RequestHash: "a"}}); err != nil {
			t.Fatal(err)
		}
		_, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: open.ID, Receipt: e.receipt(open, receiptID(6), 2940),
			Idempotency: &notices.Idempotent{Scope: scope, Key: "same-key-1", RequestHash: "b"}})
		wantCode(t, err, notices.EIdempotencyConflict)
		// Same key and body: this request already won; the caller replays.
		_, err = e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: open.ID, Receipt: e.receipt(open, receiptID(7), 2940),
			Idempotency: &notices.Idempotent{Scope: scope, Key: "same-key-1", RequestHash: "a"}})
		wantCode(t, err, notices.EAlreadyPaid)
	})
	t.Run("invalid records", func(t *testing.T) {
		for name, p := range map[string]notices.PaymentRecord{
			"no receipt id":  {FineID: open.ID, Receipt: notices.Receipt{AmountCents: 1}},
			"zero amount":    {FineID: open.ID, Receipt: notices.Receipt{ID: "x"}},
			"other fine":     {FineID: open.ID, Receipt: notices.Receipt{ID: "x", FineID: paid.ID, AmountCents: 1}},
			"scope, no key":  {FineID: open.ID, Receipt: notices.Receipt{ID: "x", AmountCents: 1}, Idempotency: &notices.Idempotent{Scope: "s"}},
			"fine id absent": {Receipt: notices.Receipt{ID: "x", AmountCents: 1}},
		} {
			if _, err := e.st.RecordPayment(ctx, p); notices.ErrorCode(err) != notices.EValidation {
				t.Errorf("%s: error %v, want validation_failed", name, err)
			}
		}
	})
	// Refusals wrote nothing to the ledger; the one success wrote two entries.
	if h, _ := e.st.LedgerHead(ctx); h.Size != head.Size+2 {
		t.Errorf("ledger grew from %d to %d, want +2", head.Size, h.Size)
	}
}

func testCreateFineIdempotency(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	idem := func(hash string) *notices.Idempotent {
		return &notices.Idempotent{Scope: "fine:agente1", Key: "create-0001", RequestHash: hash}
	}
	f := e.fineAt("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	replay, err := e.st.CreateFine(ctx, f, idem("h1"))
	if err != nil || replay != nil {
		t.Fatalf("first CreateFine = %v, %v; want no replay", replay, err)
	}
	if f.ReportNumber != "2026/000001" {
		t.Errorf("ReportNumber = %q, want 2026/000001", f.ReportNumber)
	}

	// A retry builds a new fine (new id, new NAVs) but must not save it.
	retry := e.fineAt("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	replay, err = e.st.CreateFine(ctx, retry, idem("h1"))
	if err != nil || replay == nil {
		t.Fatalf("replayed CreateFine = %v, %v; want a replay", replay, err)
	}
	if replay.ResourceID != f.ID || replay.RequestHash != "h1" || !replay.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("replay = %+v, want resource %s", replay, f.ID)
	}
	if retry.ReportNumber != "" {
		t.Errorf("a replay assigned report number %q to the retry", retry.ReportNumber)
	}
	if _, err := e.st.Fine(ctx, retry.ID); notices.ErrorCode(err) != notices.EFineNotFound {
		t.Errorf("the retried fine was saved: %v", err)
	}

	other := e.fineAt("ZZ999ZZ", "7-14", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	_, err = e.st.CreateFine(ctx, other, idem("h2"))
	wantCode(t, err, notices.EIdempotencyConflict)

	page, err := e.st.ListFines(ctx, notices.FineFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 1 {
		t.Errorf("%d fines stored, want 1", len(page.Items))
	}
	// A caller-provided resource id is stored as given.
	g := e.fineAt("AB123CD", "7-15", rome(2026, 3, 9, 12, 0), notices.ContestDeferred)
	mine := &notices.Idempotent{Scope: "fine:agente1", Key: "create-0002", RequestHash: "h", ResourceID: "given"}
	if _, err := e.st.CreateFine(ctx, g, mine); err != nil {
		t.Fatal(err)
	}
	rec, err := e.st.Idempotency(ctx, "fine:agente1", "create-0002")
	if err != nil || rec == nil || rec.ResourceID != "given" || !rec.CreatedAt.Equal(e.clock.Now()) {
		t.Errorf("stored record = %+v, %v", rec, err)
	}
}

func testCreateFineNAVTakenThenRetry(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	dup := e.fineAt("EF456GH", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	dup.Options[1].NAV = f.Options[0].NAV
	_, err := e.st.CreateFine(ctx, dup, nil)
	wantCode(t, err, notices.ENAVTaken)
	if dup.ReportNumber != "" {
		t.Errorf("a refused fine got report number %s", dup.ReportNumber)
	}
	if err := dup.AssignNAVs("01", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.CreateFine(ctx, dup, nil); err != nil {
		t.Fatalf("retry with new NAVs: %v", err)
	}
	// The refused attempt consumed no number.
	if dup.ReportNumber != "2026/000002" {
		t.Errorf("report number = %s, want 2026/000002", dup.ReportNumber)
	}
	// Same id twice is a conflict.
	again := *dup
	again.ReportNumber = ""
	if err := again.AssignNAVs("01", nil); err != nil {
		t.Fatal(err)
	}
	_, err = e.st.CreateFine(ctx, &again, nil)
	wantCode(t, err, notices.EConflict)
	// Invalid fines never reach the database.
	_, err = e.st.CreateFine(ctx, &notices.Fine{ID: "x", Status: notices.StatusPaid}, nil)
	wantCode(t, err, notices.EValidation)
	_, err = e.st.CreateFine(ctx, nil, nil)
	wantCode(t, err, notices.EValidation)
}

func testConcurrentCreateFineBatches(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const n = 40
	fines := make([]*notices.Fine, n)
	for i := range fines {
		fines[i] = e.fineAt("AB123CD", "7-15", rome(2026, 3, 9, 11, i), notices.ContestDeferred)
	}
	// Every fifth request collides with an earlier fine's NAV: its failure
	// makes bbolt re-run the rest of the batch, which must stay correct.
	for i := 5; i < n; i += 5 {
		fines[i].Options[0].NAV = fines[i-1].Options[0].NAV
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range fines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.st.CreateFine(ctx, fines[i], &notices.Idempotent{Scope: "fine:x", Key: fines[i].ID, RequestHash: "h"})
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	ok := 0
	for i, err := range errs {
		if err != nil {
			if code := notices.ErrorCode(err); code != notices.ENAVTaken {
				t.Errorf("fine %d: %v", i, err)
			}
			continue
		}
		ok++
		if seen[fines[i].ReportNumber] {
			t.Errorf("report number %s given twice", fines[i].ReportNumber)
		}
		seen[fines[i].ReportNumber] = true
		got, err := e.st.Fine(ctx, fines[i].ID)
		if err != nil || got.ReportNumber != fines[i].ReportNumber {
			t.Errorf("stored fine %d = %s, %v; caller saw %s", i, got.ReportNumber, err, fines[i].ReportNumber)
		}
	}
	if ok < n-n/5 {
		t.Errorf("%d fines saved, want at least %d", ok, n-n/5)
	}
	for i := 1; i <= ok; i++ {
		if want := fmt.Sprintf("2026/%06d", i); !seen[want] {
			t.Errorf("report number %s missing: numbers must have no gaps", want)
		}
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

func testUpdateFine(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	h0, _ := e.st.LedgerHead(ctx)

	got, err := e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error {
		return f.Notify(notices.DateOf(e.clock.Now()), notices.ChannelPost, 1300, e.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != notices.StatusNotified || got.FeesCents != 1300 {
		t.Errorf("after Notify: %s fees %d", got.Status, got.FeesCents)
	}
	for st, want := range map[notices.Status]int{notices.StatusIssued: 0, notices.StatusNotified: 1} {
		page, err := e.st.ListFines(ctx, notices.FineFilter{Status: st})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Items) != want {
			t.Errorf("%d fines listed as %s, want %d", len(page.Items), st, want)
		}
	}
	h1, _ := e.st.LedgerHead(ctx)
	if h1.Size != h0.Size+1 {
		t.Errorf("ledger size %d after an update, want %d", h1.Size, h0.Size+1)
	}

	boom := errors.New("boom")
	if _, err := e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error { f.Plate = "XX000XX"; return boom }); !errors.Is(err, boom) {
		t.Errorf("error from change = %v, want boom", err)
	}
	if _, err := e.st.UpdateFine(ctx, f.ID, func(*notices.Fine) error { return nil }); err != nil {
		t.Errorf("no-op change: %v", err)
	}
	_, err = e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error { f.Status = notices.StatusPaid; return nil })
	wantCode(t, err, notices.EInvalidTransition)
	_, err = e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error { f.ID = "other"; return nil })
	wantCode(t, err, notices.EValidation)
	_, err = e.st.UpdateFine(ctx, "missing", func(*notices.Fine) error { return nil })
	wantCode(t, err, notices.EFineNotFound)
	other := e.create("EF456GH", "7-15", rome(2026, 3, 9, 12, 0), notices.ContestDeferred)
	_, err = e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error { f.Options[0].NAV = other.Options[1].NAV; return nil })
	wantCode(t, err, notices.ENAVTaken)

	stored, _ := e.st.Fine(ctx, f.ID)
	if stored.Plate != "AB123CD" || stored.Status != notices.StatusNotified {
		t.Errorf("refused changes leaked: %+v", stored)
	}
	h2, _ := e.st.LedgerHead(ctx)
	if h2.Size != h1.Size+1 { // only the other fine's creation
		t.Errorf("ledger size %d, want %d: refused and no-op changes must not be logged", h2.Size, h1.Size+1)
	}

	// New NAVs move the NAV index.
	oldNAVs := append([]notices.PaymentOption(nil), stored.Options...)
	moved, err := e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error { return f.AssignNAVs("01", nil) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.FineByNAV(ctx, oldNAVs[0].NAV); notices.ErrorCode(err) != notices.ENoticeNotFound {
		t.Errorf("old NAV still found: %v", err)
	}
	if g, err := e.st.FineByNAV(ctx, moved.Options[1].NAV); err != nil || g.ID != f.ID {
		t.Errorf("new NAV: %v %v", g.ID, err)
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
}

func testOutstandingFines(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	want := map[string]bool{}
	for i := range 7 {
		f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 8, i), notices.Contestation([]string{"immediate", "deferred"}[i%2]))
		switch i {
		case 2:
			e.pay(f, receiptID(i), 2940)
		case 3:
			if _, err := e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error { return f.Cancel("error", "capo", e.clock.Now()) }); err != nil {
				t.Fatal(err)
			}
		default:
			want[f.ID] = true
		}
	}
	got := map[string]bool{}
	err := e.st.OutstandingFines(ctx, func(f *notices.Fine) error {
		if f.Status != notices.StatusIssued && f.Status != notices.StatusNotified {
			t.Errorf("outstanding fine %s is %s", f.ID, f.Status)
		}
		// fn runs outside any transaction, so it may call the store.
		if _, err := e.st.Fine(ctx, f.ID); err != nil {
			t.Error(err)
		}
		got[f.ID] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("outstanding = %v, want %v", got, want)
	}
	stop := errors.New("stop")
	if err := e.st.OutstandingFines(ctx, func(*notices.Fine) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("error from fn = %v, want stop", err)
	}
}

func testReceiptsByRomeDay(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	paidAt := []time.Time{
		rome(2026, 3, 8, 23, 30), // still the 8th in Rome, the 8th in UTC too
		rome(2026, 3, 9, 0, 30),  // the 9th in Rome, the 8th in UTC
		rome(2026, 3, 9, 23, 59),
		rome(2026, 3, 10, 0, 0),
	}
	var rs []notices.Receipt
	for i, at := range paidAt {
		f := e.create("AB123CD", "7-15", rome(2026, 3, 1, 8, i), notices.ContestImmediate)
		r := e.receipt(f, receiptID(i), 2940)
		r.PaidAt = at
		got, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r})
		if err != nil {
			t.Fatal(err)
		}
		rs = append(rs, got)
	}
	day := func(d int) notices.Date { return notices.Date{Year: 2026, Month: 3, Day: d} }
	cases := []struct {
		from, to notices.Date
		want     []int
	}{
		{day(8), day(8), []int{0}},
		{day(9), day(9), []int{1, 2}},
		{day(8), day(10), []int{0, 1, 2, 3}},
		{day(11), day(12), nil},
	}
	for _, c := range cases {
		got, err := e.st.Receipts(ctx, c.from, c.to)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs, wantIDs []string
		for _, r := range got {
			gotIDs = append(gotIDs, r.ID)
		}
		for _, i := range c.want {
			wantIDs = append(wantIDs, rs[i].ID)
		}
		if !reflect.DeepEqual(gotIDs, wantIDs) {
			t.Errorf("Receipts(%s, %s) = %v, want %v", c.from, c.to, gotIDs, wantIDs)
		}
	}
	if r, err := e.st.Receipt(ctx, "missing"); notices.ErrorCode(err) != notices.EReceiptNotFound {
		t.Errorf("Receipt(missing) = %v, %v", r, err)
	}
	// A receipt without a time is stamped by the store's clock.
	f := e.create("AB123CD", "7-15", rome(2026, 3, 1, 9, 0), notices.ContestImmediate)
	r := e.receipt(f, receiptID(9), 2940)
	r.PaidAt = time.Time{}
	got, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r})
	if err != nil || !got.PaidAt.Equal(e.clock.Now()) {
		t.Errorf("PaidAt = %v, %v; want the clock's %v", got.PaidAt, err, e.clock.Now())
	}
}

func testUsers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	for _, name := range []string{"zoe", "anna", "marco"} {
		if err := e.st.CreateUser(ctx, notices.User{Username: name, Role: notices.RoleFinance, PasswordHash: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	wantCode(t, e.st.CreateUser(ctx, notices.User{Username: "anna", Role: notices.RoleAdmin}), notices.EConflict)
	wantCode(t, e.st.CreateUser(ctx, notices.User{Username: "bad", Role: "root"}), notices.EValidation)
	wantCode(t, e.st.CreateUser(ctx, notices.User{Role: notices.RoleAdmin}), notices.EValidation)
	users, err := e.st.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, u := range users {
		names = append(names, u.Username)
	}
	if want := []string{"anna", "marco", "zoe"}; !reflect.DeepEqual(names, want) {
		t.Errorf("Users = %v, want %v", names, want)
	}
	if users[0].CreatedAt.IsZero() {
		t.Error("CreatedAt not stamped")
	}
	_, err = e.st.User(ctx, "nobody")
	wantCode(t, err, notices.EUserNotFound)
}

func testRefreshTokenRotationAndReuse(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := e.clock.Now()
	exp := now.Add(24 * time.Hour)
	const grace = 30 * time.Second
	tok := func(hash, family string) notices.RefreshToken {
		return notices.RefreshToken{Hash: hash, Username: "anna", Family: family, ExpiresAt: exp, CreatedAt: now}
	}
	if err := e.st.SaveRefreshToken(ctx, tok("t1", "famA")); err != nil {
		t.Fatal(err)
	}
	if err := e.st.SaveRefreshToken(ctx, tok("u1", "famB")); err != nil {
		t.Fatal(err)
	}
	sealed := []byte("t2, sealed")
	if err := e.st.RotateRefreshToken(ctx, notices.TokenRotation{OldHash: "t1", Next: notices.RefreshToken{Hash: "t2", ExpiresAt: exp}, Successor: sealed, At: now, Grace: grace}); err != nil {
		t.Fatalf("first rotation: %v", err)
	}
	t1, _ := e.st.RefreshToken(ctx, "t1")
	t2, _ := e.st.RefreshToken(ctx, "t2")
	if t1.RotatedAt.IsZero() || string(t1.Successor) != string(sealed) || t2.Family != "famA" || t2.Username != "anna" || !t2.RevokedAt.IsZero() || t2.Successor != nil {
		t.Fatalf("after rotation: t1 %+v, t2 %+v", t1, t2)
	}

	// t1 again within the grace (a second tab, maybe on another server):
	// refused, but nothing is revoked nor saved, and t1 keeps its successor.
	err := e.st.RotateRefreshToken(ctx, notices.TokenRotation{OldHash: "t1", Next: notices.RefreshToken{Hash: "t2b", ExpiresAt: exp}, Successor: []byte("other"), At: now.Add(grace - time.Second), Grace: grace})
	wantCode(t, err, notices.EConflict)
	t1, _ = e.st.RefreshToken(ctx, "t1")
	t2, _ = e.st.RefreshToken(ctx, "t2")
	if !t1.RevokedAt.IsZero() || !t2.RevokedAt.IsZero() || string(t1.Successor) != string(sealed) || !t1.RotatedAt.Equal(now) {
		t.Fatalf("after a use within the grace: t1 %+v, t2 %+v", t1, t2)
	}
	if _, err := e.st.RefreshToken(ctx, "t2b"); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("t2b was saved by a use within the grace: %v", err)
	}

	// The stolen t1 comes back: the whole family dies, other families live.
	later := now.Add(time.Minute)
	err = e.st.RotateRefreshToken(ctx, notices.TokenRotation{OldHash: "t1", Next: notices.RefreshToken{Hash: "t3", ExpiresAt: exp}, At: later, Grace: grace})
	wantCode(t, err, notices.EConflict)
	for _, h := range []string{"t1", "t2"} {
		got, err := e.st.RefreshToken(ctx, h)
		if err != nil || !got.RevokedAt.Equal(later) {
			t.Errorf("%s after reuse: revoked %v, %v", h, got.RevokedAt, err)
		}
	}
	if _, err := e.st.RefreshToken(ctx, "t3"); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("t3 was saved despite the reuse: %v", err)
	}
	if u1, _ := e.st.RefreshToken(ctx, "u1"); !u1.RevokedAt.IsZero() {
		t.Error("another family was revoked")
	}
	// The legitimate holder of t2 is now refused too.
	wantCode(t, e.st.RotateRefreshToken(ctx, notices.TokenRotation{OldHash: "t2", Next: notices.RefreshToken{Hash: "t4", ExpiresAt: exp}, At: later, Grace: grace}), notices.EConflict)

	// Logout revokes a family explicitly; the first revocation date stays.
	if err := e.st.RevokeFamily(ctx, "famB", later); err != nil {
		t.Fatal(err)
	}
	if err := e.st.RevokeFamily(ctx, "famB", later.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if u1, _ := e.st.RefreshToken(ctx, "u1"); !u1.RevokedAt.Equal(later) {
		t.Errorf("u1 revoked at %v, want %v", u1.RevokedAt, later)
	}

	// Expired and unknown tokens.
	if err := e.st.SaveRefreshToken(ctx, tok("old", "famC")); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.st.RotateRefreshToken(ctx, notices.TokenRotation{OldHash: "old", Next: notices.RefreshToken{Hash: "new"}, At: exp, Grace: grace}), notices.EConflict)
	if old, _ := e.st.RefreshToken(ctx, "old"); !old.RevokedAt.IsZero() || !old.RotatedAt.IsZero() {
		t.Errorf("an expired token changed: %+v", old)
	}
	wantCode(t, e.st.RotateRefreshToken(ctx, notices.TokenRotation{OldHash: "ghost", Next: notices.RefreshToken{Hash: "x"}, At: now, Grace: grace}), notices.ENotFound)
	wantCode(t, e.st.SaveRefreshToken(ctx, notices.RefreshToken{Hash: "h"}), notices.EValidation)
}

func testContextCancelled(t *testing.T) {
	e := newEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	f := e.fineAt("AB123CD", "7-15", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	if _, err := e.st.CreateFine(ctx, f, nil); !errors.Is(err, context.Canceled) {
		t.Errorf("CreateFine = %v", err)
	}
	if _, err := e.st.ListFines(ctx, notices.FineFilter{}); !errors.Is(err, context.Canceled) {
		t.Errorf("ListFines = %v", err)
	}
	if err := e.st.VerifyLedger(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("VerifyLedger = %v", err)
	}
	errs, err := e.st.ImportFines(ctx, []*notices.Fine{f})
	if !errors.Is(err, context.Canceled) || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("ImportFines = %v, %v", errs, err)
	}
}

// TestFineRoundTripsEveryField guards the storage codec: a fine with every
// field set must come back identical. It fails when notices.Fine gains a
// field this test does not set, as a reminder to look at the codec.
func testFineRoundTripsEveryField(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.fineAt("AB123CD", "142-8", rome(2026, 3, 8, 23, 30), notices.ContestDeferred)
	lat, lon := 45.46, 9.19
	at := rome(2026, 3, 10, 9, 0)
	f.Lat, f.Lon = &lat, &lon
	f.NotifiedOn, f.Channel, f.FeesCents = notices.DateOf(at), notices.ChannelPEC, 300
	f.ReceiptID, f.PaidAt = "r", &at
	f.CancelledAt, f.CancelledBy, f.CancelReason = &at, "capo", "test"
	f.ReportNumber = "2026/777777"
	f.Corrections = []notices.Correction{{At: at, By: "capo", Reason: "typo", Changes: []notices.FieldChange{{Field: "plate", Old: "AB123CE", New: "AB123CD"}}}}
	f.Violation.DescriptionIt = "Eccesso di velocità"
	f.Violation.Points = 3
	// A kind the codec has no letter for yet is kept in full.
	extra, err := notices.NewNAV("01", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Options = append(f.Options, notices.PaymentOption{Kind: "instalment", NAV: extra})
	f.Verbale = &notices.Verbale{
		Owner:          &notices.Liable{Kind: notices.LiablePerson, Role: notices.RoleOwner, Name: "Rossi Mario", FiscalCode: "RSSMRA80A01H501U", Address: "Via Roma 1, 20121 Milano", KnownOn: notices.DateOf(at)},
		Vehicle:        notices.Vehicle{Type: "car", Make: "Fiat", Model: "Panda"},
		Agents:         []string{"A123"},
		DeferredReason: notices.DeferredCamera,
	}
	f.Attempts = []notices.Attempt{{Recipient: notices.RecipientOwner, Channel: notices.ChannelPEC, SentOn: notices.DateOf(at), FeesCents: 300,
		Delivery: &notices.Delivery{Outcome: notices.OutcomePECDelivered, On: notices.DateOf(at)}, PerfectedOn: notices.DateOf(at), Evidence: "rdac-1", RecordedAt: at}}
	f.Void = &notices.VoidFlag{Since: notices.DateOf(at), Reason: "late"}
	f.Driver = &notices.DriverIdentification{Status: notices.DriverSubmitted, DeclaredBy: "Rossi Mario", SubmittedAt: at}
	f.Photos = []notices.Photo{{N: 1, Source: notices.PhotoByOfficer, SHA256: "ab", Bytes: 10, Width: 4, Height: 3, AddedAt: at, AddedBy: "agente1"}}
	f.Reviews = []notices.Review{{Text: "the sign was hidden", Attachments: []int{1}, SubmittedAt: at, Status: notices.ReviewRejected, DecidedBy: "capo", DecidedAt: at, Answer: "no"}}
	v := reflect.ValueOf(*f)
	for i := range v.NumField() {
		if v.Field(i).IsZero() {
			t.Fatalf("test fine leaves Fine.%s unset: set it so the codec is checked", v.Type().Field(i).Name)
		}
	}
	if _, err := e.st.ImportFines(ctx, []*notices.Fine{f}); err != nil {
		t.Fatal(err)
	}
	got, err := e.st.Fine(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if jsonOf(t, got) != jsonOf(t, f) {
		t.Errorf("round trip:\n got %s\nwant %s", jsonOf(t, got), jsonOf(t, f))
	}
	if got.ReportNumber != "2026/777777" {
		t.Errorf("a given report number was replaced by %s", got.ReportNumber)
	}
}
