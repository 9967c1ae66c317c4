// Command bench measures Multa against its targets on this machine and
// prints one table: verify throughput and latency against a bare Fiber
// handler, durable payments against raw bbolt commits (or, with -store
// postgres, against raw PostgreSQL single-row inserts), bulk import speed
// and size, QR rendering, and optionally memory over a soak.
//
//	go run ./bench [-store postgres] [-duration 5s] [-concurrency 16] [-fines 100000] [-open-loop raw|nethttp|both] [-soak 5m] [-out bench.md] [-pprof DIR]
//
// It builds the service, starts it as a separate process on a loopback
// port with a fresh database in a temporary directory, seeds it through
// the public API, and drives load from this process (Go's net/http client
// for the closed loops, a raw HTTP/1.1 client for the open loops at half
// the peak, wrk for verify's honest ratio). The load generator and the
// server share the machine's cores, which the table states.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// options are the harness's flags.
type options struct {
	Duration     time.Duration
	Warmup       time.Duration
	Concurrency  int
	Payers       int // concurrent payers of the payment measurement, and raw bbolt writers
	PayersHigh   int // the second payment run's payers: throughput must hold there (0 skips it)
	Fines        int
	Chunk        int
	ImportConc   int
	MaxFines     int
	Rounds       int
	OrderedTimes bool
	PSPState     string          // "memory" or "file": where the sandbox PSP keeps its state
	Store        string          // "bolt" or "postgres": the database the service runs on
	Only         map[string]bool // sections to run; empty means all
	Soak         time.Duration
	DashFines    int    // fines of the dashboard section's own database
	DashPayments int    // of which paid
	DashDB       string // the dashboard's database: seeded when missing, reused after
	DashSeedOnly bool   // seed DashDB and stop
	OpenLoop     string // the open-loop generator at half the peak: raw, nethttp or both
	Out          string
	PprofDir     string
	Keep         bool
}

// Targets from the issue "Measured speed and crash safety".
const (
	targetVerifyRatio  = 0.50                   // of bare Fiber
	targetP99HalfPeak  = 10 * time.Millisecond  // at 50% of measured peak
	targetPayRatio     = 0.60                   // of raw bbolt Batch at the same concurrency (issue 16)
	targetPayP99Half   = 50 * time.Millisecond  // payments at 50% of their measured peak
	targetPayRatioPG   = 0.50                   // of raw PostgreSQL single-row inserts (issue 15)
	targetImport1M     = 90 * time.Second       // for 1,000,000 fines (issue 16)
	targetBytesPerFine = 1700                   // database bytes per fine at 1,000,000 (issue 16)
	targetStatsP99     = 200 * time.Millisecond // the dashboard's calls at a big city's scale
	targetPageP99      = 50 * time.Millisecond  // a page of the fines list there
	targetSoakGrowth   = 0.10                   // anonymous RSS growth after warm-up
	officerName        = "bench-officer"
	officerPassword    = "bench-officer-pw-2026"
)

