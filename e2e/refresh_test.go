package e2e

import (
	"net/http"
	"sync"
	"testing"
)

// TestTwoTabsRefreshTogether (issue 12 item 10): two refreshes with one
// refresh cookie at once both succeed with the same successor, and the
// user stays signed in.
func TestTwoTabsRefreshTogether(t *testing.T) {
	s := start(t, "")
	login := s.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": s.Admin})
	cookie := refreshCookieOf(t, login)
	var wg sync.WaitGroup
	tabs := make([]answer, 2)
	for i := range tabs {
		wg.Go(func() { tabs[i] = s.call(t, "POST", "/api/v1/auth/refresh", nil, "Cookie", cookie) })
	}
	wg.Wait()
	for i, a := range tabs {
		if a.status != 200 {
			t.Fatalf("tab %d refresh: %d %s", i+1, a.status, a.body)
		}
	}
	next := refreshCookieOf(t, tabs[0])
	if refreshCookieOf(t, tabs[1]) != next || next == cookie {
		t.Errorf("the tabs got different successors, or none")
	}
	if a := s.call(t, "POST", "/api/v1/auth/refresh", nil, "Cookie", next); a.status != 200 {
		t.Errorf("the successor after two tabs refreshed: %d %s (the user was logged out)", a.status, a.body)
	}
}

func refreshCookieOf(t *testing.T, a answer) string {
	t.Helper()
	for _, c := range (&http.Response{Header: a.header}).Cookies() {
		if c.Name == "multa_refresh" && c.Value != "" {
			return c.Name + "=" + c.Value
		}
	}
	t.Fatalf("no refresh cookie in %d %s", a.status, a.body)
	return ""
}
