package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
)

// config is everything an operator can set. Every flag has a MULTA_*
// environment variable; flags win; invalid values stop the start.
type config struct {
	Addr         string
	DB           string
	PublicURL    string
	Demo         bool
	RateLimit    int
	CreditorCF   string
	CreditorName string
	Segregation  string
	FeePost      string
	FeePEC       string
	FeeSEND      string
	FeeSENDPaper string
	// MoveDepositTenth moves a compiuta giacenza's 10th day off weekends
	// and holidays (docs/verbale-rules.md).
	MoveDepositTenth bool
	PatronDay        string
	CatalogueFile    string
	TrustedProxies   string
	CORSOrigins      string
	JWTKeyFile       string
	LedgerKeyFile    string
	PSPStateFile     string
	LogFormat        string
	LogLevel         string
	MetricsToken     string
	MetricsAddr      string
	// CaptureAfterAnswer captures card payments in the background
	// (payment.Config.CaptureInBackground).
	CaptureAfterAnswer bool

	// The pagoPA station (issue 10): off unless a broker or station id is set.
	PagoPABroker    string
	PagoPAStation   string
	CreditorIBAN    string
	PagoPACategory  string
	PagoPAAddr      string
	PagoPATLSCert   string
	PagoPATLSKey    string
	PagoPAClientCA  string
	PagoPAKey       string
	PagoPAKeyHeader string

	// pagoPA's FdR 3 API (issue 11): off unless a URL is set.
	FdRURL      string
	FdRKey      string
	FdRInterval time.Duration

	settings notices.Settings
	station  pagopa.Settings
}

