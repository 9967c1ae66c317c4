package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetricsNotPublicByDefault (issue 12 item 9): the payment series are
// not on the API's address unless a token guards them; they are on a
// separate listener, and the start says where.
func TestMetricsNotPublicByDefault(t *testing.T) {
	maddr := freeAddr(t)
	s := start(t, "", "--metrics-addr", maddr, "--log-level", "info")
	if a := s.call(t, "GET", "/metrics", nil); a.status != 404 || strings.Contains(string(a.body), "multa_") {
		t.Errorf("anonymous /metrics on the API address: %d %.200s", a.status, a.body)
	}
	resp, err := http.Get("http://" + maddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "multa_build_info") {
		t.Errorf("metrics listener: %d %.200s", resp.StatusCode, body)
	}
	if out := s.output(); !strings.Contains(out, "metrics: http://"+maddr+"/metrics") || !strings.Contains(out, "not served on the API address") {
		t.Errorf("the start does not say where the metrics are:\n%s", out)
	}

	// With a token, the API address serves them to the token's holder.
	s = start(t, "", "--metrics-token", "scrape-secret-0123456789")
	if a := s.call(t, "GET", "/metrics", nil); a.status != 401 {
		t.Errorf("/metrics without the token: %d", a.status)
	}
	if a := s.call(t, "GET", "/metrics", nil, "Authorization", "Bearer scrape-secret-0123456789"); a.status != 200 {
		t.Errorf("/metrics with the token: %d", a.status)
	}

	// A listener on all interfaces without a token is refused at start.
	if code, out := runCLI(t, "", "serve", "--db", t.TempDir()+"/x.db", "--addr", freeAddr(t), "--metrics-addr", ":0"); code == 0 || !strings.Contains(out, "--metrics-token") {
		t.Errorf("--metrics-addr :0 without a token: exit %d, %s", code, out)
	}
}
