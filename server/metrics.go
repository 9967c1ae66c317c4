package server

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
)

// metricsPath is where Prometheus scrapes (see the HTTP contract).
const metricsPath = "/metrics"

// metrics are one server's Prometheus series. Each Server owns its own
// registry rather than the client library's global one, so that two
// servers in one process (parallel tests, a blue/green pair) never share
// or double-register series.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec   // by route pattern, method and status
	latency  *prometheus.HistogramVec // by route pattern and method
	payments *prometheus.CounterVec   // by stage
	cents    *prometheus.CounterVec   // by stage
	fines    *prometheus.CounterVec   // by violation code
	pagopa   *prometheus.CounterVec   // station calls by operation, outcome and fault code

	// series caches the children of requests and latency per route and
	// status, so that the hot path does one map lookup under a read lock
	// instead of hashing label strings (and allocating their slice) for
	// every request. Routes are fixed at start and statuses few, so the
	// map stops growing after warm-up.
	mu     sync.RWMutex
	series map[seriesKey]requestSeries
}

// seriesKey identifies a request series: a *fiber.Route stands for its
// pattern and method without any string work.
type seriesKey struct {
	route  *fiber.Route
	status int
}

type requestSeries struct {
	count   prometheus.Counter
	latency prometheus.Observer
}

// epoch anchors the request timer: time.Since(epoch) reads only the
// monotonic clock, where time.Now would also read the wall clock, and the
// timer runs twice on every request.
var epoch = time.Now()

// unmatched labels requests that no route answered; their raw paths
// would give every scanner on the internet its own series.
const unmatched = "unmatched"

// metricsRoute stands for the scrape endpoint, which the middleware
// answers itself.
var metricsRoute = &fiber.Route{Method: fiber.MethodGet, Path: metricsPath}

