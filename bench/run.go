package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/multa/multa/internal/pgtest"
)

// harness is one run's shared state: the service under test, its client
// and the data seeded into it.
type harness struct {
	ctx   context.Context
	o     options
	rep   *report
	logf  func(format string, args ...any)
	tmp   string
	bin   string          // the multa binary
	ceil  string          // the ceiling binary
	db    string          // the bbolt file, or the postgres:// URL
	pg    *pgtest.Cluster // the throw-away cluster of -store postgres
	srv   *proc
	c     *api // back-office client (officer)
	meter cpuMeter
	prof  profiler
	load  *http.Client // the closed-loop generator's client

	fines []fineItem
	navs  []string
	rest  []fineItem // fines no measurement has paid, for the soak
}

// run performs every selected measurement in order and returns the
// report, partial if a step failed. Progress goes to logw.
func run(ctx context.Context, o options, logw io.Writer) (*report, error) {
	h := &harness{ctx: ctx, o: o, rep: &report{Opts: o, Machine: describeMachine(), Started: time.Now()}}
	h.rep.init()
	h.logf = func(format string, args ...any) {
		fmt.Fprintf(logw, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
	// What the rest of the machine is doing: a shared machine's numbers
	// mean little, and the table should say so.
	h.rep.Background = backgroundLoad(ctx, 2*time.Second)
	if h.rep.Background > 0.25 {
		h.logf("warning: other processes keep %s of the CPUs busy; expect noisy numbers", pct(h.rep.Background))
	}
	tmp, err := os.MkdirTemp("", "multa-bench-")
	if err != nil {
		return nil, err
	}
	h.tmp = tmp
	if o.Keep {
		h.logf("keeping %s", tmp)
	} else {
		defer os.RemoveAll(tmp)
	}
	err = h.start()
	if h.pg != nil {
		defer h.pg.Stop()
	}
	if err != nil {
		return h.rep, err
	}
	defer h.srv.Kill()
	if o.DashSeedOnly { // a long CPU job, not a measurement: see -dashboard-seed-only
		_, err := h.dashboardDB(h.financeUser)
		return nil, err // no table: nothing was measured
	}

	steps := []struct {
		section string
		fn      func() error
	}{
		{"", h.importFines},
		{"", h.collect},
		{"verify", h.verify},
		{"qr", h.qr},
		{"pay", h.pay},
		{"dashboard", h.dashboard},
	}
	needFines := o.Soak > 0 || o.runs("verify") || o.runs("qr") || o.runs("pay")
	for i, s := range steps {
		// The dashboard seeds millions of fines: only when asked for.
		if s.section != "" && !o.runs(s.section) || i == 1 && !needFines || s.section == "dashboard" && !o.Only["dashboard"] {
			continue
		}
		if err := s.fn(); err != nil {
			return h.rep, err
		}
	}
	if o.Soak > 0 {
		if err := h.soak(); err != nil {
			return h.rep, err
		}
	}
	return h.rep, h.finish()
}

// start builds both binaries, creates the officer offline and starts the
// service on a fresh database.
func (h *harness) start() error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if h.o.PprofDir != "" {
		if err := os.MkdirAll(h.o.PprofDir, 0o755); err != nil {
			return err
		}
	}
	h.logf("building multa and the ceiling server")
	h.bin, h.ceil = filepath.Join(h.tmp, "multa"), filepath.Join(h.tmp, "ceiling")
	var berr [2]error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); berr[0] = buildBinary(h.ctx, root, ".", h.bin) }()
	go func() { defer wg.Done(); berr[1] = buildBinary(h.ctx, root, "./bench/ceiling", h.ceil) }()
	wg.Wait()
	if err := errors.Join(berr[:]...); err != nil {
		return err
	}

	h.db = filepath.Join(h.tmp, "multa.db")
	if h.o.Store == "postgres" {
		h.logf("starting a throw-away PostgreSQL cluster (fsync and synchronous_commit on)")
		if h.pg, err = pgtest.Start(pgtest.Options{Durable: true}); err != nil {
			return err
		}
		if h.db, err = h.pg.CreateDatabase(h.ctx); err != nil {
			return err
		}
	}
	if err := addUser(h.ctx, h.bin, h.db, officerName, "officer", officerPassword); err != nil {
		return err
	}
	addr, err := freeAddr()
	if err != nil {
		return err
	}
	var env []string
	if h.o.PprofDir != "" {
		paddr, err := freeAddr()
		if err != nil {
			return err
		}
		env = append(env, "MULTA_PPROF_ADDR="+paddr)
		h.prof = profiler{dir: h.o.PprofDir, base: "http://" + paddr}
	}
	args := []string{"serve", "--rate-limit", "0", "--addr", addr, "--db", h.db, "--log-level", "warn"}
	if h.pg != nil { // key files next to the temporary directory, not in the working one
		args = append(args, "--jwt-key-file", filepath.Join(h.tmp, "jwt.key"), "--ledger-key-file", filepath.Join(h.tmp, "ledger.key"))
		if err := writeJWTKey(filepath.Join(h.tmp, "jwt.key")); err != nil {
			return err
		}
		if h.o.PSPState != "memory" {
			args = append(args, "--psp-state-file", filepath.Join(h.tmp, "multa.psp"))
		}
	}
	if h.o.PSPState == "memory" {
		args = append(args, "--psp-state-file", "memory")
	}
	h.logf("starting multa on %s (sandbox PSP state: %s)", addr, h.o.PSPState)
	h.srv, err = startProc(h.ctx, "multa", h.bin, addr, "/healthz", filepath.Join(h.tmp, "multa.log"), env, args...)
	if err != nil {
		return err
	}
	h.rep.RSSStart, h.rep.AnonStart, _ = h.srv.RSS()
	h.meter = serverMeter(h.srv.Pid())
	if h.pg != nil {
		h.meter = withDB(h.meter, h.pg.Pid())
	}
	h.load = newHTTPClient(h.o.Concurrency)
	h.c = &api{base: h.srv.Base, hc: newHTTPClient(h.o.Concurrency * 4)}
	return h.c.login(officerName, officerPassword)
}

