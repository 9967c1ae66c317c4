package auth_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

// clock is the shared settable test clock.
type clock = testkit.Clock

func newClock() *clock { return testkit.NewClock(time.Date(2026, 11, 25, 9, 0, 0, 0, notices.Rome)) }

// unixAfter is the Unix time d after the clock's now, for JWT claims.
func unixAfter(c *clock, d time.Duration) int { return int(c.Now().Add(d).Unix()) }

var testKey = bytes.Repeat([]byte{0x5a}, auth.KeySize)

func newSigner(t *testing.T, c *clock) *auth.Signer {
	t.Helper()
	s, err := auth.NewSigner(testKey, 0, c.Now)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIssueVerify(t *testing.T) {
	c := newClock()
	s := newSigner(t, c)
	tok, claims, err := s.Issue("mario", notices.RoleOfficer)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	now := c.Now()
	switch {
	case got.Subject != "mario", got.Role != notices.RoleOfficer, got.Issuer != "multa":
		t.Errorf("claims = %+v", got)
	case len(got.Audience) != 1 || got.Audience[0] != "multa-office":
		t.Errorf("audience = %v", got.Audience)
	case !got.ExpiresAt.Equal(now.Add(15 * time.Minute)), !got.IssuedAt.Equal(now), !got.NotBefore.Equal(now):
		t.Errorf("times: exp %v iat %v nbf %v, now %v", got.ExpiresAt, got.IssuedAt, got.NotBefore, now)
	case !regexp.MustCompile(`^[0-9a-f]{32}$`).MatchString(got.ID):
		t.Errorf("jti = %q", got.ID)
	case claims.ID != got.ID:
		t.Errorf("Issue's claims have jti %q, the token %q", claims.ID, got.ID)
	}
	// The header says HS256 and JWT, nothing else.
	var hdr map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[0])
	json.Unmarshal(b, &hdr)
	if len(hdr) != 2 || hdr["alg"] != "HS256" || hdr["typ"] != "JWT" {
		t.Errorf("header = %v", hdr)
	}
	_, other, _ := s.Issue("mario", notices.RoleOfficer)
	if other.ID == claims.ID {
		t.Error("two tokens share a jti")
	}

	c.Advance(15*time.Minute - time.Second)
	if _, err := s.Verify(tok); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
	c.Advance(2 * time.Second)
	_, err = s.Verify(tok)
	if notices.ErrorCode(err) != auth.EUnauthorized || !strings.Contains(notices.ErrorMessage(err), "expired") {
		t.Errorf("after expiry: %v, want unauthorized (expired)", err)
	}
}

// claims returns the claims Issue would write, as a map, for forging.
func claims(c *clock) jwt.MapClaims {
	now := c.Now()
	return jwt.MapClaims{
		"iss": "multa", "aud": "multa-office", "sub": "mario", "role": "admin",
		"exp": now.Add(10 * time.Minute).Unix(), "iat": now.Unix(), "nbf": now.Unix(), "jti": "0123456789abcdef0123456789abcdef",
	}
}

func sign(t *testing.T, m jwt.SigningMethod, key any, cl jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, cl).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyRefuses(t *testing.T) {
	c := newClock()
	s := newSigner(t, c)
	with := func(k string, v any) jwt.MapClaims {
		cl := claims(c)
		if v == nil {
			delete(cl, k)
		} else {
			cl[k] = v
		}
		return cl
	}
	valid := sign(t, jwt.SigningMethodHS256, testKey, claims(c))
	if _, err := s.Verify(valid); err != nil {
		t.Fatalf("the well-formed test token is refused: %v", err)
	}
	issued, _, _ := s.Issue("mario", notices.RoleOfficer)
	segs := strings.Split(issued, ".")
	var payload map[string]any
	b, _ := base64.RawURLEncoding.DecodeString(segs[1])
	json.Unmarshal(b, &payload)
	payload["role"] = "admin"
	b, _ = json.Marshal(payload)
	forgedRole := segs[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + segs[2]

	otherKey := bytes.Repeat([]byte{0x11}, auth.KeySize)
	tests := map[string]string{
		"alg none":          sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(c)),
		"alg none unsigned": base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + segs[1] + ".",
		"wrong key":         sign(t, jwt.SigningMethodHS256, otherKey, claims(c)),
		"HS512 same key":    sign(t, jwt.SigningMethodHS512, testKey, claims(c)),
		"HS384 same key":    sign(t, jwt.SigningMethodHS384, testKey, claims(c)),
		"forged role":       forgedRole,
		"wrong audience":    sign(t, jwt.SigningMethodHS256, testKey, with("aud", "multa-public")),
		"no audience":       sign(t, jwt.SigningMethodHS256, testKey, with("aud", nil)),
		"wrong issuer":      sign(t, jwt.SigningMethodHS256, testKey, with("iss", "someone")),
		"no issuer":         sign(t, jwt.SigningMethodHS256, testKey, with("iss", nil)),
		"expired":           sign(t, jwt.SigningMethodHS256, testKey, with("exp", unixAfter(c, -time.Second))),
		"no exp":            sign(t, jwt.SigningMethodHS256, testKey, with("exp", nil)),
		"exp too far":       sign(t, jwt.SigningMethodHS256, testKey, with("exp", unixAfter(c, 16*time.Minute))),
		"nbf in future":     sign(t, jwt.SigningMethodHS256, testKey, with("nbf", unixAfter(c, time.Minute))),
		"no nbf":            sign(t, jwt.SigningMethodHS256, testKey, with("nbf", nil)),
		"iat in future":     sign(t, jwt.SigningMethodHS256, testKey, with("iat", unixAfter(c, time.Minute))),
		"no iat":            sign(t, jwt.SigningMethodHS256, testKey, with("iat", nil)),
		"no subject":        sign(t, jwt.SigningMethodHS256, testKey, with("sub", nil)),
		"unknown role":      sign(t, jwt.SigningMethodHS256, testKey, with("role", "root")),
		"no role":           sign(t, jwt.SigningMethodHS256, testKey, with("role", nil)),
		"no jti":            sign(t, jwt.SigningMethodHS256, testKey, with("jti", nil)),
		"empty":             "",
		"garbage":           "not.a.token",
		"oversize":          valid + strings.Repeat("A", 5000),
	}
	for name, tok := range tests {
		got, err := s.Verify(tok)
		if got != nil || notices.ErrorCode(err) != auth.EUnauthorized {
			t.Errorf("%s: Verify = %+v, %v, want unauthorized", name, got, err)
		}
	}
}

func TestNewSignerRefuses(t *testing.T) {
	if _, err := auth.NewSigner(testKey[:31], 0, nil); err == nil {
		t.Error("a 248-bit key was accepted")
	}
	if _, err := auth.NewSigner(testKey, 16*time.Minute, nil); err == nil {
		t.Error("a 16-minute access token lifetime was accepted")
	}
	if _, err := auth.NewSigner(testKey, 5*time.Minute, nil); err != nil {
		t.Errorf("a 5-minute lifetime: %v", err)
	}
}
