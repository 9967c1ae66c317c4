package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/multa/multa/notices"
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
	Seed            dashSeed // what seeding the database cost
	Reused          bool     // the database of -dashboard-db was seeded by an earlier run
	DBBytes         int64
	Stats           result        // GET /api/v1/stats (the last 30 days)
	StatsYear       result        // GET /api/v1/stats?from=… (a whole year)
	FirstPage       result        // GET /api/v1/fines?limit=50
	Pages           result        // following pages by cursor
	Unpaid          result        // GET /api/v1/fines?unpaid=true&limit=50
	ReportSearch    result        // GET /api/v1/fines?q=YYYY/N: a report number
	PlateSearch     result        // GET /api/v1/fines?q=AB1: the start of a plate
	Recon           result        // GET /api/v1/reconciliation?date=&limit=50: one of the last 30 days, as the dashboard's panel asks
	ReconWhole      result        // the same without limit: every row, as the CSV export reads them
	Open            time.Duration // from starting multa on the file to its first answer
	Prepare         time.Duration // the harness's own first open of the file (migrations)
}

// financeUser adds the finance clerk the dashboard logs in as to the
// database at path.
func (h *harness) financeUser(path string) error {
	return addUser(h.ctx, h.bin, path, financeName, "finance", financePassword)
}

// dashboard seeds a database of its own and measures the back office's
// reads on it.
func (h *harness) dashboard() error {
	o := h.o
	d := &h.rep.Dash
	path, err := h.dashboardDB(h.financeUser)
	if err != nil {
		return err
	}
	d.Fines, d.Payments = d.Seed.Fines, d.Seed.Payments
	d.DBBytes = fileSize(path)
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	h.logf("dashboard: starting multa on the seeded file")
	// With -pprof the dashboard's server, a process of its own, is
	// profiled through its own pprof listener.
	var env []string
	prof := profiler{}
	if o.PprofDir != "" {
		paddr, err := freeAddr()
		if err != nil {
			return err
		}
		env = append(env, "MULTA_PPROF_ADDR="+paddr)
		prof = profiler{dir: o.PprofDir, base: "http://" + paddr}
	}
	start := time.Now()
	srv, err := startProcWait(h.ctx, 10*time.Minute, "multa-dashboard", h.bin, addr, "/healthz", filepath.Join(h.tmp, "dashboard.log"), env,
		"serve", "--rate-limit", "0", "--addr", addr, "--db", path, "--log-level", "warn", "--psp-state-file", "memory")
	if err != nil {
		return err
	}
	defer srv.Stop(30 * time.Second)
	d.Open = time.Since(start)
	h.logf("dashboard: multa answers after %v", d.Open.Round(100*time.Millisecond))
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
	// The office's searches (the list's one search box): a report number
	// (one seek in the report-number index), the start of a plate (three
	// characters, as a clerk types them), and the reconciliation of a day,
	// which the dashboard page opens on (its answer is that day's
	// receipts, a few thousand in a big city).
	h.logf("dashboard: searches and a day's reconciliation")
	today := notices.DateOf(time.Now().In(notices.Rome))
	rng := rand.New(rand.NewPCG(16, uint64(time.Now().UnixNano())))
	var mu sync.Mutex
	pick := func(n int) int { mu.Lock(); defer mu.Unlock(); return rng.IntN(n) }
	d.ReportSearch = closedLoop(h.ctx, clerks, 0, o.Duration, meter, get(func(int64) string {
		// Numbers run per year of the violation; most fines of the seed's
		// last 364 days are of this year when it is late in the year.
		return fmt.Sprintf("/api/v1/fines?limit=50&q=%d/%d", today.Year, 1+pick(max(d.Fines/2, 1)))
	}))
	d.PlateSearch = closedLoop(h.ctx, clerks, 0, o.Duration, meter, get(func(int64) string {
		return fmt.Sprintf("/api/v1/fines?limit=50&q=%c%c%d", 'A'+pick(26), 'A'+pick(26), pick(10))
	}))
	// The panel asks for the first 50 rows (pwa dashboard.js,
	// PROBLEMS_SHOWN) with the counts of all; the whole answer is the
	// CSV's, measured too, as it still reads and matches every receipt.
	stop := prof.start("dashboard-recon", o.Duration)
	d.Recon = closedLoop(h.ctx, clerks, 0, o.Duration, meter, get(func(int64) string {
		return "/api/v1/reconciliation?limit=50&date=" + today.AddDays(-1-pick(30)).String()
	}))
	stop()
	stop = prof.start("dashboard-recon-whole", o.Duration)
	d.ReconWhole = closedLoop(h.ctx, clerks, 0, o.Duration, meter, get(func(int64) string {
		return "/api/v1/reconciliation?date=" + today.AddDays(-1-pick(30)).String()
	}))
	stop()
	for _, r := range []result{d.Stats, d.StatsYear, d.FirstPage, d.Unpaid, d.Pages, d.ReportSearch, d.PlateSearch, d.Recon, d.ReconWhole} {
		if err := failed("dashboard", r); err != nil {
			return err
		}
	}
	return nil
}
