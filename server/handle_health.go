package server

import "github.com/gofiber/fiber/v2"

func (s *Server) health(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version, "time": s.now()})
}
