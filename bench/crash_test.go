package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// attempt is one payment request and what the client learnt of it.
type attempt struct {
	fine   int // index in the fines slice
	nav    string
	key    string
	body   []byte
	status int    // 0: no answer (the server died with the request in flight)
	answer []byte // the body of a 201
	rcpt   string // receipt id of a 201, or the one a 409 already_paid named
}

// TestCrashDuringPayments kills the service with SIGKILL while payers
// race on fines, restarts it on the same file, and checks that nothing a
// client was told survived only in memory: every 201 has its receipt,
// every paid fine has exactly one, retries replay the stored answers, and
// the ledger verifies.
func TestCrashDuringPayments(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the service and kills it under load; skipped with -short")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "multa")
	// The build has its own bound: on a cold cache it is the compiler's
	// time, not the scenario's, which must stay well under a minute.
	b0 := time.Now()
	bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer bcancel()
	if err := buildBinary(bctx, root, ".", bin); err != nil {
		t.Fatal(err)
	}
	t.Logf("built in %v", time.Since(b0).Round(time.Millisecond))
	t0 := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	db := filepath.Join(dir, "multa.db")
	for _, u := range []struct{ name, role string }{{officerName, "officer"}, {"bench-finance", "finance"}} {
		if err := addUser(ctx, bin, db, u.name, u.role, officerPassword); err != nil {
			t.Fatal(err)
		}
	}
	start := func(name string) *proc {
		t.Helper()
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		p, err := startProc(ctx, name, bin, addr, "/healthz", filepath.Join(dir, name+".log"), nil,
			"serve", "--rate-limit", "0", "--addr", addr, "--db", db, "--log-level", "warn")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Kill)
		return p
	}

	// Seed fines through the import, as a camera batch would.
	srv := start("multa-1")
	const nFines = 400
	c := &api{base: srv.Base, hc: newHTTPClient(32)}
	if err := c.login(officerName, officerPassword); err != nil {
		t.Fatal(err)
	}
	rng := newRand(7)
	res, err := c.importCSV(detectionsCSV(rng, 0, nFines, scatteredTimes(rng, time.Now())))
	if err != nil || res.Imported != nFines {
		t.Fatalf("import: %d of %d imported, err %v", res.Imported, nFines, err)
	}
	fines, err := collectFines(c, nFines)
	if err != nil || len(fines) != nFines {
		t.Fatalf("listed %d fines, err %v", len(fines), err)
	}
	amounts, err := verifyAmounts(ctx, c, fines, 8)
	if err != nil {
		t.Fatal(err)
	}

	// Payers: two per fine with different keys, racing, so that the store
	// has to pick exactly one; the second option's NAV is used for every
	// other fine, since paying either option settles the fine.
	const payers = 16
	tokens := make([]string, payers)
	for i := range tokens {
		if tokens[i], err = c.tokenize(); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu       sync.Mutex
		attempts []*attempt
		created  atomic.Int64
		next     atomic.Int64
		dead     atomic.Bool
		wg       sync.WaitGroup
	)
	for w := range payers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pc := &api{base: srv.Base, hc: newHTTPClient(1)}
			for !dead.Load() {
				n := int(next.Add(1) - 1)
				i := n / 2 // two attempts per fine, back to back
				if i >= len(fines) {
					return
				}
				opts := fines[i].Options
				nav := opts[i%len(opts)].NoticeNumber
				a := &attempt{fine: i, nav: nav, key: fmt.Sprintf("crash-%d-%d", i, n%2), body: payBody(amounts[i], tokens[w])}
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				status, body, _, err := pc.pay(a.nav, a.key, a.body)
				if err != nil {
					continue // no answer: the outcome is unknown to the client
				}
				a.status = status
				switch status {
				case http.StatusCreated:
					var r receipt
					if err := json.Unmarshal(body, &r); err != nil || r.ReceiptID == "" {
						t.Errorf("201 without a receipt id: %s", body)
					}
					a.answer, a.rcpt = body, r.ReceiptID
					created.Add(1)
				case http.StatusConflict:
					// already_paid names the receipt the store had
					// committed: it too must survive the crash.
					var p struct {
						Code      string `json:"code"`
						ReceiptID string `json:"receiptId"`
					}
					if json.Unmarshal(body, &p) == nil && p.Code == "already_paid" {
						a.rcpt = p.ReceiptID
					}
				}
			}
		}()
	}
	// Kill once a good number of payments are acknowledged, while the
	// payers are still going.
	for created.Load() < 60 && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	srv.Kill()
	dead.Store(true)
	wg.Wait()
	killedAt := time.Now()

	byFine := map[int][]*attempt{}
	for _, a := range attempts {
		byFine[a.fine] = append(byFine[a.fine], a)
		if a.status >= 500 {
			t.Errorf("payment %s answered %d before the crash", a.key, a.status)
		}
	}
	var acked, unknown int
	for _, a := range attempts {
		switch a.status {
		case http.StatusCreated:
			acked++
		case 0:
			unknown++
		}
	}
	t.Logf("killed with %d payments acknowledged, %d in flight, after %d attempts on %d fines",
		acked, unknown, len(attempts), len(byFine))
	if acked == 0 || unknown == 0 && len(attempts) == 2*len(fines) {
		t.Fatalf("the kill did not land mid-load: %d acknowledged, %d in flight", acked, unknown)
	}

	// Restart on the same file.
	srv = start("multa-2")
	c = &api{base: srv.Base, hc: newHTTPClient(8)}
	// As staff: a public verify or already_paid does not name the receipt.
	if err := c.login(officerName, officerPassword); err != nil {
		t.Fatal(err)
	}

	paidFines := 0
	for i, as := range byFine {
		var winners []*attempt
		for _, a := range as {
			if a.status == http.StatusCreated {
				winners = append(winners, a)
			}
		}
		if len(winners) > 1 {
			t.Errorf("fine %s: %d payments acknowledged (%s and %s); exactly one may succeed", fines[i].ID, len(winners), winners[0].rcpt, winners[1].rcpt)
		}
		v, err := c.verify(as[0].nav)
		if err != nil {
			t.Errorf("verify %s after restart: %v", as[0].nav, err)
			continue
		}
		if v.Status == "paid" {
			paidFines++
			if v.Payment == nil || v.Payment.ReceiptID == "" {
				t.Errorf("fine %s is paid but its verify shows no receipt", fines[i].ID)
				continue
			}
		}
		for _, a := range as {
			if a.status == http.StatusConflict && a.rcpt != "" && (v.Payment == nil || v.Payment.ReceiptID != a.rcpt) {
				t.Errorf("fine %s: before the crash a payment was refused as already paid by receipt %s; after it the fine shows %+v",
					fines[i].ID, a.rcpt, v.Payment)
			}
		}
		for _, w := range winners {
			if v.Status != "paid" || v.Payment == nil || v.Payment.ReceiptID != w.rcpt {
				t.Errorf("fine %s: acknowledged receipt %s lost after the crash: status %s, payment %+v", fines[i].ID, w.rcpt, v.Status, v.Payment)
				continue
			}
			r, err := c.getReceipt(w.rcpt)
			if err != nil {
				t.Errorf("receipt %s after restart: %v", w.rcpt, err)
				continue
			}
			if r.FineID != fines[i].ID || r.NoticeNumber != w.nav || r.AmountCents != amounts[i] {
				t.Errorf("receipt %s after restart = %+v; want fine %s, NAV %s, %d cents", w.rcpt, r, fines[i].ID, w.nav, amounts[i])
			}
		}
	}

	// Clients retry what they sent: an acknowledged payment replays its
	// first answer byte for byte; an unanswered one either completes now
	// or learns that the fine is paid; none may pay twice.
	for _, a := range attempts {
		status, body, hdr, err := c.pay(a.nav, a.key, a.body)
		if err != nil {
			t.Errorf("retry %s: %v", a.key, err)
			continue
		}
		switch {
		case a.status == http.StatusCreated:
			if status != http.StatusCreated || hdr.Get("Idempotent-Replayed") != "true" || !bytes.Equal(body, a.answer) {
				t.Errorf("retry of acknowledged %s = %d (replayed %q) %s; want the first answer replayed: %s",
					a.key, status, hdr.Get("Idempotent-Replayed"), body, a.answer)
			}
		case status == http.StatusCreated:
			var r receipt
			_ = json.Unmarshal(body, &r)
			v, err := c.verify(a.nav)
			if err != nil || v.Payment == nil || v.Payment.ReceiptID != r.ReceiptID {
				t.Errorf("retry %s created receipt %s, but the fine shows %+v (err %v)", a.key, r.ReceiptID, v.Payment, err)
			}
		case status == http.StatusConflict:
			var p struct {
				Code      string `json:"code"`
				ReceiptID string `json:"receiptId"`
			}
			_ = json.Unmarshal(body, &p)
			v, err := c.verify(a.nav)
			// The payer is anonymous: already_paid names no receipt (it is
			// the other payer's); the fine, as staff see it, has one.
			if p.Code != "already_paid" || p.ReceiptID != "" || err != nil || v.Payment == nil || v.Payment.ReceiptID == "" {
				t.Errorf("retry %s = 409 %s; want already_paid naming no receipt, on a fine with one %+v", a.key, body, v.Payment)
			}
		default:
			t.Errorf("retry %s = %d %s", a.key, status, body)
		}
	}

	// The store agrees: as many receipts as paid fines, no more.
	fc := &api{base: srv.Base, hc: c.hc}
	if err := fc.login("bench-finance", officerPassword); err != nil {
		t.Fatal(err)
	}
	paidNow, receipts := 0, 0
	for i := range byFine {
		v, err := c.verify(byFine[i][0].nav)
		if err == nil && v.Status == "paid" {
			paidNow++
		}
	}
	rome, _ := time.LoadLocation("Europe/Rome")
	days := map[string]bool{t0.In(rome).Format(time.DateOnly): true, time.Now().In(rome).Format(time.DateOnly): true}
	for day := range days {
		var rec struct {
			Receipts struct {
				Count int `json:"count"`
			} `json:"receipts"`
		}
		if _, err := fc.do("GET", "/api/v1/reconciliation?date="+day, "", nil, nil, &rec, 200); err != nil {
			t.Fatalf("reconciliation %s: %v", day, err)
		}
		receipts += rec.Receipts.Count
	}
	if receipts != paidNow {
		t.Errorf("%d receipts stored for %d paid fines; every paid fine has exactly one", receipts, paidNow)
	}

	if err := srv.Stop(20 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, srv.LogTail(20))
	}
	out, err := runCommand(ctx, bin, "", "ledger", "verify", "--db", db)
	var ee interface{ ExitCode() int }
	if err != nil {
		if errors.As(err, &ee) {
			t.Fatalf("multa ledger verify exited %d: %s", ee.ExitCode(), out)
		}
		t.Fatalf("multa ledger verify: %v: %s", err, out)
	}
	t.Logf("%d fines paid before the crash survived, %d after retries; %s; checks took %v; scenario %v",
		paidFines, paidNow, bytes.TrimSpace([]byte(out)), time.Since(killedAt).Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
}
