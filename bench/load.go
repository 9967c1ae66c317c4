package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// result is one measurement: how many operations succeeded in how long,
// and the latency of each.
type result struct {
	Ops      int64
	Errors   int64
	Elapsed  time.Duration
	lat      []time.Duration // sorted
	FirstErr error
	// CPU is what the server, this process and the machine used during
	// the window, when a meter was given.
	CPU cpuSample
	// Late is, for an open loop, the p99 of how late the generator
	// released its requests after their due time: its own share of the
	// latencies, which count from the due time.
	Late time.Duration
}

// Rate is successful operations per second.
func (r result) Rate() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Ops) / r.Elapsed.Seconds()
}

// Pct returns the p-th percentile latency (0 < p ≤ 100), nearest rank.
func (r result) Pct(p float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := int(float64(len(r.lat))*p/100+0.5) - 1
	return r.lat[min(max(i, 0), len(r.lat)-1)]
}

// CPUPerOp is the server's CPU time per successful operation: unlike the
// rate, it does not depend on how much CPU the generator left it.
func (r result) CPUPerOp() time.Duration {
	if r.Ops == 0 {
		return 0
	}
	return r.CPU.Server / time.Duration(r.Ops)
}

// GenCPUPerOp is the generator's CPU time (this process's, or wrk's) per
// successful operation: what the measurement took from the server's
// share of the machine.
func (r result) GenCPUPerOp() time.Duration {
	if r.Ops == 0 {
		return 0
	}
	return r.CPU.Gen / time.Duration(r.Ops)
}

// cpuSample is CPU time used so far: by the server, by this process (the
// load generator), by the database server when it runs apart (the
// PostgreSQL cluster of -store postgres; zero on bbolt) and by the whole
// machine (every process, from /proc/stat), so that a window can say how
// much went to strangers.
type cpuSample struct {
	Server, Gen, DB, Machine time.Duration
}

// cpuMeter takes a cpuSample; nil means "not measured".
type cpuMeter func() cpuSample

// serverMeter measures the process pid against this one and the machine.
func serverMeter(pid int) cpuMeter {
	self := os.Getpid()
	return func() cpuSample {
		s, _ := cpuTime(pid)
		g, _ := cpuTime(self)
		m, _ := machineBusy()
		return cpuSample{Server: s, Gen: g, Machine: m}
	}
}

// withDB adds to m the CPU of the database server whose processes are
// pid and its children (a PostgreSQL cluster: the postmaster, its
// backends and helpers), so that a payment's whole cost can be told from
// strangers'.
func withDB(m cpuMeter, pid int) cpuMeter {
	return func() cpuSample {
		s := m.read()
		s.DB, _ = familyCPU(pid)
		return s
	}
}

func (m cpuMeter) read() cpuSample {
	if m == nil {
		return cpuSample{}
	}
	return m()
}

// usage is the CPU used between two samples.
func usage(a, b cpuSample) cpuSample {
	return cpuSample{b.Server - a.Server, b.Gen - a.Gen, b.DB - a.DB, b.Machine - a.Machine}
}

// op performs one operation; worker is the goroutine's index and seq a
// global sequence number (unique per measurement) the op may use to pick
// a distinct NAV, fine or key.
type op func(worker int, seq int64) error

// collector merges per-worker results without a lock on the hot path.
type collector struct {
	mu   sync.Mutex
	lat  []time.Duration
	ops  int64
	errs int64
	err  error
}

func (c *collector) add(lat []time.Duration, ops, errs int64, err error) {
	c.mu.Lock()
	c.lat = append(c.lat, lat...)
	c.ops += ops
	c.errs += errs
	if c.err == nil {
		c.err = err
	}
	c.mu.Unlock()
}

func (c *collector) result(elapsed time.Duration) result {
	slices.Sort(c.lat)
	return result{Ops: c.ops, Errors: c.errs, Elapsed: elapsed, lat: c.lat, FirstErr: c.err}
}

// closedLoop runs conc workers, each sending its next request as soon as
// the previous answered, for dur (after warmup, whose requests are not
// counted). It measures the peak rate the server sustains at that
// concurrency; its latencies are service times, not what users would see
// at a given arrival rate (see openLoop).
func closedLoop(ctx context.Context, conc int, warmup, dur time.Duration, meter cpuMeter, do op) result {
	var seq atomic.Int64
	var col collector
	measuring := make(chan struct{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var started time.Time
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 4096)
			var ops, errs int64
			var firstErr error
			counting := false
			for ctx.Err() == nil {
				if !counting {
					select {
					case <-measuring:
						counting = true
					default:
					}
				}
				t0 := time.Now()
				err := do(w, seq.Add(1)-1)
				d := time.Since(t0)
				if !counting {
					continue
				}
				if err != nil {
					if ctx.Err() != nil {
						break // cut off by the end of the window, not a failure
					}
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				ops++
				lat = append(lat, d)
			}
			col.add(lat, ops, errs, firstErr)
		}()
	}
	sleepCtx(ctx, warmup)
	c0 := meter.read()
	started = time.Now()
	close(measuring)
	sleepCtx(ctx, dur)
	elapsed := time.Since(started)
	c1 := meter.read()
	cancel()
	wg.Wait()
	r := col.result(elapsed)
	r.CPU = usage(c0, c1)
	return r
}

