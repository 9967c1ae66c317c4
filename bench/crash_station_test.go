package main

import (
	"context"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/pagopa/nodesim"
)

// sentReceipt is one paSendRTV2 and what the node learnt of it.
type sentReceipt struct {
	nav     string
	receipt pagopa.CtReceipt
	ok      bool // answered OK before the kill
}

// TestCrashDuringStationReceipts kills the service with SIGKILL while the
// pagoPA node delivers receipts (some fines paid twice, from two PSPs),
// restarts it on the same file and checks that every receipt answered OK
// survived, that the node's retries of every receipt (answered or not)
// write nothing twice, that each fine is settled by exactly one receipt
// with any second payment flagged, and that the ledger verifies.
func TestCrashDuringStationReceipts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the service and kills it under load; skipped with -short")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "multa")
	bctx, bcancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer bcancel()
	if err := buildBinary(bctx, root, ".", bin); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Second)
	defer cancel()
	db := filepath.Join(dir, "multa.db")
	if err := addUser(ctx, bin, db, officerName, "officer", officerPassword); err != nil {
		t.Fatal(err)
	}
	const broker, station, iban = "97735020584", "97735020584_01", "IT60X0542811101000000123456"
	start := func(name string) *proc {
		t.Helper()
		addr, err := freeAddr()
		if err != nil {
			t.Fatal(err)
		}
		p, err := startProc(ctx, name, bin, addr, "/healthz", filepath.Join(dir, name+".log"), nil,
			"serve", "--rate-limit", "0", "--addr", addr, "--db", db, "--log-level", "warn",
			"--pagopa-broker-id", broker, "--pagopa-station-id", station, "--creditor-iban", iban)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(p.Kill)
		return p
	}
	node := func(p *proc) *nodesim.Node {
		return nodesim.New(nodesim.Config{URL: p.Base + "/pagopa/v1/paForNode", Client: newHTTPClient(16),
			IDPA: "01199250158", BrokerID: broker, StationID: station, Seed: 11})
	}

	srv := start("multa-1")
	const nFines = 240
	c := &api{base: srv.Base, hc: newHTTPClient(16)}
	if err := c.login(officerName, officerPassword); err != nil {
		t.Fatal(err)
	}
	rng := newRand(9)
	if res, err := c.importCSV(detectionsCSV(rng, 0, nFines, scatteredTimes(rng, time.Now()))); err != nil || res.Imported != nFines {
		t.Fatalf("import: %+v %v", res, err)
	}
	fines, err := collectFines(c, nFines)
	if err != nil || len(fines) != nFines {
		t.Fatalf("listed %d fines, err %v", len(fines), err)
	}

	// Activate every fine at the node, then deliver the receipts from 16
	// senders: every fifth fine was paid at two PSPs.
	n1 := node(srv)
	var sends []*sentReceipt
	for i, f := range fines {
		nav := f.Options[0].NoticeNumber
		x, err := n1.Activate(ctx, nav, "", true)
		if err != nil {
			t.Fatal(err)
		}
		p, err := nodesim.PaymentOf(nav, x)
		if err != nil {
			t.Fatal(err)
		}
		sends = append(sends, &sentReceipt{nav: nav, receipt: n1.Receipt(p, nodesim.PSPs[i%len(nodesim.PSPs)])})
		if i%5 == 0 {
			sends = append(sends, &sentReceipt{nav: nav, receipt: n1.Receipt(p, nodesim.PSPs[(i+1)%len(nodesim.PSPs)])})
		}
	}
	var (
		next  atomic.Int64
		acked atomic.Int64
		dead  atomic.Bool
		wg    sync.WaitGroup
	)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !dead.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(sends) {
					return
				}
				s := sends[i]
				x, err := n1.SendReceipt(ctx, s.receipt, true)
				if err != nil {
					continue // no answer: the node will send it again
				}
				if x.Status >= 500 {
					t.Errorf("receipt %s answered HTTP %d before the crash", s.receipt.ReceiptID, x.Status)
				}
				if o, code := x.Outcome(); o == pagopa.OutcomeOK {
					s.ok = true
					acked.Add(1)
				} else {
					t.Errorf("receipt %s answered %s %s before the crash", s.receipt.ReceiptID, o, code)
				}
			}
		}()
	}
	for acked.Load() < 60 && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	srv.Kill()
	dead.Store(true)
	wg.Wait()
	okBefore := 0
	for _, s := range sends {
		if s.ok {
			okBefore++
		}
	}
	t.Logf("killed with %d of %d receipts answered OK", okBefore, len(sends))
	if okBefore == 0 || okBefore == len(sends) {
		t.Fatalf("the kill did not land mid-delivery: %d of %d answered", okBefore, len(sends))
	}

	// Restart; the node sends every receipt again (it retries until OK).
	srv = start("multa-2")
	n2 := node(srv)
	for _, s := range sends {
		x, err := n2.SendReceipt(ctx, s.receipt, true)
		if err != nil {
			t.Fatalf("resend %s: %v", s.receipt.ReceiptID, err)
		}
		if o, code := x.Outcome(); o != pagopa.OutcomeOK {
			t.Errorf("resend %s after restart: %s %s", s.receipt.ReceiptID, o, code)
		}
	}
	if err := srv.Stop(20 * time.Second); err != nil {
		t.Fatalf("graceful stop: %v\n%s", err, srv.LogTail(20))
	}

	// Offline, the store must hold every receipt exactly once.
	st, err := boltdb.Open(db, boltdb.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := map[string]int{}
	for _, f := range fines {
		fine, err := st.FineByNAV(ctx, notices.NAV(f.Options[0].NoticeNumber))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := st.ReceiptsOfFine(ctx, fine.ID)
		if err != nil {
			t.Fatal(err)
		}
		settling := 0
		for _, r := range rs {
			if r.PagoPA == nil {
				t.Errorf("fine %s: receipt %s has no pagoPA facts", fine.ID, r.ID)
				continue
			}
			stored[r.PagoPA.ReceiptID]++
			switch {
			case r.ID == fine.ReceiptID && r.Anomaly == "":
				settling++
			case r.ID != fine.ReceiptID && r.Anomaly == notices.AnomalyDoublePayment && r.RefundCents == r.AmountCents:
			default:
				t.Errorf("fine %s: receipt %s anomaly %q (settled by %s)", fine.ID, r.ID, r.Anomaly, fine.ReceiptID)
			}
		}
		if fine.Status != notices.StatusPaid || settling != 1 {
			t.Errorf("fine %s: status %s, %d settling receipts", fine.ID, fine.Status, settling)
		}
	}
	for _, s := range sends {
		if n := stored[s.receipt.ReceiptID]; n != 1 {
			t.Errorf("receipt %s (answered OK before the kill: %v) stored %d times", s.receipt.ReceiptID, s.ok, n)
		}
	}
	if len(stored) != len(sends) {
		t.Errorf("%d distinct receipts stored, %d sent", len(stored), len(sends))
	}
	if err := st.VerifyLedger(ctx); err != nil {
		t.Errorf("ledger after the crash: %v", err)
	}
}
