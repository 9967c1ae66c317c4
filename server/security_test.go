package server_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/server"
)

// forge signs claims the way an attacker might, to prove each is refused.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestForgedTokensAreRefused(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	now := e.clock.Now()
	valid := jwt.MapClaims{"iss": "multa", "aud": []string{"multa-office"}, "sub": "officer", "role": "officer",
		"iat": now.Unix(), "nbf": now.Unix(), "exp": now.Add(10 * time.Minute).Unix(), "jti": "x1"}
	with := func(k string, v any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for a, b := range valid {
			c[a] = b
		}
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	none := forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid)
	// A token whose payload was edited to claim the supervisor role keeps
	// the officer's signature, which no longer matches.
	genuine := strings.TrimPrefix(e.login("officer"), "Bearer ")
	parts := strings.Split(genuine, ".")
	var payload map[string]any
	raw, _ := jwtDecode(parts[1])
	json.Unmarshal(raw, &payload)
	payload["role"] = "supervisor"
	edited, _ := json.Marshal(payload)
	forgedRole := parts[0] + "." + jwtEncode(edited) + "." + parts[2]

	for name, tok := range map[string]string{
		"alg none":       none,
		"wrong key":      forge(t, jwt.SigningMethodHS256, bytes.Repeat([]byte{8}, 32), valid),
		"wrong audience": forge(t, jwt.SigningMethodHS256, e.key, with("aud", []string{"someone-else"})),
		"wrong issuer":   forge(t, jwt.SigningMethodHS256, e.key, with("iss", "evil")),
		"expired":        forge(t, jwt.SigningMethodHS256, e.key, with("exp", now.Add(-time.Minute).Unix())),
		"no expiry":      forge(t, jwt.SigningMethodHS256, e.key, with("exp", nil)),
		"forged role":    forgedRole,
		"garbage":        "not-a-jwt",
	} {
		r := e.do("GET", "/api/v1/fines", nil, "Authorization", "Bearer "+tok)
		if r.status != 401 || r.code(t) != "unauthorized" {
			t.Errorf("%s: %d %s, want 401 unauthorized", name, r.status, r.body)
		}
	}
	// The same claims correctly signed are accepted: the test can fail.
	if r := e.do("GET", "/api/v1/fines", nil, "Authorization", "Bearer "+forge(t, jwt.SigningMethodHS256, e.key, valid)); r.status != 200 {
		t.Errorf("correctly signed token refused: %d %s", r.status, r.body)
	}
	// Tokens expire: 16 minutes later the genuine one is refused.
	e.clock.Set(now.Add(16 * time.Minute))
	if r := e.do("GET", "/api/v1/fines", nil, "Authorization", "Bearer "+genuine); r.status != 401 {
		t.Errorf("token older than 15 minutes accepted: %d", r.status)
	}
}

