package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
)

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
			return errCode(auth.EUnauthorized, "Log in to use the back office.")
		}
		p, err := s.cfg.Auth.Authenticate(c.UserContext(), tok)
		if err != nil {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="multa", error="invalid_token"`)
			return errCode(auth.EUnauthorized, "The access token is invalid or expired.")
		}
		if !allowed(p.Role, roles) {
			return errCode(codeForbidden, "Your role does not allow this.")
		}
		c.Locals(principalKey{}, p)
		// The store names the user in the ledger record of each change.
		c.SetUserContext(notices.WithActor(c.UserContext(), p.Username))
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
