package postgres_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multa/multa/internal/pgtest"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/postgres"
)

// BenchmarkRecordPaymentVsInsert measures, on a durable cluster of its
// own (fsync and synchronous_commit on), 16 payers recording payments of
// distinct fines against 16 connections inserting one ~1 KB row per
// transaction: the ceiling of one transaction per payment.
//
//	go test -run X -bench RecordPaymentVsInsert -benchtime 3s ./notices/postgres
func BenchmarkRecordPaymentVsInsert(b *testing.B) {
	pgtest.Shared(b)
	cl, err := pgtest.Start(pgtest.Options{Durable: true})
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Stop()
	ctx := context.Background()
	const payers = 16
	b.Run("insert", func(b *testing.B) {
		url, err := cl.CreateDatabase(ctx)
		if err != nil {
			b.Fatal(err)
		}
		st, err := postgres.Open(ctx, url, postgres.Options{MaxConns: payers})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		if _, err := st.Pool().Exec(ctx, `CREATE TABLE ceiling (id bigserial PRIMARY KEY, v bytea NOT NULL)`); err != nil {
			b.Fatal(err)
		}
		v := make([]byte, 1024)
		rand.Read(v)
		run(b, payers, func(int) error {
			_, err := st.Pool().Exec(ctx, `INSERT INTO ceiling (v) VALUES ($1)`, v)
			return err
		})
	})
	b.Run("payment", func(b *testing.B) {
		url, err := cl.CreateDatabase(ctx)
		if err != nil {
			b.Fatal(err)
		}
		st, err := postgres.Open(ctx, url, postgres.Options{MaxConns: payers})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		fines := make([]*notices.Fine, b.N)
		for i := range fines {
			fines[i] = newFine(b, fmt.Sprintf("AA%06d", i%1000000), now().Add(-time.Duration(i+1)*time.Second))
		}
		for i := 0; i < len(fines); i += 1000 {
			if _, err := st.ImportFines(ctx, fines[i:min(i+1000, len(fines))]); err != nil {
				b.Fatal(err)
			}
		}
		run(b, payers, func(i int) error {
			f := fines[i]
			r := notices.Receipt{ID: fmt.Sprintf("r%031d", i), NAV: f.Options[0].NAV, FineID: f.ID, AmountCents: 2940, PaidAt: now()}
			_, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r,
				Idempotency: &notices.Idempotent{Scope: "payment:" + f.ID, Key: r.ID, RequestHash: "h", ResourceID: r.ID}})
			return err
		})
	})
}

// run does b.N operations from n goroutines and reports their rate.
func run(b *testing.B, n int, op func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := op(i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "ops/s")
}