// bindFlags declares the serve flags with env-derived defaults.
func (c *config) bindFlags(fs *flag.FlagSet) {
	str := func(p *string, name, env, def, usage string) {
		fs.StringVar(p, name, envOr(env, def), usage+" (env "+env+")")
	}
	str(&c.Addr, "addr", "MULTA_ADDR", ":8080", "listen address")
	str(&c.DB, "db", "MULTA_DB", "./multa.db", "bbolt database file, or a postgres:// URL for the PostgreSQL store")
	str(&c.PublicURL, "public-url", "MULTA_PUBLIC_URL", "", "public origin used in link QR codes (default from --addr)")
	fs.BoolVar(&c.Demo, "demo", envBool("MULTA_DEMO"), "seed demo users and fines into an empty database (env MULTA_DEMO=1)")
	fs.IntVar(&c.RateLimit, "rate-limit", envInt("MULTA_RATE_LIMIT", 120), "requests per minute per client on public routes; 0 turns it off (env MULTA_RATE_LIMIT)")
	str(&c.CreditorCF, "creditor-fiscal-code", "MULTA_CREDITOR_FISCAL_CODE", "01199250158", "creditor fiscal code (11 digits)")
	str(&c.CreditorName, "creditor-name", "MULTA_CREDITOR_NAME", "Comune di Milano", "creditor name")
	str(&c.Segregation, "segregation-code", "MULTA_SEGREGATION_CODE", "01", "two-digit segregation code of the NAVs issued here")
	str(&c.FeePost, "fee-post", "MULTA_FEE_POST", "13.00", "notification fees by post, in euro")
	str(&c.FeePEC, "fee-pec", "MULTA_FEE_PEC", "3.00", "notification fees by PEC, in euro")
	str(&c.FeeSEND, "fee-send", "MULTA_FEE_SEND", "2.00", "notification costs by SEND (platform and sender fees), in euro")
	str(&c.FeeSENDPaper, "fee-send-paper", "MULTA_FEE_SEND_PAPER", "11.95", "postage with VAT added when SEND delivers on paper, in euro")
	fs.BoolVar(&c.MoveDepositTenth, "move-deposit-tenth-day", envBool("MULTA_MOVE_DEPOSIT_TENTH_DAY"), "move the 10th day of a compiuta giacenza off Saturdays, Sundays and holidays (env MULTA_MOVE_DEPOSIT_TENTH_DAY=1)")
	str(&c.PatronDay, "patron-day", "MULTA_PATRON_DAY", "12-07", "patron saint's day MM-DD, a local holiday; empty for none")
	str(&c.CatalogueFile, "catalogue", "MULTA_CATALOGUE", "", "JSON file with the violation catalogue (default: the built-in one)")
	str(&c.TrustedProxies, "trusted-proxies", "MULTA_TRUSTED_PROXIES", "", "comma-separated proxy IPs/CIDRs whose X-Forwarded-For is trusted")
	str(&c.CORSOrigins, "cors-origins", "MULTA_CORS_ORIGINS", "", "comma-separated origins allowed by CORS; empty for none")
	str(&c.JWTKeyFile, "jwt-key-file", "MULTA_JWT_KEY_FILE", "", "file with the JWT signing key (default: <db>.jwt.key, created on first start)")
	str(&c.LedgerKeyFile, "ledger-key-file", "MULTA_LEDGER_KEY_FILE", "", "file with the ledger signing key (default: <db>.ledger.key, created on first start)")
	str(&c.PSPStateFile, "psp-state-file", "MULTA_PSP_STATE_FILE", "", "sandbox PSP state file (default: <db>.psp); \"memory\" keeps it in memory, for load tests")
	fs.BoolVar(&c.CaptureAfterAnswer, "capture-after-answer", envBool("MULTA_CAPTURE_AFTER_ANSWER"), "answer a card payment once its receipt is committed and capture it in the background: a shorter wait per payer, fewer payments per second (env MULTA_CAPTURE_AFTER_ANSWER=1)")
	str(&c.MetricsToken, "metrics-token", "MULTA_METRICS_TOKEN", "", "bearer token /metrics requires; without one the API's address does not serve /metrics")
	str(&c.MetricsAddr, "metrics-addr", "MULTA_METRICS_ADDR", defaultMetricsAddr, "separate listener for /metrics (loopback by default; another address needs --metrics-token); \"off\" for none")
	str(&c.PagoPABroker, "pagopa-broker-id", "MULTA_PAGOPA_BROKER_ID", "", "pagoPA idBrokerPA of the station; with --pagopa-station-id it turns the station on")
	str(&c.PagoPAStation, "pagopa-station-id", "MULTA_PAGOPA_STATION_ID", "", "pagoPA idStation, e.g. 01199250158_01")
	str(&c.CreditorIBAN, "creditor-iban", "MULTA_CREDITOR_IBAN", "", "Italian IBAN that receives the fines paid through pagoPA (checked, mod 97)")
	str(&c.PagoPACategory, "pagopa-transfer-category", "MULTA_PAGOPA_TRANSFER_CATEGORY", pagopa.DefaultTransferCategory, "pagoPA taxonomy code of a traffic fine's transfer")
	str(&c.PagoPAAddr, "pagopa-addr", "MULTA_PAGOPA_ADDR", "", "serve the station on this address only (not on --addr), e.g. :8443")
	str(&c.PagoPATLSCert, "pagopa-tls-cert", "MULTA_PAGOPA_TLS_CERT", "", "PEM certificate of the station's own listener (with --pagopa-tls-key)")
	str(&c.PagoPATLSKey, "pagopa-tls-key", "MULTA_PAGOPA_TLS_KEY", "", "PEM private key of the station's own listener")
	str(&c.PagoPAClientCA, "pagopa-client-ca", "MULTA_PAGOPA_CLIENT_CA", "", "PEM CA bundle: the station's listener requires a client certificate it signed (mutual TLS)")
	str(&c.PagoPAKey, "pagopa-key", "MULTA_PAGOPA_KEY", "", "shared key every station call must carry (header --pagopa-key-header)")
	str(&c.PagoPAKeyHeader, "pagopa-key-header", "MULTA_PAGOPA_KEY_HEADER", "Ocp-Apim-Subscription-Key", "header that carries --pagopa-key")
	str(&c.FdRURL, "fdr-url", "MULTA_FDR_URL", "", "pagoPA FdR 3 API of the creditor, e.g. https://api.platform.pagopa.it/fdr-org/service/v1; turns on the import of published settlement flows")
	str(&c.FdRKey, "fdr-key", "MULTA_FDR_KEY", "", "subscription key of the FdR 3 API (header Ocp-Apim-Subscription-Key)")
	fs.DurationVar(&c.FdRInterval, "fdr-interval", envDuration("MULTA_FDR_INTERVAL", time.Hour), "how often to ask FdR 3 for new flows (env MULTA_FDR_INTERVAL)")
	str(&c.LogFormat, "log-format", "MULTA_LOG_FORMAT", "text", "log format: text or json")
	str(&c.LogLevel, "log-level", "MULTA_LOG_LEVEL", "info", "log level: debug, info, warn, error")
}