// openLoop sends requests at a fixed arrival rate for dur, whatever the
// server's pace, from a pool of workers. Each latency is measured from the
// moment the request was due, not from when a worker got to it, so a
// server that falls behind shows its queueing delay (no coordinated
// omission). workers bounds the requests in flight; if all are busy the
// backlog waits in the queue and its wait counts. do is typically a
// net/http request: rawOpenLoop is the same schedule with a cheaper
// client.
func openLoop(ctx context.Context, rate float64, workers int, dur time.Duration, meter cpuMeter, do op) result {
	var col collector
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	due := make(chan time.Time, dueQueue)
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1024)
			var ops, errs int64
			var firstErr error
			for t := range due {
				if ctx.Err() != nil {
					continue // drain without sending after the window
				}
				err := do(w, seq.Add(1)-1)
				if err != nil {
					errs++
					if firstErr == nil {
						firstErr = err
					}
					continue
				}
				ops++
				lat = append(lat, time.Since(t))
			}
			col.add(lat, ops, errs, firstErr)
		}()
	}
	c0 := meter.read()
	start, sched := schedule(ctx, rate, dur, due)
	close(due)
	wg.Wait()
	elapsed := time.Since(start)
	r := col.result(elapsed)
	r.Errors += sched.dropped
	r.Late = sched.latePct(99)
	r.CPU = usage(c0, meter.read())
	return r
}

// dueQueue is how many due requests may wait for a free worker before the
// schedule drops them (and counts them as errors): the server is then
// hopelessly behind.
const dueQueue = 1 << 16

// scheduled is what schedule did: requests released, requests dropped
// because the queue was full, and how late each was released.
type scheduled struct {
	sent, dropped int64
	late          []time.Duration
}

// latePct is the p-th percentile of how late the schedule released its
// requests: the generator's own part of the latencies it measured.
func (s scheduled) latePct(p float64) time.Duration {
	return result{lat: s.late}.Pct(p)
}

// schedule puts the due time of every request into due, one every
// 1/rate seconds from the returned start for dur: exactly dur*rate of
// them (rounded up), released as soon as they are due, and at the end
// any that a late wake-up had not released yet. The sleeps between
// releases are coarse (Go's timers wake up to a millisecond late when the
// process is idle), the schedule is not: latencies count from the due
// times, and late holds by how much each was released after its time.
func schedule(ctx context.Context, rate float64, dur time.Duration, due chan<- time.Time) (time.Time, scheduled) {
	interval := time.Duration(float64(time.Second) / rate)
	total := int64((dur + interval - 1) / interval)
	s := scheduled{late: make([]time.Duration, 0, total)}
	start := time.Now()
	for s.sent < total && ctx.Err() == nil {
		now := time.Now()
		for ; s.sent < total; s.sent++ {
			t := start.Add(time.Duration(s.sent) * interval)
			if t.After(now) {
				break
			}
			select {
			case due <- t:
				s.late = append(s.late, now.Sub(t))
			default:
				s.dropped++ // queue full: the server is hopelessly behind
			}
		}
		if s.sent < total {
			time.Sleep(min(time.Until(start.Add(time.Duration(s.sent)*interval)), time.Millisecond))
		}
	}
	slices.Sort(s.late)
	return start, s
}

// rounds runs each measurement in turn, n times over, and returns each
// one's results in round order; fn(i) is told the round i so that only
// the first warms up. Alternating short slices spreads a burst of
// background load (this machine is shared, its disk too) over both sides
// of a comparison instead of letting it decide the ratio.
func rounds(n int, fns ...func(round int) result) [][]result {
	out := make([][]result, len(fns))
	for i := range n {
		for j, f := range fns {
			out[j] = append(out[j], f(i))
		}
	}
	return out
}

// pool merges the slices of one measurement into one result: operations,
// time and CPU add up, latencies are all kept.
func pool(rs []result) result {
	var p result
	for _, r := range rs {
		p.Ops += r.Ops
		p.Errors += r.Errors
		p.Elapsed += r.Elapsed
		p.lat = append(p.lat, r.lat...)
		p.CPU = cpuSample{p.CPU.Server + r.CPU.Server, p.CPU.Gen + r.CPU.Gen, p.CPU.DB + r.CPU.DB, p.CPU.Machine + r.CPU.Machine}
		p.Late = max(p.Late, r.Late)
		if p.FirstErr == nil {
			p.FirstErr = r.FirstErr
		}
	}
	slices.Sort(p.lat)
	return p
}

// ratioRange is the smallest and largest per-round ratio of a to b.
func ratioRange(a, b []result) (lo, hi float64) {
	for i := range a {
		if b[i].Rate() == 0 {
			continue
		}
		x := a[i].Rate() / b[i].Rate()
		if i == 0 || x < lo {
			lo = x
		}
		if i == 0 || x > hi {
			hi = x
		}
	}
	return lo, hi
}

func sleepCtx(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ms formats a duration in milliseconds with sensible precision.
func ms(d time.Duration) string {
	v := float64(d) / float64(time.Millisecond)
	switch {
	case v < 1:
		return fmt.Sprintf("%.3f ms", v)
	case v < 10:
		return fmt.Sprintf("%.2f ms", v)
	}
	return fmt.Sprintf("%.1f ms", v)
}
