package main

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// rawRequest appends to dst the bytes of the request numbered seq (unique
// per measurement), sent by worker; errNoRequest or any other error
// counts as a failed request without sending anything.
type rawRequest func(dst []byte, worker int, seq int64) ([]byte, error)

// rawTimeout bounds one request of the open loop: past it the request
// counts as an error and its connection is dialled again.
const rawTimeout = 30 * time.Second

// rawOpenLoop is openLoop's schedule (fixed arrival rate, latency from
// the due time, conns bounding the requests in flight, a backlog that
// waits and counts) driving rawConn connections to addr instead of
// net/http: answers whose status is not want are errors. Every
// connection is dialled before the schedule starts.
//
// The harness runs on one P meanwhile (GOMAXPROCS 1): with a second idle
// P, every answer the netpoller hands over wakes another thread, and
// that cross-thread wake-up cost more than the request itself. Measured
// against bare Fiber at 12,000 requests/s on the shared machine: 25–30 µs
// of this process's CPU a request on one P against 35–40 µs on two
// (net/http: 55 µs); the rest is the kernel's loopback TCP, which any
// generator pays (wrk: ~33 µs a request against the same server).
func rawOpenLoop(ctx context.Context, addr string, rate float64, conns int, dur time.Duration, meter cpuMeter, want int, build rawRequest) result {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	rcs := make([]*rawConn, conns)
	for i := range rcs {
		rcs[i] = &rawConn{addr: addr, timeout: rawTimeout}
		if err := rcs[i].dial(); err != nil {
			for _, rc := range rcs[:i] {
				rc.close()
			}
			return result{Errors: 1, FirstErr: fmt.Errorf("dial %s: %w", addr, err)}
		}
	}
	defer func() {
		for _, rc := range rcs {
			rc.close()
		}
	}()
	// openLoop runs one goroutine per worker index, so worker w alone
	// uses rcs[w] and bufs[w].
	bufs := make([][]byte, conns)
	for i := range bufs {
		bufs[i] = make([]byte, 0, 1024)
	}
	return openLoop(ctx, rate, conns, dur, meter, func(w int, seq int64) error {
		req, err := build(bufs[w][:0], w, seq)
		if err != nil {
			return err
		}
		bufs[w] = req[:0] // keep a buffer that grew
		return rcs[w].roundTrip(req, want)
	})
}

// hostOf is the host:port of a base URL such as http://127.0.0.1:8080.
func hostOf(base string) string {
	return strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
}

// verifyRequest builds the verify GETs of the raw open loop: the NAVs in
// turn, as verifyPath picks them for the other generators.
func (h *harness) verifyRequest(host string) rawRequest {
	return func(dst []byte, _ int, seq int64) ([]byte, error) {
		return appendGet(dst, host, h.verifyPath(seq)), nil
	}
}

// request builds the payment POSTs of the raw open loop: the same fine
// order, body, token and Idempotency-Key as pay, for the fines whose
// amount was verified beforehand (the others count as errors rather than
// costing a verify inside the measured request).
func (p *payers) request(host string) rawRequest {
	return func(dst []byte, worker int, _ int64) ([]byte, error) {
		i := int(p.next.Add(1) - 1)
		if i >= len(p.fines) {
			return nil, errPoolEmpty
		}
		if i >= len(p.amounts) || p.amounts[i] == 0 {
			return nil, fmt.Errorf("fine %s: %w: amount not verified before the run", p.fines[i].ID, errNoRequest)
		}
		nav := p.fines[i].Options[0].NoticeNumber
		return appendPost(dst, host, "/api/v1/notices/"+nav+"/payments", "application/json",
			"Idempotency-Key", p.key(i), payBody(p.amounts[i], p.tokens[worker%len(p.tokens)])), nil
	}
}
