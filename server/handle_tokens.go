package server

import (
	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/psp"
)

// tokenize is the sandbox provider's card vault: card numbers stop here
// and never reach the fines API.
func (s *Server) tokenize(c *fiber.Ctx) error {
	if s.cfg.Sandbox == nil {
		return fiber.ErrNotFound
	}
	var req psp.CardRequest // the provider's own request type: one definition of the card fields
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	t, err := s.cfg.Sandbox.Tokenize(req)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(t)
}
