package server_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/server"
)

// TestPanicBecomesProblem: a bug in a handler answers 500 problem+json
// with a generic message, never a dropped connection or a stack trace.
func TestPanicBecomesProblem(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	srv := server.New(server.Config{Store: e.store, Settings: milan, Auth: e.auth, Provider: e.sandbox, Now: e.clock.Now})
	srv.App().Post("/boom", func(c *fiber.Ctx) error { panic("secret internal detail") })
	resp, err := srv.App().Test(httptest.NewRequest("POST", "/boom", nil))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	var p map[string]any
	if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &p) != nil {
		t.Fatalf("panic answered %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if p["code"] != "internal" || p["detail"] == "secret internal detail" {
		t.Errorf("problem = %v", p)
	}
}
