package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
)

// refreshCookie carries the refresh token; HttpOnly so scripts never see it.
const refreshCookie = "multa_refresh"

type principalKey struct{}

// principalOf returns the authenticated user of a back-office request.
func principalOf(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals(principalKey{}).(auth.Principal)
	return p
}

// requireRole authenticates the bearer token and checks the role. The
// token's role is re-checked against the stored user, so a disabled
// account or a demoted one loses access at once, not in 15 minutes.
func (s *Server) requireRole(roles ...notices.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		h := c.Get(fiber.HeaderAuthorization)
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || tok == "" {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="multa"`)
			return errStatus(fiber.StatusUnauthorized, codeUnauthorized, "Log in to use the back office.")
		}
		p, err := s.cfg.Auth.Authenticate(c.UserContext(), tok)
		if err != nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="multa", error="invalid_token"`)
			return errStatus(fiber.StatusUnauthorized, codeUnauthorized, "The access token is invalid or expired.")
		}
		if !allowed(p.Role, roles) {
			return errStatus(fiber.StatusForbidden, codeForbidden, "Your role does not allow this.")
		}
		c.Locals(principalKey{}, p)
		return c.Next()
	}
}

func allowed(r notices.Role, roles []notices.Role) bool {
	for _, want := range roles {
		if r == want {
			return true
		}
	}
	return false
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type sessionView struct {
	AccessToken string    `json:"accessToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
	User        userView  `json:"user"`
}

type userView struct {
	Username  string       `json:"username"`
	Role      notices.Role `json:"role"`
	CreatedAt *time.Time   `json:"createdAt,omitempty"`
	// Disabled is shown where admins manage accounts (the list and PATCH);
	// a session's user is never disabled, so it is left out there.
	Disabled *bool `json:"disabled,omitempty"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" || len(req.Username) > 64 || len(req.Password) > 256 {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "username", Message: "username and password are required"}}}
	}
	sess, err := s.cfg.Auth.Login(c.UserContext(), req.Username, req.Password, c.IP())
	if err != nil {
		return s.authError(c, err)
	}
	return s.sendSession(c, sess)
}

func (s *Server) refresh(c *fiber.Ctx) error {
	tok := c.Cookies(refreshCookie)
	if tok == "" {
		return errStatus(fiber.StatusUnauthorized, codeUnauthorized, "No session to refresh; log in again.")
	}
	sess, err := s.cfg.Auth.Refresh(c.UserContext(), strings.Clone(tok))
	if err != nil {
		s.clearRefreshCookie(c)
		return s.authError(c, err)
	}
	return s.sendSession(c, sess)
}

func (s *Server) logout(c *fiber.Ctx) error {
	if tok := c.Cookies(refreshCookie); tok != "" {
		if err := s.cfg.Auth.Logout(c.UserContext(), strings.Clone(tok)); err != nil && notices.ErrorCode(err) == notices.EInternal {
			return err
		}
	}
	s.clearRefreshCookie(c)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) authError(c *fiber.Ctx, err error) error {
	if d, ok := auth.RetryAfter(err); ok {
		c.Set(fiber.HeaderRetryAfter, strconvSeconds(d))
		return errStatus(fiber.StatusTooManyRequests, codeRateLimited, "Too many failed logins; try again later.")
	}
	switch notices.ErrorCode(err) {
	case codeUnauthorized, notices.EUserNotFound, notices.ENotFound, notices.EConflict:
		return errStatus(fiber.StatusUnauthorized, codeUnauthorized, notices.ErrorMessage(err))
	}
	return err
}

func strconvSeconds(d time.Duration) string {
	sec := int(d.Seconds() + 0.999)
	if sec < 1 {
		sec = 1
	}
	return itoa(sec)
}

func (s *Server) sendSession(c *fiber.Ctx, sess auth.Session) error {
	c.Cookie(&fiber.Cookie{
		Name: refreshCookie, Value: sess.RefreshToken, Path: "/api/v1/auth",
		Expires: sess.RefreshExpiresAt, HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode,
	})
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(sessionView{AccessToken: sess.AccessToken, ExpiresAt: sess.ExpiresAt,
		User: userView{Username: sess.User.Username, Role: sess.User.Role}})
}

func (s *Server) clearRefreshCookie(c *fiber.Ctx) {
	c.Cookie(&fiber.Cookie{Name: refreshCookie, Value: "", Path: "/api/v1/auth", MaxAge: -1,
		Expires: time.Unix(0, 0), HTTPOnly: true, Secure: s.cfg.SecureCookies, SameSite: fiber.CookieSameSiteStrictMode})
}

type newUserRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	Role     string `json:"role"`
}

func (s *Server) createUser(c *fiber.Ctx) error {
	var req newUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	u, err := s.cfg.Auth.CreateUser(c.UserContext(), req.Username, req.Password, notices.Role(req.Role))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(userView{Username: u.Username, Role: u.Role})
}

func (s *Server) listUsers(c *fiber.Ctx) error {
	users, err := s.cfg.Store.Users(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]userView, len(users))
	for i, u := range users {
		out[i] = userView{Username: u.Username, Role: u.Role, CreatedAt: &users[i].CreatedAt, Disabled: &users[i].Disabled}
	}
	return c.JSON(out)
}

// updateUserRequest is the body of PATCH /users/:username. Pointers tell
// an absent field (keep) from a zero one (false, ""), which matters for
// disabled: false re-enables an account.
type updateUserRequest struct {
	Role     *string `json:"role"`
	Disabled *bool   `json:"disabled"`
	Password *string `json:"password"`
}

func (s *Server) updateUser(c *fiber.Ctx) error {
	var req updateUserRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Role == nil && req.Disabled == nil && req.Password == nil {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "body", Message: "give at least one of role, disabled and password"}}}
	}
	up := auth.UserUpdate{Disabled: req.Disabled, Password: req.Password}
	if req.Role != nil {
		r := notices.Role(*req.Role)
		up.Role = &r
	}
	// c.Params is only valid during the request; Clone since the name may
	// end up in an error that outlives it.
	p, err := s.cfg.Auth.UpdateUser(c.UserContext(), strings.Clone(c.Params("username")), up)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(userView{Username: p.Username, Role: p.Role, Disabled: &p.Disabled})
}
