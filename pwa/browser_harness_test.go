package pwa_test

// The harness of the browser journey (browser_journey_test.go). Everything
// is real and local: the server of package server on a loopback listener
// over a bbolt file in t.TempDir() (the shared internal/testkit wiring),
// the sandbox PSP, Argon2 logins (with cheap parameters) behind a front
// door that counts what the browser sends, and Debian's chromium with a
// fake camera that plays a Y4M video made here from the fine's own QR code.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdpnet "github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa"
	"github.com/multa/multa/payment"
	"github.com/multa/multa/server"
)

// browserFirstLoadBudget is what the driver app may transfer on its first
// load, measured in the browser (TestFirstLoadBudget checks the same figure
// statically from the bundle).
const browserFirstLoadBudget = 60 * 1024

// screenshotsEnv names the directory the journey's screens are written to.
// Unset, they go to the test's artifact directory (t.ArtifactDir, kept with
// go test -artifacts -outputdir DIR, else removed after the test), so that
// an ordinary run never rewrites the committed docs/screenshots. To refresh
// those, from the repository root:
//
//	MULTA_SCREENSHOTS=$PWD/docs/screenshots go test ./pwa -run Browser
//
// A relative value is relative to this package's directory (pwa/), where
// go test runs the test.
const screenshotsEnv = "MULTA_SCREENSHOTS"

// Test cards of the sandbox PSP (see the HTTP contract).
const (
	cardOK       = "4242424242424242"
	cardDeclined = "4000000000000002"
)

// The phone: a 390×844 CSS-pixel portrait screen, the size of a current
// mid-range phone. The accessibility audit (see audit) narrows it to
// narrowW, the smallest width still common (older and small Android phones).
const (
	phoneW, phoneH = 390, 844
	narrowW        = 360
)

// findChromium returns the path of Debian's chromium, or "".
func findChromium() string {
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	return ""
}

// ---- the server side ----

// password is every account's.
const password = testkit.Password

// env is the server, the front door the browser talks to, and a client for
// the test's own API calls (which go straight to the server, so the front
// door counts only what the browser sends).
type env struct {
	// t is the test of the running step (see step), root the journey's:
	// helpers fail the step, while browsers and servers live as long as
	// the journey.
	t, root *testing.T
	backend string // the server, for the test's API calls
	public  string // the front door, for the browser and in link QR codes
	// clock is the server's: the real time until the test moves it, so
	// that the back office's "now" (the browser's real clock) and the
	// server's agree until the test moves the server into the future.
	clock  *testkit.Clock
	front  *frontDoor
	client *http.Client
	// kit is the server's wiring (store, sandbox), for tests that set
	// up data behind the API's back.
	kit *testkit.Server
}

// step runs one named part of the journey as a subtest, so that a failure
// names its part. The parts build on each other (the same phone, the same
// fines), so a failed part ends the journey.
func (e *env) step(name string, f func(t *testing.T)) {
	root := e.root
	root.Helper()
	ok := root.Run(name, func(t *testing.T) {
		e.t = t
		defer func() { e.t = root }()
		f(t)
	})
	if !ok {
		root.FailNow()
	}
}

