package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/pwa"
)

func (s *Server) serveApp(c *fiber.Ctx) error {
	path := c.Path()
	if strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/psp/") {
		return fiber.ErrNotFound
	}
	a, ok := pwa.Lookup(path)
	if !ok {
		a, ok = pwa.AppShell(path)
	}
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderETag, a.ETag)
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
	c.Set(fiber.HeaderCacheControl, a.CacheControl)
	if c.Get(fiber.HeaderIfNoneMatch) == a.ETag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	body, encoding := a.Select(c.Get(fiber.HeaderAcceptEncoding))
	if encoding != "" {
		c.Set(fiber.HeaderContentEncoding, encoding)
	}
	return c.Send(body)
}