// importFines is the bulk-issuing measurement: speed, and file size.
func (h *harness) importFines() error {
	o := h.o
	h.logf("importing %d fines in chunks of %d rows, %d requests in flight", o.Fines, o.Chunk, o.ImportConc)
	before := h.dbSize()
	stop := h.prof.start("import", 0)
	var err error
	h.rep.Import, err = importFines(h.ctx, h.c, o, h.meter)
	stop()
	if err != nil {
		return err
	}
	after := h.dbSize()
	h.rep.DBBytesDelta, h.rep.DBBytes = after-before, after
	h.logf("imported %d fines in %v (%.0f/s), database %.1f MB", h.rep.Import.Fines, h.rep.Import.Elapsed.Round(time.Millisecond),
		h.rep.Import.Rate(), float64(h.rep.DBBytes)/1e6)
	return nil
}

// collect lists fines and their NAVs for the read and payment
// measurements, and the size of a real verify answer, which the ceiling
// will send as many bytes of.
func (h *harness) collect() error {
	h.logf("collecting up to %d fines' NAVs", h.o.MaxFines)
	var err error
	h.fines, err = collectFines(h.c, min(h.o.MaxFines, h.rep.Import.Fines))
	if err != nil {
		return err
	}
	for _, f := range h.fines {
		for _, opt := range f.Options {
			h.navs = append(h.navs, opt.NoticeNumber)
		}
	}
	if len(h.navs) == 0 {
		return errors.New("no NAVs to measure with")
	}
	h.rep.DistinctNAVs = len(h.navs)
	h.rest = h.payable()
	var sample []byte
	if _, err := h.c.do("GET", "/api/v1/notices/"+h.navs[0], "", nil, nil, &sample, 200); err != nil {
		return fmt.Errorf("verify %s: %w", h.navs[0], err)
	}
	h.rep.VerifyBytes = len(sample)
	return nil
}

// payable returns the collected fines that can still be paid.
func (h *harness) payable() []fineItem {
	out := make([]fineItem, 0, len(h.fines))
	for _, f := range h.fines {
		if f.Status == "issued" || f.Status == "notified" {
			out = append(out, f)
		}
	}
	return out
}

// get returns an op that GETs base+path(seq) and expects 200.
func (h *harness) get(base string, path func(seq int64) string) op {
	return func(_ int, seq int64) error {
		resp, err := h.load.Get(base + path(seq))
		if err != nil {
			return err
		}
		drain(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path(seq), resp.Status)
		}
		return nil
	}
}

func (h *harness) verifyPath(seq int64) string {
	return "/api/v1/notices/" + h.navs[seq%int64(len(h.navs))]
}

// slice is the length of one alternated slice of a paired measurement.
func (h *harness) slice() time.Duration { return h.o.Duration / time.Duration(h.o.Rounds) }

