// Package auth holds the back-office accounts and sessions of Multa:
// argon2id password hashes, short-lived JWT access tokens, rotating refresh
// tokens with reuse detection, and login throttling. It has no HTTP: the
// server package reads credentials from requests, calls Service, and maps
// its *notices.Error codes (unauthorized 401, rate_limited 429,
// validation_failed 422, conflict 409) in its one place.
//
// Trust model: an access token proves who signed in and when, nothing more.
// Every request goes through Service.Authenticate, which re-reads the user
// from the store, so a disabled user is shut out at once and a role change
// applies at once; the token's role claim only serves the web app. Refresh
// tokens are stored as SHA-256 hashes, so a copy of the database does not
// hold usable sessions.
package auth

import (
	"context"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"runtime"
	"time"

	"github.com/multa/multa/notices"
)

// DefaultRefreshTTL is how long a sign-in lasts: one working shift. It is
// counted from the login, not from the last refresh, so a stolen refresh
// token is useful for at most this long even if the thief keeps rotating it.
const DefaultRefreshTTL = 12 * time.Hour

// AdminUsername is the account EnsureAdmin creates.
const AdminUsername = "admin"

// Options configure a Service. Zero fields take the defaults.
type Options struct {
	Now        func() time.Time // time.Now when nil
	Params     Params           // DefaultParams when zero; tests use cheap ones
	AccessTTL  time.Duration    // MaxAccessTTL when zero; at most that
	RefreshTTL time.Duration    // DefaultRefreshTTL when zero
	Throttle   ThrottleOptions  // DefaultThrottle for zero fields
	// Sleep waits out a throttle delay; a timer honouring ctx when nil.
	// Tests pass one that advances their clock instead.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxConcurrentHashes bounds argon2 hashes in flight (each takes
	// Params.Memory); GOMAXPROCS when zero. More would only queue on the
	// CPU while holding memory.
	MaxConcurrentHashes int
}

// Principal is an authenticated user as the server sees it. Its JSON form
// is the "user" object of the API.
type Principal struct {
	Username string       `json:"username"`
	Role     notices.Role `json:"role"`
	// Disabled is only ever true in the answer of UpdateUser: Authenticate
	// and Login refuse disabled users, so their principals never are.
	Disabled bool `json:"disabled,omitempty"`
}

// Session is the result of a login or refresh. The refresh token goes into
// an HttpOnly cookie with RefreshExpiresAt as its expiry; it is never
// readable by scripts.
type Session struct {
	AccessToken      string
	ExpiresAt        time.Time // of the access token
	RefreshToken     string
	RefreshExpiresAt time.Time
	User             Principal
}

// Service ties accounts, passwords, tokens and throttling together. Safe
// for concurrent use.
type Service struct {
	store      notices.UserStore
	signer     *Signer
	now        func() time.Time
	params     Params
	refreshTTL time.Duration
	throttle   *Throttle
	sleep      func(ctx context.Context, d time.Duration) error
	// successors seals a rotated token's successor (successor.go).
	successors cipher.AEAD
	sem        chan struct{}
	dummyHash  string
}

