package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multa/multa/internal/pgtest"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/postgres"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/pagopa/nodesim"
)

// pgCluster is a set of real Multa binaries sharing one PostgreSQL
// database, for the tests that several processes must pass together.
type pgCluster struct {
	t   *testing.T
	ctx context.Context
	bin string
	dir string
	db  string // the postgres:// URL
	// extra flags for every process (the pagoPA station's)
	extra []string
}

// buildOnce compiles the service once per test binary: the PostgreSQL
// tests share it.
var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

func newPGCluster(t *testing.T, ctx context.Context, db string) *pgCluster {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the service and runs several processes; skipped with -short")
	}
	buildOnce.Do(func() {
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		dir, err := tempDir()
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "multa")
		bctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = buildBinary(bctx, root, ".", builtBin)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	c := &pgCluster{t: t, ctx: ctx, bin: builtBin, dir: t.TempDir(), db: db}
	if err := writeJWTKey(filepath.Join(c.dir, "jwt.key")); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, role string }{{officerName, "officer"}, {"bench-finance", "finance"}} {
		if err := addUser(ctx, c.bin, db, u.name, u.role, officerPassword); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// start runs one Multa process on a free port against the database. The
// processes share the JWT and ledger keys (as processes started from one
// directory do), so a login on one is valid on the other.
func (c *pgCluster) start(name string) *proc {
	c.t.Helper()
	addr, err := freeAddr()
	if err != nil {
		c.t.Fatal(err)
	}
	args := []string{"serve", "--rate-limit", "0", "--addr", addr, "--db", c.db, "--log-level", "warn",
		"--jwt-key-file", filepath.Join(c.dir, "jwt.key"), "--ledger-key-file", filepath.Join(c.dir, "ledger.key"),
		"--psp-state-file", filepath.Join(c.dir, name+".psp")}
	p, err := startProc(c.ctx, name, c.bin, addr, "/healthz", filepath.Join(c.dir, name+".log"), nil, append(args, c.extra...)...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(p.Kill)
	return p
}

// seed imports n fines through srv and returns them with their amounts.
func (c *pgCluster) seed(srv *proc, n int, seed uint64) ([]fineItem, []int64) {
	c.t.Helper()
	api := &api{base: srv.Base, hc: newHTTPClient(8)}
	if err := api.login(officerName, officerPassword); err != nil {
		c.t.Fatal(err)
	}
	rng := newRand(seed)
	res, err := api.importCSV(detectionsCSV(rng, 0, n, scatteredTimes(rng, time.Now())))
	if err != nil || res.Imported != n {
		c.t.Fatalf("import: %d of %d imported, err %v", res.Imported, n, err)
	}
	fines, err := collectFines(api, n)
	if err != nil || len(fines) != n {
		c.t.Fatalf("listed %d fines, err %v", len(fines), err)
	}
	amounts, err := verifyAmounts(c.ctx, api, fines, 4)
	if err != nil {
		c.t.Fatal(err)
	}
	return fines, amounts
}

// ledgerVerify runs `multa ledger verify` against the database.
func (c *pgCluster) ledgerVerify() string {
	c.t.Helper()
	out, err := runCommand(c.ctx, c.bin, "", "ledger", "verify", "--db", c.db)
	if err != nil {
		c.t.Fatalf("multa ledger verify: %v: %s", err, out)
	}
	return out
}

// problemCode reads the code of a problem+json answer.
func problemCode(body []byte) (code, receiptID string) {
	var p struct {
		Code      string `json:"code"`
		ReceiptID string `json:"receiptId"`
	}
	_ = json.Unmarshal(body, &p)
	return p.Code, p.ReceiptID
}

// TestTwoProcessesPayEachFineOnce: two Multa processes on one PostgreSQL
// database, 50 payers split across them, every payer trying every fine at
// once with its own Idempotency-Key. The per-fine lock in each process's
// memory cannot see the other process; the database must still settle
// every fine exactly once, tell every loser it is already paid (without
// naming the receipt: that is the winner's), and show the same state
// through both processes (to staff, who see which receipt won).
func TestTwoProcessesPayEachFineOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	began := time.Now()
	c := newPGCluster(t, ctx, pgtest.NewDatabase(t))
	a, b := c.start("multa-a"), c.start("multa-b")
	const nFines, nPayers = 8, 50
	fines, amounts := c.seed(a, nFines, 11)
	procs := []*proc{a, b}

	type outcome struct {
		status int
		rcpt   string
		code   string
	}
	results := make([][]outcome, nFines) // [fine][payer]
	for i := range results {
		results[i] = make([]outcome, nPayers)
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for p := range nPayers {
		srv := procs[p%2]
		pc := &api{base: srv.Base, hc: newHTTPClient(1)}
		token, err := pc.tokenize() // the sandbox provider lives in each process
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for k := range nFines {
				i := (k + p) % nFines // payers start on different fines: real races everywhere
				nav := fines[i].Options[p%len(fines[i].Options)].NoticeNumber
				status, body, _, err := pc.pay(nav, fmt.Sprintf("two-fine-%02d-payer-%02d", i, p), payBody(amounts[i], token))
				if err != nil {
					t.Errorf("payer %d on %s: %v", p, srv.Name, err)
					continue
				}
				o := outcome{status: status}
				switch status {
				case http.StatusCreated:
					var r receipt
					_ = json.Unmarshal(body, &r)
					o.rcpt = r.ReceiptID
				default:
					o.code, o.rcpt = problemCode(body)
				}
				results[i][p] = o
			}
		}()
	}
	close(start)
	wg.Wait()

	ca, cb := &api{base: a.Base, hc: newHTTPClient(2)}, &api{base: b.Base, hc: newHTTPClient(2)}
	for _, c := range []*api{ca, cb} { // staff: a public verify does not name the receipt
		if err := c.login(officerName, officerPassword); err != nil {
			t.Fatal(err)
		}
	}
	for i, rs := range results {
		var winners []int
		for p, o := range rs {
			if o.status == http.StatusCreated {
				winners = append(winners, p)
			}
		}
		if len(winners) != 1 {
			t.Errorf("fine %s: %d payments succeeded (payers %v), want exactly 1", fines[i].ID, len(winners), winners)
			continue
		}
		won := rs[winners[0]].rcpt
		for p, o := range rs {
			if p == winners[0] {
				continue
			}
			if o.status != http.StatusConflict || o.code != "already_paid" || o.rcpt != "" {
				t.Errorf("fine %s, payer %d: %d %s receipt %q; want 409 already_paid naming no receipt", fines[i].ID, p, o.status, o.code, o.rcpt)
			}
		}
		for _, api := range []*api{ca, cb} {
			v, err := api.verify(fines[i].Options[0].NoticeNumber)
			if err != nil || v.Status != "paid" || v.Payment == nil || v.Payment.ReceiptID != won {
				t.Errorf("fine %s through %s: %+v %v; want paid by %s", fines[i].ID, api.base, v, err, won)
			}
		}
	}
	fc := &api{base: b.Base, hc: newHTTPClient(1)}
	if err := fc.login("bench-finance", officerPassword); err != nil {
		t.Fatal(err)
	}
	if n := receiptsSince(t, fc, began); n != nFines {
		t.Errorf("%d receipts stored for %d fines; want one each", n, nFines)
	}
	t.Logf("%d payers × %d fines across two processes: one receipt per fine; %s", nPayers, nFines, c.ledgerVerify())
}

// receiptsSince counts the receipts of every day (Rome) from since to
// now through the reconciliation: a run that crosses midnight has its
// payments on two days, and counting only today would miss some.
func receiptsSince(t *testing.T, fc *api, since time.Time) int {
	t.Helper()
	rome, _ := time.LoadLocation("Europe/Rome")
	n := 0
	last := time.Now().In(rome).Format(time.DateOnly)
	for d := since.In(rome); ; d = d.AddDate(0, 0, 1) {
		day := d.Format(time.DateOnly)
		var rec struct {
			Receipts struct {
				Count int `json:"count"`
			} `json:"receipts"`
		}
		if _, err := fc.do("GET", "/api/v1/reconciliation?date="+day, "", nil, nil, &rec, 200); err != nil {
			t.Fatalf("reconciliation of %s: %v", day, err)
		}
		n += rec.Receipts.Count
		if day >= last {
			return n
		}
	}
}

// loadAttempt is one payment of the fault tests and what its client saw.
type loadAttempt struct {
	fine    int
	nav     string
	key     string
	body    []byte
	via     *proc
	status  int   // the final answer; 0: none (the process died)
	retries []int // statuses answered before it, each retried with the same key
	code    string
	rcpt    string
}

// payLoad pays fines one by one from payers spread over procs until stop
// is closed or the fines run out, recording every attempt. A payer
// retries a 503 with the same Idempotency-Key after a short pause, as the
// app does; a payer whose process stops answering stops too.
func payLoad(fines []fineItem, amounts []int64, procs []*proc, payersPer int, stop <-chan struct{}, acked *atomic.Int64) (func() []*loadAttempt, error) {
	var (
		mu   sync.Mutex
		all  []*loadAttempt
		next atomic.Int64
		wg   sync.WaitGroup
	)
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	for _, srv := range procs {
		for w := range payersPer {
			pc := &api{base: srv.Base, hc: newHTTPClient(1)}
			token, err := pc.tokenize()
			if err != nil {
				return nil, err
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				for !stopped() {
					i := int(next.Add(1) - 1)
					if i >= len(fines) {
						return
					}
					a := &loadAttempt{fine: i, nav: fines[i].Options[w%len(fines[i].Options)].NoticeNumber,
						key: fmt.Sprintf("load-%s-%04d", srv.Name, i), body: payBody(amounts[i], token), via: srv}
					mu.Lock()
					all = append(all, a)
					mu.Unlock()
					for {
						status, body, _, err := pc.pay(a.nav, a.key, a.body)
						if err != nil {
							return // the process is gone: so is this payer
						}
						a.status = status
						a.code, a.rcpt = problemCode(body)
						if status == http.StatusCreated {
							var r receipt
							_ = json.Unmarshal(body, &r)
							a.rcpt = r.ReceiptID
							acked.Add(1)
						}
						if status != http.StatusServiceUnavailable || stopped() {
							break
						}
						a.retries = append(a.retries, status)
						time.Sleep(50 * time.Millisecond)
					}
				}
			}()
		}
	}
	return func() []*loadAttempt { wg.Wait(); return all }, nil
}

// TestKillOneProcessMidLoad: two processes take payments; one is killed
// with SIGKILL mid-load. The other goes on serving, and every payment
// either process acknowledged is in the database afterwards.
func TestKillOneProcessMidLoad(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := newPGCluster(t, ctx, pgtest.NewDatabase(t))
	a, b := c.start("multa-a"), c.start("multa-b")
	fines, amounts := c.seed(a, 160, 12)
	stop := make(chan struct{})
	var acked atomic.Int64
	wait, err := payLoad(fines, amounts, []*proc{a, b}, 4, stop, &acked)
	if err != nil {
		t.Fatal(err)
	}
	for acked.Load() < 30 && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	a.Kill()
	killedAt := acked.Load()
	// b goes on: wait for more acknowledgements after the kill.
	deadline := time.Now().Add(30 * time.Second)
	for acked.Load() < killedAt+30 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	attempts := wait()
	if acked.Load() < killedAt+30 {
		t.Fatalf("the surviving process acknowledged %d payments after the kill, want 30", acked.Load()-killedAt)
	}
	cb := &api{base: b.Base, hc: newHTTPClient(2)}
	if err := cb.login(officerName, officerPassword); err != nil { // staff: a public verify does not name the receipt
		t.Fatal(err)
	}
	var lost, ackedA, ackedB int
	for _, at := range attempts {
		if at.via == b && at.status != http.StatusCreated && at.status != 0 {
			t.Errorf("payment %s through the surviving process: %d %s", at.key, at.status, at.code)
		}
		if at.status != http.StatusCreated {
			continue
		}
		if at.via == a {
			ackedA++
		} else {
			ackedB++
		}
		v, err := cb.verify(at.nav)
		if err != nil || v.Status != "paid" || v.Payment == nil || v.Payment.ReceiptID != at.rcpt {
			lost++
			t.Errorf("acknowledged payment %s (receipt %s via %s) not found: %+v %v", at.key, at.rcpt, at.via.Name, v, err)
		}
	}
	t.Logf("killed %s after %d acknowledgements; %d acknowledged by it, %d by %s, %d lost; %s",
		a.Name, killedAt, ackedA, ackedB, b.Name, lost, c.ledgerVerify())
}

// TestPostgresRestartDuringLoad: PostgreSQL is stopped and started again
// while payers pay through a Multa process. Requests in flight fail
// cleanly (503 store_unavailable, never a 500 or a hang), the process
// reconnects by itself, retries with the same Idempotency-Key settle
// every fine once, and nothing acknowledged is lost.
func TestPostgresRestartDuringLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("restarts a PostgreSQL cluster under load; skipped with -short")
	}
	pgtest.Shared(t) // skip (or fail in CI) like the others when PostgreSQL is missing
	cl, err := pgtest.Start(pgtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	url, err := cl.CreateDatabase(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := newPGCluster(t, ctx, url)
	srv := c.start("multa-a")
	fines, amounts := c.seed(srv, 200, 13)
	stop := make(chan struct{})
	var acked atomic.Int64
	wait, err := payLoad(fines, amounts, []*proc{srv}, 8, stop, &acked)
	if err != nil {
		t.Fatal(err)
	}
	for acked.Load() < 30 && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	if err := cl.StopServer(); err != nil {
		t.Fatal(err)
	}
	down := acked.Load()
	time.Sleep(time.Second) // payers meet a database that is not there
	if err := cl.StartServer(); err != nil {
		t.Fatal(err)
	}
	restarted := acked.Load()
	deadline := time.Now().Add(30 * time.Second)
	for acked.Load() < restarted+30 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	close(stop)
	attempts := wait()
	if acked.Load() < restarted+30 {
		t.Fatalf("only %d payments acknowledged after PostgreSQL came back: the service did not recover", acked.Load()-restarted)
	}
	unavailable := 0
	cs := &api{base: srv.Base, hc: newHTTPClient(2)}
	if err := cs.login(officerName, officerPassword); err != nil { // staff: a public verify does not name the receipt
		t.Fatal(err)
	}
	for _, at := range attempts {
		unavailable += len(at.retries)
		switch {
		case at.status == http.StatusServiceUnavailable && at.code != "store_unavailable":
			t.Errorf("payment %s: 503 with code %q, want store_unavailable", at.key, at.code)
		case at.status == 0:
			t.Errorf("payment %s got no answer: requests in flight must fail cleanly", at.key)
		case at.status != http.StatusCreated && at.status != http.StatusServiceUnavailable:
			t.Errorf("payment %s: %d %s (after %v)", at.key, at.status, at.code, at.retries)
		}
	}
	if unavailable == 0 {
		t.Error("no request met the restart: the test proves nothing")
	}
	// Retry everything with the same key: acknowledged ones replay, any
	// left unanswered settle now (or find their first try committed).
	for _, at := range attempts {
		status, body, hdr, err := cs.pay(at.nav, at.key, at.body)
		if err != nil {
			t.Errorf("retry %s: %v", at.key, err)
			continue
		}
		var r receipt
		_ = json.Unmarshal(body, &r)
		switch {
		case at.status == http.StatusCreated && (status != http.StatusCreated || hdr.Get("Idempotent-Replayed") != "true" || r.ReceiptID != at.rcpt):
			t.Errorf("retry of acknowledged %s = %d %s, want the replay of receipt %s", at.key, status, body, at.rcpt)
		case status != http.StatusCreated:
			t.Errorf("retry %s = %d %s, want 201", at.key, status, body)
		}
		v, err := cs.verify(at.nav)
		if err != nil || v.Status != "paid" || v.Payment == nil || v.Payment.ReceiptID != r.ReceiptID {
			t.Errorf("fine of %s after the retry: %+v %v; want paid by %s", at.key, v, err, r.ReceiptID)
		}
	}
	t.Logf("%d acknowledged before the stop, %d answers 503 store_unavailable (retried), %d acknowledged in all; %s",
		down, unavailable, acked.Load(), c.ledgerVerify())
}

// TestTwoProcessesCardsAndPagoPAReceipts: two processes with the pagoPA
// station on one database; for every fine, card payers on both processes
// and the node delivering the fine's pagoPA receipt to both at once (and,
// for every other fine, a second payment at another PSP). Whoever comes
// first settles the fine, exactly once; a receipt after it is stored
// flagged double_payment; each pagoPA receipt is stored once however many
// processes it reached; a card payer told already_paid was not charged.
func TestTwoProcessesCardsAndPagoPAReceipts(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := pgtest.NewDatabase(t)
	c := newPGCluster(t, ctx, db)
	const broker, station, iban = "97735020584", "97735020584_01", "IT60X0542811101000000123456"
	c.extra = []string{"--pagopa-broker-id", broker, "--pagopa-station-id", station, "--creditor-iban", iban}
	a, b := c.start("multa-a"), c.start("multa-b")
	const nFines = 10
	fines, amounts := c.seed(a, nFines, 14)
	node := func(p *proc) *nodesim.Node {
		return nodesim.New(nodesim.Config{URL: p.Base + "/pagopa/v1/paForNode", Client: newHTTPClient(8),
			IDPA: "01199250158", BrokerID: broker, StationID: station, Seed: 12})
	}
	na, nb := node(a), node(b)
	var sends []pagopa.CtReceipt
	var sendFine []int
	for i, f := range fines {
		nav := f.Options[0].NoticeNumber
		x, err := na.Activate(ctx, nav, "", true)
		if err != nil {
			t.Fatal(err)
		}
		p, err := nodesim.PaymentOf(nav, x)
		if err != nil {
			t.Fatal(err)
		}
		sends, sendFine = append(sends, na.Receipt(p, nodesim.PSPs[i%len(nodesim.PSPs)])), append(sendFine, i)
		if i%2 == 0 {
			sends, sendFine = append(sends, na.Receipt(p, nodesim.PSPs[(i+1)%len(nodesim.PSPs)])), append(sendFine, i)
		}
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	for k, r := range sends {
		for _, n := range []*nodesim.Node{na, nb} { // the same receipt reaches both processes
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				if sendFine[k]%3 == 1 { // let the cards race ahead on a third of the fines
					time.Sleep(300 * time.Millisecond)
				}
				x, err := n.SendReceipt(ctx, r, true)
				if err != nil {
					t.Errorf("receipt %s: %v", r.ReceiptID, err)
					return
				}
				if o, code := x.Outcome(); o != pagopa.OutcomeOK {
					t.Errorf("receipt %s: %s %s", r.ReceiptID, o, code)
				}
			}()
		}
	}
	cardWins := make([]atomic.Int32, nFines)
	for p := range 10 {
		srv := []*proc{a, b}[p%2]
		pc := &api{base: srv.Base, hc: newHTTPClient(1)}
		token, err := pc.tokenize()
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			for i := range fines {
				status, body, _, err := pc.pay(fines[i].Options[len(fines[i].Options)-1].NoticeNumber, fmt.Sprintf("mixed-fine-%02d-payer-%02d", i, p), payBody(amounts[i], token))
				switch code, _ := problemCode(body); {
				case err != nil:
					t.Errorf("card payer %d: %v", p, err)
				case status == http.StatusCreated:
					cardWins[i].Add(1)
				case status != http.StatusConflict || code != "already_paid":
					t.Errorf("card payer %d on fine %d: %d %s", p, i, status, body)
				}
			}
		}()
	}
	close(start)
	wg.Wait()

	st, err := postgres.Open(ctx, db, postgres.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	stored := map[string]int{}
	var byCard, byPagoPA, flagged int
	for i, f := range fines {
		fine, err := st.Fine(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		rs, err := st.ReceiptsOfFine(ctx, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		settling, cards := 0, 0
		for _, r := range rs {
			if r.PagoPA != nil {
				stored[r.PagoPA.ReceiptID]++
			} else {
				cards++
			}
			switch {
			case r.ID == fine.ReceiptID && r.Anomaly == "":
				settling++
				if r.PagoPA == nil {
					byCard++
				} else {
					byPagoPA++
				}
			case r.ID != fine.ReceiptID && r.PagoPA != nil && r.Anomaly == notices.AnomalyDoublePayment && r.RefundCents == r.AmountCents:
				flagged++
			default:
				t.Errorf("fine %s: receipt %s (card %v) anomaly %q, settled by %s", f.ID, r.ID, r.PagoPA == nil, r.Anomaly, fine.ReceiptID)
			}
		}
		if fine.Status != notices.StatusPaid || settling != 1 {
			t.Errorf("fine %s: status %s, %d settling receipts", f.ID, fine.Status, settling)
		}
		if n := int(cardWins[i].Load()); n != cards || n > 1 {
			t.Errorf("fine %s: %d card payments acknowledged, %d card receipts stored; want the same, at most 1", f.ID, n, cards)
		}
	}
	for _, r := range sends {
		if n := stored[r.ReceiptID]; n != 1 {
			t.Errorf("pagoPA receipt %s stored %d times (sent to both processes)", r.ReceiptID, n)
		}
	}
	if err := st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
	t.Logf("%d fines: %d settled by card, %d by pagoPA; %d later pagoPA receipts flagged for refund; each of %d receipts stored once",
		nFines, byCard, byPagoPA, flagged, len(sends))
}