func TestRefreshRotationAndReuse(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	login := e.do("POST", "/api/v1/auth/login", map[string]string{"username": "officer", "password": "correct horse battery"})
	cookie := refreshCookie(t, login)
	if !strings.Contains(strings.ToLower(login.header.Get("Set-Cookie")), "httponly") ||
		!strings.Contains(strings.ToLower(login.header.Get("Set-Cookie")), "samesite=strict") ||
		!strings.Contains(strings.ToLower(login.header.Get("Set-Cookie")), "secure") {
		t.Errorf("refresh cookie flags: %s", login.header.Get("Set-Cookie"))
	}
	first := e.do("POST", "/api/v1/auth/refresh", nil, "Cookie", cookie)
	if first.status != 200 {
		t.Fatalf("refresh: %d %s", first.status, first.body)
	}
	next := refreshCookie(t, first)
	if next == cookie {
		t.Fatal("refresh token was not rotated")
	}
	// Within the grace period (a second tab) the rotated token gets the
	// same successor; after it, reusing it is theft: it fails and
	// revokes the family.
	if r := e.do("POST", "/api/v1/auth/refresh", nil, "Cookie", cookie); r.status != 200 || refreshCookie(t, r) != next {
		t.Errorf("second tab within the grace period: %d, want 200 with the same successor", r.status)
	}
	e.clock.Set(rome("2026-11-03 09:00:31"))
	if r := e.do("POST", "/api/v1/auth/refresh", nil, "Cookie", cookie); r.status != 401 {
		t.Errorf("reused refresh token: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/auth/refresh", nil, "Cookie", next); r.status != 401 {
		t.Errorf("family not revoked after reuse: %d", r.status)
	}
	// Logout revokes a fresh session's token.
	login = e.do("POST", "/api/v1/auth/login", map[string]string{"username": "officer", "password": "correct horse battery"})
	c := refreshCookie(t, login)
	if r := e.do("POST", "/api/v1/auth/logout", nil, "Cookie", c); r.status != 204 {
		t.Errorf("logout: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/auth/refresh", nil, "Cookie", c); r.status != 401 {
		t.Errorf("refresh after logout: %d", r.status)
	}
}

func refreshCookie(t *testing.T, r response) string {
	t.Helper()
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == "multa_refresh" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("no refresh cookie in %v", r.header)
	return ""
}

func TestLoginThrottled(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	var last response
	for i := 0; i < 12; i++ {
		last = e.do("POST", "/api/v1/auth/login", map[string]string{"username": "officer", "password": "wrong password!"})
		if last.status == 429 {
			break
		}
		if last.status != 401 || last.code(t) != "unauthorized" {
			t.Fatalf("failed login %d: %d %s", i, last.status, last.body)
		}
	}
	if last.status != 429 || last.code(t) != "rate_limited" || last.header.Get("Retry-After") == "" {
		t.Fatalf("after many failures: %d %s", last.status, last.body)
	}
	// Even the right password waits now: guessing cannot continue.
	if r := e.do("POST", "/api/v1/auth/login", map[string]string{"username": "officer", "password": "correct horse battery"}); r.status != 429 {
		t.Errorf("right password during lockout: %d", r.status)
	}
}

func TestHeadersLimitsAndProblems(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	r := e.do("GET", "/api/v1/violations", nil)
	if r.status != 200 {
		t.Fatalf("violations: %d", r.status)
	}
	for h, want := range map[string]string{
		"Content-Security-Policy": "default-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
		"Referrer-Policy":         "no-referrer",
	} {
		if !strings.Contains(r.header.Get(h), want) {
			t.Errorf("%s = %q, want it to contain %q", h, r.header.Get(h), want)
		}
	}
	if r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Error("CORS header present without configuration")
	}
	var list []map[string]any
	if err := json.Unmarshal(r.body, &list); err != nil || len(list) != len(notices.DefaultCatalogue().All()) {
		t.Errorf("catalogue: %v, %d entries", err, len(list))
	}
	big := bytes.Repeat([]byte("x"), 40<<20)
	resp, err := http.Post(e.url+"/api/v1/scan", "image/jpeg", bytes.NewReader(big))
	if err == nil {
		defer resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("40 MB body: %d, want 413", resp.StatusCode)
		}
	} // a reset connection is also an acceptable refusal
	if r := e.do("GET", "/healthz", nil); r.status != 200 {
		t.Errorf("healthz: %d", r.status)
	}
}

func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	r := e.do("GET", "/api/v1/openapi.json", nil)
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi.json: %v %s", err, r.body[:min(200, len(r.body))])
	}
	for _, rt := range e.srv.APIRoutes() {
		item, ok := doc.Paths[rt.Path]
		if !ok {
			t.Errorf("route %s %s is missing from the OpenAPI document", rt.Method, rt.Path)
			continue
		}
		if _, ok := item[strings.ToLower(rt.Method)]; !ok {
			t.Errorf("route %s %s: method missing from the OpenAPI document", rt.Method, rt.Path)
		}
	}
}

func jwtDecode(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
func jwtEncode(b []byte) string          { return base64.RawURLEncoding.EncodeToString(b) }

func TestPublicRateLimitAndTrustedProxies(t *testing.T) {
	e := newEnvWith(t, rome("2026-11-03 09:00:00"), func(c *server.Config) { c.RateLimit = 5 })
	statuses := []int{}
	for i := 0; i < 7; i++ {
		// A forged X-Forwarded-For must not buy a fresh quota: no proxy
		// is trusted, so the peer address is the client.
		r := e.do("GET", "/api/v1/violations", nil, "X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i))
		statuses = append(statuses, r.status)
		if r.status == 429 && r.code(t) != "rate_limited" {
			t.Errorf("429 without rate_limited code: %s", r.body)
		}
	}
	if statuses[4] != 200 || statuses[5] != 429 || statuses[6] != 429 {
		t.Errorf("statuses = %v, want five 200s then 429s", statuses)
	}
}

func TestCORSOnlyWhenConfigured(t *testing.T) {
	e := newEnvWith(t, rome("2026-11-03 09:00:00"), func(c *server.Config) { c.CORSOrigins = []string{"https://app.example.it"} })
	r := e.do("GET", "/api/v1/violations", nil, "Origin", "https://app.example.it")
	if r.header.Get("Access-Control-Allow-Origin") != "https://app.example.it" {
		t.Errorf("allowed origin: %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	r = e.do("GET", "/api/v1/violations", nil, "Origin", "https://evil.example")
	if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
		t.Errorf("foreign origin allowed: %q", got)
	}
}
