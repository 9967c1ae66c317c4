package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestStrictInputs (issue 12 item 12): inputs that were read leniently
// are refused.
func TestStrictInputs(t *testing.T) {
	s := start(t, "")
	tok := s.login(t, "admin", s.Admin)

	t.Run("duplicate JSON keys", func(t *testing.T) {
		for _, body := range []string{
			`{"username":"admin","username":"other","password":"x"}`,
			`{"username":"admin","password":"x","nested":{"a":1,"a":2}}`,
		} {
			a := s.call(t, "POST", "/api/v1/auth/login", body)
			if a.status != 400 {
				t.Errorf("login with %s: %d %s, want 400", body, a.status, a.body)
			}
		}
		// The same member name at two levels is not a duplicate.
		a := s.call(t, "POST", "/psp/v1/tokens", `{"number":"4242424242424242","expMonth":12,"expYear":`+itoa(int64(time.Now().Year()+3))+`,"cvc":"123"}`)
		if a.status != 201 {
			t.Errorf("a well-formed body is refused: %d %s", a.status, a.body)
		}
	})

	t.Run("JWT exp as a string", func(t *testing.T) {
		hexKey, err := os.ReadFile(s.DB + ".jwt.key")
		if err != nil {
			t.Fatal(err)
		}
		key, err := hex.DecodeString(strings.TrimSpace(string(hexKey)))
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().Unix()
		sign := func(claims string) string {
			enc := base64.RawURLEncoding
			in := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(claims))
			m := hmac.New(sha256.New, key)
			m.Write([]byte(in))
			return in + "." + enc.EncodeToString(m.Sum(nil))
		}
		claims := func(exp string) string {
			return `{"role":"admin","iss":"multa","sub":"admin","aud":["multa-office"],"exp":` + exp +
				`,"nbf":` + itoa(now) + `,"iat":` + itoa(now) + `,"jti":"0123456789abcdef0123456789abcdef"}`
		}
		// The control: the same token with a numeric exp is accepted, so
		// the refusal below is about the string and nothing else.
		if a := s.call(t, "GET", "/api/v1/fines", nil, "Authorization", "Bearer "+sign(claims(itoa(now+600)))); a.status != 200 {
			t.Fatalf("a well-formed forged token is refused (%d %s): the test no longer builds tokens like the server's", a.status, a.body)
		}
		a := s.call(t, "GET", "/api/v1/fines", nil, "Authorization", "Bearer "+sign(claims(`"`+itoa(now+600)+`"`)))
		if a.status != 401 {
			t.Errorf("token with \"exp\" as a string: %d %s, want 401", a.status, a.body)
		}
	})

	t.Run("hex float latitude and header-only CSV", func(t *testing.T) {
		header := "plate,violationCode,occurredAt,place,lat,lon\n"
		row := "AB123CD,7-15," + time.Now().Add(-time.Hour).Format(time.RFC3339) + ",Via Torino 1,0x1p3,9.19\n"
		a := s.importCSV(t, tok, header+row)
		if a.status != 200 || !strings.Contains(string(a.body), `"field":"lat"`) || a.json(t)["imported"] != 0.0 {
			t.Errorf("lat 0x1p3: %d %s, want the row refused on lat", a.status, a.body)
		}
		a = s.importCSV(t, tok, header)
		if a.status != 200 || !strings.Contains(string(a.body), `"rows":[]`) {
			t.Errorf("header-only CSV: %d %s, want \"rows\": []", a.status, a.body)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// importCSV posts a CSV file to the import route.
func (s *service) importCSV(t *testing.T, tok, csv string) answer {
	t.Helper()
	return s.call(t, "POST", "/api/v1/fines/import", []byte(csv), "Authorization", "Bearer "+tok, "Content-Type", "text/csv")
}
