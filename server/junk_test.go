package server_test

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// TestJunkNeverYields500 throws random path segments, queries and bodies
// at every route: bad input must always be the client's error, never ours.
func TestJunkNeverYields500(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("root")
	rng := rand.New(rand.NewPCG(9, 9))
	junk := func() string {
		alphabet := []string{"0", "9", "a", "-", " ", "%00", "..", "/", "é", "\"", "{", "3020320027000002", "'", "%"}
		var b strings.Builder
		for i := rng.IntN(12); i >= 0; i-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		return b.String()
	}
	templates := []struct{ method, path string }{
		{"GET", "/api/v1/notices/%s"}, {"GET", "/api/v1/notices/%s/qr.png"}, {"GET", "/api/v1/notices/%s/qr.svg"},
		{"POST", "/api/v1/notices/%s/payments"}, {"GET", "/api/v1/receipts/%s"}, {"GET", "/api/v1/receipts/%s.pdf"},
		{"GET", "/api/v1/receipts/%s/proof"}, {"GET", "/api/v1/fines/%s"}, {"GET", "/api/v1/fines/%s/notice.pdf"},
		{"POST", "/api/v1/fines/%s/notification"}, {"POST", "/api/v1/fines/%s/cancellation"}, {"POST", "/api/v1/fines"},
		{"GET", "/api/v1/fines?plate=%s&status=%s&from=%s&cursor=%s"}, {"POST", "/api/v1/users"}, {"POST", "/api/v1/auth/login"},
		{"POST", "/api/v1/scan"}, {"POST", "/psp/v1/tokens"}, {"POST", "/api/v1/fines/import"},
	}
	for i := 0; i < 400; i++ {
		tp := templates[rng.IntN(len(templates))]
		path := tp.path
		for strings.Contains(path, "%s") {
			path = strings.Replace(path, "%s", url.PathEscape(junk()), 1)
		}
		var body []byte
		if tp.method == "POST" {
			body = []byte(junk())
			if rng.IntN(2) == 0 {
				body = []byte(`{"amountCents":` + junk() + `,"token":"` + junk() + `","plate":"` + junk() + `"}`)
			}
		}
		ct := []string{"application/json", "text/csv", "image/jpeg", "text/plain"}[rng.IntN(4)]
		r := e.do(tp.method, path, body, "Authorization", bearer, "Content-Type", ct, "Idempotency-Key", "junk-key-"+junk())
		if r.status >= 500 {
			t.Fatalf("%s %s (%s, %q) = %d %s", tp.method, path, ct, body, r.status, r.body)
		}
		if r.status >= 400 {
			r.code(t)
		}
	}
}