// NewService returns a service signing access tokens with key (see
// LoadOrCreateKey). It hashes one throwaway password at start, to compare
// unknown usernames against (see Login).
func NewService(store notices.UserStore, key []byte, opts Options) (*Service, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Params == (Params{}) {
		opts.Params = DefaultParams
	}
	if err := opts.Params.check(); err != nil {
		return nil, err
	}
	if opts.RefreshTTL == 0 {
		opts.RefreshTTL = DefaultRefreshTTL
	}
	if opts.MaxConcurrentHashes <= 0 {
		opts.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	signer, err := NewSigner(key, opts.AccessTTL, opts.Now)
	if err != nil {
		return nil, err
	}
	if opts.RefreshTTL < signer.ttl {
		return nil, &notices.Error{Code: notices.EInternal, Op: "auth.NewService",
			Message: "the refresh-token lifetime must be longer than the access-token lifetime",
			Err:     errors.New("auth: refresh TTL shorter than access TTL")}
	}
	pw, err := RandomPassword()
	if err != nil {
		return nil, err
	}
	dummy, err := HashPassword(pw, opts.Params)
	if err != nil {
		return nil, err
	}
	successors, err := newSuccessorAEAD(key)
	if err != nil {
		return nil, err
	}
	return &Service{
		store: store, signer: signer, now: opts.Now, params: opts.Params, refreshTTL: opts.RefreshTTL,
		successors: successors,
		throttle:   NewThrottle(opts.Throttle, opts.Now), sleep: orSleep(opts.Sleep), sem: make(chan struct{}, opts.MaxConcurrentHashes),
		dummyHash: dummy,
	}, nil
}

// unauthorized builds the one error of every failed credential check.
func unauthorized(op, msg string, cause error) error {
	return &notices.Error{Code: EUnauthorized, Op: op, Message: msg, Err: cause}
}

// internal wraps a store failure; its text stays in logs.
func internal(op string, err error) error {
	return &notices.Error{Code: notices.EInternal, Op: op, Err: err}
}

const msgBadCredentials = "Wrong username or password."

// Login checks a username and password and starts a session. clientIP is
// the caller's address as the server determined it (for throttling). An
// unknown user, a wrong password and a disabled account give the same
// error after the same argon2 work (unknown users are checked against a
// throwaway hash), so neither the answer nor its timing tells which
// usernames exist. Errors: unauthorized, rate_limited (see RetryAfter).
func (s *Service) Login(ctx context.Context, username, password, clientIP string) (Session, error) {
	const op = "auth.Login"
	attempt, err := s.throttle.Begin(normalizeForKey(username), clientIP)
	if err != nil {
		return Session{}, err
	}
	if err := s.sleep(ctx, attempt.Delay); err != nil {
		return Session{}, internal(op, err)
	}
	var (
		u     notices.User
		found bool
	)
	if name, err := NormalizeUsername(username); err == nil {
		u, err = s.store.User(ctx, name)
		switch {
		case err == nil:
			found = true
		case notices.ErrorCode(err) != notices.EUserNotFound:
			return Session{}, internal(op, err)
		}
	}
	hash := s.dummyHash
	if found {
		hash = u.PasswordHash
	}
	ok, err := s.verify(ctx, hash, password)
	if err != nil {
		return Session{}, internal(op, err) // a damaged stored hash, or ctx ended
	}
	if !found || !ok || u.Disabled {
		return Session{}, unauthorized(op, msgBadCredentials, nil)
	}
	s.throttle.Succeeded(attempt)
	return s.newSession(ctx, u)
}

// normalizeForKey maps spellings of one username to one throttle key even
// when the name is invalid.
func normalizeForKey(username string) string {
	if n, err := NormalizeUsername(username); err == nil {
		return n
	}
	return username
}

// verify runs VerifyPassword within the concurrency bound.
func (s *Service) verify(ctx context.Context, hash, password string) (ok bool, err error) {
	err = s.withHashSlot(ctx, func() { ok, err = VerifyPassword(hash, password) })
	return ok, err
}

func (s *Service) withHashSlot(ctx context.Context, fn func()) error {
	select {
	case s.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.sem }()
	fn()
	return nil
}

// newSession issues an access token and a refresh token of a new family.
func (s *Service) newSession(ctx context.Context, u notices.User) (Session, error) {
	now := s.now()
	family, err := randomHex(16)
	if err != nil {
		return Session{}, err
	}
	return s.issue(ctx, u, notices.RefreshToken{
		Username: u.Username, Family: family, ExpiresAt: now.Add(s.refreshTTL), CreatedAt: now,
	}, func(next notices.RefreshToken, _ string) error { return s.store.SaveRefreshToken(ctx, next) })
}

// issue mints the tokens of a session. next is the refresh token to store
// without its hash, which issue fills in; save stores it, and is given the
// token itself too.
func (s *Service) issue(ctx context.Context, u notices.User, next notices.RefreshToken, save func(next notices.RefreshToken, token string) error) (Session, error) {
	const op = "auth.issue"
	access, claims, err := s.signer.Issue(u.Username, u.Role)
	if err != nil {
		return Session{}, err
	}
	refresh, err := newRefreshToken()
	if err != nil {
		return Session{}, err
	}
	next.Hash = hashToken(refresh)
	if err := save(next, refresh); err != nil {
		if c := notices.ErrorCode(err); c == notices.EConflict || c == notices.ENotFound {
			return Session{}, err // the caller decides what these mean
		}
		return Session{}, internal(op, err)
	}
	return Session{
		AccessToken: access, ExpiresAt: claims.ExpiresAt.Time,
		RefreshToken: refresh, RefreshExpiresAt: next.ExpiresAt,
		User: Principal{Username: u.Username, Role: u.Role},
	}, nil
}

const msgSignInAgain = "Your session has ended. Please sign in again."

// RefreshGrace is how long a rotated refresh token still answers, with the
// same successor it got the first time. Two tabs of the office app refresh
// together when they wake, and behind a load balancer they may reach two
// servers; without it the second one revoked the family and logged the
// user out. A thief replaying a token minutes later still ends the family.
const RefreshGrace = 30 * time.Second

// Refresh exchanges a refresh token for a new session of the same family,
// with the role the user has now. The token is rotated: it works once. A
// second use of a rotated token means it was copied, and since the store
// cannot tell the thief from the user, the whole family is revoked and both
// must sign in again; within RefreshGrace of the rotation it is a retry
// and gets the same successor. The family keeps the expiry of its login.
// The store decides every case in its transaction, so this holds across
// the processes that share it. Errors: unauthorized.
func (s *Service) Refresh(ctx context.Context, refreshToken string) (Session, error) {
	const op = "auth.Refresh"
	if !plausibleRefreshToken(refreshToken) {
		return Session{}, unauthorized(op, msgSignInAgain, nil)
	}
	hash := hashToken(refreshToken)
	old, err := s.store.RefreshToken(ctx, hash)
	switch {
	case notices.ErrorCode(err) == notices.ENotFound:
		return Session{}, unauthorized(op, msgSignInAgain, err)
	case err != nil:
		return Session{}, internal(op, err)
	}
	now := s.now()
	if !now.Before(old.ExpiresAt) {
		return Session{}, unauthorized(op, msgSignInAgain, errors.New("refresh token expired"))
	}
	u, err := s.store.User(ctx, old.Username)
	if err != nil && notices.ErrorCode(err) != notices.EUserNotFound {
		return Session{}, internal(op, err)
	}
	if err != nil || u.Disabled {
		if err := s.store.RevokeFamily(ctx, old.Family, now); err != nil {
			return Session{}, internal(op, err)
		}
		return Session{}, unauthorized(op, msgSignInAgain, errors.New("user missing or disabled"))
	}
	sess, err := s.issue(ctx, u, notices.RefreshToken{
		Username: u.Username, Family: old.Family, ExpiresAt: old.ExpiresAt, CreatedAt: now,
	}, func(next notices.RefreshToken, token string) error {
		sealed, err := s.sealSuccessor(hash, token)
		if err != nil {
			return err
		}
		return s.store.RotateRefreshToken(ctx, notices.TokenRotation{
			OldHash: hash, Next: next, Successor: sealed, At: now, Grace: RefreshGrace})
	})
	if c := notices.ErrorCode(err); c == notices.EConflict || c == notices.ENotFound {
		// Rotated moments ago (a retry), or rotated or revoked before (the
		// store has revoked the family), expired meanwhile, or gone.
		return s.afterRotation(ctx, hash, now, err)
	}
	return sess, err
}

// afterRotation answers a refresh that the store refused (cause): with
// the sealed successor when the token was rotated within RefreshGrace and
// that successor still stands, else unauthorized. A successor that cannot
// answer (rotated again, revoked, sealed under another key) makes the
// retry a reuse: the family is revoked, as the store does outside the
// grace.
func (s *Service) afterRotation(ctx context.Context, hash string, now time.Time, cause error) (Session, error) {
	const op = "auth.Refresh"
	old, err := s.store.RefreshToken(ctx, hash)
	if err != nil || !old.RotatedWithin(now, RefreshGrace) {
		return Session{}, unauthorized(op, msgSignInAgain, cause)
	}
	if sess, ok, err := s.successorSession(ctx, old, now); ok || err != nil {
		return sess, err
	}
	if err := s.store.RevokeFamily(ctx, old.Family, now); err != nil {
		return Session{}, internal(op, err)
	}
	return Session{}, unauthorized(op, msgSignInAgain, cause)
}

// successorSession is the session of old's sealed successor, with a fresh
// access token, as long as that successor is itself still current. ok is
// false when it cannot answer.
func (s *Service) successorSession(ctx context.Context, old notices.RefreshToken, now time.Time) (Session, bool, error) {
	const op = "auth.Refresh"
	token, err := s.openSuccessor(old.Hash, old.Successor)
	if err != nil {
		return Session{}, false, nil
	}
	next, err := s.store.RefreshToken(ctx, hashToken(token))
	if err != nil || !next.RotatedAt.IsZero() || !next.RevokedAt.IsZero() || !now.Before(next.ExpiresAt) {
		return Session{}, false, nil
	}
	u, err := s.store.User(ctx, next.Username)
	if err != nil || u.Disabled {
		return Session{}, false, nil
	}
	access, claims, err := s.signer.Issue(u.Username, u.Role)
	if err != nil {
		return Session{}, false, internal(op, err)
	}
	return Session{AccessToken: access, ExpiresAt: claims.ExpiresAt.Time, RefreshToken: token,
		RefreshExpiresAt: next.ExpiresAt, User: Principal{Username: u.Username, Role: u.Role}}, true, nil
}

// Logout revokes the family of a refresh token, ending that sign-in on
// every device that shares it. An unknown or empty token is not an error:
// logging out must always work from the user's point of view. Access tokens
// already issued stay valid until they expire (at most MaxAccessTTL);
// Authenticate still shuts out disabled users at once.
func (s *Service) Logout(ctx context.Context, refreshToken string) error {
	const op = "auth.Logout"
	if !plausibleRefreshToken(refreshToken) {
		return nil
	}
	t, err := s.store.RefreshToken(ctx, hashToken(refreshToken))
	switch {
	case notices.ErrorCode(err) == notices.ENotFound:
		return nil
	case err != nil:
		return internal(op, err)
	}
	if err := s.store.RevokeFamily(ctx, t.Family, s.now()); err != nil {
		return internal(op, err)
	}
	return nil
}

// Authenticate verifies an access token and re-reads its user, returning
// the user's current role (not the token's). A user that no longer exists
// or is disabled is refused even with a valid token. Errors: unauthorized.
func (s *Service) Authenticate(ctx context.Context, accessToken string) (Principal, error) {
	const op = "auth.Authenticate"
	c, err := s.signer.Verify(accessToken)
	if err != nil {
		return Principal{}, err
	}
	u, err := s.store.User(ctx, c.Subject)
	switch {
	case notices.ErrorCode(err) == notices.EUserNotFound:
		return Principal{}, unauthorized(op, "The account no longer exists.", err)
	case err != nil:
		return Principal{}, internal(op, err)
	case u.Disabled:
		return Principal{}, unauthorized(op, "The account is disabled.", nil)
	}
	return Principal{Username: u.Username, Role: u.Role}, nil
}

// Verify checks an access token without reading the store; see
// Signer.Verify. Prefer Authenticate for anything that changes data.
func (s *Service) Verify(accessToken string) (*Claims, error) { return s.signer.Verify(accessToken) }

// NewUser validates a new account and hashes its password, reporting every
// invalid field at once. It does not save: the offline CLI (multa user add)
// calls it and then Store.CreateUser, without a JWT key. Errors: a
// *notices.ValidationError (code validation_failed).
func NewUser(username, password string, role notices.Role, p Params, now time.Time) (notices.User, error) {
	var fields []notices.FieldError
	name, err := NormalizeUsername(username)
	if v := (*notices.ValidationError)(nil); errors.As(err, &v) {
		fields = append(fields, v.Fields...)
	}
	if msg := passwordProblem(name, password); msg != "" {
		fields = append(fields, notices.FieldError{Field: "password", Message: msg})
	}
	if !role.Valid() {
		fields = append(fields, notices.FieldError{Field: "role", Message: "the role must be officer, supervisor, finance or admin"})
	}
	if len(fields) > 0 {
		return notices.User{}, &notices.ValidationError{Fields: fields}
	}
	hash, err := HashPassword(password, p)
	if err != nil {
		return notices.User{}, err
	}
	return notices.User{Username: name, Role: role, PasswordHash: hash, CreatedAt: now}, nil
}

// CreateUser adds an account; the caller has checked that an admin asks.
// Errors: validation_failed, conflict (the username is taken).
func (s *Service) CreateUser(ctx context.Context, username, password string, role notices.Role) (Principal, error) {
	const op = "auth.CreateUser"
	var (
		u   notices.User
		err error
	)
	if serr := s.withHashSlot(ctx, func() { u, err = NewUser(username, password, role, s.params, s.now()) }); serr != nil {
		return Principal{}, internal(op, serr)
	}
	if err != nil {
		return Principal{}, err
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if notices.ErrorCode(err) == notices.EConflict {
			return Principal{}, &notices.Error{Code: notices.EConflict, Op: op, Message: "This username is taken.", Err: err}
		}
		return Principal{}, internal(op, err)
	}
	return Principal{Username: u.Username, Role: u.Role}, nil
}

// UserUpdate is what an admin may change in an account; nil fields stay.
type UserUpdate struct {
	Role     *notices.Role
	Disabled *bool
	Password *string
}

// UpdateUser changes the role, the disabled flag or the password of an
// account; the caller has checked that an admin asks. A new password is
// checked like a new account's and hashed with the service's Params. The
// store revokes the user's refresh tokens when the change disables the
// account or changes its role or password; access tokens need no
// revocation since Authenticate re-reads the user on every request.
//
// It refuses to disable or demote the last enabled admin: with no admin
// left nobody could manage accounts through the API, and recovering would
// need the server stopped for the offline CLI.
// Errors: validation_failed, user_not_found, conflict (last admin).
func (s *Service) UpdateUser(ctx context.Context, username string, up UserUpdate) (Principal, error) {
	const op = "auth.UpdateUser"
	name, err := NormalizeUsername(username)
	if err != nil {
		// No account can have a name that does not normalise.
		return Principal{}, &notices.Error{Code: notices.EUserNotFound, Op: op, Message: "No such user.", Err: err}
	}
	if up.Role == nil && up.Disabled == nil && up.Password == nil {
		return Principal{}, &notices.ValidationError{Fields: []notices.FieldError{{Field: "", Message: "change at least one of role, disabled and password"}}}
	}
	var fields []notices.FieldError
	if up.Role != nil && !up.Role.Valid() {
		fields = append(fields, notices.FieldError{Field: "role", Message: "the role must be officer, supervisor, finance or admin"})
	}
	if up.Password != nil {
		if msg := passwordProblem(name, *up.Password); msg != "" {
			fields = append(fields, notices.FieldError{Field: "password", Message: msg})
		}
	}
	if len(fields) > 0 {
		return Principal{}, &notices.ValidationError{Fields: fields}
	}
	var hash string
	if up.Password != nil {
		// Hash before the store's transaction: argon2 is slow by design
		// and must not hold up other admins' changes.
		var herr error
		if serr := s.withHashSlot(ctx, func() { hash, herr = HashPassword(*up.Password, s.params) }); serr != nil {
			return Principal{}, internal(op, serr)
		}
		if herr != nil {
			return Principal{}, internal(op, herr)
		}
	}

	// The store counts the other admins inside its transaction, with
	// every other user update waiting (of any process: PostgreSQL lets
	// several servers and the CLI share one database), so two admins
	// disabling each other at once cannot both pass the check.
	u, err := s.store.UpdateUser(ctx, name, func(u *notices.User, otherAdmins int) error {
		wasAdmin := u.EnabledAdmin()
		if up.Role != nil {
			u.Role = *up.Role
		}
		if up.Disabled != nil {
			u.Disabled = *up.Disabled
		}
		if up.Password != nil {
			u.PasswordHash = hash
		}
		if wasAdmin && !u.EnabledAdmin() && otherAdmins == 0 {
			return &notices.Error{Code: notices.EConflict, Op: op,
				Message: "This is the last enabled admin; make another user admin first."}
		}
		return nil
	})
	switch c := notices.ErrorCode(err); {
	case err == nil:
	case c == notices.EUserNotFound:
		return Principal{}, &notices.Error{Code: notices.EUserNotFound, Op: op, Message: "No such user.", Err: err}
	case c == notices.EConflict || c == notices.EValidation:
		return Principal{}, err
	default:
		return Principal{}, internal(op, err)
	}
	return Principal{Username: u.Username, Role: u.Role, Disabled: u.Disabled}, nil
}

// EnsureAdmin creates the user "admin" with a random password when no
// enabled admin exists, so that a fresh installation can be administered;
// the caller prints the password once (created true). Otherwise it does
// nothing. Errors: conflict, when no admin is enabled but the name "admin"
// is taken by a disabled or non-admin account (an operator must then use
// the CLI).
func (s *Service) EnsureAdmin(ctx context.Context) (password string, created bool, err error) {
	const op = "auth.EnsureAdmin"
	users, err := s.store.Users(ctx)
	if err != nil {
		return "", false, internal(op, err)
	}
	for _, u := range users {
		if u.EnabledAdmin() {
			return "", false, nil
		}
	}
	if password, err = RandomPassword(); err != nil {
		return "", false, err
	}
	if _, err := s.CreateUser(ctx, AdminUsername, password, notices.RoleAdmin); err != nil {
		if notices.ErrorCode(err) == notices.EConflict {
			// Another process sharing the database (PostgreSQL) may have
			// created the admin a moment ago: that is not a failure.
			if again, lerr := s.store.Users(ctx); lerr == nil {
				for _, u := range again {
					if u.EnabledAdmin() {
						return "", false, nil
					}
				}
			}
			return "", false, &notices.Error{Code: notices.EConflict, Op: op,
				Message: `No enabled admin exists and the username "admin" is taken; create an admin with "multa user add".`, Err: err}
		}
		return "", false, err
	}
	return password, true, nil
}

// refreshTokenBytes is 256 bits: unguessable however many are issued.
const refreshTokenBytes = 32

func newRefreshToken() (string, error) {
	b := make([]byte, refreshTokenBytes)
	if _, err := rand.Read(b); err != nil {
		return "", &notices.Error{Code: notices.EInternal, Op: "auth.newRefreshToken", Err: err}
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// plausibleRefreshToken refuses, before hashing or a store read, what
// newRefreshToken cannot have produced.
func plausibleRefreshToken(t string) bool {
	b, err := base64.RawURLEncoding.Strict().DecodeString(t)
	return err == nil && len(b) == refreshTokenBytes
}

// hashToken is how a refresh token is stored: SHA-256 is enough (no slow
// KDF), as the token has 256 random bits and cannot be guessed.
func hashToken(t string) string {
	h := sha256.Sum256([]byte(t))
	return hex.EncodeToString(h[:])
}

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", &notices.Error{Code: notices.EInternal, Op: "auth.randomHex", Err: err}
	}
	return hex.EncodeToString(b), nil
}

// orSleep returns sleep, or a timer that gives up when ctx ends.
func orSleep(sleep func(context.Context, time.Duration) error) func(context.Context, time.Duration) error {
	if sleep != nil {
		return sleep
	}
	return func(ctx context.Context, d time.Duration) error {
		if d <= 0 {
			return nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
