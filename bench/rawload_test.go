package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// startHTTP serves h on a loopback port for the test; the generator
// speaks to net/http's server, a strict HTTP/1.1 parser, over real TCP.
func startHTTP(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return hostOf(ts.URL)
}

func getPath(host string) rawRequest {
	return func(dst []byte, _ int, seq int64) ([]byte, error) {
		return appendGet(dst, host, fmt.Sprintf("/r/%d", seq)), nil
	}
}

// expected is how many requests schedule releases at rate for dur.
func expected(rate float64, dur time.Duration) int64 {
	interval := time.Duration(float64(time.Second) / rate)
	return int64((dur + interval - 1) / interval)
}

// A server that sleeps on a known share of the requests must show in the
// p99 and not in the median: the generator neither hides the slow ones
// nor lets them hold up the others (they wait on their own connections).
func TestRawOpenLoopShowsSlowShare(t *testing.T) {
	const slowEvery, sleep = 25, 200 * time.Millisecond // 4% of requests
	var n atomic.Int64
	host := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%slowEvery == 0 {
			time.Sleep(sleep)
		}
		w.Write([]byte(`{"ok":true}`))
	})
	rate, dur := 400.0, 1500*time.Millisecond
	r := rawOpenLoop(context.Background(), host, rate, 32, dur, nil, 200, getPath(host))
	if r.Errors != 0 {
		t.Fatalf("%d errors, first %v", r.Errors, r.FirstErr)
	}
	if want := expected(rate, dur); r.Ops != want || n.Load() != want {
		t.Fatalf("%d answers, server saw %d requests, want %d: the rate was not kept", r.Ops, n.Load(), want)
	}
	if p99 := r.Pct(99); p99 < sleep {
		t.Errorf("p99 %v below the %v the server slept on 4%% of requests", p99, sleep)
	}
	if p50 := r.Pct(50); p50 >= sleep {
		t.Errorf("p50 %v: the slow 4%% held up the others", p50)
	}
}

// A server that stops answering for a while must show the whole stall in
// the latencies of the requests that fell due during it, even though the
// few connections were all stuck: they queue and their wait counts from
// their due time (a closed loop would have sent none of them, and shown
// the stall only in the requests it had in flight).
func TestRawOpenLoopCountsTheBacklog(t *testing.T) {
	const stall = 400 * time.Millisecond
	var gate sync.RWMutex
	var once sync.Once
	var n atomic.Int64
	host := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 200 { // about 0.4 s in: the server freezes
			once.Do(func() {
				gate.Lock()
				time.AfterFunc(stall, gate.Unlock)
			})
		}
		gate.RLock()
		defer gate.RUnlock()
		w.Write([]byte("ok"))
	})
	rate, dur := 500.0, 1500*time.Millisecond
	r := rawOpenLoop(context.Background(), host, rate, 4, dur, nil, 200, getPath(host))
	if r.Errors != 0 {
		t.Fatalf("%d errors, first %v", r.Errors, r.FirstErr)
	}
	if want := expected(rate, dur); r.Ops != want {
		t.Fatalf("%d answers, want %d", r.Ops, want)
	}
	// 200 requests fall due during the stall, 27% of 750: those due in
	// its first half (13%) waited at least half of it.
	if p90 := r.Pct(90); p90 < stall/2 {
		t.Errorf("p90 %v: the backlog of a %v stall does not show", p90, stall)
	}
}

// Errors are counted, one per failed request, whether the server answers
// an unexpected status or drops the connection; the generator dials
// again and the rest succeed.
func TestRawOpenLoopCountsErrors(t *testing.T) {
	var n, served, failed atomic.Int64
	host := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		switch k := n.Add(1); {
		case k%50 == 0: // the connection dies without an answer
			failed.Add(1)
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
		case k%10 == 0:
			failed.Add(1)
			http.Error(w, `{"title":"boom"}`, http.StatusInternalServerError)
		default:
			served.Add(1)
			w.Write([]byte("ok"))
		}
	})
	rate, dur := 500.0, time.Second
	r := rawOpenLoop(context.Background(), host, rate, 8, dur, nil, 200, getPath(host))
	if r.Ops != served.Load() || r.Errors != failed.Load() {
		t.Fatalf("%d answers and %d errors; the server answered %d and failed %d", r.Ops, r.Errors, served.Load(), failed.Load())
	}
	if want := expected(rate, dur); r.Ops+r.Errors != want || r.Errors < want/10 {
		t.Fatalf("%d answers and %d errors, want %d requests of which a tenth or more failed", r.Ops, r.Errors, want)
	}
	if r.FirstErr == nil {
		t.Fatal("no first error kept")
	}
}

