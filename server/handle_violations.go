package server

import "github.com/gofiber/fiber/v2"

// listViolations returns the catalogue, which changes only with a decree.
func (s *Server) listViolations(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(s.cfg.Catalogue.All())
}