func startEnv(t *testing.T) *env {
	t.Helper()
	// The front door listens first: its address is the public URL that
	// the server writes into link QR codes.
	frontLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := "http://" + frontLn.Addr().String()
	k := testkit.StartServer(t, testkit.ServerOptions{
		Clock: testkit.RunningClock(),
		Users: []testkit.User{{Name: "vigile", Role: notices.RoleOfficer}, {Name: "capo", Role: notices.RoleSupervisor}, {Name: "admin", Role: notices.RoleAdmin}},
		Configure: func(c *server.Config) {
			c.PublicURL, c.RateLimit = public, 0
			// The pagoPA station is on, so that fines can be paid in other
			// channels (the node simulator plays them).
			c.Payments = payment.New(payment.Config{Store: c.Store, Provider: c.Provider, Settings: c.Settings, Now: c.Now})
			c.Station = pagopa.New(pagopa.Config{Settings: stationSettings, Creditor: c.Settings.Creditor, Payments: c.Payments, Now: c.Now,
				Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			// Warnings and errors only: a failing request is worth seeing.
			c.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		},
	})
	front := newFrontDoor(k.URL)
	hs := &http.Server{Handler: front, ErrorLog: log.New(io.Discard, "", 0)}
	go hs.Serve(frontLn)
	t.Cleanup(func() { hs.Close() })
	return &env{t: t, root: t, backend: k.URL, public: public, clock: k.Clock, front: front, client: &http.Client{Timeout: 20 * time.Second}, kit: k}
}

// frontDoor is a reverse proxy in front of the server, as a gateway would
// be. It counts what the browser sends — the server offers no hook before
// its routes — and can hold camera frames for a moment.
type frontDoor struct {
	rp *httputil.ReverseProxy

	mu    sync.Mutex
	st    doorStats
	hold  chan struct{} // non-nil: scan uploads wait until it is closed
	scans chan struct{} // signalled at each scan upload
}

type doorStats struct {
	paths                             []string // "METHOD /path" of every request
	requests, payments, tokens, scans int
	bytes                             int64 // response bytes, as sent (compressed)
	scanAnswers                       []int // the status of each scan upload, in order
}

var paymentPath = regexp.MustCompile(`^/api/v1/notices/[^/]+/payments$`)

func newFrontDoor(backend string) *frontDoor {
	u, err := url.Parse(backend)
	if err != nil {
		panic(err)
	}
	return &frontDoor{
		scans: make(chan struct{}, 64),
		rp: &httputil.ReverseProxy{
			Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(u)
				r.Out.Host = r.In.Host // the server sees the public host, as behind a gateway
			},
			// A tab closing with a frame upload in flight is not an error.
			ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
				if r.Context().Err() == nil {
					log.Printf("front door: %s %s: %v", r.Method, r.URL.Path, err)
				}
				w.WriteHeader(http.StatusBadGateway)
			},
		},
	}
}

func (f *frontDoor) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	scan := r.Method == http.MethodPost && r.URL.Path == "/api/v1/scan"
	f.mu.Lock()
	f.st.requests++
	f.st.paths = append(f.st.paths, r.Method+" "+r.URL.Path)
	switch {
	case r.Method == http.MethodPost && paymentPath.MatchString(r.URL.Path):
		f.st.payments++
	case r.Method == http.MethodPost && r.URL.Path == "/psp/v1/tokens":
		f.st.tokens++
	case scan:
		f.st.scans++
	}
	hold := f.hold
	f.mu.Unlock()
	if scan {
		select {
		case f.scans <- struct{}{}:
		default:
		}
		if hold != nil {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
	}
	cw := &countingWriter{ResponseWriter: w}
	f.rp.ServeHTTP(cw, r)
	f.mu.Lock()
	f.st.bytes += cw.n
	if scan {
		f.st.scanAnswers = append(f.st.scanAnswers, cw.status)
	}
	f.mu.Unlock()
}

func (f *frontDoor) stats() doorStats {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.st
	st.paths = append([]string(nil), f.st.paths...)
	st.scanAnswers = append([]int(nil), f.st.scanAnswers...)
	return st
}

func (f *frontDoor) reset() {
	f.mu.Lock()
	f.st = doorStats{}
	f.mu.Unlock()
}

func (f *frontDoor) holdScans() {
	f.mu.Lock()
	f.hold = make(chan struct{})
	f.mu.Unlock()
	for len(f.scans) > 0 {
		<-f.scans
	}
}

func (f *frontDoor) releaseScans() {
	f.mu.Lock()
	if f.hold != nil {
		close(f.hold)
		f.hold = nil
	}
	f.mu.Unlock()
}

// waitScans waits until n scan uploads have arrived since holdScans.
func (f *frontDoor) waitScans(t *testing.T, n int, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for range n {
		select {
		case <-f.scans:
		case <-timeout:
			f.releaseScans()
			t.Fatalf("no camera frame reached /api/v1/scan within %s", d)
		}
	}
}

type countingWriter struct {
	http.ResponseWriter
	n      int64
	status int // 0 when the proxy never answered (the browser went away)
}

