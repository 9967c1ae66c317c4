package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// The dashboard at a big city's scale (issue 16): the back office's calls
// against a database of o.DashFines fines, o.DashPayments of them paid
// over the last year. Seeding through the HTTP API would take most of an
// hour, so the harness writes the database itself with the store's own
// bulk path (ImportFines, ten thousand fines per transaction) and
// RecordPayment from many goroutines (which share commits), then starts a
// second server on the file and measures GET /api/v1/stats and pages of
// GET /api/v1/fines over HTTP.

const (
	financeName     = "bench-finance"
	financePassword = "bench-finance-pw-2026"
)

// dashStats is the outcome of the dashboard section.
type dashStats struct {
	Fines, Payments int
	SeedFines       time.Duration // ImportFines of every fine
	SeedPayments    time.Duration
	DBBytes         int64
	Stats           result // GET /api/v1/stats (the last 30 days)
	StatsYear       result // GET /api/v1/stats?from=… (a whole year)
	FirstPage       result // GET /api/v1/fines?limit=50
	Pages           result // following pages by cursor
	Unpaid          result // GET /api/v1/fines?unpaid=true&limit=50
}

// dashboard seeds a database of its own and measures the back office's
// reads on it.
func (h *harness) dashboard() error {
	o := h.o
	path := filepath.Join(h.tmp, "dashboard.db")
	h.logf("dashboard: seeding %d fines and %d payments into %s", o.DashFines, o.DashPayments, path)
	d := &h.rep.Dash
	if err := seedDashboard(h.ctx, path, o.DashFines, o.DashPayments, d, h.logf); err != nil {
		return err
	}
	d.DBBytes = fileSize(path)
	if err := addUser(h.ctx, h.bin, path, financeName, "finance", financePassword); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	h.logf("dashboard: starting multa on the seeded file")
	srv, err := startProc(h.ctx, "multa-dashboard", h.bin, addr, "/healthz", filepath.Join(h.tmp, "dashboard.log"), nil,
		"serve", "--rate-limit", "0", "--addr", addr, "--db", path, "--log-level", "warn", "--psp-state-file", "memory")
	if err != nil {
		return err
	}
	defer srv.Stop(30 * time.Second)
	c := &api{base: srv.Base, hc: newHTTPClient(8)}
	if err := c.login(financeName, financePassword); err != nil {
		return err
	}
	meter := serverMeter(srv.Pid())
	get := func(path func(seq int64) string) op {
		return func(_ int, seq int64) error {
			_, err := c.do("GET", path(seq), "", nil, nil, nil, http.StatusOK)
			return err
		}
	}
	// A few clerks at once, as in an office; each call is measured
	// whole, answer read.
	const clerks = 4
	h.logf("dashboard: GET /api/v1/stats, %d clients", clerks)
	d.Stats = closedLoop(h.ctx, clerks, o.Warmup, o.Duration, meter, get(func(int64) string { return "/api/v1/stats" }))
	year := notices.DateOf(time.Now().In(notices.Rome)).AddDays(-364).String()
	d.StatsYear = closedLoop(h.ctx, clerks, 0, o.Duration, meter, get(func(int64) string { return "/api/v1/stats?from=" + year }))
	h.logf("dashboard: fines list pages")
	d.FirstPage = closedLoop(h.ctx, clerks, 0, o.Duration, meter, get(func(int64) string { return "/api/v1/fines?limit=50" }))
	d.Unpaid = closedLoop(h.ctx, clerks, 0, o.Duration, meter, get(func(int64) string { return "/api/v1/fines?unpaid=true&limit=50" }))
	var cursors sync.Map // worker → next cursor: each clerk pages on through the list
	d.Pages = closedLoop(h.ctx, clerks, 0, o.Duration, meter, func(w int, _ int64) error {
		cur, _ := cursors.Load(w)
		cs, _ := cur.(string)
		items, next, err := c.listFines(cs, 50)
		if err != nil {
			return err
		}
		if len(items) == 0 && cs == "" {
			return errors.New("empty fines list")
		}
		cursors.Store(w, next)
		return nil
	})
	for _, r := range []result{d.Stats, d.StatsYear, d.FirstPage, d.Unpaid, d.Pages} {
		if err := failed("dashboard", r); err != nil {
			return err
		}
	}
	return nil
}

