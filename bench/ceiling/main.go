// Command ceiling is the reference point of the verify benchmark: a bare
// Fiber v2 app with one route that answers a constant JSON document. It
// does no parsing, no storage and no middleware, so its throughput on a
// machine is the most any Fiber handler can reach there; Multa's verify
// is reported as a fraction of it.
//
//	ceiling --addr 127.0.0.1:9000 [--body-bytes 1100]
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/gofiber/fiber/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	size := flag.Int("body-bytes", 0, "pad the JSON answer to about this many bytes, to match the size of the answer it stands in for")
	flag.Parse()

	body := constantBody(*size)
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	// The route has the same shape as the verify route, so the load
	// generator sends byte-identical requests to both servers.
	app.Get("/api/v1/notices/:nav", func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	if err := app.Listen(*addr); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

// constantBody is a small JSON object, padded with a filler field when a
// size is asked for. It is built once: the handler only copies it.
func constantBody(size int) []byte {
	const base = `{"status":"ok","pad":""}`
	if size <= len(base) {
		return []byte(base)
	}
	return []byte(`{"status":"ok","pad":"` + strings.Repeat("x", size-len(base)) + `"}`)
}
