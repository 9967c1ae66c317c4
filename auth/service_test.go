package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

// overlay is the real store with per-user overrides, for what the store
// cannot do yet: disable a user or change a role after creation.
type overlay struct {
	notices.UserStore
	mu    sync.Mutex
	users map[string]notices.User
}

func (o *overlay) User(ctx context.Context, name string) (notices.User, error) {
	o.mu.Lock()
	u, ok := o.users[name]
	o.mu.Unlock()
	if ok {
		return u, nil
	}
	return o.UserStore.User(ctx, name)
}

func (o *overlay) set(u notices.User) { o.mu.Lock(); o.users[u.Username] = u; o.mu.Unlock() }

type env struct {
	svc   *auth.Service
	store *testkit.Store
	over  *overlay
	clock *clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := newClock()
	st := testkit.NewStore(t, c)
	over := &overlay{UserStore: st, users: map[string]notices.User{}}
	svc, err := auth.NewService(over, testKey, auth.Options{Now: c.Now, Params: cheap})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, store: st, over: over, clock: c}
}

const pw = "correct horse battery"

func (e *env) user(t *testing.T, name string, role notices.Role) {
	t.Helper()
	if _, err := e.svc.CreateUser(context.Background(), name, pw, role); err != nil {
		t.Fatal(err)
	}
}

func (e *env) login(t *testing.T, name string) auth.Session {
	t.Helper()
	s, err := e.svc.Login(context.Background(), name, pw, "192.0.2.1")
	if err != nil {
		t.Fatalf("Login(%s): %v", name, err)
	}
	return s
}

func hashOf(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

func TestLogin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario.rossi", notices.RoleOfficer)
	now := e.clock.Now()
	s, err := e.svc.Login(ctx, "  Mario.Rossi ", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if s.User != (auth.Principal{Username: "mario.rossi", Role: notices.RoleOfficer}) {
		t.Errorf("user = %+v", s.User)
	}
	if !s.ExpiresAt.Equal(now.Add(15*time.Minute)) || !s.RefreshExpiresAt.Equal(now.Add(12*time.Hour)) {
		t.Errorf("expiries = %v, %v", s.ExpiresAt, s.RefreshExpiresAt)
	}
	p, err := e.svc.Authenticate(ctx, s.AccessToken)
	if err != nil || p != s.User {
		t.Errorf("Authenticate = %+v, %v", p, err)
	}
	// Only the hash of the refresh token is stored.
	rt, err := e.store.RefreshToken(ctx, hashOf(s.RefreshToken))
	if err != nil || rt.Username != "mario.rossi" || rt.Family == "" {
		t.Errorf("stored refresh token = %+v, %v", rt, err)
	}
	if _, err := e.store.RefreshToken(ctx, s.RefreshToken); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("the raw refresh token is a store key: %v", err)
	}
}

