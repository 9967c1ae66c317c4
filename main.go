// Command multa serves traffic fines as pagoPA payment notices: a JSON API,
// a sandbox payment provider and an installable web app, from one binary
// and one embedded bbolt file.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/fdr"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/psp"
	"github.com/multa/multa/server"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `multa — traffic fines as pagoPA payment notices

Usage:
  multa [serve] [flags]          run the service (see multa serve -h)
  multa demo [flags]             run the service with demo data (on a temporary database unless --db)
  multa user add --db DB --username NAME --role ROLE   (password on stdin)
  multa backup --db FILE --out FILE
  multa ledger verify --db DB
  multa pagopa-sim --url URL --notices N1,N2 --count N   play the pagoPA node against a station
  multa healthcheck              exit 0 when the local service answers /healthz (for containers)
  multa version

DB is a bbolt file (default ./multa.db) or a postgres:// URL (env MULTA_DB).
`

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches the subcommand and returns the process exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stdout, stderr, false)
	case "demo":
		var done func()
		if args, done, err = demoDatabase(args, stdout); err == nil {
			defer done()
			err = serve(ctx, args, stdout, stderr, true)
		}
	case "user":
		err = userCmd(ctx, args, stdin, stdout)
	case "backup":
		err = backupCmd(ctx, args, stdout)
	case "ledger":
		err = ledgerCmd(ctx, args, stdout)
	case "pagopa-sim":
		err = pagopaSimCmd(ctx, args, stdin, stdout)
	case "healthcheck":
		err = healthcheck(envOr("MULTA_ADDR", ":8080"))
	case "version":
		fmt.Fprintln(stdout, "multa", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = fmt.Errorf("unknown command %q\n\n%s", cmd, usage)
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "multa:", err)
		return 1
	}
	return 0
}