// defaultMetricsAddr is where /metrics is served unless told otherwise:
// loopback only, for a scraper or agent on the same host. 9464 is the
// port Prometheus exporters of OpenTelemetry use.
const defaultMetricsAddr = "127.0.0.1:9464"

// validate checks every value and derives the installation settings.
func (c *config) validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		errs = append(errs, fmt.Errorf("--addr %q: %v", c.Addr, err))
	}
	if c.DB == "" {
		errs = append(errs, errors.New("--db must name a file or a postgres:// URL"))
	}
	if c.RateLimit < 0 {
		errs = append(errs, errors.New("--rate-limit must be 0 or more"))
	}
	if err := notices.ValidateCreditorFiscalCode(c.CreditorCF); err != nil {
		errs = append(errs, fmt.Errorf("--creditor-fiscal-code: %v", notices.ErrorMessage(err)))
	}
	if strings.TrimSpace(c.CreditorName) == "" {
		errs = append(errs, errors.New("--creditor-name must not be empty"))
	}
	if len(c.Segregation) != 2 || strings.Trim(c.Segregation, "0123456789") != "" {
		errs = append(errs, errors.New("--segregation-code must be two digits"))
	}
	post, err := parseEuro(c.FeePost)
	if err != nil {
		errs = append(errs, fmt.Errorf("--fee-post: %v", err))
	}
	pec, err := parseEuro(c.FeePEC)
	if err != nil {
		errs = append(errs, fmt.Errorf("--fee-pec: %v", err))
	}
	send, err := parseEuro(c.FeeSEND)
	if err != nil {
		errs = append(errs, fmt.Errorf("--fee-send: %v", err))
	}
	sendPaper, err := parseEuro(c.FeeSENDPaper)
	if err != nil {
		errs = append(errs, fmt.Errorf("--fee-send-paper: %v", err))
	}
	cal, err := parsePatronDay(c.PatronDay)
	if err != nil {
		errs = append(errs, fmt.Errorf("--patron-day: %v", err))
	}
	if c.PublicURL == "" {
		c.PublicURL = defaultPublicURL(c.Addr)
	}
	if !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, errors.New("--public-url must start with http:// or https://"))
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	for _, p := range splitList(c.TrustedProxies) {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				errs = append(errs, fmt.Errorf("--trusted-proxies: %q is not an IP or CIDR", p))
			}
		}
	}
	if c.MetricsAddr != "off" {
		if host, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("--metrics-addr %q: %v", c.MetricsAddr, err))
		} else if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && c.MetricsToken == "" {
			errs = append(errs, fmt.Errorf("--metrics-addr %q is not loopback: set --metrics-token too, as the series include payment totals", c.MetricsAddr))
		}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		errs = append(errs, errors.New("--log-format must be text or json"))
	}
	c.station = pagopa.Settings{BrokerID: strings.TrimSpace(c.PagoPABroker), StationID: strings.TrimSpace(c.PagoPAStation),
		IBAN: c.CreditorIBAN, TransferCategory: strings.TrimSpace(c.PagoPACategory)}
	if c.station.Enabled() {
		if err := c.station.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("pagoPA station: %v", err))
		}
		if c.PagoPAAddr != "" {
			if _, _, err := net.SplitHostPort(c.PagoPAAddr); err != nil {
				errs = append(errs, fmt.Errorf("--pagopa-addr %q: %v", c.PagoPAAddr, err))
			}
		}
		if (c.PagoPATLSCert == "") != (c.PagoPATLSKey == "") {
			errs = append(errs, errors.New("--pagopa-tls-cert and --pagopa-tls-key go together"))
		}
		if (c.PagoPATLSCert != "" || c.PagoPAClientCA != "") && c.PagoPAAddr == "" {
			errs = append(errs, errors.New("--pagopa-tls-cert and --pagopa-client-ca need --pagopa-addr, the station's own listener"))
		}
		if c.PagoPAClientCA != "" && c.PagoPATLSCert == "" {
			errs = append(errs, errors.New("--pagopa-client-ca needs --pagopa-tls-cert and --pagopa-tls-key: mutual TLS is TLS"))
		}
		if c.PagoPAKey != "" && (len(c.PagoPAKey) < 16 || strings.TrimSpace(c.PagoPAKeyHeader) == "") {
			errs = append(errs, errors.New("--pagopa-key must have at least 16 characters and --pagopa-key-header must name a header"))
		}
	} else if c.CreditorIBAN != "" || c.PagoPAAddr != "" || c.PagoPAClientCA != "" || c.PagoPAKey != "" {
		errs = append(errs, errors.New("pagoPA station settings given without --pagopa-broker-id and --pagopa-station-id"))
	}
	if c.FdRURL != "" {
		if u, err := url.Parse(c.FdRURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, errors.New("--fdr-url must be an http(s) URL"))
		}
		if c.FdRInterval < time.Minute {
			errs = append(errs, errors.New("--fdr-interval must be at least a minute (the API allows one request a second)"))
		}
	} else if c.FdRKey != "" {
		errs = append(errs, errors.New("--fdr-key given without --fdr-url"))
	}
	c.settings = notices.Settings{
		Creditor:    notices.Creditor{FiscalCode: c.CreditorCF, Name: strings.TrimSpace(c.CreditorName)},
		Segregation: c.Segregation,
		Fees:        notices.Fees{Post: post, PEC: pec, Hand: 0, SEND: send, SENDPaper: sendPaper},
		Calendar:    cal,
	}
	return errors.Join(errs...)
}

