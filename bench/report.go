package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
)

// machine is what the numbers were measured on.
type machine struct {
	CPUs      int
	CPUModel  string
	RAMBytes  int64
	Kernel    string
	GoVersion string
	OS        string
}

// report holds every measurement of one run.
type report struct {
	Opts     options
	Machine  machine
	Started  time.Time
	Finished time.Time
	// Background is the share of CPU other processes used just before
	// the run.
	Background float64

	BoltUpdate, BoltBatch result

	Import       importStats
	DBBytes      int64
	DBBytesDelta int64 // growth of the file during the import

	DistinctNAVs int
	VerifyBytes  int
	Verify       result
	Ceiling      result
	// Every slice of the alternated pairs, for the spread of the ratios.
	VerifyRounds, CeilingRounds, PayRounds, BoltUpdateRounds []result
	HalfRate                                                 float64
	// Verify in an open loop at HalfRate, driven by the raw HTTP/1.1
	// generator and by net/http (VerifyHalfStd), as -open-loop chose;
	// the one not run is empty.
	VerifyHalf, VerifyHalfStd result
	// CeilingHalf is bare Fiber at HalfRate with the raw generator,
	// alternated with VerifyHalf: the tail the machine gives any server.
	CeilingHalf result

	QRCold, QRCached map[string]result
	QRColdWrapped    bool // cold QR ran past the NAVs and used other scales

	Pay result
	// BoltBatchRounds are the slices of BoltBatch, the payments' ceiling.
	BoltBatchRounds []result
	// The second payment run, at Opts.PayersHigh payers, against raw
	// Batch at as many writers.
	PayHigh, BoltBatchHigh             result
	PayHighRounds, BoltBatchHighRounds []result
	// Payments in an open loop at half the peak of Pay.
	PayHalfRate         float64
	PayHalf, PayHalfStd result

	// Verify and the ceiling measured with wrk (the honest pair), and
	// why they were not when wrk could not run.
	WrkVerify, WrkCeiling             result
	WrkVerifyRounds, WrkCeilingRounds []result
	WrkMissing                        string

	Soak               soakStats
	RSSStart, RSSEnd   int64
	AnonStart, AnonEnd int64

	Ledger string

	// Dash is the dashboard at a big city's scale, on its own database.
	Dash dashStats
}

func (r *report) init() {
	if r.QRCold == nil {
		r.QRCold, r.QRCached = map[string]result{}, map[string]result{}
	}
}

func verdict(ok bool) string {
	if ok {
		return "✅ met"
	}
	return "❌ missed"
}

// noisyShare is the share of the CPUs other processes may take during a
// measurement before its verdict is flagged as unreliable.
const noisyShare = 0.20

// othersShare is the share of the machine's CPU capacity that processes
// other than the server, the generator and the database server (with
// -store postgres) used during a measurement.
func othersShare(c cpuSample, elapsed time.Duration, cpus int) float64 {
	if c.Machine == 0 || elapsed <= 0 {
		return 0
	}
	return max(0, c.Machine-c.Server-c.Gen-c.DB).Seconds() / (elapsed.Seconds() * float64(cpus))
}

// judged is verdict with a warning when other processes took enough CPU
// during the measurement to make it unreliable.
func judged(ok bool, c cpuSample, elapsed time.Duration, cpus int) string {
	v := verdict(ok)
	if o := othersShare(c, elapsed, cpus); o > noisyShare {
		v += fmt.Sprintf(" ⚠️ other processes used %s of the CPUs meanwhile", pct(o))
	}
	return v
}

func pct(x float64) string { return fmt.Sprintf("%.0f%%", x*100) }

func perSec(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f/s", x)
	case x >= 10:
		return fmt.Sprintf("%.1f/s", x)
	}
	return fmt.Sprintf("%.2f/s", x)
}

// cpuBusy shows the machine's CPU capacity used in a window by the
// server, by the generator and by other processes on the machine.
func cpuBusy(c cpuSample, elapsed time.Duration, cpus int) string {
	total := elapsed.Seconds() * float64(cpus)
	if c.DB > 0 {
		return fmt.Sprintf("%s + %s + PostgreSQL %s + others %s", pct(c.Server.Seconds()/total), pct(c.Gen.Seconds()/total), pct(c.DB.Seconds()/total), pct(othersShare(c, elapsed, cpus)))
	}
	return fmt.Sprintf("%s + %s + others %s", pct(c.Server.Seconds()/total), pct(c.Gen.Seconds()/total), pct(othersShare(c, elapsed, cpus)))
}

