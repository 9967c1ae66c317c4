package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync/atomic"
	"time"

	"github.com/multa/multa/issuing"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// Seeding the dashboard's database (3,000,000 fines, 1,000,000 paid) is
// the slow part of that section, so it is done once per file: with
// -dashboard-db PATH the harness seeds PATH when it does not exist and
// reuses it afterwards. A seed is written to PATH.seeding and renamed
// only once complete and checked, with a PATH.json beside it that says
// what it holds; a PATH without its PATH.json is refused rather than
// measured half-seeded.

// dashSeed is what a seeded dashboard database holds and what making it
// cost, kept in PATH.json.
type dashSeed struct {
	Fines        int           `json:"fines"`
	Payments     int           `json:"payments"`
	SeedFines    time.Duration `json:"seedFines"`
	SeedPayments time.Duration `json:"seedPayments"`
	SeedCheck    time.Duration `json:"seedCheck"` // the tallies against a scan
	SeededAt     time.Time     `json:"seededAt"`
}

// dashboardDB returns the path of a seeded dashboard database: reused
// when o.DashDB names one, seeded otherwise (into o.DashDB, or into the
// run's temporary directory). mkUser adds the finance user to a new seed
// before it is published.
func (h *harness) dashboardDB(mkUser func(path string) error) (string, error) {
	o, d := h.o, &h.rep.Dash
	path := o.DashDB
	if path == "" {
		path = filepath.Join(h.tmp, "dashboard.db")
	}
	if o.DashDB != "" {
		if _, err := os.Stat(path); err == nil {
			seed, err := readSeed(path)
			if err != nil {
				return "", err
			}
			if seed.Fines != o.DashFines || seed.Payments > o.DashPayments || seed.Payments < o.DashPayments*9/10 {
				h.logf("dashboard: %s holds %d fines and %d payments (-dashboard-fines %d and -dashboard-payments %d are ignored)",
					path, seed.Fines, seed.Payments, o.DashFines, o.DashPayments)
			}
			d.Seed, d.Reused = seed, true
			h.logf("dashboard: reusing %s (%d fines, %d payments, seeded %s)", path, seed.Fines, seed.Payments, seed.SeededAt.Format(time.RFC3339))
			return path, prepare(path, d, h.logf)
		}
	}
	tmp := path + ".seeding"
	for _, p := range []string{tmp, tmp + ".json"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return "", err
		}
	}
	h.logf("dashboard: seeding %d fines and %d payments into %s", o.DashFines, o.DashPayments, tmp)
	if o.PprofDir != "" { // the seeding runs in this process: profile it here
		f, err := os.Create(filepath.Join(o.PprofDir, "dashboard-seed.cpu.pprof"))
		if err != nil {
			return "", err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return "", err
		}
		defer pprof.StopCPUProfile()
	}
	seed, err := seedDashboard(h.ctx, tmp, o.DashFines, o.DashPayments, h.logf)
	if err != nil {
		return "", err
	}
	if err := mkUser(tmp); err != nil {
		return "", err
	}
	b, err := json.MarshalIndent(seed, "", "  ")
	if err != nil {
		return "", err
	}
	// The description first: a PATH that exists always has one.
	if err := os.WriteFile(path+".json", append(b, '\n'), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	d.Seed = seed
	return path, prepare(path, d, h.logf)
}

// prepare opens the seeded file once, writable, and closes it. A kept
// seed may predate the code under test: whatever its first writable open
// migrates (an index added since) happens here, timed on its own, and
// not in the server's start; with -dashboard-seed-only it happens then,
// outside any measurement.
func prepare(path string, d *dashStats, logf func(string, ...any)) error {
	start := time.Now()
	cal := notices.Calendar{} // the service's, started without --patron-day
	st, err := boltdb.Open(path, boltdb.Options{Calendar: &cal})
	if err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	d.Prepare = time.Since(start)
	logf("dashboard: %s opened (and brought up to date, if older) in %v", path, d.Prepare.Round(100*time.Millisecond))
	return nil
}

// readSeed reads the description of a seeded dashboard database.
func readSeed(path string) (dashSeed, error) {
	var s dashSeed
	b, err := os.ReadFile(path + ".json")
	if err != nil {
		return s, fmt.Errorf("dashboard: %s exists but %s.json does not say what it holds (a seed that did not finish?): delete it to seed again: %w", path, path, err)
	}
	if err := json.Unmarshal(b, &s); err != nil || s.Fines <= 0 {
		return s, fmt.Errorf("dashboard: %s.json: not a seed description: %v", path, err)
	}
	return s, nil
}