// Payment POSTs arrive whole: body, Content-Type, a fresh Idempotency-Key
// each, the amount verified for that fine and the payer's token; a
// chunked answer (net/http sends one for a large body) is read through,
// and a pool run dry counts as errors.
func TestRawOpenLoopPays(t *testing.T) {
	const fines = 300
	p := &payers{prefix: "t", tokens: []string{"tok-a", "tok-b"}}
	amounts := map[string]int64{}
	for i := range fines {
		var f fineItem
		f.ID = fmt.Sprintf("fine-%d", i)
		nav := fmt.Sprintf("3011%014d", i)
		f.Options = append(f.Options, struct {
			Kind         string `json:"kind"`
			NoticeNumber string `json:"noticeNumber"`
		}{"reduced", nav})
		p.fines = append(p.fines, f)
		p.amounts = append(p.amounts, int64(1000+i))
		amounts[nav] = int64(1000 + i)
	}
	var mu sync.Mutex
	keys := map[string]bool{}
	var bad atomic.Int64
	var why atomic.Value
	host := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		nav, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/api/v1/notices/"), "/payments")
		var body struct {
			AmountCents int64  `json:"amountCents"`
			Token       string `json:"token"`
		}
		err := json.NewDecoder(r.Body).Decode(&body)
		key := r.Header.Get("Idempotency-Key")
		mu.Lock()
		dup := keys[key]
		keys[key] = true
		mu.Unlock()
		switch {
		case r.Method != "POST" || !ok || err != nil || r.Header.Get("Content-Type") != "application/json":
			why.Store(fmt.Sprintf("%s %s %v %q", r.Method, r.URL.Path, err, r.Header.Get("Content-Type")))
		case body.AmountCents != amounts[nav] || !strings.HasPrefix(body.Token, "tok-"):
			why.Store(fmt.Sprintf("%s: body %+v", nav, body))
		case key == "" || dup:
			why.Store(fmt.Sprintf("%s: Idempotency-Key %q (seen before: %v)", nav, key, dup))
		default:
			w.WriteHeader(http.StatusCreated)
			// A receipt-sized answer without a length: chunked.
			for range 3 {
				io.WriteString(w, strings.Repeat("x", 3000))
				w.(http.Flusher).Flush()
			}
			return
		}
		bad.Add(1)
		http.Error(w, "bad request", http.StatusBadRequest)
	})
	rate, dur := 500.0, 800*time.Millisecond // 400 requests for 300 fines
	r := rawOpenLoop(context.Background(), host, rate, 8, dur, nil, http.StatusCreated, p.request(host))
	if bad.Load() > 0 {
		t.Fatalf("%d requests refused by the server, last: %v", bad.Load(), why.Load())
	}
	if want := expected(rate, dur); r.Ops != fines || r.Errors != want-fines {
		t.Fatalf("%d paid, %d errors; want %d paid and %d errors (pool dry)", r.Ops, r.Errors, fines, want-fines)
	}
	if r.FirstErr != errPoolEmpty {
		t.Fatalf("first error %v, want %v", r.FirstErr, errPoolEmpty)
	}
}

// The status line, headers and body delimiters are read as sent: a body
// with a length, chunked with an extension and a trailer, none (a 204),
// and one that ends with the connection; the start of an unexpected
// answer's body is kept for the error.
func TestRawConnReadsAnswers(t *testing.T) {
	host := startHTTP(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/len":
			w.Header().Set("Content-Length", "5")
			w.Write([]byte("hello"))
		case "/none":
			w.WriteHeader(http.StatusNoContent)
		case "/close":
			w.Header().Set("Connection", "close")
			w.Write([]byte("bye"))
		case "/missing":
			http.Error(w, `{"title":"no such notice"}`, http.StatusNotFound)
		}
	})
	rc := &rawConn{addr: host, timeout: 5 * time.Second}
	defer rc.close()
	for _, c := range []struct {
		path string
		want int
	}{{"/len", 200}, {"/none", 204}, {"/len", 200}, {"/close", 200}, {"/len", 200}} {
		if err := rc.roundTrip(appendGet(nil, host, c.path), c.want); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
	}
	err := rc.roundTrip(appendGet(nil, host, "/missing"), 200)
	he, ok := err.(*httpError)
	if !ok || he.Status != 404 || !strings.Contains(he.Body, "no such notice") {
		t.Fatalf("GET /missing: %v, want a 404 naming the problem", err)
	}

	// A hand-written server for what net/http does not send on its own.
	raw := startRawServer(t, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"+
		"3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n"+
		"HTTP/1.1 500 Internal Server Error\r\n\r\nno length, ends with the connection")
	rc2 := &rawConn{addr: raw, timeout: 5 * time.Second}
	defer rc2.close()
	if err := rc2.roundTrip(appendGet(nil, raw, "/a"), 200); err != nil {
		t.Fatalf("chunked: %v", err)
	}
	err = rc2.roundTrip(appendGet(nil, raw, "/b"), 200)
	if he, ok := err.(*httpError); !ok || he.Status != 500 || he.Body != "no length, ends with the connection" {
		t.Fatalf("close-delimited: %v", err)
	}
	if rc2.c != nil {
		t.Fatal("a close-delimited answer left the connection open")
	}
}

// startRawServer accepts one connection and writes answer to it once it
// has read two requests' heads, then closes it.
func startRawServer(t *testing.T, answer string) string {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ln := ts.Listener
	t.Cleanup(func() { ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		buf := make([]byte, 4096)
		var got string
		for strings.Count(got, "\r\n\r\n") < 1 {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			got += string(buf[:n])
		}
		i := strings.Index(answer, "HTTP/1.1 500")
		c.Write([]byte(answer[:i]))
		for strings.Count(got, "\r\n\r\n") < 2 {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			got += string(buf[:n])
		}
		c.Write([]byte(answer[i:]))
	}()
	return ln.Addr().String()
}