func (w *countingWriter) WriteHeader(c int) {
	w.status = c
	w.ResponseWriter.WriteHeader(c)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Unwrap lets the reverse proxy reach the Flusher underneath.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// api calls the server and decodes a JSON answer into out (when not nil).
func (e *env) api(method, path, bearer string, body, out any) int {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.backend+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			e.t.Fatalf("%s %s: %v\n%s", method, path, err, raw)
		}
	}
	if resp.StatusCode >= 300 {
		e.t.Logf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode
}

func (e *env) login(user string) string {
	e.t.Helper()
	var out struct{ AccessToken string }
	if st := e.api("POST", "/api/v1/auth/login", "", map[string]string{"username": user, "password": password}, &out); st != 200 || out.AccessToken == "" {
		e.t.Fatalf("login %s: status %d", user, st)
	}
	return out.AccessToken
}

// issue creates a fine contested on the spot and returns the notice
// number of its first (reduced) option.
func (e *env) issue(bearer, plate, violation string) string {
	e.t.Helper()
	var fine struct {
		Options []struct{ Kind, NoticeNumber string }
	}
	req := map[string]any{
		"plate": plate, "violationCode": violation, "occurredAt": e.clock.Now().Add(-time.Hour).Format(time.RFC3339),
		"place": "Corso Buenos Aires 1, Milano", "contestation": "immediate",
	}
	if st := e.api("POST", "/api/v1/fines", bearer, req, &fine); st != 201 || len(fine.Options) == 0 {
		e.t.Fatalf("issue %s %s: status %d, options %v", plate, violation, st, fine.Options)
	}
	if fine.Options[0].Kind != "reduced" {
		e.t.Fatalf("first option of %s is %q, want reduced", plate, fine.Options[0].Kind)
	}
	return fine.Options[0].NoticeNumber
}

type noticeView struct {
	NoticeNumber string `json:"noticeNumber"`
	Status       string `json:"status"`
	Place        string `json:"place"`
	AmountDue    struct {
		Cents int64  `json:"cents"`
		Stage string `json:"stage"`
		PayBy string `json:"payBy"`
	} `json:"amountDue"`
	Payment *struct {
		ReceiptID   string `json:"receiptId"`
		AmountCents int64  `json:"amountCents"`
	} `json:"payment"`
}

func (e *env) notice(nav string) noticeView {
	e.t.Helper()
	var n noticeView
	// As staff: a public verify says a notice is paid, not which receipt.
	if st := e.api("GET", "/api/v1/notices/"+nav, e.login("admin"), nil, &n); st != 200 {
		e.t.Fatalf("GET notice %s: status %d", nav, st)
	}
	return n
}

type receiptView struct {
	ReceiptID    string `json:"receiptId"`
	NoticeNumber string `json:"noticeNumber"`
	AmountCents  int64  `json:"amountCents"`
	Stage        string `json:"stage"`
	PSP          struct {
		TransactionID string `json:"transactionId"`
	} `json:"psp"`
	Method struct {
		Last4 string `json:"last4"`
	} `json:"method"`
}

// qrPNG fetches the QR code of a notice as the server draws it.
func (e *env) qrPNG(nav, kind string) []byte {
	e.t.Helper()
	resp, err := e.client.Get(e.backend + "/api/v1/notices/" + nav + "/qr.png?kind=" + kind + "&scale=8")
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		e.t.Fatalf("QR of %s (%s): status %d, %v", nav, kind, resp.StatusCode, err)
	}
	return raw
}

// writeY4M writes a short video for Chromium's fake camera: the QR code
// centred on a white 640×480 frame, a few identical frames (Chromium plays
// the file in a loop). Y4M is raw YUV 4:2:0: a luma plane, then two chroma
// planes of a quarter of its size, neutral (128) for a grey picture.
func writeY4M(t *testing.T, qrPNG []byte) string {
	t.Helper()
	const w, h, frames = 640, 480, 4
	img, err := png.Decode(bytes.NewReader(qrPNG))
	if err != nil {
		t.Fatalf("QR PNG: %v", err)
	}
	b := img.Bounds()
	if b.Dx() > w-40 || b.Dy() > h-40 {
		t.Fatalf("QR of %dx%d px does not fit a %dx%d frame with a margin", b.Dx(), b.Dy(), w, h)
	}
	luma := bytes.Repeat([]byte{255}, w*h)
	x0, y0 := (w-b.Dx())/2, (h-b.Dy())/2
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			luma[(y0+y-b.Min.Y)*w+x0+x-b.Min.X] = color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y
		}
	}
	chroma := bytes.Repeat([]byte{128}, (w/2)*(h/2))
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "YUV4MPEG2 W%d H%d F15:1 Ip A1:1 C420jpeg\n", w, h)
	for range frames {
		buf.WriteString("FRAME\n")
		buf.Write(luma)
		buf.Write(chroma)
		buf.Write(chroma)
	}
	path := filepath.Join(t.TempDir(), "camera.y4m")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// ---- the browser side ----

