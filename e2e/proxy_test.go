package e2e

import (
	"fmt"
	"testing"
)

// TestForwardedForCannotPickTheClient (issue 12 item 3): behind a trusted
// proxy (here the test itself, on loopback), the client is the rightmost
// X-Forwarded-For entry that is not a trusted proxy. Entries the client
// wrote to the left, and unparseable ones, buy no fresh quota.
func TestForwardedForCannotPickTheClient(t *testing.T) {
	s := start(t, "", "--trusted-proxies", "127.0.0.1,10.1.0.0/16", "--rate-limit", "10")
	// The proxy chain: the client 203.0.113.7 sent its own fake entry,
	// our edge proxy (10.1.2.3) appended the client, the inner proxy
	// (127.0.0.1, the peer) appended the edge.
	limited := func(path string, body func(i int) any, xff func(i int) string) (ok, throttled int) {
		for i := range 30 {
			method, b := "GET", any(nil)
			if body != nil {
				method, b = "POST", body(i)
			}
			a := s.call(t, method, path, b, "X-Forwarded-For", xff(i))
			switch a.status {
			case 429:
				throttled++
			case 200, 401:
				ok++
			default:
				t.Fatalf("%s: %d %s", path, a.status, a.body)
			}
		}
		return
	}
	fake := func(i int) string { return fmt.Sprintf("198.51.100.%d, 203.0.113.7, 10.1.2.3", i) }
	if ok, thr := limited("/api/v1/violations", nil, fake); ok != 10 || thr != 20 {
		t.Errorf("rotating fake leftmost entries: %d answered, %d throttled; want 10 and 20", ok, thr)
	}
	login := func(i int) any { // one failure per user: no account lockout involved
		return map[string]string{"username": fmt.Sprintf("nobody%d", i), "password": "wrong password here"}
	}
	if ok, thr := limited("/api/v1/auth/login", login, func(i int) string {
		return fmt.Sprintf("198.51.100.%d, 203.0.113.9", i)
	}); ok != 10 || thr != 20 {
		t.Errorf("failed logins with rotating fake entries: %d answered, %d throttled; want 10 and 20", ok, thr)
	}
	garbage := func(i int) string { return fmt.Sprintf("203.0.113.50, not-an-ip-%d", i) }
	if ok, thr := limited("/api/v1/violations", nil, garbage); ok > 10 || thr < 20 {
		t.Errorf("unparseable entries: %d answered, %d throttled; want at most 10 answered", ok, thr)
	}
	// A different real client still has its own quota.
	if a := s.call(t, "GET", "/api/v1/violations", nil, "X-Forwarded-For", "203.0.113.8, 10.1.2.3"); a.status != 200 {
		t.Errorf("another client is throttled too: %d", a.status)
	}
}