// warm is the warm-up of round i: only the first round warms up, as the
// connections and caches stay warm between slices.
func (h *harness) warm(i int) time.Duration {
	if i == 0 {
		return h.o.Warmup
	}
	return 0
}

// verify measures verify against the bare Fiber ceiling, alternating,
// then the latency at half the peak rate.
func (h *harness) verify() error {
	o, rep := h.o, h.rep
	h.logf("ceiling: bare Fiber answering %d constant bytes", rep.VerifyBytes)
	caddr, err := freeAddr()
	if err != nil {
		return err
	}
	ceil, err := startProc(h.ctx, "ceiling", h.ceil, caddr, "/healthz", filepath.Join(h.tmp, "ceiling.log"), nil,
		"--addr", caddr, "--body-bytes", fmt.Sprint(rep.VerifyBytes))
	if err != nil {
		return err
	}
	h.logf("verify vs ceiling: closed loop, %d workers, %d distinct NAVs, %d alternated slices", o.Concurrency, len(h.navs), o.Rounds)
	stop := h.prof.start("verify", 0)
	rs := rounds(o.Rounds,
		func(i int) result {
			return closedLoop(h.ctx, o.Concurrency, h.warm(i), h.slice(), h.meter, h.get(h.srv.Base, h.verifyPath))
		},
		func(i int) result {
			return closedLoop(h.ctx, o.Concurrency, h.warm(i), h.slice(), serverMeter(ceil.Pid()), h.get(ceil.Base, h.verifyPath))
		})
	stop()
	h.verifyWrk(ceil)
	defer ceil.Stop(5 * time.Second) // the open loop measures it too
	rep.VerifyRounds, rep.CeilingRounds = rs[0], rs[1]
	rep.Verify, rep.Ceiling = pool(rs[0]), pool(rs[1])
	if err := failed("verify", rep.Verify); err != nil {
		return err
	}
	if err := failed("ceiling", rep.Ceiling); err != nil {
		return err
	}

	// Half of the honest peak when wrk measured one: the Go client's
	// peak is its own.
	rep.HalfRate = rep.Verify.Rate() / 2
	if rep.WrkVerify.Ops > 0 {
		rep.HalfRate = rep.WrkVerify.Rate() / 2
	}
	h.logf("verify: open loop at %.0f req/s (half of the peak), generator %s", rep.HalfRate, o.OpenLoop)
	workers := o.Concurrency * 4
	open := newHTTPClient(workers)
	host := hostOf(h.srv.Base)
	stop = h.prof.start("verify-half", o.Duration)
	defer stop()
	ceilHost := hostOf(ceil.Base)
	rep.VerifyHalf, rep.CeilingHalf, rep.VerifyHalfStd = h.openLoops(func(d time.Duration) result {
		return rawOpenLoop(h.ctx, host, rep.HalfRate, workers, d, h.meter, http.StatusOK, h.verifyRequest(host))
	}, func(d time.Duration) result {
		return rawOpenLoop(h.ctx, ceilHost, rep.HalfRate, workers, d, serverMeter(ceil.Pid()), http.StatusOK, h.verifyRequest(ceilHost))
	}, func(d time.Duration) result {
		return openLoop(h.ctx, rep.HalfRate, workers, d, h.meter, func(_ int, seq int64) error {
			resp, err := open.Get(h.srv.Base + h.verifyPath(seq))
			if err != nil {
				return err
			}
			drain(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("verify: %s", resp.Status)
			}
			return nil
		})
	})
	return errors.Join(failedIfRun("verify at half peak (raw HTTP/1.1 generator)", rep.VerifyHalf),
		failedIfRun("verify at half peak (net/http generator)", rep.VerifyHalfStd),
		failedIfRun("bare Fiber at verify's half peak", rep.CeilingHalf))
}

