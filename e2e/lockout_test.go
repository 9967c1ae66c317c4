package e2e

import (
	"testing"
	"time"
)

// TestNoAnonymousLockout (issue 12 item 5): wrong passwords from one
// client stop that client, but the administrator signs in from another,
// only slowed down; an unknown user name is slowed down the same way.
func TestNoAnonymousLockout(t *testing.T) {
	s := start(t, "", "--trusted-proxies", "127.0.0.1", "--rate-limit", "0")
	login := func(user, password, client string) (answer, time.Duration) {
		t0 := time.Now()
		a := s.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}, "X-Forwarded-For", client)
		return a, time.Since(t0)
	}
	for _, user := range []string{"admin", "ghost"} {
		for i := range 5 {
			if a, _ := login(user, "not the password at all", "203.0.113.66"); a.status != 401 {
				t.Fatalf("failure %d for %s: %d %s", i+1, user, a.status, a.body)
			}
		}
		if a, _ := login(user, "not the password at all", "203.0.113.66"); a.status != 429 || a.header.Get("Retry-After") == "" {
			t.Errorf("sixth guess at %s from the same client: %d %s, want 429 with Retry-After", user, a.status, a.body)
		}
	}
	// Another client: the unknown name and the real one wait alike.
	_, ghost := login("ghost", "not the password at all", "198.51.100.20")
	a, took := login("admin", s.Admin, "198.51.100.10")
	if a.status != 200 {
		t.Fatalf("the administrator is locked out by an anonymous guesser: %d %s", a.status, a.body)
	}
	if took < 400*time.Millisecond || ghost < 400*time.Millisecond {
		t.Errorf("after five failures the account answered in %v (unknown user %v), want the 0.5 s slow-down", took, ghost)
	}
	if took > 3*time.Second || ghost > 3*time.Second {
		t.Errorf("slow-down too long: %v, %v", took, ghost)
	}
}