// latencyBuckets span a cached verify (well under a millisecond) to a
// payment waiting on a slow PSP (seconds).
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func newMetrics(version string) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multa_http_requests_total",
			Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "multa_http_request_duration_seconds",
			Help:    "Time from the request reaching the app to the response being ready, by route pattern and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		payments: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multa_payments_total",
			Help: "Payments recorded (receipts issued), by the stage of art. 202/203 they were paid in.",
		}, []string{"stage"}),
		cents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multa_payment_amount_cents_total",
			Help: "Sum of the payments recorded, in euro cents, by stage.",
		}, []string{"stage"}),
		fines: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multa_fines_issued_total",
			Help: "Fines issued (by officers or camera imports), by violation code.",
		}, []string{"violation"}),
		pagopa: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "multa_pagopa_calls_total",
			Help: "Calls of the pagoPA node to the station, by operation, outcome (OK, KO, fault) and pagoPA fault code.",
		}, []string{"operation", "outcome", "fault"}),
		series: make(map[seriesKey]requestSeries),
	}
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "multa_build_info", Help: "Always 1; the version label says what is running.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	info.Set(1)
	// Every stage starts at zero, so that rate() and dashboards see the
	// series before the first payment of each kind.
	for _, st := range []notices.Stage{notices.StageReduced, notices.StageMinimum, notices.StageIncreased} {
		m.payments.WithLabelValues(string(st))
		m.cents.WithLabelValues(string(st))
	}
	m.reg.MustRegister(m.requests, m.latency, m.payments, m.cents, m.fines, m.pagopa, info,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// instrument creates this server's metrics and returns the middleware
// that counts and times every request and answers GET /metrics. The
// handlers report payments and fines to s.metrics directly. Call it once,
// from New, before serving.
func (s *Server) instrument() fiber.Handler {
	m := newMetrics(s.cfg.Version)
	s.metrics = m
	scrape := adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog: slogPrinter{s}, ErrorHandling: promhttp.ContinueOnError,
	}))
	return func(c *fiber.Ctx) error {
		start := time.Since(epoch)
		if c.Path() == metricsPath && (c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead) {
			if s.cfg.MetricsToken == "" {
				// Not on the public listener without a token: the series
				// include payment counts and totals. MetricsHandler serves
				// them on a separate (loopback) listener instead.
				return errCode(notices.ENotFound, "Metrics are not served on this address.")
			}
			if !s.scrapeAllowed(c) {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="metrics"`)
				return errCode(auth.EUnauthorized, "Scraping the metrics needs the configured token.")
			}
			c.Set(fiber.HeaderCacheControl, "no-store")
			c.Set("X-Content-Type-Options", "nosniff")
			err := scrape(c)
			m.observe(metricsRoute, nil, fiber.MethodGet, c.Response().StatusCode(), start)
			return err
		}
		// self is the route of the app-wide middleware, this one among
		// them. Should it still be the current route after c.Next, no
		// route of the API or the app matched the request.
		self := c.Route()
		done := false
		defer func() {
			if !done { // a panic on its way to the recover middleware
				m.observe(c.Route(), self, c.Method(), fiber.StatusInternalServerError, start)
			}
		}()
		err := c.Next()
		if err != nil {
			// Write the error response now, so that its status is the one
			// counted; the error is then handled and does not go further.
			if herr := c.App().ErrorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		done = true
		m.observe(c.Route(), self, c.Method(), c.Response().StatusCode(), start)
		return nil
	}
}

// observe counts one request and its duration. r is the last route that
// ran (after c.Next, c.Route() is the handler's route when one matched);
// when it is mw, the app-wide middleware's own route, nothing matched.
func (m *metrics) observe(r, mw *fiber.Route, method string, status int, start time.Duration) {
	k := seriesKey{r, status}
	m.mu.RLock()
	sr, ok := m.series[k]
	m.mu.RUnlock()
	if !ok {
		sr = m.newSeries(k, r == mw, method)
	}
	sr.count.Inc()
	sr.latency.Observe((time.Since(epoch) - start).Seconds())
}

// newSeries resolves and caches the children of one key; this is the only
// place that formats labels. Route patterns and methods are strings set at
// registration, safe to keep. An unmatched request is labelled with its
// own method (fiber keeps a copy of the middleware route per method, so
// the key still tells methods apart), mapped to a constant: fasthttp
// reuses the request's bytes.
func (m *metrics) newSeries(k seriesKey, unmatchedRoute bool, reqMethod string) requestSeries {
	path, method := k.route.Path, k.route.Method
	if unmatchedRoute {
		path, method = unmatched, knownMethod(reqMethod)
	}
	sr := requestSeries{
		count:   m.requests.WithLabelValues(path, method, strconv.Itoa(k.status)),
		latency: m.latency.WithLabelValues(path, method),
	}
	m.mu.Lock()
	m.series[k] = sr
	m.mu.Unlock()
	return sr
}

// knownMethod maps a request method to a constant string.
func knownMethod(m string) string {
	for _, k := range []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodPut,
		fiber.MethodPatch, fiber.MethodDelete, fiber.MethodOptions, fiber.MethodConnect, fiber.MethodTrace} {
		if m == k {
			return k
		}
	}
	return "other"
}

func (m *metrics) paid(r notices.Receipt) {
	st := string(r.Stage)
	switch r.Stage {
	case notices.StageReduced, notices.StageMinimum, notices.StageIncreased:
	default:
		st = "other" // bounded labels, whatever a future stage is called
	}
	m.payments.WithLabelValues(st).Inc()
	m.cents.WithLabelValues(st).Add(float64(r.AmountCents))
}

func (m *metrics) fineIssued(f notices.Fine) {
	// Violation codes come from the configured catalogue, a few dozen at
	// most: a bounded label.
	m.fines.WithLabelValues(f.Violation.Code).Inc()
}

// MetricsHandler serves the Prometheus series over net/http, for a
// listener of their own (multa serve --metrics-addr, loopback by default),
// apart from the API's public one. A configured MetricsToken is required
// there too.
func (s *Server) MetricsHandler() http.Handler {
	scrape := promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{ErrorLog: slogPrinter{s}, ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != metricsPath {
			http.NotFound(w, r)
			return
		}
		got, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if s.cfg.MetricsToken != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "Scraping the metrics needs the configured token.", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		scrape.ServeHTTP(w, r)
	})
}

// slogPrinter lets promhttp report scrape errors through the server's log.
type slogPrinter struct{ s *Server }

func (p slogPrinter) Println(v ...any) { p.s.log.Error("metrics scrape", "err", v) }

// scrapeAllowed checks the scraper's bearer token when one is configured:
// the series include payment totals, which are not for everyone.
func (s *Server) scrapeAllowed(c *fiber.Ctx) bool {
	if s.cfg.MetricsToken == "" {
		return true
	}
	got, _ := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	return subtle.ConstantTimeCompare([]byte(got), []byte(s.cfg.MetricsToken)) == 1
}