func us(d time.Duration) string { return fmt.Sprintf("%.0f µs", float64(d)/float64(time.Microsecond)) }

func mb(b int64) string { return fmt.Sprintf("%.1f MB", float64(b)/(1<<20)) }

func lat(r result) string { return "p50 " + ms(r.Pct(50)) + ", p99 " + ms(r.Pct(99)) }

// The generators a row of the table can be measured with: each row says
// which, as their costs differ by an order of magnitude and that cost
// comes out of the server's share of the machine.
const (
	genNetHTTP   = "Go net/http, closed loop"
	genNetOpen   = "Go net/http, open loop"
	genRawOpen   = "raw HTTP/1.1, open loop"
	genInProcess = "in process, no HTTP"
)

// genWrk names wrk with its flags.
var genWrk = fmt.Sprintf("wrk -t1 -c%d, closed loop", wrkConnections)

// markdown renders the report: the machine, the targets table, the
// details, and the caveats a reader needs to judge the numbers.
func (r *report) markdown() string {
	r.init()
	var b strings.Builder
	m := r.Machine
	host, _ := os.Hostname()
	fmt.Fprintf(&b, "### Multa benchmark, %s\n\n", r.Started.Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(&b, "Machine: %d CPUs (%s), %.1f GiB RAM, Linux %s, %s %s, host %s.  \n",
		m.CPUs, m.CPUModel, float64(m.RAMBytes)/(1<<30), m.Kernel, m.GoVersion, m.OS, host)
	fmt.Fprintf(&b, "Command: `go run ./bench -duration %v -rounds %d -concurrency %d -fines %d -chunk %d -import-concurrency %d",
		r.Opts.Duration, r.Opts.Rounds, r.Opts.Concurrency, r.Opts.Fines, r.Opts.Chunk, r.Opts.ImportConc)
	if len(r.Opts.Only) > 0 {
		var secs []string
		for s := range r.Opts.Only {
			secs = append(secs, s)
		}
		slices.Sort(secs)
		fmt.Fprintf(&b, " -only %s", strings.Join(secs, ","))
	}
	if r.Opts.Soak > 0 {
		fmt.Fprintf(&b, " -soak %v", r.Opts.Soak)
	}
	if r.Opts.OrderedTimes {
		b.WriteString(" -ordered-times")
	}
	fmt.Fprintf(&b, " -psp-state %s -payers %d -payers-high %d -open-loop %s", r.Opts.PSPState, r.Opts.Payers, r.Opts.PayersHigh, r.Opts.OpenLoop)
	if r.Dash.Fines > 0 {
		fmt.Fprintf(&b, " -dashboard-fines %d -dashboard-payments %d", r.Opts.DashFines, r.Opts.DashPayments)
		if r.Opts.DashDB != "" {
			fmt.Fprintf(&b, " -dashboard-db %s", r.Opts.DashDB)
		}
	}
	b.WriteString("`  \n")
	fmt.Fprintf(&b, "The load generators (this process, with Go's net/http keep-alive client or a raw HTTP/1.1 one; wrk; each row names its own) and the server share these %d CPUs, "+
		"so every throughput below is a lower bound of what the server alone would do; ratios compare like with like. "+
		"Before the run, other processes used %s of the CPUs; the last columns show their share during each measurement.\n\n", m.CPUs, pct(r.Background))

	b.WriteString("| Target | Ours | Reference | Ratio | Goal | Verdict |\n|---|---|---|---|---|---|\n")
	if r.WrkCeiling.Ops > 0 && r.WrkVerify.Ops > 0 {
		ratio := r.WrkVerify.Rate() / r.WrkCeiling.Rate()
		lo, hi := ratioRange(r.WrkVerifyRounds, r.WrkCeilingRounds)
		fmt.Fprintf(&b, "| **Verify throughput, wrk -t1 -c%d (the honest ratio)** | %s | bare Fiber %s | %s (slices %s–%s) | ≥ %s | %s |\n",
			wrkConnections, perSec(r.WrkVerify.Rate()), perSec(r.WrkCeiling.Rate()), pct(ratio), pct(lo), pct(hi), pct(targetVerifyRatio), judged(ratio >= targetVerifyRatio, r.WrkVerify.CPU, r.WrkVerify.Elapsed, m.CPUs))
	} else if r.WrkMissing != "" {
		fmt.Fprintf(&b, "| Verify throughput, wrk (the honest ratio) | not measured: %s | | | ≥ %s | ❔ |\n", r.WrkMissing, pct(targetVerifyRatio))
	}
	if r.Ceiling.Ops > 0 {
		ratio := r.Verify.Rate() / r.Ceiling.Rate()
		lo, hi := ratioRange(r.VerifyRounds, r.CeilingRounds)
		fmt.Fprintf(&b, "| Verify throughput, Go client, %d workers (flatters: the client's CPU, not Fiber, caps the ceiling) | %s | bare Fiber %s | %s (slices %s–%s) | ≥ %s | %s |\n",
			r.Opts.Concurrency, perSec(r.Verify.Rate()), perSec(r.Ceiling.Rate()), pct(ratio), pct(lo), pct(hi), pct(targetVerifyRatio), judged(ratio >= targetVerifyRatio, r.Verify.CPU, r.Verify.Elapsed, m.CPUs))
	}
	// The open loops at half the peak, one row per generator that ran:
	// net/http's own CPU and queueing count in its latencies.
	halfRow := func(what, gen string, res, ref result, target time.Duration) {
		if res.Ops == 0 {
			return
		}
		p99, refP99 := res.Pct(99), ""
		if ref.Ops > 0 {
			refP99 = fmt.Sprintf("bare Fiber at the same rate: p99 %s", ms(ref.Pct(99)))
		}
		fmt.Fprintf(&b, "| %s p99 at half the peak (open loop, %s, %s) | %s | %s | | ≤ %s | %s |\n",
			what, perSec(res.Rate()), gen, ms(p99), refP99, ms(target), judged(p99 <= target, res.CPU, res.Elapsed, m.CPUs))
	}
	halfRow("Verify", "raw HTTP/1.1 generator", r.VerifyHalf, r.CeilingHalf, targetP99HalfPeak)
	halfRow("Verify", "Go net/http generator, its own queueing included", r.VerifyHalfStd, result{}, targetP99HalfPeak)
	if r.Pay.Ops > 0 {
		refRes, refRounds := r.BoltBatch, r.BoltBatchRounds
		ref, target, conc := "raw bbolt Batch", targetPayRatio, r.Opts.Payers
		if r.Opts.Store == "postgres" {
			refRes, refRounds = r.BoltUpdate, r.BoltUpdateRounds
			ref, target, conc = "raw PostgreSQL INSERT", targetPayRatioPG, r.Opts.Payers
		}
		ratio := r.Pay.Rate() / refRes.Rate()
		lo, hi := ratioRange(r.PayRounds, refRounds)
		fmt.Fprintf(&b, "| Durable payments on %s (%d payers, distinct fines, PSP state %s) | %s | %s %s | %s (slices %s–%s) | ≥ %s | %s |\n",
			storeName(r.Opts.Store), conc, r.Opts.PSPState, perSec(r.Pay.Rate()), ref, perSec(refRes.Rate()), pct(ratio), pct(lo), pct(hi), pct(target), judged(ratio >= target, r.Pay.CPU, r.Pay.Elapsed, m.CPUs))
	}
	if r.PayHigh.Ops > 0 {
		ratio := r.PayHigh.Rate() / r.BoltBatchHigh.Rate()
		lo, hi := ratioRange(r.PayHighRounds, r.BoltBatchHighRounds)
		fmt.Fprintf(&b, "| Durable payments at %d payers, not below %d payers' %s | %s | raw bbolt Batch %s | %s (slices %s–%s) | ≥ %s | %s |\n",
			r.Opts.PayersHigh, r.Opts.Payers, perSec(r.Pay.Rate()), perSec(r.PayHigh.Rate()), perSec(r.BoltBatchHigh.Rate()), pct(ratio), pct(lo), pct(hi), perSec(r.Pay.Rate()),
			judged(r.PayHigh.Rate() >= r.Pay.Rate(), r.PayHigh.CPU, r.PayHigh.Elapsed, m.CPUs))
	}
	halfRow("Payments", "raw HTTP/1.1 generator", r.PayHalf, result{}, targetPayP99Half)
	halfRow("Payments", "Go net/http generator, its own queueing included", r.PayHalfStd, result{}, targetPayP99Half)
	if r.Import.Fines > 0 {
		// The same formula whatever the size: it is the measured time
		// when the run imported a million, a linear projection otherwise.
		proj := time.Duration(float64(time.Second) * 1e6 / r.Import.Rate())
		label := fmt.Sprintf("projected from %d", r.Import.Fines)
		if r.Import.Fines >= 1_000_000 {
			label = "measured"
		}
		fmt.Fprintf(&b, "| Import of 1,000,000 fines (%s) | %v | | | ≤ %v | %s |\n",
			label, proj.Round(time.Second), targetImport1M, judged(proj <= targetImport1M, r.Import.CPU, r.Import.Elapsed, m.CPUs))
		per := float64(r.DBBytes) / float64(r.Import.Fines)
		what := "Database bytes per fine"
		if r.Import.Fines < 1_000_000 {
			// The pages an import frees weigh more in a small file: the
			// target is for a million, and only a million measures it.
			what += fmt.Sprintf(" (at %d fines; the target is for 1,000,000: run -fines 1000000)", r.Import.Fines)
		}
		fmt.Fprintf(&b, "| %s | %.0f B | | | ≤ %d B | %s |\n", what, per, targetBytesPerFine, verdict(per <= targetBytesPerFine))
	}
	if d := r.Dash; d.Stats.Ops > 0 {
		p := max(d.Stats.Pct(99), d.StatsYear.Pct(99))
		fmt.Fprintf(&b, "| Dashboard at %d fines, %d paid: GET /api/v1/stats p99 (30 days; a year) | %s; %s | | | ≤ %s | %s |\n",
			d.Fines, d.Payments, ms(d.Stats.Pct(99)), ms(d.StatsYear.Pct(99)), ms(targetStatsP99), judged(p <= targetStatsP99, d.Stats.CPU, d.Stats.Elapsed, m.CPUs))
		p = max(d.FirstPage.Pct(99), d.Pages.Pct(99), d.Unpaid.Pct(99), d.ReportSearch.Pct(99), d.PlateSearch.Pct(99))
		fmt.Fprintf(&b, "| Fines list page of 50 p99 (first; by cursor; unpaid only; report number; start of a plate) | %s; %s; %s; %s; %s | | | ≤ %s | %s |\n",
			ms(d.FirstPage.Pct(99)), ms(d.Pages.Pct(99)), ms(d.Unpaid.Pct(99)), ms(d.ReportSearch.Pct(99)), ms(d.PlateSearch.Pct(99)),
			ms(targetPageP99), judged(p <= targetPageP99, d.Pages.CPU, d.Pages.Elapsed, m.CPUs))
	}
	if r.Soak.Final > 0 {
		g := r.Soak.Growth()
		fmt.Fprintf(&b, "| Memory over a %v soak (anonymous RSS growth after warm-up) | %+.1f%% (%s → %s) | | | flat (≤ %s) | %s |\n",
			r.Soak.Duration, g*100, mb(r.Soak.AnonAfterWarm), mb(r.Soak.AnonFinal), pct(targetSoakGrowth), verdict(g <= targetSoakGrowth))
	}

	b.WriteString("\n| Measurement | Generator | Throughput | Latency | Server CPU per op | Generator CPU per op | CPU busy: server + generator + others | Notes |\n|---|---|---|---|---|---|---|---|\n")
	row := func(name, gen string, res result, notes string) {
		if res.Ops == 0 {
			return
		}
		if res.Late > 0 {
			notes += fmt.Sprintf(" The generator released its requests %s late at p99 (the worst slice's when pooled), which counts in the latency.", ms(res.Late))
		}
		if res.Errors > 0 {
			notes += fmt.Sprintf(" %d errors.", res.Errors)
		}
		cpu, genCPU, busy := "", "", ""
		if res.CPU.Machine > 0 {
			cpu, genCPU = us(res.CPUPerOp()), us(res.GenCPUPerOp())
			busy = cpuBusy(res.CPU, res.Elapsed, m.CPUs)
		}
		if res.CPU.DB > 0 { // what the ratio is made of, side by side with the ceiling's
			notes += fmt.Sprintf(" PostgreSQL's CPU per op: %s.", us(res.CPU.DB/time.Duration(res.Ops)))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", name, gen, perSec(res.Rate()), lat(res), cpu, genCPU, busy, strings.TrimSpace(notes))
	}
	fmt.Fprintf(&b, "| *Rows marked (pooled) add up %d alternated slices of %v with their reference.* | | | | | | | |\n", r.Opts.Rounds, r.Opts.Duration/time.Duration(max(r.Opts.Rounds, 1)))
	row("Verify, closed loop (pooled)", genNetHTTP, r.Verify, fmt.Sprintf("%d distinct NAVs, %d-byte answers.", r.DistinctNAVs, r.VerifyBytes))
	row("Bare Fiber constant, ceiling (pooled)", genNetHTTP, r.Ceiling, fmt.Sprintf("Same route shape, same %d-byte body, no middleware.", r.VerifyBytes))
	row("Verify (pooled)", genWrk, r.WrkVerify, "One Lua script picks a random NAV per request for both servers; latency percentiles pooled from each slice's; wrk's CPU counts as the generator's.")
	row("Bare Fiber constant, ceiling (pooled)", genWrk, r.WrkCeiling, "The same script and flags.")
	halfNote := func(rate float64, conns int, alternated bool) string {
		pooled := ""
		if alternated {
			pooled = fmt.Sprintf(" %d slices alternated with the other open-loop rows' of this measurement, pooled.", r.Opts.Rounds)
		}
		return fmt.Sprintf("Target %s; latency from the scheduled send time; %d connections.%s", perSec(rate), conns, pooled)
	}
	verifyAlternated := r.Opts.OpenLoop != "nethttp"
	row("Verify, open loop at half peak", genRawOpen, r.VerifyHalf, halfNote(r.HalfRate, r.Opts.Concurrency*4, verifyAlternated))
	row("Verify, open loop at half peak", genNetOpen, r.VerifyHalfStd, halfNote(r.HalfRate, r.Opts.Concurrency*4, verifyAlternated))
	row("Bare Fiber constant, open loop at verify's half peak", genRawOpen, r.CeilingHalf, "Alternated with the raw generator's verify slices: the tail this machine's scheduling gives any server at that rate.")
	for _, f := range []string{"png", "svg"} {
		note := "Distinct NAVs, never drawn before."
		if r.QRColdWrapped {
			note = "Distinct NAVs, then the same NAVs at other scales: every request draws."
		}
		row("QR "+strings.ToUpper(f)+", cold", genNetHTTP, r.QRCold[f], note)
		row("QR "+strings.ToUpper(f)+", cached", genNetHTTP, r.QRCached[f], "One NAV repeatedly (LRU hit).")
	}
	pspNote := "the sandbox PSP keeps its state in memory, as a remote provider would be"
	if r.Opts.PSPState == "file" {
		pspNote = "the sandbox PSP also fsyncs its state file twice per payment"
	}
	row("Payments: tokenize once, then POST …/payments (pooled)", genNetHTTP, r.Pay,
		"Our database fsyncs every commit; "+pspNote+"; amount from a prior verify; each a fresh Idempotency-Key.")
	if r.Opts.Store == "postgres" {
		row("raw PostgreSQL INSERT, ~1 KB, autocommit (pooled)", "pgx, closed loop", r.BoltUpdate, fmt.Sprintf("%d connections, synchronous_commit and fsync on: the fair ceiling for one transaction per payment.", r.Opts.Payers))
	} else {
		row("raw bbolt, db.Update, ~1 KB (pooled)", genInProcess, r.BoltUpdate, "One commit per write: the fair ceiling for one transaction per payment.")
	}
	row(fmt.Sprintf("raw bbolt, db.Batch, ~1 KB, %d writers (pooled)", r.Opts.Payers), genInProcess, r.BoltBatch, "Concurrent writes share commits; bbolt's default 10 ms MaxBatchDelay: the payments' ceiling.")
	row(fmt.Sprintf("Payments, %d payers (pooled)", r.Opts.PayersHigh), genNetHTTP, r.PayHigh, "As above, more payers than the server has connections' worth of work.")
	row(fmt.Sprintf("raw bbolt, db.Batch, ~1 KB, %d writers (pooled)", r.Opts.PayersHigh), genInProcess, r.BoltBatchHigh, "")
	payAlternated := r.Opts.OpenLoop == "both"
	row("Payments, open loop at half peak", genRawOpen, r.PayHalf, halfNote(r.PayHalfRate, r.Opts.PayersHigh, payAlternated))
	row("Payments, open loop at half peak", genNetOpen, r.PayHalfStd, halfNote(r.PayHalfRate, r.Opts.PayersHigh, payAlternated))
	if r.Import.Fines > 0 {
		fmt.Fprintf(&b, "| Import (CSV, %d rows per request, %d in flight) | %s | %s | %v for %d fines | %s | %s | %s | %d failed rows; database %s (+%s during import) |\n",
			r.Opts.Chunk, r.Opts.ImportConc, genNetHTTP, perSec(r.Import.Rate()), r.Import.Elapsed.Round(time.Millisecond), r.Import.Fines,
			us(r.Import.CPU.Server/time.Duration(max(r.Import.Fines, 1))), us(r.Import.CPU.Gen/time.Duration(max(r.Import.Fines, 1))), cpuBusy(r.Import.CPU, r.Import.Elapsed, m.CPUs),
			r.Import.Failed, mb(r.DBBytes), mb(r.DBBytesDelta))
	}
	if d := r.Dash; d.Fines > 0 {
		reused := ""
		if d.Reused {
			reused = fmt.Sprintf("; reused, seeded at %s", d.Seed.SeededAt.Format(time.RFC3339))
		}
		fmt.Fprintf(&b, "| Dashboard seed (store's ImportFines in time order, then RecordPayment from 1,000 goroutines; tallies checked against a scan in %v) | %s | %s fines, %s payments | %v, %v | | | | database %s (%.0f B per fine)%s |\n",
			d.Seed.SeedCheck.Round(time.Second), genInProcess, perSec(seedRate(d.Fines, d.Seed.SeedFines)), perSec(seedRate(d.Payments, d.Seed.SeedPayments)),
			d.Seed.SeedFines.Round(time.Second), d.Seed.SeedPayments.Round(time.Second), mb(d.DBBytes), float64(d.DBBytes)/float64(d.Fines), reused)
		row("Dashboard: GET /api/v1/stats, last 30 days, 4 clients", genNetHTTP, d.Stats, "Outstanding and payments both from the store's tallies (no fine or receipt read).")
		row("Dashboard: GET /api/v1/stats, a whole year", genNetHTTP, d.StatsYear, "366 days of per-hour payment tallies.")
		row("Fines list, first page of 50", genNetHTTP, d.FirstPage, "")
		row("Fines list, next pages by cursor", genNetHTTP, d.Pages, "Each client pages on through the whole list.")
		row("Fines list, unpaid only, first page", genNetHTTP, d.Unpaid, "")
		row("Fines list, search by report number (q=YYYY/N)", genNetHTTP, d.ReportSearch, "The report-number index: one seek.")
		row("Fines list, search by the start of a plate (q=AB1)", genNetHTTP, d.PlateSearch, "")
		row("Reconciliation of one of the last 30 days, whole (every row, as the CSV)", genNetHTTP, d.ReconWhole, "")
		row("Reconciliation of one of the last 30 days, as the dashboard page's panel asks (limit=50)", genNetHTTP, d.Recon, fmt.Sprintf("It matches the day's receipts (%d a day on average). multa answered %v after it was started on the file (opened first by the harness in %v).", d.Payments/365, d.Open.Round(100*time.Millisecond), d.Prepare.Round(100*time.Millisecond)))
	}
	if r.Soak.Final > 0 {
		s := r.Soak
		fmt.Fprintf(&b, "| Soak, mixed load | %s | %s | | | | | %d requests, %d payments, %d errors; anonymous RSS peak %s, trend after warm-up %+.1f MB/h; total RSS (with the mmapped file) %s → %s, peak %s; warm-up %v |\n",
			genNetHTTP, perSec(float64(s.Ops)/s.Duration.Seconds()), s.Ops, s.Payments, s.Errors, mb(s.AnonPeak), s.SlopePerHr/(1<<20),
			mb(s.AfterWarm), mb(s.Final), mb(s.Peak), s.WarmupEnd)
	}
	if r.RSSEnd > 0 {
		fmt.Fprintf(&b, "\nServer RSS: %s after start, %s at the end (anonymous: %s, %s).", mb(r.RSSStart), mb(r.RSSEnd), mb(r.AnonStart), mb(r.AnonEnd))
	}
	if r.Ledger != "" {
		fmt.Fprintf(&b, " After a graceful stop, `multa ledger verify`: %s.", r.Ledger)
	}
	b.WriteString("\n")
	return b.String()
}

// storeName names the database of a run in the table.
func storeName(store string) string {
	if store == "postgres" {
		return "PostgreSQL"
	}
	return "bbolt"
}
