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
		if !strings.Contains(c.Get(fiber.HeaderAccept), "text/html") {
			return fiber.ErrNotFound
		}
		// A person followed a bad link: a page in the app's look and in
		// their language says so and leads back, where JSON would puzzle.
		page := "/404.html"
		if !prefersItalian(c.Get(fiber.HeaderAcceptLanguage)) {
			page = "/404.en.html"
		}
		if a, ok = pwa.Lookup(page); !ok {
			return fiber.ErrNotFound
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set(fiber.HeaderContentType, a.ContentType)
		return c.Status(fiber.StatusNotFound).Send(a.Body)
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

// prefersItalian reads the first language of an Accept-Language header:
// Italian, or no preference at all, gets Italian; anyone else English.
func prefersItalian(acceptLanguage string) bool {
	first, _, _ := strings.Cut(acceptLanguage, ",")
	first, _, _ = strings.Cut(first, ";")
	first = strings.ToLower(strings.TrimSpace(first))
	return first == "" || first == "*" || first == "it" || strings.HasPrefix(first, "it-")
}
