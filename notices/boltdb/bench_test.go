package boltdb_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// fineGen builds realistic fines quickly and reproducibly: ChaCha8 stands
// in for crypto/rand so that runs compare.
type fineGen struct {
	e       *env
	rnd     *rand.ChaCha8
	codes   []string
	ordered bool // violation times roughly increasing, as camera exports are
	i       int
}

func newFineGen(e *env, seed byte) *fineGen {
	var s [32]byte
	s[0] = seed
	var codes []string
	for _, v := range catalogue.All() {
		codes = append(codes, v.Code)
	}
	return &fineGen{e: e, rnd: rand.NewChaCha8(s), codes: codes}
}

func (g *fineGen) next(tb testing.TB) *notices.Fine {
	r := g.rnd.Uint64()
	now := g.e.clock.Now()
	var at time.Time
	if g.ordered {
		// One fine every 10 s on average (a million span 116 days), out of
		// order by up to an hour within an export.
		at = now.Add(-300 * 24 * time.Hour).Add(time.Duration(g.i)*10*time.Second + time.Duration(r%3600)*time.Second)
	} else {
		at = now.Add(-time.Duration(r%(300*24*3600)) * time.Second)
	}
	g.i++
	plate := fmt.Sprintf("%c%c%03d%c%c", 'A'+byte(r>>20)%26, 'A'+byte(r>>25)%26, (r>>30)%1000, 'A'+byte(r>>40)%26, 'A'+byte(r>>45)%26)
	c := notices.ContestDeferred
	if r>>50&1 == 0 {
		c = notices.ContestImmediate
	}
	f, err := notices.NewFine(notices.FineRequest{
		Plate: plate, ViolationCode: g.codes[(r>>52)%uint64(len(g.codes))], OccurredAt: at,
		Place: "Viale Monza 120, Milano", Contestation: c, Officer: "camera-07",
	}, catalogue, settings, now, g.rnd)
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

// BenchmarkImportFines measures ImportFines per fine and the file size per
// fine. The target is 1,000,000 fines in at most 2 minutes and 2 KB each:
//
//	go test -run '^$' -bench ImportFines -benchtime 1000000x ./notices/boltdb/
//
// "ordered" is the realistic case (exports come in time order);
// "random-times" scatters violation times over 300 days, the worst case
// for the time-ordered indexes.
func BenchmarkImportFines(b *testing.B) {
	for _, ordered := range []bool{true, false} {
		name := "ordered"
		if !ordered {
			name = "random-times"
		}
		b.Run(name, func(b *testing.B) { benchImport(b, ordered) })
	}
}

func benchImport(b *testing.B, ordered bool) {
	e := newEnv(b)
	if c, err := strconv.Atoi(os.Getenv("MULTA_IMPORT_CHUNK")); err == nil {
		e.st.ReopenWith(boltdb.Options{ImportChunk: c})
	}
	g := newFineGen(e, 1)
	g.ordered = ordered
	ctx := context.Background()
	const chunk = 50_000 // fines per ImportFines call; Options.ImportChunk splits it
	b.ResetTimer()
	start := time.Now()
	var paused time.Duration
	for done := 0; done < b.N; {
		n := min(chunk, b.N-done)
		b.StopTimer()
		t0 := time.Now()
		fines := make([]*notices.Fine, n)
		for i := range fines {
			fines[i] = g.next(b)
		}
		paused += time.Since(t0)
		b.StartTimer()
		errs, err := e.st.ImportFines(ctx, fines)
		if err != nil {
			b.Fatal(err)
		}
		for _, err := range errs {
			if err != nil {
				b.Fatal(err)
			}
		}
		done += n
	}
	b.StopTimer()
	elapsed := time.Since(start) - paused
	fi, err := os.Stat(e.path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/float64(b.N), "B/fine")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "fines/s")
}

// BenchmarkCreateFineParallel shows what db.Batch buys: concurrent
// officers share commits (and fsyncs).
func BenchmarkCreateFineParallel(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	var seed atomic.Uint32
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		g := newFineGen(e, byte(seed.Add(1)))
		for pb.Next() {
			if _, err := e.st.CreateFine(ctx, g.next(b), nil); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRecordPayment is one payment per fine, one transaction each.
func BenchmarkRecordPayment(b *testing.B) {
	e := newEnv(b)
	g := newFineGen(e, 2)
	ctx := context.Background()
	fines := make([]*notices.Fine, b.N)
	for i := range fines {
		fines[i] = g.next(b)
	}
	if _, err := e.st.ImportFines(ctx, fines); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i, f := range fines {
		if _, err := e.st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: e.receipt(*f, receiptID(i), 4200)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyLedger is the cost of verification per ledger entry.
func BenchmarkVerifyLedger(b *testing.B) {
	e := newEnv(b)
	g := newFineGen(e, 3)
	ctx := context.Background()
	const n = 20_000
	fines := make([]*notices.Fine, n)
	for i := range fines {
		fines[i] = g.next(b)
	}
	if _, err := e.st.ImportFines(ctx, fines); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for range b.N {
		if err := e.st.VerifyLedger(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/entry")
}

// BenchmarkListFines is one page of 50 by plate and by date.
func BenchmarkListFines(b *testing.B) {
	e := newEnv(b)
	g := newFineGen(e, 4)
	ctx := context.Background()
	fines := make([]*notices.Fine, 20_000)
	for i := range fines {
		fines[i] = g.next(b)
	}
	if _, err := e.st.ImportFines(ctx, fines); err != nil {
		b.Fatal(err)
	}
	// The office's searches: part of a plate and a report number scan the
	// date index (a part that matches nothing scans all of it, the worst
	// case); unpaid keeps most fines.
	for _, q := range []notices.FineFilter{{}, {Plate: fines[0].Plate}, {Status: notices.StatusIssued},
		{PlatePart: fines[0].Plate[1:5]}, {PlatePart: "QQ0Q"}, {Unpaid: true}, {ReportNumber: fines[100].ReportNumber}} {
		b.Run(fmt.Sprintf("plate=%q,status=%q,part=%q,unpaid=%v,report=%q", q.Plate, q.Status, q.PlatePart, q.Unpaid, q.ReportNumber), func(b *testing.B) {
			for range b.N {
				if _, err := e.st.ListFines(ctx, q); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRecordReceipt is one pagoPA receipt per fine (the settling
// case: fine, receipt, four indexes and two ledger entries in one
// transaction), for comparison with BenchmarkRecordPayment.
func BenchmarkRecordReceipt(b *testing.B) {
	e := newEnv(b)
	g := newFineGen(e, 2)
	ctx := context.Background()
	fines := make([]*notices.Fine, b.N)
	for i := range fines {
		fines[i] = g.next(b)
	}
	if _, err := e.st.ImportFines(ctx, fines); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i, f := range fines {
		r := e.receipt(*f, receiptID(i), 4200)
		r.PagoPA = &notices.PagoPAReceipt{ReceiptID: receiptID(i), FiscalCode: settings.Creditor.FiscalCode, PaymentAmountCents: 4200}
		if _, _, err := e.st.RecordReceipt(ctx, r); err != nil {
			b.Fatal(err)
		}
	}
}
