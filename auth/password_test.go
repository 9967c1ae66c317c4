package auth_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

// cheap keeps the suite fast on two cores; the format and code paths are
// the same as with DefaultParams.
var cheap = testkit.CheapArgon

func TestPasswordRoundTrip(t *testing.T) {
	h, err := auth.HashPassword("correct horse battery", cheap)
	if err != nil {
		t.Fatal(err)
	}
	if re := regexp.MustCompile(`^\$argon2id\$v=19\$m=64,t=1,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`); !re.MatchString(h) {
		t.Errorf("hash %q is not a PHC argon2id string", h)
	}
	for pw, want := range map[string]bool{
		"correct horse battery":  true,
		"correct horse battery ": false,
		"Correct horse battery":  false,
		"":                       false,
	} {
		if got, err := auth.VerifyPassword(h, pw); err != nil || got != want {
			t.Errorf("VerifyPassword(%q) = %v, %v, want %v", pw, got, err, want)
		}
	}
	h2, _ := auth.HashPassword("correct horse battery", cheap)
	if h2 == h {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
}

// The defaults are valid and verify (one hash: 64 MiB).
func TestDefaultParams(t *testing.T) {
	if testing.Short() {
		t.Skip("64 MiB hash")
	}
	h, err := auth.HashPassword("correct horse battery", auth.DefaultParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=2$") {
		t.Errorf("hash %q does not carry the default parameters", h)
	}
	if ok, err := auth.VerifyPassword(h, "correct horse battery"); !ok || err != nil {
		t.Errorf("VerifyPassword = %v, %v", ok, err)
	}
}

// A hash that was tampered with never verifies: changed bytes or
// parameters give false, a changed format gives an error.
func TestVerifyTamperedHash(t *testing.T) {
	const pw = "correct horse battery"
	h, err := auth.HashPassword(pw, cheap)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(h, "$") // "", argon2id, v=19, params, salt, hash
	flip := func(s string) string {
		c := byte('A')
		if s[0] == 'A' {
			c = 'B'
		}
		return string(c) + s[1:]
	}
	join := func(p ...string) string { return strings.Join(p, "$") }
	mismatch := map[string]string{
		"hash byte":  join(parts[:5]...) + "$" + flip(parts[5]),
		"salt byte":  join(parts[:4]...) + "$" + flip(parts[4]) + "$" + parts[5],
		"memory":     strings.Replace(h, "m=64,", "m=72,", 1),
		"time":       strings.Replace(h, ",t=1,", ",t=2,", 1),
		"threads":    strings.Replace(h, ",p=1$", ",p=2$", 1),
		"short hash": join(parts[:5]...) + "$" + parts[5][:24], // 18 bytes
	}
	for name, bad := range mismatch {
		if ok, err := auth.VerifyPassword(bad, pw); ok || err != nil {
			t.Errorf("%s: VerifyPassword = %v, %v, want false, nil", name, ok, err)
		}
	}
	malformed := map[string]string{
		"empty":         "",
		"plain":         pw,
		"argon2i":       strings.Replace(h, "$argon2id$", "$argon2i$", 1),
		"version":       strings.Replace(h, "v=19", "v=16", 1),
		"padding":       h + "=",
		"leading zero":  strings.Replace(h, "m=64,", "m=064,", 1),
		"param order":   strings.Replace(h, "m=64,t=1,p=1", "t=1,m=64,p=1", 1),
		"extra field":   strings.Replace(h, "p=1$", "p=1,x=2$", 1),
		"extra part":    h + "$AAAA",
		"no salt":       join(parts[0], parts[1], parts[2], parts[3], "", parts[5]),
		"short salt":    join(parts[0], parts[1], parts[2], parts[3], "AAAA", parts[5]),
		"huge memory":   strings.Replace(h, "m=64,", "m=4294967295,", 1),
		"zero time":     strings.Replace(h, ",t=1,", ",t=0,", 1),
		"zero threads":  strings.Replace(h, ",p=1$", ",p=0$", 1),
		"many threads":  strings.Replace(h, ",p=1$", ",p=300$", 1),
		"memory < 8p":   strings.Replace(h, ",p=1$", ",p=16$", 1), // m=64 < 8×16
		"bad base64":    join(parts[:5]...) + "$" + "!" + parts[5][1:],
		"negative time": strings.Replace(h, ",t=1,", ",t=-1,", 1),
	}
	for name, bad := range malformed {
		if ok, err := auth.VerifyPassword(bad, pw); ok || err == nil {
			t.Errorf("%s (%q): VerifyPassword = %v, %v, want an error", name, bad, ok, err)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	h, _ := auth.HashPassword("correct horse battery", cheap)
	if auth.NeedsRehash(h, cheap) {
		t.Error("a hash made with p needs a rehash to p")
	}
	stronger := cheap
	stronger.Time = 2
	if !auth.NeedsRehash(h, stronger) {
		t.Error("a weaker hash does not need a rehash")
	}
	if !auth.NeedsRehash("garbage", cheap) {
		t.Error("a malformed hash does not need a rehash")
	}
}

func TestValidatePassword(t *testing.T) {
	long := strings.Repeat("Tram nine lasagne, umbrella 47 in Brera; the owl sings at dawn by the Navigli. ", 4)
	tests := []struct {
		user, pw string
		ok       bool
	}{
		{"mario", "correct horse battery", true},
		{"mario", "tram nine lasagne", true},       // 17
		{"mario", "tram nine lasa", false},         // 14
		{"mario", "àèìòùàèìòùàèìòù", true},         // 15 characters, 30 bytes
		{"mario", "aaaaaaaaaaaaaaaa", false},       // one character
		{"mario", "ééééééééééééééé", false},        // one multi-byte character
		{"mario.rossi1", "Mario.Rossi1234", false}, // the username and a sequence
		{"mario", "password1234567", false},        // common password and a sequence
		{"mario", "123456789012345", false},        // a sequence
		{"mario", "qwertyuiopasdfg", false},        // a keyboard row
		{"mario", "abcdefghijklmnop", false},       // the alphabet
		{"mario", "multamultamulta", false},        // the service's name, repeated
		{"mario", long[:256], true},                // 256 bytes
		{"mario", long[:257], false},
		{"mario", "tram nine lasagne\xff", false}, // not UTF-8
	}
	for _, tt := range tests {
		err := auth.ValidatePassword(tt.user, tt.pw)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePassword(%q, %q) = %v, want ok %v", tt.user, tt.pw, err, tt.ok)
		}
		var v *notices.ValidationError
		if err != nil && (!errors.As(err, &v) || v.Fields[0].Field != "password" || notices.ErrorCode(err) != notices.EValidation) {
			t.Errorf("ValidatePassword(%q): error %#v is not a password field error", tt.pw, err)
		}
	}
}

func TestNormalizeUsername(t *testing.T) {
	tests := []struct{ in, want string }{
		{"mario", "mario"},
		{"  Mario.Rossi ", "mario.rossi"},
		{"agent_007", "agent_007"},
		{"a-b", "a-b"},
		{"7ab", "7ab"},
		{"ab", ""},
		{strings.Repeat("a", 33), ""},
		{".mario", ""},
		{"mario rossi", ""},
		{"mario@comune", ""},
		{"mário", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := auth.NormalizeUsername(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("NormalizeUsername(%q) = %q, %v, want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRandomPassword(t *testing.T) {
	re := regexp.MustCompile(`^[a-km-zA-HJ-NP-Z2-9]{5}(-[a-km-zA-HJ-NP-Z2-9]{5}){3}$`)
	seen := map[string]bool{}
	for range 200 {
		pw, err := auth.RandomPassword()
		if err != nil {
			t.Fatal(err)
		}
		if !re.MatchString(pw) {
			t.Fatalf("RandomPassword() = %q, not four groups of five unambiguous characters", pw)
		}
		if err := auth.ValidatePassword("admin", pw); err != nil {
			t.Fatalf("RandomPassword() = %q breaks the policy: %v", pw, err)
		}
		if seen[pw] {
			t.Fatalf("RandomPassword() repeated %q", pw)
		}
		seen[pw] = true
	}
}
