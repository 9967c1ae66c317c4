package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
	"github.com/multa/multa/psp"
	"github.com/multa/multa/server"
)

// clock is a settable test clock shared by every component of one env.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// env is one real server on 127.0.0.1 over a real bbolt file.
type env struct {
	t        *testing.T
	url      string
	store    *boltdb.Store
	clock    *clock
	auth     *auth.Service
	sandbox  *psp.Sandbox
	settings notices.Settings
	key      []byte
	client   *http.Client
	srv      *server.Server
}

// cheapArgon keeps logins fast in tests; production uses DefaultParams.
var cheapArgon = auth.Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

var milan = notices.Settings{
	Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
	Segregation: "01",
	Fees:        notices.DefaultFees,
	Calendar:    notices.Calendar{PatronMonth: time.December, PatronDay: 7},
}

func rome(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04:05", s, notices.Rome)
	if err != nil {
		panic(err)
	}
	return t
}

func newEnv(t *testing.T, now time.Time) *env {
	t.Helper()
	return newEnvWith(t, now, nil)
}

// newEnvWith lets a test change the server's configuration before start.
func newEnvWith(t *testing.T, now time.Time, configure func(*server.Config)) *env {
	t.Helper()
	clk := &clock{t: now}
	st, err := boltdb.Open(filepath.Join(t.TempDir(), "multa.db"), boltdb.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	sb, err := psp.NewSandbox(psp.SandboxOptions{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	key := bytes.Repeat([]byte{7}, 32)
	acc, err := auth.NewService(st, key, auth.Options{Now: clk.Now, Params: cheapArgon})
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{
		Store: st, Settings: milan, Auth: acc, Provider: sb, Sandbox: sb,
		PublicURL: "https://multe.example.it", Now: clk.Now, SecureCookies: true,
	}
	if configure != nil {
		configure(&cfg)
	}
	srv := server.New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	e := &env{t: t, url: "http://" + ln.Addr().String(), store: st, clock: clk, auth: acc, sandbox: sb,
		settings: milan, key: key, client: &http.Client{Timeout: 20 * time.Second}, srv: srv}
	for _, u := range []struct {
		name string
		role notices.Role
	}{{"officer", notices.RoleOfficer}, {"super", notices.RoleSupervisor}, {"money", notices.RoleFinance}, {"root", notices.RoleAdmin}} {
		if _, err := acc.CreateUser(context.Background(), u.name, "correct horse battery", u.role); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

func (r response) code(t *testing.T) string {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json (status %d, body %s)", ct, r.status, r.body)
	}
	c, _ := r.json(t)["code"].(string)
	return c
}

// do sends a request; body may be nil, []byte, string or a value to JSON.
func (e *env) do(method, path string, body any, headers ...string) response {
	e.t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd, ct = bytes.NewReader([]byte(b)), "application/json"
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd, ct = bytes.NewReader(raw), "application/json"
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, raw}
}

// login returns a bearer header value for a user.
func (e *env) login(user string) string {
	e.t.Helper()
	r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": user, "password": "correct horse battery"})
	if r.status != 200 {
		e.t.Fatalf("login %s: %d %s", user, r.status, r.body)
	}
	return "Bearer " + r.json(e.t)["accessToken"].(string)
}

// issue creates a fine through the API and returns its view.
func (e *env) issue(bearer string, req map[string]any) map[string]any {
	e.t.Helper()
	r := e.do("POST", "/api/v1/fines", req, "Authorization", bearer)
	if r.status != 201 {
		e.t.Fatalf("issue: %d %s", r.status, r.body)
	}
	return r.json(e.t)
}

// navs returns the notice numbers of a fine view, by option kind.
func navs(fine map[string]any) map[string]string {
	out := map[string]string{}
	for _, o := range fine["options"].([]any) {
		m := o.(map[string]any)
		out[m["kind"].(string)] = m["noticeNumber"].(string)
	}
	return out
}

// cardToken tokenizes a test card at the sandbox route.
func (e *env) cardToken(number string) string {
	e.t.Helper()
	r := e.do("POST", "/psp/v1/tokens", map[string]any{"number": number, "expMonth": 12, "expYear": 2030, "cvc": "123"})
	if r.status != 201 {
		e.t.Fatalf("tokenize: %d %s", r.status, r.body)
	}
	return r.json(e.t)["token"].(string)
}

func mustNAV(t *testing.T, s string) notices.NAV {
	t.Helper()
	n, err := notices.ParseNAV(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
