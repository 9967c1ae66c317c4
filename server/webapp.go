package server

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/pwa"
)

// appRoutes serve the embedded web app. Hashed assets are immutable; the
// HTML, manifest and service worker are revalidated so a deploy shows up.
func (s *Server) appRoutes() {
	s.app.Get("/*", s.serveApp)
	s.app.Head("/*", s.serveApp)
}

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
	if a.Immutable {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
	}
	if c.Get(fiber.HeaderIfNoneMatch) == a.ETag {
		return c.SendStatus(fiber.StatusNotModified)
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	if len(a.Gzip) > 0 && acceptsGzip(c.Get(fiber.HeaderAcceptEncoding)) {
		c.Set(fiber.HeaderContentEncoding, "gzip")
		return c.Send(a.Gzip)
	}
	return c.Send(a.Body)
}

func acceptsGzip(h string) bool {
	for _, part := range strings.Split(h, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			q, err := strconv.ParseFloat(v, 64)
			return err == nil && q > 0
		}
		return true
	}
	return false
}
