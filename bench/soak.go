package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// soakStats is the server's memory over a soak.
type soakStats struct {
	Duration  time.Duration
	Ops       int64
	Errors    int64
	Payments  int64
	Samples   []rssSample
	WarmupEnd time.Duration // samples before this are warm-up
	// RSS and anonymous RSS at the end of warm-up, at the end and at
	// their peak; the verdict is on the anonymous part (see proc.RSS).
	AfterWarm, Final, Peak             int64
	AnonAfterWarm, AnonFinal, AnonPeak int64
	SlopePerHr                         float64 // least-squares anonymous RSS growth after warm-up, bytes per hour
}

// rssSample is the server's RSS at some time into the soak.
type rssSample struct {
	At        time.Duration
	RSS, Anon int64
}

// Growth is the final anonymous RSS relative to that after warm-up.
func (s soakStats) Growth() float64 {
	if s.AnonAfterWarm == 0 {
		return 0
	}
	return float64(s.AnonFinal-s.AnonAfterWarm) / float64(s.AnonAfterWarm)
}

// soakInterval is how often RSS is sampled: often enough for a trend, at
// least 30 points.
func soakInterval(d time.Duration) time.Duration {
	return min(5*time.Second, max(d/30, 200*time.Millisecond)).Round(10 * time.Millisecond)
}

// soak runs a mixed load for o.Soak — mostly verifies over every NAV,
// QR codes in both formats over every NAV (so the QR cache keeps
// evicting), receipt look-ups and a trickle of payments — while sampling
// the server's RSS. The first fifth (at least 30s when the soak is long
// enough) is warm-up: caches, pools and the page cache fill there, and
// only growth after it counts.
func soak(ctx context.Context, srv *proc, navs []string, fines []fineItem, c *api, o options) (soakStats, error) {
	st := soakStats{Duration: o.Soak, WarmupEnd: max(o.Soak/5, min(30*time.Second, o.Soak/2))}
	payersN := max(1, o.Concurrency/8)
	var pay *payers
	if len(fines) > 0 {
		var err error
		if pay, err = newPayers(c, fines, nil, payersN, "soak"); err != nil {
			return st, err
		}
	}
	var receipts struct {
		sync.Mutex
		ids []string
	}
	load := newHTTPClient(o.Concurrency)
	get := func(path string) error {
		resp, err := load.Get(srv.Base + path)
		if err != nil {
			return err
		}
		drain(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", path, resp.Status)
		}
		return nil
	}

	ctx, cancel := context.WithTimeout(ctx, o.Soak)
	defer cancel()
	start := time.Now()
	var sampler sync.WaitGroup
	sampler.Add(1)
	go func() {
		defer sampler.Done()
		t := time.NewTicker(soakInterval(o.Soak))
		defer t.Stop()
		for {
			if rss, anon, err := srv.RSS(); err == nil {
				st.Samples = append(st.Samples, rssSample{time.Since(start), rss, anon})
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()

	var ops, errs, paid atomic.Int64
	var seq atomic.Int64
	var wg sync.WaitGroup
	for w := range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wp := pay // set to nil here when the pool runs dry
			for ctx.Err() == nil {
				i := seq.Add(1) - 1
				nav := navs[i%int64(len(navs))]
				var err error
				switch {
				case w < payersN && wp != nil:
					if err = wp.pay(w, i); err == errPoolEmpty {
						wp = nil // this worker reads from now on
						continue
					} else if err == nil {
						paid.Add(1)
					}
				case i%10 < 6:
					err = get("/api/v1/notices/" + nav)
				case i%10 == 6:
					err = get("/api/v1/notices/" + nav + "/qr.png")
				case i%10 == 7:
					err = get("/api/v1/notices/" + nav + "/qr.svg")
				default:
					receipts.Lock()
					var id string
					if n := len(receipts.ids); n > 0 {
						id = receipts.ids[int(i)%n]
					}
					receipts.Unlock()
					if id == "" {
						err = get("/api/v1/violations")
					} else {
						err = get("/api/v1/receipts/" + id)
					}
				}
				if err != nil {
					if ctx.Err() == nil {
						errs.Add(1)
					}
					continue
				}
				ops.Add(1)
			}
		}()
	}
	// Learn receipt ids as payments land, for the receipt look-ups.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			sleepCtx(ctx, 2*time.Second)
			if pay == nil {
				continue
			}
			n := min(int(pay.next.Load()), len(pay.fines))
			for _, f := range pay.fines[max(0, n-20):n] {
				if v, err := c.verify(f.Options[0].NoticeNumber); err == nil && v.Payment != nil {
					receipts.Lock()
					receipts.ids = append(receipts.ids, v.Payment.ReceiptID)
					receipts.Unlock()
				}
			}
		}
	}()
	wg.Wait()
	sampler.Wait()
	st.Ops, st.Errors, st.Payments = ops.Load(), errs.Load(), paid.Load()

	var post []rssSample
	for _, s := range st.Samples {
		st.Peak, st.AnonPeak = max(st.Peak, s.RSS), max(st.AnonPeak, s.Anon)
		if s.At >= st.WarmupEnd {
			post = append(post, s)
		}
	}
	if len(post) == 0 {
		return st, fmt.Errorf("soak: no RSS samples after warm-up")
	}
	first, last := post[0], post[len(post)-1]
	st.AfterWarm, st.Final = first.RSS, last.RSS
	st.AnonAfterWarm, st.AnonFinal = first.Anon, last.Anon
	st.SlopePerHr = slope(post) * float64(time.Hour)
	if st.Errors > st.Ops/100 {
		return st, fmt.Errorf("soak: %d of %d requests failed", st.Errors, st.Ops+st.Errors)
	}
	return st, nil
}

// slope is the least-squares growth of anonymous RSS over time, in bytes
// per nanosecond.
func slope(s []rssSample) float64 {
	if len(s) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, p := range s {
		x, y := float64(p.At), float64(p.Anon)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	n := float64(len(s))
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}
