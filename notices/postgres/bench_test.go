package postgres_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
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
		run(b, cl.Dir, st, payers, func(int) error {
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
		run(b, cl.Dir, st, payers, func(i int) error {
			f := fines[i]
			r := notices.Receipt{ID: fmt.Sprintf("r%031d", i), NAV: f.Options[0].NAV, FineID: f.ID, AmountCents: 2940, PaidAt: now()}
			_, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r,
				Idempotency: &notices.Idempotent{Scope: "payment:" + f.ID, Key: r.ID, RequestHash: "h", ResourceID: r.ID}})
			return err
		})
		commits, misses := st.FastStats()
		if commits > 0 {
			b.ReportMetric(float64(st.FastPayments())/float64(commits), "payments/fast-commit")
		}
		b.ReportMetric(float64(misses), "fast-misses")
	})
}

// run does b.N operations from n goroutines and reports their rate, and
// the CPU time per operation of PostgreSQL (every process of the cluster
// at dir) and of this process (the store, the payers): figures that
// depend less than the rate on what else the machine runs.
func run(b *testing.B, dir string, st *postgres.Store, n int, op func(i int) error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	pg0, self0, wal0 := clusterCPU(dir), selfCPU(), walBytes(b, st)
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
	b.ReportMetric(float64((clusterCPU(dir)-pg0).Microseconds())/float64(b.N), "pg-cpu-µs/op")
	b.ReportMetric(float64((selfCPU()-self0).Microseconds())/float64(b.N), "go-cpu-µs/op")
	b.ReportMetric(float64(walBytes(b, st)-wal0)/float64(b.N), "wal-B/op")
}

// walBytes returns the cluster's WAL position in bytes.
func walBytes(b *testing.B, st *postgres.Store) int64 {
	var n int64
	if err := st.Pool().QueryRow(context.Background(), `SELECT pg_current_wal_lsn() - '0/0'`).Scan(&n); err != nil {
		b.Fatal(err)
	}
	return n
}

// clusterCPU returns the CPU time used so far by the PostgreSQL cluster
// in dir: its postmaster (found by its data directory on its command
// line), the postmaster's live children (backends, WAL writer,
// checkpointer) and the children it has reaped. Linux only; 0 elsewhere.
func clusterCPU(dir string) time.Duration {
	const tick = 10 * time.Millisecond // USER_HZ is 100 on Linux
	type proc struct{ ppid, cpu, reaped int64 }
	procs := map[int64]proc{}
	var master int64
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.ParseInt(e.Name(), 10, 64)
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:])) // state ppid … utime(12) stime(13) cutime(14) cstime(15)
		if len(f) < 16 {
			continue
		}
		num := func(k int) int64 { v, _ := strconv.ParseInt(f[k], 10, 64); return v }
		procs[pid] = proc{ppid: num(1), cpu: num(11) + num(12), reaped: num(13) + num(14)}
		if cmd, err := os.ReadFile("/proc/" + e.Name() + "/cmdline"); err == nil && master == 0 &&
			bytes.HasPrefix(cmd, []byte("/")) && bytes.Contains(cmd, []byte(dir)) && bytes.Contains(cmd, []byte("postgres")) {
			master = pid
		}
	}
	if master == 0 {
		return 0
	}
	total := procs[master].cpu + procs[master].reaped
	for _, p := range procs {
		if p.ppid == master {
			total += p.cpu
		}
	}
	return time.Duration(total) * tick
}

// selfCPU returns the CPU time (user and system) of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkReopenRecomputingTallies measures the open of a database whose
// tallies were computed with another calendar: Open recomputes them from
// every unpaid fine, within the command's open timeout (30 s in
// database.go). MULTA_BENCH_FINES sets the fines (default 20,000); the
// figure to extrapolate is µs/fine.
//
//	MULTA_BENCH_FINES=100000 go test -run X -bench ReopenRecomputingTallies -benchtime 3x ./notices/postgres
func BenchmarkReopenRecomputingTallies(b *testing.B) {
	ctx := context.Background()
	n := 20_000
	if v, err := strconv.Atoi(os.Getenv("MULTA_BENCH_FINES")); err == nil && v > 0 {
		n = v
	}
	url := pgtest.NewDatabase(b)
	st, err := postgres.Open(ctx, url, postgres.Options{ImportChunk: 1000})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < n; i += 1000 {
		chunk := make([]*notices.Fine, 0, 1000)
		for j := i; j < min(i+1000, n); j++ {
			chunk = append(chunk, newFine(b, fmt.Sprintf("RT%06d", j), now().Add(-time.Duration(j+1)*time.Minute)))
		}
		if _, err := st.ImportFines(ctx, chunk); err != nil {
			b.Fatal(err)
		}
	}
	st.Close()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		cal := notices.Calendar{PatronMonth: time.December, PatronDay: 1 + i%28} // another each time: a recompute
		st, err := postgres.Open(ctx, url, postgres.Options{Calendar: &cal})
		if err != nil {
			b.Fatal(err)
		}
		st.Close()
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N*n), "µs/fine")
}