// openLoops runs an open-loop measurement with the generators -open-loop
// names: raw (the raw HTTP/1.1 client), nethttp (Go's net/http client),
// or both. ref, when not nil, is a reference measured at the same rate
// with the raw client whenever it runs (bare Fiber for verify: what the
// machine's own scheduling adds to any server's tail). More than one
// measurement run in alternated slices, each -duration in total; the
// result of one that did not run is empty.
func (h *harness) openLoops(raw, ref, std func(time.Duration) result) (rawRes, refRes, stdRes result) {
	var fns []func(time.Duration) result
	var outs []*result
	if h.o.OpenLoop != "nethttp" {
		fns, outs = append(fns, raw), append(outs, &rawRes)
		if ref != nil {
			fns, outs = append(fns, ref), append(outs, &refRes)
		}
	}
	if h.o.OpenLoop != "raw" {
		fns, outs = append(fns, std), append(outs, &stdRes)
	}
	if len(fns) == 1 {
		*outs[0] = fns[0](h.o.Duration)
		return rawRes, refRes, stdRes
	}
	sliced := make([]func(int) result, len(fns))
	for i, f := range fns {
		sliced[i] = func(round int) result {
			r := f(h.slice())
			// A pooled p99 can come from one slice's stall: the log
			// tells which.
			h.logf("  open loop %d, slice %d: %s, late %s, %d errors", i, round, lat(r), ms(r.Late), r.Errors)
			return r
		}
	}
	for i, rs := range rounds(h.o.Rounds, sliced...) {
		*outs[i] = pool(rs)
	}
	return rawRes, refRes, stdRes
}

// verifyWrk measures verify against the ceiling again with wrk (one
// random-NAV script for both, wrkConnections connections), alternating
// slices; without wrk it records why and the table says so.
func (h *harness) verifyWrk(ceil *proc) {
	o, rep := h.o, h.rep
	bin, err := findWrk(h.ctx, h.logf)
	if err != nil {
		rep.WrkMissing = err.Error()
		h.logf("%v", err)
		return
	}
	w, err := newWrkTool(bin, h.tmp, h.navs)
	if err != nil {
		rep.WrkMissing = err.Error()
		return
	}
	h.logf("verify vs ceiling with wrk: -t1 -c%d, one random-NAV script, %d alternated slices", wrkConnections, o.Rounds)
	ours := func(i int) result {
		if i == 0 {
			w.run(h.ctx, h.srv.Base, wrkConnections, o.Warmup, nil)
		}
		return w.run(h.ctx, h.srv.Base, wrkConnections, h.slice(), h.meter)
	}
	theirs := func(i int) result {
		if i == 0 {
			w.run(h.ctx, ceil.Base, wrkConnections, o.Warmup, nil)
		}
		return w.run(h.ctx, ceil.Base, wrkConnections, h.slice(), serverMeter(ceil.Pid()))
	}
	stop := h.prof.start("verify-wrk", 0)
	rs := rounds(o.Rounds, ours, theirs)
	stop()
	rep.WrkVerifyRounds, rep.WrkCeilingRounds = rs[0], rs[1]
	rep.WrkVerify, rep.WrkCeiling = pool(rs[0]), pool(rs[1])
	for _, r := range []result{rep.WrkVerify, rep.WrkCeiling} {
		if r.FirstErr != nil {
			h.logf("wrk: %v", r.FirstErr)
		}
	}
}

// qr measures QR codes: cold is a (NAV, scale) never asked before, so
// the cache misses and the symbol is drawn; cached repeats one NAV.
func (h *harness) qr() error {
	o, rep := h.o, h.rep
	for _, format := range []string{"png", "svg"} {
		var cold atomic.Int64
		h.logf("QR %s: cold", format)
		stop := h.prof.start("qr-"+format+"-cold", o.Warmup+o.Duration)
		r := closedLoop(h.ctx, o.Concurrency, o.Warmup, o.Duration, h.meter, h.get(h.srv.Base, func(int64) string {
			return coldQRPath(h.navs, cold.Add(1)-1, format)
		}))
		stop()
		if err := failed("QR "+format+" cold", r); err != nil {
			return err
		}
		rep.QRCold[format] = r
		rep.QRColdWrapped = rep.QRColdWrapped || cold.Load() > int64(len(h.navs))
		h.logf("QR %s: cached", format)
		r = closedLoop(h.ctx, o.Concurrency, o.Warmup, o.Duration, h.meter, h.get(h.srv.Base, func(int64) string {
			return "/api/v1/notices/" + h.navs[0] + "/qr." + format
		}))
		if err := failed("QR "+format+" cached", r); err != nil {
			return err
		}
		rep.QRCached[format] = r
	}
	return nil
}