// Unknown users, wrong passwords, disabled accounts and invalid names all
// get one answer.
func TestLoginFailuresLookAlike(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	hash, _ := auth.HashPassword(pw, cheap)
	if err := e.store.CreateUser(ctx, notices.User{Username: "gone", Role: notices.RoleOfficer, PasswordHash: hash, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	var first *notices.Error
	for _, tt := range []struct{ user, pw string }{
		{"mario", "wrong password!"},
		{"nobody", pw},
		{"gone", pw},
		{"x", pw},
		{"", ""},
	} {
		_, err := e.svc.Login(ctx, tt.user, tt.pw, "192.0.2.7")
		var ne *notices.Error
		if !errors.As(err, &ne) || ne.Code != auth.EUnauthorized {
			t.Fatalf("Login(%q): %v, want unauthorized", tt.user, err)
		}
		if first == nil {
			first = ne
		} else if ne.Message != first.Message {
			t.Errorf("Login(%q) says %q, another failure %q", tt.user, ne.Message, first.Message)
		}
	}
}

func TestLoginThrottled(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	for i := range 5 {
		if _, err := e.svc.Login(ctx, "mario", "wrong password!", "192.0.2.1"); notices.ErrorCode(err) != auth.EUnauthorized {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// The guessing client is stopped, with any spelling of the name.
	_, err := e.svc.Login(ctx, "MARIO", pw, "192.0.2.1")
	if notices.ErrorCode(err) != auth.ERateLimited {
		t.Fatalf("sixth attempt from the same client: %v, want rate_limited", err)
	}
	if d, ok := auth.RetryAfter(err); !ok || d != 15*time.Minute {
		t.Errorf("RetryAfter = %v, %v, want 15m", d, ok)
	}
	// The rightful user, elsewhere, is not locked out: only slowed down.
	start := time.Now()
	if _, err := e.svc.Login(ctx, "mario", pw, "198.51.100.1"); err != nil {
		t.Errorf("the user from another client: %v", err)
	}
	if took := time.Since(start); took < 400*time.Millisecond {
		t.Errorf("login after five failures took %v, want the 0.5 s slow-down", took)
	}
	e.clock.Advance(15 * time.Minute)
	if _, err := e.svc.Login(ctx, "mario", pw, "192.0.2.1"); err != nil {
		t.Errorf("after the window: %v", err)
	}
}

func TestRefreshRotation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	s1 := e.login(t, "mario")
	e.clock.Advance(10 * time.Minute)
	s2, err := e.svc.Refresh(ctx, s1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if s2.RefreshToken == s1.RefreshToken || s2.AccessToken == s1.AccessToken {
		t.Error("refresh did not issue new tokens")
	}
	if !s2.RefreshExpiresAt.Equal(s1.RefreshExpiresAt) {
		t.Errorf("refresh moved the session's end from %v to %v", s1.RefreshExpiresAt, s2.RefreshExpiresAt)
	}
	if !s2.ExpiresAt.Equal(e.clock.Now().Add(15 * time.Minute)) {
		t.Errorf("new access token expires at %v", s2.ExpiresAt)
	}
	s3, err := e.svc.Refresh(ctx, s2.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	// A second login is another family, untouched by what follows.
	other := e.login(t, "mario")

	// s1 was rotated: presenting it again means it leaked.
	if _, err := e.svc.Refresh(ctx, s1.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("reuse of a rotated token: %v, want unauthorized", err)
	}
	if _, err := e.svc.Refresh(ctx, s3.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("the family's newest token after a reuse: %v, want unauthorized", err)
	}
	for i, tok := range []string{s1.RefreshToken, s2.RefreshToken, s3.RefreshToken} {
		rt, err := e.store.RefreshToken(ctx, hashOf(tok))
		if err != nil || rt.RevokedAt.IsZero() {
			t.Errorf("token %d after reuse: %+v, %v, want revoked", i+1, rt, err)
		}
	}
	if _, err := e.svc.Refresh(ctx, other.RefreshToken); err != nil {
		t.Errorf("another login's family: %v", err)
	}
}

func TestRefreshRefuses(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	s := e.login(t, "mario")
	for name, tok := range map[string]string{
		"empty":   "",
		"garbage": "not a token",
		"unknown": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		"access":  s.AccessToken,
	} {
		if _, err := e.svc.Refresh(ctx, tok); notices.ErrorCode(err) != auth.EUnauthorized {
			t.Errorf("%s: %v, want unauthorized", name, err)
		}
	}
	// The session ends 12 hours after login, however often it refreshes.
	for range 11 {
		e.clock.Advance(time.Hour)
		var err error
		if s, err = e.svc.Refresh(ctx, s.RefreshToken); err != nil {
			t.Fatalf("refresh at %v: %v", e.clock.Now(), err)
		}
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.Refresh(ctx, s.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("12 hours after login: %v, want unauthorized", err)
	}
}

// A disabled user's refresh fails and ends the family.
func TestRefreshDisabledUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	s := e.login(t, "mario")
	u, _ := e.store.User(ctx, "mario")
	u.Disabled = true
	e.over.set(u)
	if _, err := e.svc.Refresh(ctx, s.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("refresh of a disabled user: %v", err)
	}
	if rt, _ := e.store.RefreshToken(ctx, hashOf(s.RefreshToken)); rt.RevokedAt.IsZero() {
		t.Error("the disabled user's family was not revoked")
	}
}

// Concurrent refreshes with one token (two tabs waking up) all get the
// same successor within RefreshGrace; a replay after it ends the family.
// Run with -race.
func TestRefreshConcurrent(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	s := e.login(t, "mario")
	const n = 8
	got := make([]auth.Session, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { got[i], errs[i] = e.svc.Refresh(ctx, s.RefreshToken) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || got[i].RefreshToken != got[0].RefreshToken || got[i].AccessToken == "" {
			t.Errorf("refresh %d: %v, successor %.8s…, want the same successor as the first (%.8s…)", i, errs[i], got[i].RefreshToken, got[0].RefreshToken)
		}
	}
	e.clock.Advance(auth.RefreshGrace)
	if _, err := e.svc.Refresh(ctx, s.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("replay after the grace period: %v, want unauthorized", err)
	}
	if _, err := e.svc.Refresh(ctx, got[0].RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("the successor still works after a replay: %v", err)
	}
}

// Two servers share one database (PostgreSQL) and one signing key: a
// token rotated by one is answered by the other within RefreshGrace with
// the same successor, as two tabs behind a load balancer need; nothing of
// the grace lives in a server's memory. A server with another key cannot
// open the successor, so for it the retry is a reuse and ends the family.
func TestRefreshGraceAcrossServers(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	other, err := auth.NewService(e.over, testKey, auth.Options{Now: e.clock.Now, Params: cheap})
	if err != nil {
		t.Fatal(err)
	}
	e.user(t, "mario", notices.RoleOfficer)
	s := e.login(t, "mario")
	first, err := e.svc.Refresh(ctx, s.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(auth.RefreshGrace - time.Second)
	second, err := other.Refresh(ctx, s.RefreshToken)
	if err != nil || second.RefreshToken != first.RefreshToken || second.AccessToken == "" {
		t.Fatalf("the other server within the grace: %v, successor %.8s…, want %.8s…", err, second.RefreshToken, first.RefreshToken)
	}
	if rt, _ := e.store.RefreshToken(ctx, hashOf(first.RefreshToken)); !rt.RevokedAt.IsZero() {
		t.Fatal("the successor was revoked")
	}
	if strings.Contains(string(mustRefreshDoc(t, e, s.RefreshToken)), first.RefreshToken) {
		t.Fatal("the successor is stored readable")
	}

	stranger, err := auth.NewService(e.over, bytes.Repeat([]byte{0x33}, auth.KeySize), auth.Options{Now: e.clock.Now, Params: cheap})
	if err != nil {
		t.Fatal(err)
	}
	third, err := e.svc.Refresh(ctx, first.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stranger.Refresh(ctx, first.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Fatalf("a server with another key: %v, want unauthorized", err)
	}
	if _, err := e.svc.Refresh(ctx, third.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("the family outlived a retry no server could answer: %v", err)
	}
}

// mustRefreshDoc is the stored record of token, as JSON.
func mustRefreshDoc(t *testing.T, e *env, token string) []byte {
	t.Helper()
	rt, err := e.store.RefreshToken(context.Background(), hashOf(token))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rt)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Within the grace period a logged-out family stays logged out.
func TestRefreshGraceAfterLogout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	s := e.login(t, "mario")
	next, err := e.svc.Refresh(ctx, s.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Logout(ctx, next.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, s.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("rotated token after logout: %v, want unauthorized", err)
	}
}

func TestLogout(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	s1 := e.login(t, "mario")
	s2, err := e.svc.Refresh(ctx, s1.RefreshToken)
	if err != nil {
		t.Fatal(err)
	}
	other := e.login(t, "mario")
	if err := e.svc.Logout(ctx, s2.RefreshToken); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, s2.RefreshToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("refresh after logout: %v, want unauthorized", err)
	}
	for name, tok := range map[string]string{"again": s2.RefreshToken, "empty": "", "unknown": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "junk": "%%%"} {
		if err := e.svc.Logout(ctx, tok); err != nil {
			t.Errorf("logout %s: %v, want nil", name, err)
		}
	}
	if _, err := e.svc.Refresh(ctx, other.RefreshToken); err != nil {
		t.Errorf("another device's session after logout: %v", err)
	}
}

func TestAuthenticate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	s := e.login(t, "mario")

	// The role comes from the store, not from the token.
	u, _ := e.store.User(ctx, "mario")
	u.Role = notices.RoleSupervisor
	e.over.set(u)
	if p, err := e.svc.Authenticate(ctx, s.AccessToken); err != nil || p.Role != notices.RoleSupervisor {
		t.Errorf("after a role change: %+v, %v, want supervisor", p, err)
	}
	if c, err := e.svc.Verify(s.AccessToken); err != nil || c.Role != notices.RoleOfficer {
		t.Errorf("Verify = %+v, %v: the token itself still says officer", c, err)
	}
	// A disabled user is shut out at once, token or not.
	u.Disabled = true
	e.over.set(u)
	if _, err := e.svc.Authenticate(ctx, s.AccessToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("disabled user: %v, want unauthorized", err)
	}
	// A validly signed token of a user who does not exist.
	signer, _ := auth.NewSigner(testKey, 0, e.clock.Now)
	ghost, _, _ := signer.Issue("ghost", notices.RoleAdmin)
	if _, err := e.svc.Authenticate(ctx, ghost); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("unknown user: %v, want unauthorized", err)
	}
	e.clock.Advance(16 * time.Minute)
	if _, err := e.svc.Authenticate(ctx, s.AccessToken); notices.ErrorCode(err) != auth.EUnauthorized {
		t.Errorf("expired token: %v, want unauthorized", err)
	}
}

func TestCreateUser(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, err := e.svc.CreateUser(ctx, " Anna.Bianchi ", pw, notices.RoleFinance)
	if err != nil || p != (auth.Principal{Username: "anna.bianchi", Role: notices.RoleFinance}) {
		t.Fatalf("CreateUser = %+v, %v", p, err)
	}
	u, err := e.store.User(ctx, "anna.bianchi")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := auth.VerifyPassword(u.PasswordHash, pw); !ok || err != nil {
		t.Errorf("stored hash does not verify: %v, %v", ok, err)
	}
	if _, err := e.svc.CreateUser(ctx, "ANNA.BIANCHI", pw, notices.RoleOfficer); notices.ErrorCode(err) != notices.EConflict {
		t.Errorf("duplicate: %v, want conflict", err)
	}
	_, err = e.svc.CreateUser(ctx, "a", "short", "root")
	var v *notices.ValidationError
	if !errors.As(err, &v) || notices.ErrorCode(err) != notices.EValidation {
		t.Fatalf("invalid user: %v, want validation_failed", err)
	}
	fields := map[string]bool{}
	for _, f := range v.Fields {
		fields[f.Field] = true
	}
	if !fields["username"] || !fields["password"] || !fields["role"] || len(v.Fields) != 3 {
		t.Errorf("fields = %+v, want username, password and role", v.Fields)
	}
}

func TestEnsureAdmin(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user(t, "mario", notices.RoleOfficer)
	pass, created, err := e.svc.EnsureAdmin(ctx)
	if err != nil || !created || pass == "" {
		t.Fatalf("first start: %q, %v, %v", pass, created, err)
	}
	s, err := e.svc.Login(ctx, "admin", pass, "192.0.2.1")
	if err != nil || s.User.Role != notices.RoleAdmin {
		t.Errorf("admin login: %+v, %v", s.User, err)
	}
	if pass, created, err := e.svc.EnsureAdmin(ctx); err != nil || created || pass != "" {
		t.Errorf("second start: %q, %v, %v, want nothing done", pass, created, err)
	}

	// An enabled admin under another name is enough.
	e2 := newEnv(t)
	e2.user(t, "boss", notices.RoleAdmin)
	if _, created, err := e2.svc.EnsureAdmin(ctx); err != nil || created {
		t.Errorf("with admin boss: created %v, %v", created, err)
	}

	// A disabled "admin" does not count, and blocks the name.
	e3 := newEnv(t)
	hash, _ := auth.HashPassword(pw, cheap)
	if err := e3.store.CreateUser(ctx, notices.User{Username: "admin", Role: notices.RoleAdmin, PasswordHash: hash, Disabled: true}); err != nil {
		t.Fatal(err)
	}
	if _, created, err := e3.svc.EnsureAdmin(ctx); created || notices.ErrorCode(err) != notices.EConflict {
		t.Errorf("with a disabled admin: created %v, %v, want conflict", created, err)
	}
}

func TestNewServiceRefuses(t *testing.T) {
	e := newEnv(t)
	for name, o := range map[string]auth.Options{
		"long access":   {Params: cheap, AccessTTL: time.Hour},
		"short refresh": {Params: cheap, RefreshTTL: time.Minute},
		"bad params":    {Params: auth.Params{Memory: 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}},
	} {
		if _, err := auth.NewService(e.over, testKey, o); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := auth.NewService(e.over, testKey[:16], auth.Options{Params: cheap}); err == nil {
		t.Error("short key: accepted")
	}
}
