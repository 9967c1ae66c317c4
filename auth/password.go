package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"golang.org/x/crypto/argon2"

	"github.com/multa/multa/notices"
)

// Params are the cost parameters of argon2id. They are written into every
// hash, so raising the defaults later does not break existing passwords.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes over memory
	Threads uint8
	SaltLen uint32 // bytes
	KeyLen  uint32 // bytes
}

// DefaultParams cost about 64 MiB and a few tens of milliseconds per hash
// on one core: far above OWASP's argon2id minimum (19 MiB, t=2), yet cheap
// enough for a login. The memory is what defeats GPU guessing; the Service
// bounds how many hashes run at once so logins cannot exhaust RAM.
var DefaultParams = Params{Memory: 64 * 1024, Time: 1, Threads: 2, SaltLen: 16, KeyLen: 32}

// Limits on parameters read from a stored hash: a hash is trusted data, but
// a corrupted or planted one must not make a login allocate gigabytes.
const (
	maxMemory  = 1 << 20 // 1 GiB in KiB
	maxTime    = 64
	minSaltLen = 8
	minKeyLen  = 16
	maxKeyLen  = 128
)

// Password policy. Length is what makes a password strong; composition
// rules only make people write them down (NIST SP 800-63B). 15 is the
// minimum SP 800-63B (rev. 4) sets for a password that is the only
// factor, as here. MaxPasswordLen is both what can be set and what login
// reads: it leaves room for long passphrases (the standard asks for at
// least 64 characters) and bounds the work a request can ask for.
const (
	MinPasswordLen = 15  // characters
	MaxPasswordLen = 256 // bytes
)

// b64 is the encoding of the PHC string format: standard alphabet, no
// padding.
var b64 = base64.RawStdEncoding

// HashPassword returns the argon2id hash of password with a fresh random
// salt, as a PHC string: $argon2id$v=19$m=65536,t=1,p=2$<salt>$<hash>.
func HashPassword(password string, p Params) (string, error) {
	if err := p.check(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", &notices.Error{Code: notices.EInternal, Op: "auth.HashPassword", Err: err}
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword reports whether password matches an encoded hash, in
// constant time with respect to the hash value. A malformed hash is an
// error, not a mismatch: it means stored data is damaged, which an operator
// must hear about.
func VerifyPassword(encoded, password string) (bool, error) {
	p, salt, want, err := decodeHash(encoded)
	if err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether an encoded hash was made with other
// parameters than p, so that a login can upgrade it once the store can
// update users.
func NeedsRehash(encoded string, p Params) bool {
	got, salt, key, err := decodeHash(encoded)
	return err != nil || got.Memory != p.Memory || got.Time != p.Time || got.Threads != p.Threads ||
		uint32(len(salt)) != p.SaltLen || uint32(len(key)) != p.KeyLen
}

var errBadHash = errors.New("auth: malformed password hash")

// decodeHash parses a PHC argon2id string strictly: one accepted form, so
// that two encodings of one hash cannot exist.
func decodeHash(encoded string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, errBadHash
	}
	var m, t, th uint64
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, errBadHash
	}
	for i, dst := range []*uint64{&m, &t, &th} {
		name, val, ok := strings.Cut(fields[i], "=")
		if !ok || name != "mtp"[i:i+1] || val == "" || val[0] == '0' || val[0] == '+' {
			return p, nil, nil, errBadHash
		}
		if *dst, err = strconv.ParseUint(val, 10, 32); err != nil {
			return p, nil, nil, errBadHash
		}
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return p, nil, nil, errBadHash
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return p, nil, nil, errBadHash
	}
	p = Params{Memory: uint32(m), Time: uint32(t), SaltLen: uint32(len(salt)), KeyLen: uint32(len(key))}
	if th > 255 {
		return p, nil, nil, errBadHash
	}
	p.Threads = uint8(th)
	if err := p.check(); err != nil {
		return p, nil, nil, errBadHash
	}
	return p, salt, key, nil
}

// check keeps parameters within what argon2 accepts and what a server can
// afford.
func (p Params) check() error {
	switch {
	case p.Threads == 0, p.Time == 0 || p.Time > maxTime,
		p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory,
		p.SaltLen < minSaltLen, p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return &notices.Error{Code: notices.EInternal, Op: "auth.Params", Message: "argon2id parameters out of range",
			Err: fmt.Errorf("auth: argon2id parameters out of range: %+v", p)}
	}
	return nil
}

// passwordProblem returns why a password breaks the policy, or "".
func passwordProblem(username, password string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case !utf8.ValidString(password):
		return "the password is not valid text"
	case n < MinPasswordLen:
		return fmt.Sprintf("the password needs at least %d characters", MinPasswordLen)
	case len(password) > MaxPasswordLen:
		return fmt.Sprintf("the password can have at most %d bytes", MaxPasswordLen)
	case strings.Count(password, firstRune(password)) == n: // zxcvbn misses ééé…
		return "the password cannot repeat one character"
	case username != "" && strings.EqualFold(password, username):
		return "the password cannot be the username"
	case guessable(username, password):
		return "the password is too common or predictable (a known password, a sequence, a keyboard row, a repetition " +
			"or the name of the service or user); a few unrelated words make a good one"
	}
	return ""
}