// pay measures durable payments, each on its own fine, against raw bbolt
// commits of the same concurrency in a file beside the service's: o.Payers
// payers against Update and Batch, then o.PayersHigh payers against Batch
// at that concurrency, then an open loop at half the first peak.
func (h *harness) pay() error {
	o, rep := h.o, h.rep
	if h.pg != nil {
		return h.payPG()
	}
	// Enough fines for every run even at the raw Batch rate of this
	// disk (a store that shares commits can come close to it); a probe
	// tells what that is. A quarter of the fines stays for the soak in
	// any case.
	h.logf("raw bbolt: probing the Batch rate of this disk with %d writers", o.Payers)
	probe, err := boltCeiling(h.ctx, h.tmp, o.Payers, 0, min(o.Duration/2, 2*time.Second), true)
	if err != nil {
		return fmt.Errorf("bbolt ceiling: %w", err)
	}
	need := int(probe.Rate()*2.5*(o.Warmup+o.Duration).Seconds()) + 4*o.PayersHigh
	if o.Soak > 0 {
		need = min(need, len(h.rest)*3/4)
	}
	if need > len(h.rest) {
		h.logf("warning: only %d unpaid fines for payments; raise -max-fines if the payers run dry", len(h.rest))
	}
	var payPool []fineItem
	payPool, h.rest = splitFines(h.rest, need)
	h.logf("payments: verifying the amount due of %d fines first", len(payPool))
	amounts, err := verifyAmounts(h.ctx, h.c, payPool, o.Concurrency)
	if err != nil {
		return err
	}
	payers, err := newPayers(h.c, payPool, amounts, max(o.Payers, o.PayersHigh), "bench")
	if err != nil {
		return err
	}
	// h.load keeps o.Concurrency idle connections; payers need one each.
	payers.c = &api{base: h.c.base, hc: newHTTPClient(o.PayersHigh * 4), token: h.c.token}
	var boltErr error
	bolt := func(conc int, batch bool) func(int) result {
		return func(i int) result {
			r, err := boltCeiling(h.ctx, h.tmp, conc, h.warm(i), h.slice(), batch)
			if err != nil && boltErr == nil {
				boltErr = err
			}
			return r
		}
	}
	paying := func(conc int) func(int) result {
		return func(i int) result {
			return closedLoop(h.ctx, conc, h.warm(i), h.slice(), h.meter, payers.pay)
		}
	}
	h.logf("payments vs raw bbolt Update and Batch: %d concurrent writers, %d alternated slices", o.Payers, o.Rounds)
	stop := h.prof.start("pay", 0)
	rs := rounds(o.Rounds, bolt(o.Payers, false), bolt(o.Payers, true), paying(o.Payers))
	stop()
	if boltErr != nil {
		return fmt.Errorf("bbolt ceiling: %w", boltErr)
	}
	rep.BoltUpdateRounds, rep.BoltBatchRounds, rep.PayRounds = rs[0], rs[1], rs[2]
	rep.BoltUpdate, rep.BoltBatch, rep.Pay = pool(rs[0]), pool(rs[1]), pool(rs[2])
	if err := failed("payments", rep.Pay); err != nil {
		return err
	}
	if o.PayersHigh > 0 {
		h.logf("payments vs raw bbolt Batch: %d concurrent writers, %d alternated slices", o.PayersHigh, o.Rounds)
		stop := h.prof.start("pay-high", 0)
		rs := rounds(o.Rounds, bolt(o.PayersHigh, true), paying(o.PayersHigh))
		stop()
		if boltErr != nil {
			return fmt.Errorf("bbolt ceiling: %w", boltErr)
		}
		rep.BoltBatchHighRounds, rep.PayHighRounds = rs[0], rs[1]
		rep.BoltBatchHigh, rep.PayHigh = pool(rs[0]), pool(rs[1])
		if err := failed("payments at high concurrency", rep.PayHigh); err != nil {
			return err
		}
	}
	rep.PayHalfRate = rep.Pay.Rate() / 2
	h.logf("payments: open loop at %.0f/s (half of the peak), generator %s", rep.PayHalfRate, o.OpenLoop)
	host := hostOf(payers.c.base)
	rep.PayHalf, _, rep.PayHalfStd = h.openLoops(func(d time.Duration) result {
		return rawOpenLoop(h.ctx, host, rep.PayHalfRate, o.PayersHigh, d, h.meter, http.StatusCreated, payers.request(host))
	}, nil, func(d time.Duration) result {
		return openLoop(h.ctx, rep.PayHalfRate, o.PayersHigh, d, h.meter, payers.pay)
	})
	return errors.Join(failedIfRun("payments at half peak (raw HTTP/1.1 generator)", rep.PayHalf),
		failedIfRun("payments at half peak (net/http generator)", rep.PayHalfStd))
}

