package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multa/multa/internal/pgtest"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// The store benchmarks use notices/boltdb as the server does, from
// outside the package, on a real file with fsync on:
//
//	go test -run '^$' -bench Store -benchtime 2s ./bench

var storeSettings = notices.Settings{
	Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
	Segregation: "01",
	Fees:        notices.DefaultFees,
}

// benchFines builds n valid fines issued in the last three days, as an
// import would: deferred contestation, random NAVs from crypto/rand.
func benchFines(tb testing.TB, n int, seed uint64) []*notices.Fine {
	tb.Helper()
	cat := notices.DefaultCatalogue()
	rng := newRand(seed)
	now := time.Now()
	out := make([]*notices.Fine, n)
	for i := range out {
		f, err := notices.NewFine(notices.FineRequest{
			Plate:         fmt.Sprintf("%c%c%03d%c%c", 'A'+rng.IntN(26), 'A'+rng.IntN(26), rng.IntN(1000), 'A'+rng.IntN(26), 'A'+rng.IntN(26)),
			ViolationCode: benchViolations[rng.IntN(len(benchViolations))],
			OccurredAt:    now.Add(-time.Minute - time.Duration(rng.Int64N(int64(72*time.Hour)))),
			Place:         benchStreets[rng.IntN(len(benchStreets))] + ", Milano",
			Contestation:  notices.ContestDeferred,
			Officer:       "camera-07",
		}, cat, storeSettings, now, nil)
		if err != nil {
			tb.Fatal(err)
		}
		out[i] = f
	}
	return out
}

// openBenchStore opens a store on a fresh file and imports fines into it.
func openBenchStore(tb testing.TB, dir string, fines []*notices.Fine) *boltdb.Store {
	tb.Helper()
	st, err := boltdb.Open(filepath.Join(dir, "multa.db"), boltdb.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	errs, err := st.ImportFines(context.Background(), fines)
	if err != nil {
		tb.Fatal(err)
	}
	for i, err := range errs {
		if err != nil {
			tb.Fatalf("import fine %d: %v", i, err)
		}
	}
	return st
}

// readFixture is one store of readFixtureFines fines shared by every read
// benchmark of the process: reads change nothing, and importing it again
// for each b.N would dominate the run.
var readFixture struct {
	once sync.Once
	st   *boltdb.Store
	navs []notices.NAV
	dir  string
	err  error
}

const readFixtureFines = 50_000

func readStore(b *testing.B) (*boltdb.Store, []notices.NAV) {
	readFixture.once.Do(func() {
		dir, err := tempDir()
		if err != nil {
			readFixture.err = err
			return
		}
		readFixture.dir = dir
		fines := benchFines(b, readFixtureFines, 11)
		readFixture.st = openBenchStore(b, dir, fines)
		for _, f := range fines {
			for _, o := range f.Options {
				readFixture.navs = append(readFixture.navs, o.NAV)
			}
		}
	})
	if readFixture.err != nil {
		b.Fatal(readFixture.err)
	}
	return readFixture.st, readFixture.navs
}

// BenchmarkStoreFineByNAV is the store's part of a verify: the NAV index
// look-up and the decoding of the fine, over 50,000 fines (about 90,000
// NAVs) visited in a scattered order so that caches do not flatter it.
func BenchmarkStoreFineByNAV(b *testing.B) {
	st, navs := readStore(b)
	ctx := context.Background()
	const stride = 7919 // a prime: consecutive look-ups land far apart
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, err := st.FineByNAV(ctx, navs[i%len(navs)]); err != nil {
				b.Fatal(err)
			}
			i += stride
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		var seq atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				i := int(seq.Add(stride))
				if _, err := st.FineByNAV(ctx, navs[i%len(navs)]); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkStoreRecordPayment is the store's part of a payment, written
// as the server writes it (receipt plus idempotent answer), one fine per
// payment. "serial" is one payer; "payers-16" is sixteen concurrent
// payers on distinct fines, the shape of a deadline-day peak, where
// sharing commits (db.Batch) would pay off and one transaction per
// payment (db.Update) cannot; "payers-64" is issue 16's concurrency.
// Besides the rate, which moves with the disk, it reports the bytes the
// process wrote per payment (the pages its commits wrote: every one is
// fdatasynced), which does not: 11.6 → 5.6 pages per payment at 64 payers
// when payments stopped rewriting unchanged index entries and receipt ids
// became time-sortable.
func BenchmarkStoreRecordPayment(b *testing.B) {
	for _, payers := range []int{1, 16, 64} {
		name := "serial"
		if payers > 1 {
			name = fmt.Sprintf("payers-%d", payers)
		}
		b.Run(name, func(b *testing.B) { benchRecordPayment(b, payers) })
	}
}

func benchRecordPayment(b *testing.B, payers int) {
	fines := benchFines(b, b.N, 12)
	st := openBenchStore(b, b.TempDir(), fines)
	defer st.Close()
	ctx := context.Background()
	cal := storeSettings.Calendar
	now := time.Now()
	records := make([]notices.PaymentRecord, len(fines))
	for i, f := range fines {
		due := cal.Due(f, notices.DateOf(now))
		id, err := notices.NewTimeID(now.Add(time.Duration(i)*time.Millisecond), nil) // as payment.PayByCard
		if err != nil {
			b.Fatal(err)
		}
		r := notices.Receipt{
			ID: id, NAV: f.Options[0].NAV, FineID: f.ID, ReportNumber: f.ReportNumber, Creditor: storeSettings.Creditor,
			AmountCents: due.Cents, SanctionCents: due.SanctionCents, FeesCents: due.FeesCents, Stage: due.Stage,
			PaidAt: now, PSP: notices.PSPRef{Name: "SANDBOX", TransactionID: "sbx_" + id},
			Method: notices.CardMethod{Brand: "visa", Last4: "4242"},
		}
		records[i] = notices.PaymentRecord{FineID: f.ID, Receipt: r, Idempotency: &notices.Idempotent{
			Scope: "payment:" + f.ID, Key: fmt.Sprintf("bench-%d", i), RequestHash: fmt.Sprintf("%064x", i),
			ResourceID: id, CreatedAt: now,
		}}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start, written := time.Now(), writtenBytes()
	for range payers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(records) {
					return
				}
				if _, err := st.RecordPayment(ctx, records[i]); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "payments/s")
	if w := writtenBytes(); w >= 0 && written >= 0 {
		b.ReportMetric(float64(w-written)/float64(b.N)/1024, "written-KiB/payment")
	}
}

// writtenBytes is what this process has written so far (wchar of
// /proc/self/io: write and pwrite calls), or -1 where that is not known.
func writtenBytes() int64 {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return -1
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "wchar: "); ok {
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				return n
			}
		}
	}
	return -1
}

func tempDir() (string, error) { return os.MkdirTemp("", "multa-storebench-") }

// TestMain starts the throw-away PostgreSQL cluster of the multi-process
// tests (pg_test.go) and removes the shared read fixture, which outlives
// any one benchmark and so cannot use b.TempDir.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if readFixture.st != nil {
		readFixture.st.Close()
	}
	if readFixture.dir != "" {
		os.RemoveAll(readFixture.dir)
	}
	os.Exit(code)
}