// seedDashboard writes fines fines and pays payments of them into a new
// database at path, through the store's own write paths, so that every
// index, ledger entry and tally is what the service would have written.
// The violations are scattered over the last year and imported in time
// order, as a city's cameras and officers produce them day after day (a
// quarter of them notified by post); the payments are made in the order
// of the fines from many goroutines, which share commits. Then the
// store's tallies are checked against a scan of every fine and receipt.
func seedDashboard(ctx context.Context, path string, fines, payments int, logf func(string, ...any)) (dashSeed, error) {
	var seed dashSeed
	cal := notices.Calendar{} // the service's, started without --patron-day
	st, err := boltdb.Open(path, boltdb.Options{Calendar: &cal})
	if err != nil {
		return seed, err
	}
	defer st.Close()
	settings := notices.Settings{
		Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
		Segregation: "01", Fees: notices.DefaultFees, Calendar: cal,
	}
	cat := notices.DefaultCatalogue()
	now := time.Now()
	today := notices.DateOf(now.In(notices.Rome))
	rng := rand.New(rand.NewPCG(2026, 16))
	issue := issuing.New(issuing.Config{Store: st, Settings: settings})
	// A year less a day: a fine is issued (its id stamped) when imported,
	// minutes after now, and a violation over a year old is refused.
	const year = 364 * 24 * time.Hour

	// Every violation time first, sorted: the store's time indexes and
	// its time-ordered fine ids then grow at their end.
	times := make([]time.Time, fines)
	for i := range times {
		times[i] = now.Add(-time.Minute - time.Duration(rng.Int64N(int64(year))))
	}
	slices.SortFunc(times, time.Time.Compare)

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
		for _, at := range times[done : done+n] {
			// Issued when imported: the fine's id orders fines by issue.
			f, err := notices.NewFine(notices.FineRequest{
				Plate:         fmt.Sprintf("%c%c%03d%c%c", 'A'+rng.IntN(26), 'A'+rng.IntN(26), rng.IntN(1000), 'A'+rng.IntN(26), 'A'+rng.IntN(26)),
				ViolationCode: benchViolations[rng.IntN(len(benchViolations))],
				OccurredAt:    at, Place: benchStreets[rng.IntN(len(benchStreets))] + ", Milano",
				Contestation: notices.ContestDeferred, Officer: "bench",
			}, cat, settings, time.Now(), nil)
			if err != nil {
				return seed, err
			}
			if rng.IntN(4) == 0 {
				on := notices.DateOf(at.In(notices.Rome)).AddDays(1 + rng.IntN(20))
				if on.After(today) {
					on = today
				}
				if err := f.Notify(on, notices.ChannelPost, 1300, now); err != nil {
					return seed, err
				}
			}
			batch = append(batch, f)
		}
		// Through the issuing use case, as the server imports: NAVs are
		// random, and 3,000,000 fines draw about 5,400,000 of 10^13, so a
		// collision is likely (it stopped a seed): the fine then gets fresh
		// NAVs and is tried again.
		errs, err := issue.Import(ctx, batch)
		if err != nil {
			return seed, err
		}
		for i, f := range batch {
			if notices.ErrorCode(errs[i]) == notices.EDuplicate {
				continue // the same random plate, article, second and street twice
			}
			if errs[i] != nil {
				return seed, fmt.Errorf("seed fine: %w", errs[i])
			}
			if len(toPay) < payments && rng.IntN(fines) < payments*5/4 {
				paidAt := f.OccurredAt.Add(time.Duration(rng.Int64N(int64(max(now.Sub(f.OccurredAt), time.Second)))))
				due := cal.Due(f, notices.DateOf(paidAt.In(notices.Rome)))
				toPay = append(toPay, payable{f.ID, f.ReportNumber, f.Options[0].NAV, due.Cents, due.Stage, paidAt})
			}
		}
		if (done/chunk)%50 == 49 {
			logf("dashboard: %d fines in %v", done+n, time.Since(start).Round(time.Second))
		}
	}
	if err := ctx.Err(); err != nil {
		return seed, err
	}
	seed.Fines = fines
	seed.SeedFines = time.Since(start)
	logf("dashboard: %d fines in %v; paying %d", fines, seed.SeedFines.Round(time.Second), len(toPay))

	// Payments in the order of the fines they pay (the import's, by
	// violation time), not of their payment times: the fines, their date
	// and status index entries and their receipts' index entries are then
	// neighbours in their B+trees, and the pages a shared commit writes
	// hold many payments each instead of one (in payment-time order, every
	// payment dirtied pages of its own across a file of gigabytes: 280
	// payments/s on a busy machine). 1,000 payers fill the store's largest
	// group commit.
	start = time.Now()
	var paid atomic.Int64
	err = forEach(ctx, len(toPay), 1000, func(i int) error {
		p := toPay[i]
		id, err := notices.NewTimeID(time.Now(), nil) // receipts are stored in the order made
		if err == nil {
			_, err = st.RecordPayment(ctx, notices.PaymentRecord{FineID: p.id, Receipt: notices.Receipt{
				ID: id, NAV: p.nav, FineID: p.id, ReportNumber: p.report, Creditor: settings.Creditor,
				AmountCents: p.cents, SanctionCents: p.cents, Stage: p.stage, PaidAt: p.at,
				PSP:    notices.PSPRef{Name: "sandbox", TransactionID: "tx-" + id},
				Method: notices.CardMethod{Brand: "visa", Last4: "4242"},
			}})
		}
		if err != nil {
			return fmt.Errorf("seed payment: %w", err)
		}
		if n := paid.Add(1); n%100_000 == 0 {
			logf("dashboard: %d payments in %v", n, time.Since(start).Round(time.Second))
		}
		return nil
	})
	if err != nil {
		return seed, err
	}
	seed.Payments = len(toPay)
	seed.SeedPayments = time.Since(start)
	logf("dashboard: %d payments in %v", seed.Payments, seed.SeedPayments.Round(time.Second))

	start = time.Now()
	if err := checkTallies(ctx, st, cal, today); err != nil {
		return seed, err
	}
	seed.SeedCheck = time.Since(start)
	seed.SeededAt = time.Now().UTC()
	logf("dashboard: the tallies match a scan of every fine and receipt (%v)", seed.SeedCheck.Round(time.Second))
	return seed, nil
}

