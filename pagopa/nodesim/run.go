package nodesim

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
)

// Plan is a run of the simulator: Count payments over Notices (in turn),
// Concurrency at a time. A share of them go through V1 (paGetPayment,
// paSendRT), a share have their receipt sent twice (the node's retry), a
// share are paid twice from two PSPs (both activated before either
// receipt, as when a driver pays at the bank and in the app at once).
// Probes adds one of each fault the station must answer.
type Plan struct {
	Notices     []string
	Count       int
	Concurrency int
	V1Share     float64
	ResendShare float64
	DoubleShare float64
	Probes      bool
}

// Report sums a run up.
type Report struct {
	Payments  int            // payments attempted
	Settled   int            // receipts answered OK (first sends)
	Refused   map[string]int // KO answers by fault code, at verify or activation
	Resent    int            // receipts sent a second time, answered OK
	Doubles   int            // second payments from another PSP, answered OK
	Errors    []string       // transport errors and unexpected answers
	Probes    []string       // "ok"/"FAIL" line per fault probe
	Latencies map[string][]time.Duration
}

func (r *Report) observe(mu *sync.Mutex, op string, d time.Duration) {
	mu.Lock()
	r.Latencies[op] = append(r.Latencies[op], d)
	mu.Unlock()
}

// String prints the report for people.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "payments attempted %d, receipts accepted %d, resent receipts accepted %d, second payments accepted %d\n", r.Payments, r.Settled, r.Resent, r.Doubles)
	codes := make([]string, 0, len(r.Refused))
	for c := range r.Refused {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	for _, c := range codes {
		fmt.Fprintf(&b, "refused %-28s %d\n", c, r.Refused[c])
	}
	ops := make([]string, 0, len(r.Latencies))
	for op := range r.Latencies {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	for _, op := range ops {
		ds := slices.Clone(r.Latencies[op])
		slices.Sort(ds)
		q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
		fmt.Fprintf(&b, "%-22s n=%-5d p50=%-10v p95=%-10v max=%v\n", op, len(ds), q(0.5).Round(time.Microsecond), q(0.95).Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond))
	}
	for _, p := range r.Probes {
		b.WriteString("probe " + p + "\n")
	}
	for _, e := range r.Errors {
		b.WriteString("ERROR " + e + "\n")
	}
	return b.String()
}

// Failed reports whether anything went wrong: an error or a failed probe.
func (r *Report) Failed() bool {
	if len(r.Errors) > 0 {
		return true
	}
	for _, p := range r.Probes {
		if strings.HasPrefix(p, "FAIL") {
			return true
		}
	}
	return false
}