// stepTimeout bounds each step, so that a stuck step fails with its name
// instead of eating the test's whole deadline.
const stepTimeout = 60 * time.Second

type tab struct {
	e       *env // its t is the running step's
	ctx     context.Context
	closeFn func()
	once    sync.Once
	workers []context.CancelFunc // sessions on service workers (see setOffline)
}

// browser starts Chromium on profile (a user-data-dir) with a phone-sized
// touch screen; camera, when set, is the Y4M file the fake camera plays.
func (e *env) browser(chromium, profile, camera string) *tab {
	t := e.t
	t.Helper()
	root := e.root // the browser may outlive the step that opens it
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(phoneW, phoneH),
		chromedp.Flag("disable-component-update", true),
		// An Italian phone: the app picks its language from it. Native
		// widgets (the date picker) stay en-US: Debian's chromium without
		// chromium-l10n has only the en-US locale.
		chromedp.Flag("lang", "it-IT"),
		chromedp.Flag("accept-lang", "it-IT,it"),
	)
	if camera != "" {
		opts = append(opts,
			chromedp.Flag("use-fake-ui-for-media-stream", true), // grant the camera without a prompt
			chromedp.Flag("use-fake-device-for-media-stream", true),
			chromedp.Flag("use-file-for-fake-video-capture", camera))
	}
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &tab{e: e, ctx: ctx}
	b.closeFn = func() {
		// A graceful close lets Chromium write the profile (localStorage,
		// the service worker's cache) before the next session opens it.
		cctx, ccancel := context.WithTimeout(ctx, 30*time.Second)
		defer ccancel()
		if err := chromedp.Cancel(cctx); err != nil && !errors.Is(err, context.Canceled) {
			root.Logf("closing the browser: %v", err)
		}
		cancel()
		acancel()
	}
	root.Cleanup(b.close)
	// The first action starts the browser; it has no timeout of its own,
	// as a timeout there would bind the browser's life to it.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Func(func(ctx context.Context, tt *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Europe/Rome"})
			return err
		}),
	); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return b
}

func (b *tab) close() { b.once.Do(b.closeFn) }

// do runs steps, failing the test with what and a screenshot on error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.e.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.failShot(what)
		b.e.t.Fatalf("%s: %v\npage: %s", what, err, b.pageText())
	}
}

// failShot keeps what the screen showed when a step failed, in the test's
// artifact directory (kept with go test -artifacts -outputdir DIR).
func (b *tab) failShot(what string) {
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		name := filepath.Join(b.e.t.ArtifactDir(), "failed-"+strings.NewReplacer(" ", "-", "/", "-").Replace(what)+".png")
		if os.WriteFile(name, png, 0o644) == nil {
			b.e.t.Logf("screen at failure: %s", name)
		}
	}
}

