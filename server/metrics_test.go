package server_test

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"
)

// scrape fetches /metrics and returns each sample line's value by its
// series (name and labels as printed).
func (e *env) scrape() map[string]float64 {
	e.t.Helper()
	r := e.do("GET", "/metrics", nil, "Authorization", "Bearer "+testMetricsToken)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		e.t.Fatalf("/metrics: %d %s", r.status, r.header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			e.t.Fatalf("bad sample %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

func TestMetricsAfterAPayment(t *testing.T) {
	e := newEnv(t, rome("2026-03-10 09:00:00"))
	fine := parkingFine(e, e.login("officer"))
	nav := navs(fine)["reduced"]
	e.payDue(nav)
	e.do("GET", "/api/v1/notices/"+nav, nil)    // verify once more: already paid, still 200
	e.do("GET", "/api/v1/notices/12345", nil)   // 400, same route pattern
	e.do("POST", "/no/such/thing", []byte("x")) // no route at all
	e.do("GET", "/api/v1/stats", nil)           // 401

	m := e.scrape()
	for series, want := range map[string]float64{
		`multa_http_requests_total{method="POST",route="/api/v1/notices/:nav/payments",status="201"}`:    1,
		`multa_http_requests_total{method="GET",route="/api/v1/notices/:nav",status="200"}`:              2,
		`multa_http_requests_total{method="GET",route="/api/v1/notices/:nav",status="400"}`:              1,
		`multa_http_requests_total{method="POST",route="/api/v1/fines",status="201"}`:                    1,
		`multa_http_requests_total{method="GET",route="/api/v1/stats",status="401"}`:                     1,
		`multa_http_requests_total{method="POST",route="unmatched",status="405"}`:                        1,
		`multa_http_request_duration_seconds_count{method="POST",route="/api/v1/notices/:nav/payments"}`: 1,
		`multa_payments_total{stage="reduced"}`:                                                          1,
		`multa_payments_total{stage="minimum"}`:                                                          0,
		`multa_payment_amount_cents_total{stage="reduced"}`:                                              2940,
		`multa_fines_issued_total{violation="7-15"}`:                                                     1,
	} {
		got, ok := m[series]
		if !ok || got != want {
			t.Errorf("%s = %v (present %v), want %v", series, got, ok, want)
		}
	}
	// Raw paths never become labels: one NAV per series would grow
	// without bound.
	for series := range m {
		if strings.Contains(series, nav) || strings.Contains(series, "12345") || strings.Contains(series, "/no/such") {
			t.Errorf("a raw path leaked into a label: %s", series)
		}
	}
	if _, ok := m[`multa_http_request_duration_seconds_bucket{method="POST",route="/api/v1/notices/:nav/payments",le="+Inf"}`]; !ok {
		t.Error("no latency histogram for payments")
	}
	if _, ok := m["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	// The scrape itself is counted, on the next scrape.
	if got := e.scrape()[`multa_http_requests_total{method="GET",route="/metrics",status="200"}`]; got != 1 {
		t.Errorf("scrapes counted = %v, want 1", got)
	}
}

// Each server owns its registry: two servers in one process neither
// collide at start nor see each other's payments.
func TestMetricsRegistryPerServer(t *testing.T) {
	a := newEnv(t, rome("2026-03-10 09:00:00"))
	b := newEnv(t, rome("2026-03-10 09:00:00"))
	a.payDue(navs(parkingFine(a, a.login("officer")))["reduced"])
	if got := a.scrape()[`multa_payments_total{stage="reduced"}`]; got != 1 {
		t.Errorf("server a: %v payments, want 1", got)
	}
	if got := b.scrape()[`multa_payments_total{stage="reduced"}`]; got != 0 {
		t.Errorf("server b: %v payments, want 0", got)
	}
}