// seedDashboard writes fines fines (scattered over the last year, a
// quarter of them notified) and pays payments of them on days spread over
// the same year, into a new database at path.
func seedDashboard(ctx context.Context, path string, fines, payments int, d *dashStats, logf func(string, ...any)) error {
	cal := notices.Calendar{} // the service's, started without --patron-day
	st, err := boltdb.Open(path, boltdb.Options{Calendar: &cal})
	if err != nil {
		return err
	}
	defer st.Close()
	settings := notices.Settings{
		Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
		Segregation: "01", Fees: notices.DefaultFees, Calendar: cal,
	}
	cat := notices.DefaultCatalogue()
	now := time.Now()
	rng := rand.New(rand.NewPCG(2026, 16))
	const year = 365 * 24 * time.Hour
	type payable struct {
		id, report string
		nav        notices.NAV
		cents      int64
		stage      notices.Stage
		at         time.Time
	}
	toPay := make([]payable, 0, payments)
	start := time.Now()
	const chunk = 10_000
	for done := 0; done < fines && ctx.Err() == nil; done += chunk {
		n := min(chunk, fines-done)
		batch := make([]*notices.Fine, 0, n)
		for range n {
			at := now.Add(-time.Minute - time.Duration(rng.Int64N(int64(year))))
			f, err := notices.NewFine(notices.FineRequest{
				Plate:         fmt.Sprintf("%c%c%03d%c%c", 'A'+rng.IntN(26), 'A'+rng.IntN(26), rng.IntN(1000), 'A'+rng.IntN(26), 'A'+rng.IntN(26)),
				ViolationCode: benchViolations[rng.IntN(len(benchViolations))],
				OccurredAt:    at, Place: benchStreets[rng.IntN(len(benchStreets))] + ", Milano",
				Contestation: notices.ContestDeferred, Officer: "bench",
			}, cat, settings, now, nil)
			if err != nil {
				return err
			}
			if rng.IntN(4) == 0 {
				on := notices.DateOf(at.In(notices.Rome)).AddDays(1 + rng.IntN(20))
				if today := notices.DateOf(now.In(notices.Rome)); on.After(today) {
					on = today
				}
				if err := f.Notify(on, notices.ChannelPost, 1300, now); err != nil {
					return err
				}
			}
			batch = append(batch, f)
		}
		errs, err := st.ImportFines(ctx, batch)
		if err != nil {
			return err
		}
		for i, f := range batch {
			if notices.ErrorCode(errs[i]) == notices.EDuplicate {
				continue // the same random plate, article, second and street twice
			}
			if errs[i] != nil {
				return fmt.Errorf("seed fine: %w", errs[i])
			}
			if len(toPay) < payments && rng.IntN(fines) < payments*5/4 {
				paidAt := f.OccurredAt.Add(time.Duration(rng.Int64N(int64(max(now.Sub(f.OccurredAt), time.Second)))))
				due := cal.Due(f, notices.DateOf(paidAt.In(notices.Rome)))
				toPay = append(toPay, payable{f.ID, f.ReportNumber, f.Options[0].NAV, due.Cents, due.Stage, paidAt})
			}
		}
		if (done/chunk)%50 == 49 {
			logf("dashboard: %d fines", done+n)
		}
	}
	d.Fines = fines
	d.SeedFines = time.Since(start)
	logf("dashboard: %d fines in %v; paying %d", fines, d.SeedFines.Round(time.Second), len(toPay))
	start = time.Now()
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	for range 256 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(toPay) {
					return
				}
				p := toPay[i]
				id, err := notices.NewID(nil)
				if err == nil {
					_, err = st.RecordPayment(ctx, notices.PaymentRecord{FineID: p.id, Receipt: notices.Receipt{
						ID: id, NAV: p.nav, FineID: p.id, ReportNumber: p.report, Creditor: settings.Creditor,
						AmountCents: p.cents, SanctionCents: p.cents, Stage: p.stage, PaidAt: p.at,
						PSP:    notices.PSPRef{Name: "sandbox", TransactionID: "tx-" + id},
						Method: notices.CardMethod{Brand: "visa", Last4: "4242"},
					}})
				}
				if err != nil {
					once.Do(func() { firstErr = fmt.Errorf("seed payment: %w", err) })
					return
				}
			}
		}()
	}
	wg.Wait()
	d.Payments = len(toPay)
	d.SeedPayments = time.Since(start)
	logf("dashboard: %d payments in %v", d.Payments, d.SeedPayments.Round(time.Second))
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}
