package e2e

import (
	"strings"
	"testing"
)

// TestPasswordPolicy (issue 12 item 8): common and sequential passwords
// are refused, and every password that can be set can be used to log in.
func TestPasswordPolicy(t *testing.T) {
	s := start(t, "", "--rate-limit", "0")
	tok := s.login(t, "admin", s.Admin)
	create := func(name, pw string) answer {
		return s.call(t, "POST", "/api/v1/users", map[string]string{"username": name, "password": pw, "role": "officer"},
			"Authorization", "Bearer "+tok)
	}
	for _, pw := range []string{"password1234", "123456789012", "qwertyuiopas", "password12345678", "1234567890123456", "qwertyuiopasdfgh", "multamultamulta1"} {
		if a := create("weak", pw); a.status != 422 {
			t.Errorf("password %q: %d %s, want 422", pw, a.status, a.body)
		}
	}
	long := strings.Repeat("Tram nine lasagne, umbrella 47 in Brera; the owl sings at dawn by the Navigli. ", 13)
	for i, n := range []int{64, 256, 257, 1024} {
		name := "long" + string(rune('a'+i))
		a := create(name, long[:n])
		if a.status != 201 {
			if n > 256 && a.status == 422 {
				continue // refused at set: fine, as long as login has the same bound
			}
			t.Errorf("a %d-byte passphrase: %d %s", n, a.status, a.body)
			continue
		}
		if l := s.call(t, "POST", "/api/v1/auth/login", map[string]string{"username": name, "password": long[:n]}); l.status != 200 {
			t.Errorf("a %d-byte password was accepted when set but cannot log in: %d %s", n, l.status, l.body)
		}
	}
	if a := create("good", "tram nine lasagne"); a.status != 201 {
		t.Errorf("a passphrase is refused: %d %s", a.status, a.body)
	}
}