// soak runs the mixed load and samples memory.
func (h *harness) soak() error {
	h.logf("soak: %v of mixed load, sampling RSS every %v", h.o.Soak, soakInterval(h.o.Soak))
	stop := h.prof.start("soak", min(h.o.Soak, 60*time.Second))
	var err error
	h.rep.Soak, err = soak(h.ctx, h.srv, h.navs, h.rest, h.c, h.o)
	stop()
	return err
}

// finish stops the service gracefully and checks its ledger offline.
func (h *harness) finish() error {
	h.rep.RSSEnd, h.rep.AnonEnd, _ = h.srv.RSS()
	if err := h.prof.heap("heap"); err != nil {
		h.logf("heap profile: %v", err)
	}
	h.logf("stopping multa and checking its ledger")
	if err := h.srv.Stop(30 * time.Second); err != nil {
		return err
	}
	out, err := runCommand(h.ctx, h.bin, "", "ledger", "verify", "--db", h.db)
	if err != nil {
		return fmt.Errorf("ledger verify after the run: %v: %s", err, out)
	}
	h.rep.Ledger = strings.TrimSpace(out)
	h.rep.Finished = time.Now()
	return nil
}

// payPG measures payments on PostgreSQL against raw single-row inserts
// from as many connections, in alternated slices; the ceiling writes into
// a database of its own on the same cluster.
func (h *harness) payPG() error {
	o, rep := h.o, h.rep
	n := o.Payers // as bbolt's row: -payers payers against as many connections
	ceilURL, err := h.pg.CreateDatabase(h.ctx)
	if err != nil {
		return err
	}
	h.logf("raw PostgreSQL inserts: probing the commit rate of this cluster")
	probe, err := pgCeiling(h.ctx, ceilURL, n, 0, min(o.Duration/2, 2*time.Second), nil)
	if err != nil {
		return fmt.Errorf("PostgreSQL ceiling: %w", err)
	}
	need := int(probe.Rate()*(o.Warmup+o.Duration).Seconds()) + 4*n
	if need > len(h.rest) {
		h.logf("warning: only %d unpaid fines for payments; raise -max-fines if the payers run dry", len(h.rest))
	}
	var payPool []fineItem
	payPool, h.rest = splitFines(h.rest, need)
	h.logf("payments: verifying the amount due of %d fines first", len(payPool))
	amounts, err := verifyAmounts(h.ctx, h.c, payPool, o.Concurrency)
	if err != nil {
		return err
	}
	payers, err := newPayers(h.c, payPool, amounts, n, "bench")
	if err != nil {
		return err
	}
	// h.c keeps o.Concurrency idle connections; payers need one each.
	payers.c = &api{base: h.c.base, hc: newHTTPClient(n * 4), token: h.c.token}
	h.logf("payments vs raw PostgreSQL inserts: %d concurrent writers, %d alternated slices", n, o.Rounds)
	var ceilErr error
	stop := h.prof.start("pay", 0)
	rs := rounds(o.Rounds, func(i int) result {
		r, err := pgCeiling(h.ctx, ceilURL, n, h.warm(i), h.slice(), h.meter)
		if err != nil && ceilErr == nil {
			ceilErr = err
		}
		return r
	}, func(i int) result {
		return closedLoop(h.ctx, n, h.warm(i), h.slice(), h.meter, payers.pay)
	})
	stop()
	if ceilErr != nil {
		return fmt.Errorf("PostgreSQL ceiling: %w", ceilErr)
	}
	rep.BoltUpdateRounds, rep.PayRounds = rs[0], rs[1]
	rep.BoltUpdate, rep.Pay = pool(rs[0]), pool(rs[1])
	return failed("payments", rep.Pay)
}

// dbSize is the size of the database: the bbolt file, or what PostgreSQL
// reports for the database (pg_database_size).
func (h *harness) dbSize() int64 {
	if h.pg == nil {
		return fileSize(h.db)
	}
	conn, err := pgx.Connect(h.ctx, h.db)
	if err != nil {
		return 0
	}
	defer conn.Close(h.ctx)
	var n int64
	_ = conn.QueryRow(h.ctx, `SELECT pg_database_size(current_database())`).Scan(&n)
	return n
}

// writeJWTKey writes a random JWT key file, for services that are given
// one (a PostgreSQL URL has no file to put a default next to).
func writeJWTKey(path string) error {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	return os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600)
}