// Run plays plan against the station.
func (n *Node) Run(ctx context.Context, plan Plan) *Report {
	rep := &Report{Refused: map[string]int{}, Latencies: map[string][]time.Duration{}}
	var mu sync.Mutex
	fail := func(format string, args ...any) {
		mu.Lock()
		rep.Errors = append(rep.Errors, fmt.Sprintf(format, args...))
		mu.Unlock()
	}
	timed := func(op string, f func() (*Exchange, error)) (*Exchange, error) {
		t0 := time.Now()
		x, err := f()
		rep.observe(&mu, op, time.Since(t0))
		return x, err
	}
	if plan.Concurrency < 1 {
		plan.Concurrency = 1
	}
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < plan.Concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				nav := plan.Notices[i%len(plan.Notices)]
				v2 := n.chance(1 - plan.V1Share)
				mu.Lock()
				rep.Payments++
				mu.Unlock()
				x, err := timed("verify", func() (*Exchange, error) { return n.Verify(ctx, nav) })
				if err != nil {
					fail("verify %s: %v", nav, err)
					continue
				}
				v, ok := x.Response.(*pagopa.PaVerifyPaymentNoticeRes)
				if !ok {
					fail("verify %s: HTTP %d %.200s", nav, x.Status, x.Raw)
					continue
				}
				if v.Outcome != pagopa.OutcomeOK || v.PaymentList == nil {
					_, code := x.Outcome()
					mu.Lock()
					rep.Refused[code]++
					mu.Unlock()
					continue
				}
				amount := v.PaymentList.PaymentOptionDescription.Amount
				x, err = timed(activationName(v2), func() (*Exchange, error) { return n.Activate(ctx, nav, amount, v2) })
				if err != nil {
					fail("activate %s: %v", nav, err)
					continue
				}
				p, err := PaymentOf(nav, x)
				if err != nil {
					_, code := x.Outcome()
					mu.Lock()
					rep.Refused[code]++
					mu.Unlock()
					continue
				}
				double := n.chance(plan.DoubleShare)
				first := n.PickPSP()
				rcpts := []pagopa.CtReceipt{n.Receipt(p, first)}
				if double {
					second := n.PickPSP()
					for second.ID == first.ID {
						second = n.PickPSP()
					}
					rcpts = append(rcpts, n.Receipt(p, second))
				}
				if n.chance(plan.ResendShare) {
					rcpts = append(rcpts, rcpts[0])
				}
				for k, r := range rcpts {
					x, err := timed(receiptName(v2), func() (*Exchange, error) { return n.SendReceipt(ctx, r, v2) })
					if err != nil {
						fail("receipt %s: %v", nav, err)
						continue
					}
					if o, code := x.Outcome(); o != pagopa.OutcomeOK {
						fail("receipt %s (%s): %s %s", nav, r.ReceiptID, o, code)
						continue
					}
					mu.Lock()
					switch {
					case k == 0:
						rep.Settled++
					case double && k == 1:
						rep.Doubles++
					default:
						rep.Resent++
					}
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < plan.Count && len(plan.Notices) > 0; i++ {
		select {
		case work <- i:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if plan.Probes {
		rep.Probes = n.probes(ctx, plan.Notices)
	}
	return rep
}

func activationName(v2 bool) string {
	if v2 {
		return "paGetPaymentV2"
	}
	return "paGetPayment"
}

func receiptName(v2 bool) string {
	if v2 {
		return "paSendRTV2"
	}
	return "paSendRT"
}

func (n *Node) chance(p float64) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.rng.Float64() < p
}

// probes sends one request for each fault a station must answer and
// checks the code it gets.
func (n *Node) probes(ctx context.Context, navs []string) []string {
	unknown, _ := notices.NewNAV("99", nil)
	nav := string(unknown)
	if len(navs) > 0 {
		nav = navs[0]
	}
	c := n.cfg
	qr := pagopa.CtQrCode{FiscalCode: c.IDPA, NoticeNumber: nav}
	good, _ := pagopa.Encode(&pagopa.PaVerifyPaymentNoticeReq{IDPA: c.IDPA, IDBrokerPA: c.BrokerID, IDStation: c.StationID, QrCode: qr})
	probes := []struct {
		name, code string
		call       func() (*Exchange, error)
	}{
		{"unknown notice", pagopa.FaultUnknown, func() (*Exchange, error) { return n.Verify(ctx, string(unknown)) }},
		{"wrong idPA", pagopa.FaultWrongDomain, func() (*Exchange, error) {
			return n.Call(ctx, &pagopa.PaVerifyPaymentNoticeReq{IDPA: "00000000000", IDBrokerPA: c.BrokerID, IDStation: c.StationID, QrCode: qr})
		}},
		{"wrong broker", pagopa.FaultWrongBroker, func() (*Exchange, error) {
			return n.Call(ctx, &pagopa.PaGetPaymentV2Request{IDPA: c.IDPA, IDBrokerPA: "00000000000", IDStation: c.StationID, QrCode: qr})
		}},
		{"wrong station", pagopa.FaultWrongStation, func() (*Exchange, error) {
			return n.Call(ctx, &pagopa.PaSendRTV2Request{IDPA: c.IDPA, IDBrokerPA: c.BrokerID, IDStation: "nostation"})
		}},
		{"malformed XML", pagopa.FaultSemantics, func() (*Exchange, error) { return n.Post(ctx, "paVerifyPaymentNotice", good[:len(good)/2]) }},
		{"SOAPAction mismatch", pagopa.FaultSemantics, func() (*Exchange, error) { return n.Post(ctx, "paGetPaymentV2", good) }},
	}
	var out []string
	for _, p := range probes {
		x, err := p.call()
		if err != nil {
			out = append(out, fmt.Sprintf("FAIL %s: %v", p.name, err))
			continue
		}
		if o, code := x.Outcome(); o != pagopa.OutcomeKO || code != p.code || x.Status != http.StatusOK {
			out = append(out, fmt.Sprintf("FAIL %s: HTTP %d %s %s, want KO %s", p.name, x.Status, o, code, p.code))
			continue
		}
		out = append(out, fmt.Sprintf("ok   %s: KO %s", p.name, p.code))
	}
	return out
}

// Handler is what answers SOAP bodies in process: *pagopa.Station.
type Handler interface {
	Handle(ctx context.Context, soapAction string, body []byte) []byte
}

// InProcess is an http.RoundTripper that hands every request to h, for
// the demo seeder and tests that want the station without a network.
func InProcess(h Handler) http.RoundTripper { return inProcess{h} }

type inProcess struct{ h Handler }

func (t inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, pagopa.MaxBody+1))
		r.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	out := t.h.Handle(r.Context(), r.Header.Get("SOAPAction"), body)
	return &http.Response{StatusCode: http.StatusOK, Status: "200 OK", Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{"Content-Type": {"text/xml; charset=utf-8"}}, Body: io.NopCloser(bytes.NewReader(out)),
		ContentLength: int64(len(out)), Request: r}, nil
}
