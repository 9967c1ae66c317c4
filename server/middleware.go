package server

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
	"github.com/gofiber/fiber/v2/middleware/limiter"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/multa/multa/auth"
)

// contentSecurityPolicy allows only the app's own scripts, styles and
// connections; camera frames and blobs stay in the page.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src 'self'; " +
	"worker-src 'self'; manifest-src 'self'; font-src 'self'; object-src 'none'; " +
	"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) middleware() {
	s.app.Use(recover.New(recover.Config{EnableStackTrace: true, StackTraceHandler: func(c *fiber.Ctx, e any) {
		s.log.Error("panic in handler", "path", c.Path(), "panic", e)
	}}))
	s.app.Use(s.instrument()) // metrics: inside recover, around everything else; serves /metrics
	s.app.Use(s.securityHeaders)
	s.app.Use(rejectContentEncoding)
	if len(s.cfg.CORSOrigins) > 0 {
		s.app.Use(cors.New(cors.Config{
			AllowOrigins:     strings.Join(s.cfg.CORSOrigins, ","),
			AllowHeaders:     "Authorization, Content-Type, Idempotency-Key",
			AllowMethods:     "GET, POST, PATCH", // PATCH: admins manage users (PATCH /users/:username)
			AllowCredentials: false,
		}))
	}
}

func (s *Server) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(self), geolocation=(self), microphone=(), payment=()")
	if strings.HasPrefix(s.cfg.PublicURL, "https://") {
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
	}
	return c.Next()
}

// rejectContentEncoding refuses compressed request bodies: fasthttp would
// inflate them without a bound, a cheap way to exhaust memory.
func rejectContentEncoding(c *fiber.Ctx) error {
	if ce := c.Get(fiber.HeaderContentEncoding); ce != "" && !strings.EqualFold(ce, "identity") {
		return errCode(codeUnsupportedMedia, "Compressed request bodies are not accepted.")
	}
	return c.Next()
}

// rateLimit allows max requests per window per client; 0 turns it off.
// The client is clientIP: the peer, or behind trusted proxies the
// rightmost forwarded address that is not one of them.
func (s *Server) rateLimit(max int, window time.Duration) fiber.Handler {
	if max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:          max,
		Expiration:   window,
		KeyGenerator: s.clientIP,
		LimitReached: func(c *fiber.Ctx) error {
			return errCode(auth.ERateLimited, "Too many requests; try again shortly.")
		},
	})
}