// minGuesses is the strength a password must have as zxcvbn estimates
// it (its score 3): under 10^8 guesses means the password is in, or built
// from, the lists of common passwords, names and words it ships, or is a
// sequence (123456789012), a keyboard row (qwertyuiopas) or a repetition.
// That is SP 800-63B's blocklist check; the guesses of a guessable
// password are few whatever its composition, so no composition rule is
// needed on top.
const minGuesses = 1e8

// guessCheckRunes bounds the prefix zxcvbn examines: its matching grows
// faster than linearly with length, and a 64-character prefix that is
// not guessable already makes the whole password not guessable.
const guessCheckRunes = 64

// contextWords are the words of this service that SP 800-63B asks to
// refuse in passwords (context-specific words).
var contextWords = []string{"multa", "multe", "comune", "pagopa", "admin", "vigili", "polizia"}

// guessable reports whether zxcvbn estimates fewer than minGuesses for the
// password, with the username and contextWords as known inputs.
func guessable(username, password string) bool {
	if r := []rune(password); len(r) > guessCheckRunes {
		password = string(r[:guessCheckRunes])
	}
	inputs := contextWords
	if username != "" {
		inputs = append([]string{username}, contextWords...)
	}
	return zxcvbn.PasswordStrength(password, inputs).Guesses < minGuesses
}

// firstRune returns the first character of a non-empty string.
func firstRune(s string) string {
	_, size := utf8.DecodeRuneInString(s)
	return s[:size]
}

// ValidatePassword checks a new password against the policy of NIST SP
// 800-63B: at least MinPasswordLen characters, at most MaxPasswordLen
// bytes (the same bound login reads), not the username and not guessable
// (common, sequential, repetitive or context-specific; see guessable). No
// composition rules. Errors: a *notices.ValidationError on the field
// "password".
func ValidatePassword(username, password string) error {
	if msg := passwordProblem(username, password); msg != "" {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: "password", Message: msg}}}
	}
	return nil
}

// NormalizeUsername trims and lower-cases a username and checks it: 3 to
// 32 characters among a–z, 0–9, dot, dash and underscore, starting with a
// letter or digit. One spelling per person avoids look-alike accounts, and
// the narrow alphabet keeps names safe in logs and URLs. Errors: a
// *notices.ValidationError on the field "username".
func NormalizeUsername(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	bad := func(msg string) (string, error) {
		return "", &notices.ValidationError{Fields: []notices.FieldError{{Field: "username", Message: msg}}}
	}
	if len(s) < 3 || len(s) > 32 {
		return bad("a username has 3 to 32 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '-' || c == '_') && i > 0:
		default:
			return bad("a username has only letters, digits, dots, dashes and underscores, and starts with a letter or digit")
		}
	}
	return s, nil
}

// passwordAlphabet leaves out characters that look alike (0/O, 1/l/I), as
// the first-start password is read off a terminal and typed by hand.
const passwordAlphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"

// RandomPassword returns a new random password of four dash-separated
// groups of five characters (about 116 bits), for the first-start admin.
func RandomPassword() (string, error) {
	const groups, groupLen = 4, 5
	// Rejection sampling keeps every character equally likely: bytes at or
	// above the largest multiple of the alphabet size are discarded.
	limit := byte(256 / len(passwordAlphabet) * len(passwordAlphabet))
	out := make([]byte, 0, groups*(groupLen+1))
	var buf [64]byte
	for len(out) < cap(out)-1 {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", &notices.Error{Code: notices.EInternal, Op: "auth.RandomPassword", Err: err}
		}
		for _, b := range buf {
			if b >= limit || len(out) == cap(out)-1 {
				continue
			}
			if len(out)%(groupLen+1) == groupLen {
				out = append(out, '-')
			}
			out = append(out, passwordAlphabet[int(b)%len(passwordAlphabet)])
		}
	}
	return string(out), nil
}