// pageText is the visible text of the page, for failure messages.
func (b *tab) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 45*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname + ' — ' + document.body.innerText`))
	if err != nil {
		return "(unavailable: " + err.Error() + ")"
	}
	return s
}

// eval runs a JavaScript expression whose value is a string.
func (b *tab) eval(js string) string {
	b.e.t.Helper()
	var s string
	b.evalInto(js, &s)
	return s
}

func (b *tab) evalInto(js string, out any) {
	b.e.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.e.t.Fatalf("evaluate %s: %v", js, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.e.t.Fatalf("evaluate %s: %v (%s)", js, err, raw)
	}
}

// text is the rendered text of the element sel (a CSS selector).
func (b *tab) text(sel string) string {
	b.e.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.failShot("text " + sel)
		b.e.t.Fatalf("text of %s: %v\npage: %s", sel, err, b.pageText())
	}
	return normSpace(s)
}

// expectText fails the test unless the element sel shows want.
func (b *tab) expectText(sel, want string) {
	b.e.t.Helper()
	if got := b.text(sel); !strings.Contains(got, want) {
		b.e.t.Errorf("%s shows %q, want it to contain %q", sel, got, want)
	}
}

// expectItalian checks that the app speaks Italian, as the assertions on
// messages below expect.
func (b *tab) expectItalian() {
	b.e.t.Helper()
	if l := b.eval(`document.documentElement.lang`); l != "it" {
		b.e.t.Fatalf("the app chose language %q, want it (the browser runs with --lang=it-IT)", l)
	}
}

func (b *tab) waitCheckout(nav string) {
	b.e.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#checkout[data-nav="%s"] #pay-btn`, nav)))); err != nil {
		// What the scanner saw and what the server answered: a scan that
		// never ends says little by itself.
		cctx, ccancel := context.WithTimeout(b.ctx, 20*time.Second)
		camera, cerr := chromedp.Run(cctx, chromedp.Evaluate[string](`(() => { const v = document.getElementById('scan-video');
			return JSON.stringify({video: v ? {readyState: v.readyState, width: v.videoWidth, height: v.videoHeight, paused: v.paused} : null,
				hidden: document.hidden, visibility: document.visibilityState}); })()`))
		ccancel()
		if cerr != nil {
			camera = "(unavailable: " + cerr.Error() + ")"
		}
		b.failShot("checkout of " + nav)
		b.e.t.Fatalf("checkout of %s: %v\ncamera: %s; scan answers since the start: %v\npage: %s", nav, err, camera, b.e.front.stats().scanAnswers, b.pageText())
	}
}

// waitServiceWorker waits until the service worker controls the page, so
// that the app shell is in its cache.
func (b *tab) waitServiceWorker() {
	b.e.t.Helper()
	b.do("service worker in control", until(`!!navigator.serviceWorker.controller`, 60*time.Second))
}

// fillCard types a card into the checkout's form.
func (b *tab) fillCard(number string, remember bool) {
	b.e.t.Helper()
	exp := fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100)
	b.do("fill the card form",
		chromedp.SendKeys(chromedp.ID("card-number"), number),
		chromedp.SendKeys(chromedp.ID("card-exp"), exp),
		chromedp.SendKeys(chromedp.ID("card-cvc"), "123"),
		chromedp.SendKeys(chromedp.ID("card-name"), "MARIO ROSSI"))
	if remember {
		b.do("remember the card", chromedp.Tap(chromedp.ID("card-remember")))
	}
	if got := b.eval(`String(document.getElementById('card-remember').checked)`); got != fmt.Sprint(remember) {
		b.e.t.Fatalf("remember this card = %s, want %v", got, remember)
	}
	if got := b.eval(`document.getElementById('card-number').value.replace(/\s/g, '')`); got != number {
		b.e.t.Fatalf("card number field = %q, want %s", got, number)
	}
}

// tabTo presses Tab, as a keyboard user would, until the element with the
// given id has focus; it fails with the path focus took if that takes more
// than a dozen presses (the screens are short: a lost focus order would
// wander much longer).
func (b *tab) tabTo(id string) {
	b.e.t.Helper()
	var path []string
	for range 12 {
		b.do("press Tab", chromedp.KeyEvent(kb.Tab))
		got := b.eval(`(() => { const a = document.activeElement; return !a ? '' : a.id || a.tagName.toLowerCase() + (a.className ? '.' + a.className : ''); })()`)
		path = append(path, got)
		if got == id {
			return
		}
	}
	b.failShot("tab to " + id)
	b.e.t.Fatalf("Tab never reached #%s; focus went %s", id, strings.Join(path, " → "))
}

