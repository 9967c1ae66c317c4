package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
)

// refreshCookie carries the refresh token; HttpOnly so scripts never see it.
const refreshCookie = "multa_refresh"

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type sessionView struct {
	AccessToken string    `json:"accessToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
	User        userView  `json:"user"`
}

func (s *Server) login(c *fiber.Ctx) error {
	var req loginRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if req.Username == "" || req.Password == "" || len(req.Username) > 64 || len(req.Password) > auth.MaxPasswordLen {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "username", Message: "username and password are required"}}}
	}
	sess, err := s.cfg.Auth.Login(c.UserContext(), req.Username, req.Password, s.clientIP(c))
	if err != nil {
		return s.authError(c, err)
	}
	return s.sendSession(c, sess)
}

func (s *Server) refresh(c *fiber.Ctx) error {
	tok := c.Cookies(refreshCookie)
	if tok == "" {
		return errCode(auth.EUnauthorized, "No session to refresh; log in again.")
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
		return errCode(auth.ERateLimited, "Too many failed logins; try again later.")
	}
	switch notices.ErrorCode(err) {
	case auth.EUnauthorized, notices.EUserNotFound, notices.ENotFound, notices.EConflict:
		return errCode(auth.EUnauthorized, notices.ErrorMessage(err))
	}
	return err
}

// strconvSeconds is a Retry-After value: whole seconds, rounded up, at
// least one.
func strconvSeconds(d time.Duration) string {
	sec := int(d.Seconds() + 0.999)
	if sec < 1 {
		sec = 1
	}
	return strconv.Itoa(sec)
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
