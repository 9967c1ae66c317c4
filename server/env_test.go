package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
	"github.com/multa/multa/server"
)

// env is one real server on 127.0.0.1 over a real bbolt file (the shared
// testkit wiring), with an HTTP client and the test's helpers.
type env struct {
	t        *testing.T
	url      string
	store    *testkit.Store
	clock    *testkit.Clock
	auth     *auth.Service
	sandbox  *psp.Sandbox
	settings notices.Settings
	key      []byte
	client   *http.Client
	srv      *server.Server
}

var (
	milan = testkit.Milan
	rome  = testkit.RomeAt
)

func newEnv(t *testing.T, now time.Time) *env {
	t.Helper()
	return newEnvWith(t, now, nil)
}

// testMetricsToken is the scrape token of test servers: without one the
// API's listener does not serve /metrics.
const testMetricsToken = testkit.MetricsToken

// newEnvWith lets a test change the server's configuration before start.
func newEnvWith(t *testing.T, now time.Time, configure func(*server.Config)) *env {
	t.Helper()
	k := testkit.NewServer(t, now, configure)
	return &env{t: t, url: k.URL, store: k.Store, clock: k.Clock, auth: k.Auth, sandbox: k.Sandbox,
		settings: k.Settings, key: k.Key, client: &http.Client{Timeout: 20 * time.Second}, srv: k.Server}
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