func newLogger(c *config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// serve runs the service until SIGINT or SIGTERM, then drains requests in
// flight before closing the database.
func serve(ctx context.Context, args []string, stdout, stderr io.Writer, demo bool) error {
	var c config
	fs := newFlagSet(&c)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	c.Demo = c.Demo || demo
	if err := c.validate(); err != nil {
		return err
	}
	log := newLogger(&c, stderr)
	slog.SetDefault(log)
	tuneGC(os.Getenv, log)
	if addr := os.Getenv("MULTA_PPROF_ADDR"); addr != "" {
		if err := servePprof(addr, log); err != nil {
			return err
		}
	}

	cat := notices.DefaultCatalogue()
	if c.CatalogueFile != "" {
		f, err := os.Open(c.CatalogueFile)
		if err != nil {
			return err
		}
		cat, err = notices.ParseCatalogue(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("catalogue %s: %w", c.CatalogueFile, err)
		}
	}
	cal := c.settings.Calendar
	store, err := openStore(ctx, c.DB, false, true, &cal)
	if err != nil {
		return err
	}
	defer store.Close()

	jwtKey, err := loadJWTKey(c.JWTKeyFile, statePath(c.DB, ".jwt.key", c.Addr, false), log)
	if err != nil {
		return err
	}
	signer, verifierKey, err := loadLedgerKey(orDefault(c.LedgerKeyFile, statePath(c.DB, ".ledger.key", c.Addr, false)))
	if err != nil {
		return err
	}
	pspState, closePSP, err := openPSPState(c.PSPStateFile, statePath(c.DB, ".psp", c.Addr, true))
	if err != nil {
		return err
	}
	defer closePSP()
	accounts, err := auth.NewService(store, jwtKey, auth.Options{})
	if err != nil {
		return err
	}
	if pw, created, err := accounts.EnsureAdmin(ctx); err != nil {
		return err
	} else if created {
		fmt.Fprintf(stdout, "\nCreated the first user: admin / %s\nThis password is shown only once: keep it safe.\n\n", pw)
	}
	if c.Demo {
		if err := seedDemo(ctx, store, accounts, cat, c.settings, c.station, time.Now(), pspState, stdout); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	sandbox, err := psp.NewSandbox(psp.SandboxOptions{Store: pspState})
	if err != nil {
		return err
	}
	// One payment use case for the whole process: the checkout and the
	// pagoPA station settle fines through it, under the same locks.
	// The capture is synchronous unless --capture-after-answer: in the
	// background it took the payer's p50 down ~2.5 ms but the 64-payer rate
	// from 72% to 65% of bbolt's Batch (bench/README.md, 2026-12-03; why
	// is not traced). Either way the shutdown below waits for captures
	// before the sandbox's state file closes.
	payments := payment.New(payment.Config{Store: store, Provider: sandbox, Settings: c.settings, Logger: log,
		CaptureInBackground: c.CaptureAfterAnswer})
	station := newStation(&c, payments, log)
	srv := server.New(server.Config{
		Store: store, Catalogue: cat, Settings: c.settings, Auth: accounts, Provider: sandbox, Sandbox: sandbox,
		Payments: payments, PublicURL: c.PublicURL, RateLimit: c.RateLimit, TrustedProxies: splitList(c.TrustedProxies),
		CORSOrigins: splitList(c.CORSOrigins), SecureCookies: secureCookies(c.PublicURL), Logger: log,
		Version: version, LedgerSigner: signer, LedgerVerifierKey: verifierKey, MetricsToken: c.MetricsToken,
		Station: station, StationKey: c.PagoPAKey, StationKeyHeader: c.PagoPAKeyHeader, StationOwnListener: c.PagoPAAddr != "",
		MoveDepositTenthDay: c.MoveDepositTenth, FdR: fdrClient(&c),
	})

	closeMetrics, err := serveMetrics(&c, srv, log)
	if err != nil {
		return err
	}
	defer closeMetrics()

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 2)
	stationDone := make(chan struct{}) // closed once the station's own listener has drained
	if station != nil && c.PagoPAAddr != "" {
		ln, err := stationListener(&c)
		if err != nil {
			return err
		}
		go func() {
			defer close(stationDone)
			errc <- srv.ServeStation(ctx, ln)
		}()
	} else {
		close(stationDone)
	}
	go func() { errc <- srv.Listen(c.Addr) }()
	go srv.RunNotificationSweep(ctx, time.Hour)
	if c.FdRURL != "" {
		go srv.RunFdR(ctx, c.FdRInterval)
		log.Info("FdR 3 import on", "url", c.FdRURL, "every", c.FdRInterval.String())
	}
	log.Info("multa serving", "addr", c.Addr, "db", redactDB(c.DB), "public_url", c.PublicURL, "version", version)
	if station != nil {
		log.Info("pagoPA station on", stationSummary(&c, c.settings.Creditor)...)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	select { // the store closes after this: no receipt may be cut in half
	case <-stationDone:
	case <-sctx.Done():
	}
	if werr := payments.WaitCaptures(sctx); werr != nil {
		log.Error("shutdown: captures still running when the sandbox closes", "err", werr)
	}
	return err
}

// serveMetrics starts the separate /metrics listener and says at start
// where the metrics are (or are not) served: payment counts and totals are
// not for the public address. The default (loopback) address failing to
// bind, as when two services share a host, only warns; an address the
// operator chose must work.
func serveMetrics(c *config, srv *server.Server, log *slog.Logger) (func(), error) {
	onAPI := "not served on the API address (no --metrics-token)"
	if c.MetricsToken != "" {
		onAPI = "also served on the API address, with the bearer token"
	}
	if c.MetricsAddr == "off" {
		log.Info("metrics: no separate listener (--metrics-addr off); /metrics is "+onAPI, "metrics_addr", "off")
		return func() {}, nil
	}
	ln, err := net.Listen("tcp", c.MetricsAddr)
	if err != nil {
		if c.MetricsAddr != defaultMetricsAddr {
			return nil, fmt.Errorf("--metrics-addr: %w", err)
		}
		log.Warn("metrics: the default loopback listener is not available; /metrics is "+onAPI, "metrics_addr", c.MetricsAddr, "err", err)
		return func() {}, nil
	}
	hs := &http.Server{Handler: srv.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second}
	go hs.Serve(ln)
	log.Info("metrics: http://"+ln.Addr().String()+"/metrics; /metrics is "+onAPI, "metrics_addr", ln.Addr().String())
	return func() { hs.Close() }, nil
}

// openPSPState opens where the sandbox provider keeps its tokens and
// authorizations: a file by default, or memory ("memory") for load tests,
// where the provider stands for a remote service whose disk is not ours.
func openPSPState(setting, def string) (psp.SandboxStore, func() error, error) {
	if setting == "memory" {
		return &psp.MemoryStore{}, func() error { return nil }, nil
	}
	fs, err := psp.OpenFileStore(orDefault(setting, def))
	if err != nil {
		return nil, nil, fmt.Errorf("sandbox PSP state: %w", err)
	}
	return fs, fs.Close, nil
}

// loadJWTKey reads an operator-supplied key file (secret mounts are often
// world-readable, so that only warns), or creates the default one, 0600.
func loadJWTKey(supplied, def string, log *slog.Logger) ([]byte, error) {
	if supplied == "" {
		key, err := auth.LoadOrCreateKey(def)
		if err != nil {
			return nil, fmt.Errorf("JWT key %s: %w", def, err)
		}
		return key, nil
	}
	key, err := auth.KeyFromFile(supplied)
	if err != nil {
		return nil, fmt.Errorf("JWT key %s: %w", supplied, err)
	}
	if err := auth.CheckKeyFileMode(supplied); err != nil {
		log.Warn("JWT key file is readable by others", "file", supplied, "err", err)
	}
	return key, nil
}

// newFlagSet declares the serve flags bound to c.
func newFlagSet(c *config) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	c.bindFlags(fs)
	return fs
}

// servePprof serves net/http/pprof on addr, for profiling under load (the
// bench harness sets MULTA_PPROF_ADDR). It is off unless asked for and
// refuses any address but loopback: profiles reveal memory contents and
// cost CPU, so they must never face the network.
func servePprof(addr string, log *slog.Logger) error {
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("MULTA_PPROF_ADDR %q: must be a loopback address such as 127.0.0.1:6060", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("MULTA_PPROF_ADDR: %w", err)
	}
	mux := http.NewServeMux() // not DefaultServeMux: nothing else gets exposed
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Warn("pprof serving on loopback (MULTA_PPROF_ADDR)", "addr", ln.Addr().String())
	go http.Serve(ln, mux)
	return nil
}

// secureCookies is true unless the service is reached over plain HTTP on a
// host that is not loopback: browsers treat loopback as secure, but would
// drop a Secure cookie sent over plain HTTP anywhere else.
func secureCookies(publicURL string) bool {
	u, err := url.Parse(publicURL)
	if err != nil || u.Scheme == "https" {
		return true
	}
	h := u.Hostname()
	ip := net.ParseIP(h)
	return h == "localhost" || ip != nil && ip.IsLoopback()
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// healthcheck asks the local service for /healthz; containers without a
// shell or curl use it as their health probe.
func healthcheck(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get("http://" + net.JoinHostPort("127.0.0.1", port) + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz answered %s", resp.Status)
	}
	return nil
}

// fdrClient is the FdR 3 client of the configuration, or nil.
func fdrClient(c *config) *fdr.Client {
	if c.FdRURL == "" {
		return nil
	}
	return &fdr.Client{BaseURL: c.FdRURL, Organization: c.CreditorCF, SubscriptionKey: c.FdRKey}
}