// expectFocus checks that the focused element matches sel (a CSS selector)
// and how focus shows: a control reached with the keyboard draws the focus
// ring (an outline of at least 2 px), a heading that the app focused after
// navigation (for screen readers) draws none.
func (b *tab) expectFocus(sel string, ring bool) {
	b.e.t.Helper()
	var f struct {
		Match   bool
		What    string
		Style   string
		Width   float64
		Visible bool
	}
	b.evalInto(fmt.Sprintf(`(() => {
		const a = document.activeElement, s = getComputedStyle(a);
		return { Match: a.matches(%q), What: a.tagName.toLowerCase() + (a.id ? '#' + a.id : '') + ' ' + (a.textContent || '').trim().slice(0, 40),
			Style: s.outlineStyle, Width: parseFloat(s.outlineWidth) || 0, Visible: a.matches(':focus-visible') };
	})()`, sel), &f)
	switch {
	case !f.Match:
		b.e.t.Errorf("focus is on %s, want %s", f.What, sel)
	case ring && (f.Style == "none" || f.Width < 2):
		b.e.t.Errorf("%s has focus but no visible ring: outline %s %gpx (:focus-visible %v)", sel, f.Style, f.Width, f.Visible)
	case !ring && f.Style != "none" && f.Width > 0:
		b.e.t.Errorf("%s, focused by the app, draws a focus ring: outline %s %gpx", sel, f.Style, f.Width)
	}
}

