// Package server is the HTTP adapter of Multa: the Fiber app that serves
// the JSON API, the sandbox payment provider's routes and the web app.
//
// Files: every route is registered in routes.go; each handler lives in
// handle_<resource>.go, named after the first segment of its path
// (handle_fines.go for /fines, handle_receipts.go for /receipts...);
// middleware, errors (problem.go), JSON decoding and the OpenAPI document
// have files of their own.
package server

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/mod/sumdb/note"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/fdr"
	"github.com/multa/multa/issuing"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
	"github.com/multa/multa/qr"
)

// Config wires the server to its collaborators. Store, Auth and Provider
// are required; the rest have working defaults.
type Config struct {
	Store     notices.Store
	Catalogue *notices.Catalogue
	Settings  notices.Settings
	Auth      *auth.Service
	Provider  psp.Provider
	// Payments is the payment use case, shared with the other adapters
	// that settle fines (the pagoPA station), so that its per-fine locks
	// see every payer of the process; when nil, New builds one from Store,
	// Provider, Settings, Now, Rand and Logger.
	Payments *payment.Service
	// Sandbox, when set, is mounted on /psp/v1 as if it were a remote PSP.
	Sandbox *psp.Sandbox
	// PublicURL is the origin written into link QR codes, e.g.
	// https://multe.comune.milano.it; no trailing slash.
	PublicURL string
	// RateLimit is requests per minute per client on public routes; 0 is off.
	RateLimit int
	// TrustedProxies are the addresses (or CIDRs) whose X-Forwarded-For is
	// believed; empty means the peer address is the client.
	TrustedProxies []string
	// CORSOrigins are the origins allowed to call the API from a browser;
	// empty means no CORS headers at all.
	CORSOrigins []string
	// SecureCookies marks the refresh cookie Secure; on unless the public
	// URL is plain http on localhost.
	SecureCookies bool
	Now           func() time.Time
	Rand          io.Reader
	Logger        *slog.Logger
	// Version is reported by /healthz.
	Version string
	// LedgerSigner signs the ledger's tree heads; LedgerVerifierKey is
	// its public half in note format, published for auditors.
	LedgerSigner      note.Signer
	LedgerVerifierKey string
	// MetricsToken, when set, is the bearer token /metrics requires. The
	// API's listener serves /metrics only with a token; MetricsHandler
	// serves them on a listener of their own.
	MetricsToken string
	// Station, when set, answers the pagoPA node's SOAP calls on
	// POST /pagopa/v1/paForNode; nil leaves the route out.
	Station *pagopa.Station
	// StationKey, when set, must come with every station call in the
	// header StationKeyHeader (default Ocp-Apim-Subscription-Key): a shared
	// key that the operator's gateway or the node adds.
	StationKey       string
	StationKeyHeader string
	// StationOwnListener keeps the station off the main listener: it is
	// served only by ServeStation, on a listener of its own (mutual TLS).
	StationOwnListener bool
	// MoveDepositTenthDay moves a compiuta giacenza's 10th day off a
	// Saturday, Sunday or holiday, as some courts do (off by default).
	MoveDepositTenthDay bool
	// FdR, when set, is pagoPA's FdR 3 API of this creditor: its flows
	// are imported by RunFdR on a schedule and by
	// POST /api/v1/reconciliation/fdr/sync on demand.
	FdR *fdr.Client
}

// Server is the running HTTP service.
type Server struct {
	cfg      Config
	app      *fiber.App
	log      *slog.Logger
	qr       *qr.Cache
	payments *payment.Service
	issuing  *issuing.Service
	fdr      *fdr.Poller // nil without Config.FdR
	// metrics are set by instrument, before the first request.
	metrics *metrics
	// proxies are the trusted proxies, for clientIP.
	proxies proxies
	// scanner bounds the memory of photo decodes (POST /scan).
	scanner *qr.Limiter
}

// New builds the Fiber app with all routes and middleware.
func New(cfg Config) *Server {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Catalogue == nil {
		cfg.Catalogue = notices.DefaultCatalogue()
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s := &Server{cfg: cfg, log: cfg.Logger, qr: qr.NewCache(4096), payments: cfg.Payments, proxies: parseProxies(cfg.TrustedProxies),
		scanner: qr.NewLimiter(scanBudget)}
	if cfg.FdR != nil {
		s.fdr = &fdr.Poller{Client: cfg.FdR, Known: s.flowKnown, Now: cfg.Now, Logger: cfg.Logger,
			Import: func(ctx context.Context, f notices.SettlementFlow) error {
				_, err := s.importFlow(ctx, f, notices.FlowFromFdR, "fdr")
				return err
			}}
	}
	s.issuing = issuing.New(issuing.Config{Store: cfg.Store, Catalogue: cfg.Catalogue, Settings: cfg.Settings,
		Now: cfg.Now, Rand: cfg.Rand})
	if s.payments == nil {
		s.payments = payment.New(payment.Config{Store: cfg.Store, Provider: cfg.Provider, Settings: cfg.Settings,
			Now: cfg.Now, Rand: cfg.Rand, Logger: cfg.Logger})
	}
	s.app = fiber.New(fiber.Config{
		AppName:               "multa",
		BodyLimit:             maxUploadBody,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          30 * time.Second,
		IdleTimeout:           90 * time.Second,
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		JSONEncoder:           jsonMarshal,
		ReadBufferSize:        16 << 10,
		UnescapePath:          true,
	})
	s.routes()
	return s
}

// maxUploadBody is the largest body any route takes (a CSV import); each
// route narrows it further.
const maxUploadBody = 32 << 20

// App exposes the Fiber app, for tests (app.Test) and for mounting.
func (s *Server) App() *fiber.App { return s.app }

// Listen serves on addr until Shutdown.
func (s *Server) Listen(addr string) error { return s.app.Listen(addr) }

// Serve serves on an existing listener, as tests and the bench harness do.
func (s *Server) Serve(ln net.Listener) error { return s.app.Listener(ln) }

// Shutdown stops accepting connections and waits for requests in flight,
// so that a payment being recorded is never cut in half.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.app.ShutdownWithContext(ctx)
}

func (s *Server) handleError(c *fiber.Ctx, err error) error {
	return writeProblem(c, problemFor(err, s.log, c.Path()))
}

func (s *Server) now() time.Time { return s.cfg.Now().In(notices.Rome) }

func (s *Server) today() notices.Date { return notices.DateOf(s.cfg.Now()) }
