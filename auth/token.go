package auth

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/multa/multa/notices"
)

// Access-token constants. Issuer and audience are checked on every token so
// that a token minted for another service sharing a key by mistake is
// refused here.
const (
	Issuer       = "multa"
	Audience     = "multa-office"
	MaxAccessTTL = 15 * time.Minute
	// KeySize is the size of generated keys and the minimum accepted: HS256
	// is only as strong as its key, and RFC 7518 asks for at least the hash
	// size, 256 bits.
	KeySize = 32
	// maxTokenLen refuses absurd inputs before any parsing work.
	maxTokenLen = 4096
)

// Error codes of this package; the server maps unauthorized to 401 and
// rate_limited to 429 (with a Retry-After header, see RetryAfter).
const (
	EUnauthorized = "unauthorized"
	ERateLimited  = "rate_limited"
)

// Claims are the claims of an access token. Role is informational: it lets
// the web app show the right screens without a round trip, but the server
// decides with the role Authenticate reads from the store.
type Claims struct {
	Role notices.Role `json:"role"`
	jwt.RegisteredClaims
}

// Signer issues and verifies HS256 access tokens with one key.
type Signer struct {
	key    []byte
	ttl    time.Duration
	now    func() time.Time
	parser *jwt.Parser
}

// NewSigner returns a signer with a key of at least KeySize bytes. ttl is
// the access-token lifetime: 0 means MaxAccessTTL, and more than that is
// refused, as a stolen access token cannot be revoked before it expires.
// now is the clock (time.Now when nil).
func NewSigner(key []byte, ttl time.Duration, now func() time.Time) (*Signer, error) {
	if len(key) < KeySize {
		return nil, &notices.Error{Code: notices.EInternal, Op: "auth.NewSigner",
			Message: "the JWT key must have at least 256 bits", Err: errors.New("auth: JWT key too short")}
	}
	if ttl == 0 {
		ttl = MaxAccessTTL
	}
	if ttl < time.Second || ttl > MaxAccessTTL {
		return nil, &notices.Error{Code: notices.EInternal, Op: "auth.NewSigner",
			Message: "the access-token lifetime must be between 1s and 15m", Err: errors.New("auth: bad access-token lifetime")}
	}
	if now == nil {
		now = time.Now
	}
	return &Signer{
		key: append([]byte(nil), key...), ttl: ttl, now: now,
		parser: jwt.NewParser(
			jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), // no "none", no algorithm confusion
			jwt.WithExpirationRequired(),
			jwt.WithIssuedAt(),
			jwt.WithIssuer(Issuer),
			jwt.WithAudience(Audience),
			jwt.WithTimeFunc(now),
		),
	}, nil
}

// Issue returns a signed access token for a user, and its claims.
func (s *Signer) Issue(username string, role notices.Role) (string, Claims, error) {
	var jti [16]byte
	if _, err := rand.Read(jti[:]); err != nil {
		return "", Claims{}, &notices.Error{Code: notices.EInternal, Op: "auth.Issue", Err: err}
	}
	now := s.now().Truncate(time.Second) // JWT times are whole seconds
	c := Claims{
		Role: role,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   username,
			Audience:  jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(now.Add(s.ttl)),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        hex.EncodeToString(jti[:]),
		},
	}
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(s.key)
	if err != nil {
		return "", Claims{}, &notices.Error{Code: notices.EInternal, Op: "auth.Issue", Err: err}
	}
	return tok, c, nil
}

// Verify checks an access token's signature, algorithm, issuer, audience
// and times, and that it has the claims Issue writes. It does not consult
// the store: a valid token of a user disabled since is still valid here, so
// request handlers use Service.Authenticate, which also checks the user.
// Errors: unauthorized.
func (s *Signer) Verify(token string) (*Claims, error) {
	const op = "auth.Verify"
	bad := func(msg string, err error) (*Claims, error) {
		return nil, &notices.Error{Code: EUnauthorized, Op: op, Message: msg, Err: err}
	}
	if len(token) > maxTokenLen {
		return bad("The access token is invalid.", errors.New("token too long"))
	}
	if err := numericTimes(token); err != nil {
		return bad("The access token is invalid.", err)
	}
	var c Claims
	_, err := s.parser.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return s.key, nil })
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return bad("The access token has expired.", err)
	case err != nil:
		return bad("The access token is invalid.", err)
	}
	// A token only this server could have signed may still be one it never
	// issues: refuse long-lived or incomplete ones, in case the key leaked
	// into another tool.
	switch {
	case c.Subject == "", c.ID == "", !c.Role.Valid(), c.IssuedAt == nil, c.NotBefore == nil:
		return bad("The access token is invalid.", errors.New("missing or invalid claims"))
	case c.ExpiresAt.Sub(c.IssuedAt.Time) > MaxAccessTTL:
		return bad("The access token is invalid.", errors.New("lifetime longer than allowed"))
	}
	return &c, nil
}

// numericTimes refuses a token whose exp, iat or nbf is not a JSON number:
// RFC 7519 makes them NumericDates, but the JWT library also reads
// "exp":"1999999999", a form no issuer of ours writes. Duplicate claims
// are refused for the same reason as duplicate keys in request bodies.
func numericTimes(token string) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errors.New("token is not three segments")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return errors.New("claims are not a JSON object")
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := t.(string)
		if seen[name] {
			return errors.New("claim " + name + " appears twice")
		}
		seen[name] = true
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err
		}
		switch name {
		case "exp", "iat", "nbf":
			if len(raw) == 0 || !(raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
				return errors.New("claim " + name + " is not a number")
			}
		}
	}
	return nil
}