func main() {
	var o options
	flag.DurationVar(&o.Duration, "duration", 5*time.Second, "length of each measurement (a paired one, ours against its ceiling, is cut into -rounds alternated slices of it)")
	flag.DurationVar(&o.Warmup, "warmup", time.Second, "unmeasured warm-up before each measurement")
	flag.IntVar(&o.Rounds, "rounds", 5, "slices each paired measurement (ours versus its ceiling) is cut into and alternated; totals are pooled")
	flag.IntVar(&o.Concurrency, "concurrency", 16, "concurrent workers (connections) of the closed-loop measurements")
	flag.IntVar(&o.Payers, "payers", 64, "concurrent payers of the payment measurement, and raw bbolt writers (or PostgreSQL connections, with -store postgres) of its ceiling")
	flag.IntVar(&o.PayersHigh, "payers-high", 256, "payers of the second payment run, against raw bbolt Batch at as many writers (0 skips it)")
	flag.IntVar(&o.Fines, "fines", 100_000, "fines to import through POST /api/v1/fines/import (1000000 for the full target)")
	flag.IntVar(&o.Chunk, "chunk", 10_000, "rows per import request")
	flag.IntVar(&o.ImportConc, "import-concurrency", 2, "import requests in flight")
	flag.BoolVar(&o.OrderedTimes, "ordered-times", false, "import violations in time order (one camera's export, a migration) instead of scattered over three days (many cameras interleaved, the worst case for the time indexes)")
	flag.StringVar(&o.PSPState, "psp-state", "memory", "where the sandbox PSP keeps its state: memory (it stands for a remote provider, whose disk is not ours; our database still fsyncs every commit) or file (the shipped default, which adds the sandbox's own fsyncs to every payment)")
	flag.StringVar(&o.Store, "store", "bolt", "the database the service runs on: bolt (a file) or postgres (a throw-away durable cluster started by the harness, fsync and synchronous_commit on; payments are then compared with raw single-row inserts)")
	flag.IntVar(&o.MaxFines, "max-fines", 100_000, "fines whose NAVs the read and payment measurements use")
	flag.IntVar(&o.DashFines, "dashboard-fines", 3_000_000, "fines the dashboard section seeds into a database of its own (a big city)")
	flag.IntVar(&o.DashPayments, "dashboard-payments", 1_000_000, "of which the dashboard section pays, over the last year")
	flag.StringVar(&o.DashDB, "dashboard-db", "", "the dashboard section's database: seeded (with PATH.json saying what it holds) when PATH does not exist, reused as it is when it does; empty seeds a throw-away one")
	flag.BoolVar(&o.DashSeedOnly, "dashboard-seed-only", false, "seed the database of -dashboard-db when missing, then stop without measuring: seeding millions of fines is a long CPU job that need not hold the bench lock")
	flag.DurationVar(&o.Soak, "soak", 0, "optional soak under mixed load, sampling the server's RSS (e.g. 5m); 0 skips it")
	flag.StringVar(&o.OpenLoop, "open-loop", "raw", "generator of the open-loop runs at half the peak (verify, payments): raw (a minimal HTTP/1.1 keep-alive client, a few µs of CPU a request), nethttp (Go's net/http client, the generator of older tables, which costs the server CPU and adds its own queueing) or both, in alternated slices of -duration")
	flag.StringVar(&o.Out, "out", "", "also write the table as markdown to this file")
	flag.StringVar(&o.PprofDir, "pprof", "", "write CPU profiles of the server (one per measurement) and a heap profile to this directory")
	only := flag.String("only", "", "comma-separated sections to run: import, verify, qr, pay, dashboard (the import always runs, as the others need its fines; empty means all)")
	flag.BoolVar(&o.Keep, "keep", false, "keep the temporary directory (database, logs) for inspection")
	flag.Parse()
	// The generator shares the CPUs with the server: collecting its
	// garbage less often leaves the server more CPU and the open-loop
	// schedule fewer stalls. Its heap stays small either way.
	debug.SetGCPercent(400)
	o.Only = map[string]bool{}
	for _, sec := range strings.Split(*only, ",") {
		switch sec = strings.TrimSpace(sec); sec {
		case "":
		case "import", "verify", "qr", "pay", "dashboard":
			o.Only[sec] = true
		default:
			fmt.Fprintf(os.Stderr, "bench: -only: unknown section %q (import, verify, qr, pay, dashboard)\n", sec)
			os.Exit(2)
		}
	}
	if o.DashSeedOnly && o.DashDB == "" {
		fmt.Fprintln(os.Stderr, "bench: -dashboard-seed-only needs -dashboard-db")
		os.Exit(2)
	}
	if o.Store != "bolt" && o.Store != "postgres" {
		fmt.Fprintln(os.Stderr, "bench: -store must be bolt or postgres")
		os.Exit(2)
	}
	if o.OpenLoop != "raw" && o.OpenLoop != "nethttp" && o.OpenLoop != "both" {
		fmt.Fprintln(os.Stderr, "bench: -open-loop must be raw, nethttp or both")
		os.Exit(2)
	}
	if o.PSPState != "memory" && o.PSPState != "file" {
		fmt.Fprintln(os.Stderr, "bench: -psp-state must be memory or file")
		os.Exit(2)
	}
	if o.Payers < 1 || o.PayersHigh < 0 {
		fmt.Fprintln(os.Stderr, "bench: -payers must be positive, -payers-high not negative")
		os.Exit(2)
	}
	if o.Concurrency < 1 || o.Fines < 1 || o.Chunk < 1 || o.ImportConc < 1 || o.Rounds < 1 || o.Duration <= 0 {
		fmt.Fprintln(os.Stderr, "bench: -concurrency, -fines, -chunk, -import-concurrency, -rounds and -duration must be positive")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := run(ctx, o, os.Stderr)
	if rep != nil {
		md := rep.markdown()
		fmt.Println(md)
		if o.Out != "" {
			if werr := os.WriteFile(o.Out, []byte(md), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, "bench:", werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// runs reports whether a section is selected by -only.
func (o options) runs(section string) bool { return len(o.Only) == 0 || o.Only[section] }

// failed turns a measurement that mostly failed into an error: a table of
// error rates would measure nothing.
func failed(what string, r result) error {
	if r.Ops == 0 || r.Errors > r.Ops/100 {
		return fmt.Errorf("%s: %d ok, %d failed; first error: %v", what, r.Ops, r.Errors, r.FirstErr)
	}
	return nil
}

// failedIfRun is failed for a measurement that ran: one that -open-loop
// left out (nothing sent, nothing failed) is no failure.
func failedIfRun(what string, r result) error {
	if r.Ops == 0 && r.Errors == 0 {
		return nil
	}
	return failed(what, r)
}

// coldQRPath returns the i-th never-requested QR: the NAVs in order, then
// again at other module scales (the cache key includes the scale) once
// every NAV has been drawn at the default scale.
func coldQRPath(navs []string, i int64, format string) string {
	scales := []int{8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14}
	round := int(i / int64(len(navs)))
	p := "/api/v1/notices/" + navs[i%int64(len(navs))] + "/qr." + format
	if s := scales[round%len(scales)]; s != 8 {
		p += fmt.Sprintf("?scale=%d", s)
	}
	return p
}

// fileSize returns the size of a file, 0 when it cannot be read.
func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// importStats is the outcome of the bulk import.
type importStats struct {
	Fines    int
	Failed   int
	Requests int
	Elapsed  time.Duration
	// CPU as in result.
	CPU cpuSample
}

// Rate is fines imported per second.
func (s importStats) Rate() float64 { return float64(s.Fines) / s.Elapsed.Seconds() }

// importFines sends o.Fines detections in chunks, o.ImportConc requests
// at a time. The CSV of the next chunks is generated while the server
// works on the current ones, so the clock measures the server.
func importFines(ctx context.Context, c *api, o options, meter cpuMeter) (importStats, error) {
	type chunk struct {
		body []byte
		rows int
	}
	chunks := make(chan chunk, o.ImportConc)
	go func() {
		defer close(chunks)
		rng := newRand(2026)
		now := time.Now()
		at := scatteredTimes(rng, now)
		if o.OrderedTimes {
			at = orderedTimes(o.Fines, now)
		}
		for done := 0; done < o.Fines && ctx.Err() == nil; {
			n := min(o.Chunk, o.Fines-done)
			chunks <- chunk{detectionsCSV(rng, done, n, at), n}
			done += n
		}
	}()
	// Fill the pipeline before the clock starts.
	for len(chunks) < cap(chunks) && ctx.Err() == nil {
		time.Sleep(time.Millisecond)
		if o.Fines <= o.Chunk*len(chunks) {
			break
		}
	}
	var st importStats
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	c0 := meter.read()
	start := time.Now()
	for range o.ImportConc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ch := range chunks {
				res, err := c.importCSV(ch.body)
				mu.Lock()
				st.Requests++
				if err != nil && firstErr == nil {
					firstErr = err
				}
				st.Fines += res.Imported
				st.Failed += res.Failed
				if res.Failed > 0 && firstErr == nil {
					for _, r := range res.Rows {
						if len(r.Errors) > 0 {
							firstErr = fmt.Errorf("import row %d: %s: %s", r.Row, r.Errors[0].Field, r.Errors[0].Message)
							break
						}
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	st.Elapsed = time.Since(start)
	st.CPU = usage(c0, meter.read())
	if firstErr != nil {
		return st, firstErr
	}
	return st, ctx.Err()
}

// collectFines lists up to n fines (with their NAVs) through the back
// office's paginated listing.
func collectFines(c *api, n int) ([]fineItem, error) {
	var out []fineItem
	cursor := ""
	for len(out) < n {
		items, next, err := c.listFines(cursor, min(500, n-len(out)))
		if err != nil {
			return out, fmt.Errorf("list fines: %w", err)
		}
		out = append(out, items...)
		if next == "" || len(items) == 0 {
			break
		}
		cursor = next
	}
	return out, nil
}

// splitFines returns the first n fines and the rest.
func splitFines(f []fineItem, n int) (head, tail []fineItem) {
	n = min(n, len(f))
	return f[:n], f[n:]
}

// verifyAmounts looks up what each fine costs today, as the app does
// before showing the Pay button; payments must send that amount.
func verifyAmounts(ctx context.Context, c *api, fines []fineItem, conc int) ([]int64, error) {
	amounts := make([]int64, len(fines))
	err := forEach(ctx, len(fines), conc, func(i int) error {
		v, err := c.verify(fines[i].Options[0].NoticeNumber)
		if err != nil {
			return err
		}
		amounts[i] = v.AmountDue.Cents
		return nil
	})
	return amounts, err
}

// payers pay distinct fines: one card token per payer (a payer tokenizes
// once, as the app keeps the token for the session), one fresh
// Idempotency-Key per payment.
type payers struct {
	c       *api
	fines   []fineItem
	amounts []int64 // 0 where the amount is not known yet
	tokens  []string
	prefix  string
	next    atomic.Int64
}

func newPayers(c *api, fines []fineItem, amounts []int64, n int, prefix string) (*payers, error) {
	p := &payers{c: c, fines: fines, amounts: amounts, prefix: fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano())}
	for range n {
		t, err := c.tokenize()
		if err != nil {
			return nil, err
		}
		p.tokens = append(p.tokens, t)
	}
	return p, nil
}

var errPoolEmpty = errors.New("no unpaid fines left")

// pay pays the next fine of the pool. Past the pre-verified part of the
// pool it verifies first, which is slower but keeps the run going.
func (p *payers) pay(worker int, _ int64) error {
	i := int(p.next.Add(1) - 1)
	if i >= len(p.fines) {
		return errPoolEmpty
	}
	nav := p.fines[i].Options[0].NoticeNumber
	amount := int64(0)
	if i < len(p.amounts) {
		amount = p.amounts[i]
	}
	if amount == 0 {
		v, err := p.c.verify(nav)
		if err != nil {
			return err
		}
		amount = v.AmountDue.Cents
	}
	status, body, _, err := p.c.pay(nav, p.key(i), payBody(amount, p.tokens[worker%len(p.tokens)]))
	if err != nil {
		return err
	}
	if status != http.StatusCreated {
		return &httpError{status, string(body)}
	}
	return nil
}

// key is the Idempotency-Key of the payment of the i-th fine: fresh for
// every run and every fine.
func (p *payers) key(i int) string { return p.prefix + "-" + strconv.Itoa(i) }

// backgroundLoad returns the fraction of the machine's CPU capacity that
// other processes use over d, before the harness starts anything.
func backgroundLoad(ctx context.Context, d time.Duration) float64 {
	self := os.Getpid()
	m0, _ := machineBusy()
	s0, _ := cpuTime(self)
	t0 := time.Now()
	sleepCtx(ctx, d)
	m1, _ := machineBusy()
	s1, _ := cpuTime(self)
	return max(0, (m1-m0-(s1-s0)).Seconds()) / (time.Since(t0).Seconds() * float64(runtime.NumCPU()))
}

// describeMachine names the hardware the numbers came from.
func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(v), &kb)
				m.RAMBytes = kb << 10
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	return m
}