// audit checks the screen as shown on a narrowW-wide phone: no horizontal
// scrolling, a <label> for every form field, text contrast of at least
// 4.5:1, and touch targets of at least 44×44 CSS px. The viewport narrows
// for the measure and comes back, so screenshots keep the 390 px phone.
func (b *tab) audit(screen string) {
	b.e.t.Helper()
	var problems []string
	b.do("narrow the phone to "+fmt.Sprint(narrowW)+" px", chromedp.EmulateViewport(narrowW, phoneH, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.evalInto(strings.ReplaceAll(auditJS, "NARROW", fmt.Sprint(narrowW)), &problems)
	b.do("widen the phone again", chromedp.EmulateViewport(phoneW, phoneH, chromedp.EmulateMobile, chromedp.EmulateTouch))
	for _, p := range problems {
		b.e.t.Errorf("%s at %d px: %s", screen, narrowW, p)
	}
}

// auditJS returns a list of problems (see audit). Contrast is computed as
// WCAG 2 defines it, from the computed colours, with the background found
// by compositing the ancestors' background colours (the app draws no text
// over images). Disabled and busy controls are exempt, as WCAG exempts
// inactive components. A checkbox, radio or file input counts with the
// <label> that wraps it: the label is what a finger presses.
const auditJS = `(async () => {
	await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
	const out = [], de = document.documentElement;
	if (de.clientWidth !== NARROW) out.push('the viewport is ' + de.clientWidth + ' px wide, not NARROW: the measure is broken');
	if (de.scrollWidth > NARROW) out.push('horizontal scrolling: the page is ' + de.scrollWidth + ' px wide');
	const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
	const desc = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '') +
		' "' + (el.textContent || el.placeholder || '').trim().replace(/\s+/g, ' ').slice(0, 40) + '"';
	for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
		if (!el.labels || !el.labels.length) out.push('no <label> for ' + desc(el));
	}
	for (const el of document.querySelectorAll('a[href], button, input:not([type=hidden]), select, textarea, [role=button], [role=tab], [role=option]')) {
		if (!shown(el)) continue;
		const box = ['checkbox', 'radio', 'file'].includes(el.type) ? (el.closest('label') || el) : el;
		const r = box.getBoundingClientRect();
		if (r.width < 43.5 || r.height < 43.5) out.push('touch target ' + Math.round(r.width) + '×' + Math.round(r.height) + ' px: ' + desc(el));
	}
	const rgba = (s) => {
		const m = /rgba?\(([^)]+)\)/.exec(s || '');
		if (!m) return null;
		const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
		return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
	};
	const over = (c, u) => ({ r: c.r * c.a + u.r * (1 - c.a), g: c.g * c.a + u.g * (1 - c.a), b: c.b * c.a + u.b * (1 - c.a), a: 1 });
	const background = (el) => {
		const layers = [];
		for (let e = el; e; e = e.parentElement) {
			const c = rgba(getComputedStyle(e).backgroundColor);
			if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
		}
		return layers.reverse().reduce((u, c) => over(c, u), { r: 255, g: 255, b: 255, a: 1 });
	};
	const lum = (c) => {
		const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
		return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
	};
	const hex = (c) => '#' + [c.r, c.g, c.b].map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
	const check = (el, colour, what) => {
		const bg = background(el), fg = over(rgba(colour) || { r: 0, g: 0, b: 0, a: 1 }, bg);
		const a = lum(fg), b = lum(bg), ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
		if (ratio < 4.5) out.push('contrast ' + ratio.toFixed(2) + ':1 (' + hex(fg) + ' on ' + hex(bg) + ') of ' + what + desc(el));
	};
	const inactive = (el) => !!el.closest(':disabled, [aria-disabled="true"], [aria-busy="true"]');
	for (const el of document.body.querySelectorAll('*')) {
		if (!shown(el) || inactive(el)) continue;
		const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
		if (own) check(el, getComputedStyle(el).color, '');
		if (el.matches('input, textarea, select')) {
			if (el.value) check(el, getComputedStyle(el).color, 'the value of ');
			else if (el.placeholder) check(el, getComputedStyle(el, '::placeholder').color, 'the placeholder of ');
		}
	}
	return out;
})()`

// checkReceipt compares the receipt on screen with the API's and returns
// its id.
func (b *tab) checkReceipt(e *env, nav string, cents int64) string {
	b.e.t.Helper()
	id := b.eval(`document.getElementById('receipt').dataset.receiptId`)
	var r receiptView
	if st := e.api("GET", "/api/v1/receipts/"+id, "", nil, &r); st != 200 {
		b.e.t.Fatalf("receipt %q on screen: the API answers %d", id, st)
	}
	if r.NoticeNumber != nav || r.AmountCents != cents || r.PSP.TransactionID == "" || r.Method.Last4 != "4242" {
		b.e.t.Errorf("receipt %s from the API: notice %s, %d cents, transaction %q, card %s; want %s, %d cents, a transaction, 4242",
			id, r.NoticeNumber, r.AmountCents, r.PSP.TransactionID, r.Method.Last4, nav, cents)
	}
	b.expectText("#receipt-amount", euro(cents))
	if got := strings.ReplaceAll(b.text("#rc-notice"), " ", ""); got != nav {
		b.e.t.Errorf("receipt shows notice %q, want %s", got, nav)
	}
	b.expectText("#rc-tx", r.PSP.TransactionID)
	b.expectText("#rc-id", id)
	return id
}

// firstLoadBytes sums what the page transferred to show itself, from the
// Resource Timing entries (transferSize: headers plus the encoded body),
// icons excluded. The service worker's precache runs in the worker and is
// not part of it.
func (b *tab) firstLoadBytes() int {
	b.e.t.Helper()
	var entries []struct {
		Name string
		Size int
	}
	b.evalInto(`[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
		.map((e) => ({ name: new URL(e.name).pathname, size: e.transferSize }))`, &entries)
	total := 0
	var parts []string
	for _, e := range entries {
		if strings.Contains(e.Name, "/icons/") {
			continue
		}
		total += e.Size
		parts = append(parts, fmt.Sprintf("%s %d", e.Name, e.Size))
	}
	b.e.t.Logf("first load, by resource: %s", strings.Join(parts, ", "))
	if len(entries) < 3 || total == 0 {
		b.e.t.Fatalf("resource timing shows %d entries totalling %d bytes: the measure is broken", len(entries), total)
	}
	return total
}

// setOffline cuts the phone's network or gives it back. Network emulation
// belongs to one DevTools session, and the service worker is a target of
// its own whose fetches the page's emulation does not cover (Chromium 156
// let a navigation through with emulateOfflineServiceWorker alone), so
// offline is set on the page and on each of the app's service workers, as
// DevTools' "Offline" does. Detaching from a worker drops its emulation.
func (b *tab) setOffline(off bool) {
	b.e.t.Helper()
	emulate := func(ctx context.Context, worker bool) error {
		conds := []*cdpnet.Conditions{}
		if off {
			conds = append(conds, &cdpnet.Conditions{Offline: true, DownloadThroughput: -1, UploadThroughput: -1})
		}
		p := cdpnet.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: conds}
		if !worker {
			p.EmulateOfflineServiceWorker = new(off)
		}
		if _, err := chromedp.Call(ctx, cdpnet.EmulateNetworkConditionsByRule, p); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, cdpnet.OverrideNetworkState, cdpnet.OverrideNetworkStateParams{
			Offline: off, DownloadThroughput: -1, UploadThroughput: -1,
		})
		return err
	}
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := emulate(ctx, false); err != nil {
		b.e.t.Fatalf("set offline %v on the page: %v", off, err)
	}
	if !off {
		for _, detach := range b.workers {
			detach()
		}
		b.workers = nil
		return
	}
	// Wake the worker (an idle one is stopped and has no target), then
	// find it among the browser's targets.
	var infos []*target.Info
	for deadline := time.Now().Add(30 * time.Second); ; {
		b.eval(`(navigator.serviceWorker.controller.postMessage({ type: 'ping' }), 'ok')`)
		all, err := chromedp.Targets(ctx)
		if err != nil {
			b.e.t.Fatal(err)
		}
		infos = slices.DeleteFunc(all, func(i *target.Info) bool { return i.Type != "service_worker" })
		if len(infos) > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, info := range infos {
		// WithDetachOnCancel: ending this context must not stop the worker.
		wctx, wcancel := chromedp.NewContext(b.ctx, chromedp.WithTargetID(info.TargetID), chromedp.WithDetachOnCancel())
		b.workers = append(b.workers, wcancel)
		if err := emulate(wctx, true); err != nil {
			b.e.t.Fatalf("set offline on the service worker %s: %v", info.URL, err)
		}
	}
	if len(b.workers) == 0 {
		b.e.t.Fatalf("no service worker target to take offline")
	}
}

func (b *tab) localStorage() map[string]string {
	b.e.t.Helper()
	var m map[string]string
	b.evalInto(`Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)]))`, &m)
	return m
}

// ---- screenshots ----

type shooter struct {
	e   *env // its t is the running step's
	dir string
}

// newShooter picks the screenshot folder (see screenshotsEnv). A folder
// named by MULTA_SCREENSHOTS loses its old journey screens (NN-name.png)
// first, so that it holds exactly the screens of the last run even when a
// screen is renamed; other files in it are left alone.
func newShooter(e *env) *shooter {
	t := e.root
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		// testing.T.ArtifactDir exists since Go 1.26, which go.mod requires;
		// an older toolchain would need t.TempDir() here.
		return &shooter{e: e, dir: t.ArtifactDir()}
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	old, _ := filepath.Glob(filepath.Join(dir, "[0-9][0-9]-*.png"))
	for _, f := range old {
		os.Remove(f)
	}
	t.Logf("screenshots go to %s (%s)", dir, screenshotsEnv)
	return &shooter{e: e, dir: dir}
}

func (s *shooter) take(b *tab, name string) {
	s.e.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 = PNG
	if err != nil {
		s.e.t.Fatalf("screenshot %s: %v", name, err)
	}
	if _, _, err := image.DecodeConfig(bytes.NewReader(buf)); err != nil {
		s.e.t.Fatalf("screenshot %s is not an image: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, name+".png"), buf, 0o644); err != nil {
		s.e.t.Fatal(err)
	}
}

// ---- small helpers ----

// until waits for a JavaScript expression to become truthy.
func until(js string, d time.Duration) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[any](js, chromedp.WithPollingTimeout(d))(ctx, t)
		return chromedp.Void{}, err
	}
}

// euro formats cents as the Italian app shows money, without the sign:
// 2940 → "29,40".
func euro(cents int64) string {
	return fmt.Sprintf("%d,%02d", cents/100, cents%100)
}

// groups writes a notice number in groups of four, as printed.
func groups(nav string) string {
	var b strings.Builder
	for i, r := range nav {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// normSpace turns the non-breaking spaces of Intl formatting into plain
// spaces and collapses runs, so that assertions read naturally.
func normSpace(s string) string {
	s = strings.NewReplacer("\u00a0", " ", "\u202f", " ").Replace(s)
	return strings.Join(strings.Fields(s), " ")
}