// parseEuro reads "13.00" or "13,00" into cents without floating point.
func parseEuro(s string) (int64, error) {
	s = strings.Replace(strings.TrimSpace(s), ",", ".", 1)
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" {
		return 0, fmt.Errorf("%q is not an amount in euro like 13.00", s)
	}
	frac += strings.Repeat("0", 2-len(frac))
	w, err1 := strconv.ParseInt(whole, 10, 64)
	f, err2 := strconv.ParseInt(frac, 10, 64)
	if err1 != nil || err2 != nil || w < 0 || w > 10000 {
		return 0, fmt.Errorf("%q is not an amount in euro between 0 and 10000", s)
	}
	return w*100 + f, nil
}

func parsePatronDay(s string) (notices.Calendar, error) {
	if s == "" {
		return notices.Calendar{}, nil
	}
	t, err := time.Parse("01-02", s)
	if err != nil {
		return notices.Calendar{}, fmt.Errorf("%q is not a day MM-DD", s)
	}
	return notices.Calendar{PatronMonth: t.Month(), PatronDay: t.Day()}, nil
}

func defaultPublicURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok {
		return v
	}
	return def
}

func envBool(key string) bool {
	v := strings.ToLower(os.Getenv(key))
	return v == "1" || v == "true" || v == "yes"
}

// envDuration returns def when unset; a malformed value is kept as -1 so
// that validate reports it.
func envDuration(key string, def time.Duration) time.Duration {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return -1
	}
	return d
}

// envInt returns def when unset; a malformed value is kept as -1 so that
// validate reports it instead of silently using the default.
func envInt(key string, def int) int {
	v, ok := os.LookupEnv(key)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return -1
	}
	return n
}
