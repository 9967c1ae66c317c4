package server_test

import (
	"strings"
	"testing"

	"github.com/multa/multa/server"
)

func TestMetricsTokenWhenConfigured(t *testing.T) {
	e := newEnvWith(t, rome("2026-11-03 09:00:00"), func(c *server.Config) { c.MetricsToken = "scrape-secret-123" })
	if r := e.do("GET", "/metrics", nil); r.status != 401 || r.code(t) != "unauthorized" {
		t.Errorf("anonymous scrape: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/metrics", nil, "Authorization", "Bearer wrong"); r.status != 401 {
		t.Errorf("wrong token: %d", r.status)
	}
	r := e.do("GET", "/metrics", nil, "Authorization", "Bearer scrape-secret-123")
	if r.status != 200 || !strings.Contains(string(r.body), "multa_build_info") {
		t.Errorf("scrape with the token: %d %.200s", r.status, r.body)
	}
}

// Without a token the API's (public) listener does not serve /metrics.
func TestMetricsNotPublicWithoutToken(t *testing.T) {
	e := newEnvWith(t, rome("2026-11-03 09:00:00"), func(c *server.Config) { c.MetricsToken = "" })
	if r := e.do("GET", "/metrics", nil); r.status != 404 || strings.Contains(string(r.body), "multa_") {
		t.Errorf("anonymous scrape without a token configured: %d %.200s", r.status, r.body)
	}
}