// checkTallies compares what the dashboard reads (the store's tallies)
// with what reading every unpaid fine and every receipt of the last year
// gives, as the conformance suite (notices/storetest) does on small
// stores: a seed whose tallies drifted would measure a fast wrong answer.
func checkTallies(ctx context.Context, st *boltdb.Store, cal notices.Calendar, today notices.Date) error {
	got, err := st.OutstandingOn(ctx, today)
	if err != nil {
		return err
	}
	s, err := notices.NewStats(today, today)
	if err != nil {
		return err
	}
	if err := s.AddOutstanding(func(fn func(*notices.Fine) error) error { return st.OutstandingFines(ctx, fn) }, cal, today); err != nil {
		return err
	}
	if got != s.Outstanding {
		return fmt.Errorf("dashboard seed: outstanding tallies %+v, a scan of the fines %+v", got, s.Outstanding)
	}
	// A year and a bit, a month at a time, so that no more than a month
	// of receipts is held at once.
	for to := today; !to.Before(today.AddDays(-400)); to = to.AddDays(-31) {
		from := to.AddDays(-30)
		byTally, err := notices.NewStats(from, to)
		if err != nil {
			return err
		}
		if err := st.PaymentTallies(ctx, from, to, byTally.AddHourTally); err != nil {
			return err
		}
		rs, err := st.Receipts(ctx, from, to)
		if err != nil {
			return err
		}
		byReceipt, _ := notices.NewStats(from, to)
		for _, r := range rs {
			byReceipt.AddReceipt(r)
		}
		a, _ := json.Marshal(byTally)
		b, _ := json.Marshal(byReceipt)
		if string(a) != string(b) {
			return fmt.Errorf("dashboard seed: payments of %s..%s: the tallies say %d (%d cents), %d receipts %d (%d cents)",
				from, to, byTally.Payments, byTally.AmountCents, len(rs), byReceipt.Payments, byReceipt.AmountCents)
		}
		runtime.GC() // the month's receipts
	}
	return nil
}

// seedRate is n per d, for the report.
func seedRate(n int, d time.Duration) float64 { return float64(n) / max(d.Seconds(), 1e-9) }
