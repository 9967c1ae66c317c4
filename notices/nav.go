package notices

import (
	"crypto/rand"
	"encoding/binary"
	"io"
	"strconv"
	"strings"
)

// NAV is an 18-digit pagoPA notice number (numero avviso). Its last 17 digits
// are the IUV, the identifier of the payment within the creditor.
type NAV string

// navLen is fixed by the pagoPA specification for every aux digit.
const navLen = 18

// ParseNAV normalises s (spaces, dots and dashes are dropped, as people copy
// numbers from paper in groups) and validates it for aux digits 0 to 3.
func ParseNAV(s string) (NAV, error) {
	digits := make([]byte, 0, navLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '.' || c == '-' || c == '\t':
		default:
			return "", Errorf(EInvalidNoticeNumber, "a notice number has only digits, found %q", c)
		}
		if len(digits) > navLen {
			return "", Errorf(EInvalidNoticeNumber, "a notice number has 18 digits")
		}
	}
	if len(digits) != navLen {
		return "", Errorf(EInvalidNoticeNumber, "a notice number has 18 digits, got %d", len(digits))
	}
	n := NAV(digits)
	if err := n.checkDigits(); err != nil {
		return "", err
	}
	return n, nil
}

// checkDigits validates the mod-93 check of aux digits 0, 2 and 3; aux 1
// carries no check digits, per the specification.
func (n NAV) checkDigits() error {
	var body string
	switch n[0] {
	case '0', '3':
		body = string(n[:16]) // aux + application or segregation code + base 13
	case '2':
		body = string(n[:16]) // aux + base 15
	case '1':
		return nil
	default:
		return Errorf(EInvalidNoticeNumber, "aux digit %c is not 0, 1, 2 or 3", n[0])
	}
	want := mod93(body)
	got, _ := strconv.Atoi(string(n[16:]))
	if got != want {
		return Errorf(EInvalidNoticeNumber, "check digits %s do not match (want %02d)", n[16:], want)
	}
	return nil
}

// mod93 computes the check of a 16-digit decimal string; it fits in a uint64.
func mod93(digits string) int {
	v, _ := strconv.ParseUint(digits, 10, 64)
	return int(v % 93)
}

// NewNAV issues an aux-3 notice number for the given two-digit segregation
// code with a random 13-digit base read from r (crypto/rand when r is nil).
// Random, never sequential: a visible sequence would let anyone enumerate
// other people's fines. The caller retries on a collision.
func NewNAV(segregation string, r io.Reader) (NAV, error) {
	if len(segregation) != 2 || !isDigits(segregation) {
		return "", Errorf(EValidation, "segregation code must be two digits, got %q", segregation)
	}
	if r == nil {
		r = rand.Reader
	}
	const limit = 10_000_000_000_000 // 10^13
	// Rejection sampling keeps the base uniform over 13 digits.
	max := ^uint64(0) - ^uint64(0)%limit
	var buf [8]byte
	for {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return "", &Error{Code: EInternal, Op: "NewNAV", Err: err}
		}
		v := binary.BigEndian.Uint64(buf[:])
		if v >= max {
			continue
		}
		base := strconv.FormatUint(v%limit, 10)
		body := "3" + segregation + strings.Repeat("0", 13-len(base)) + base
		check := strconv.Itoa(mod93(body))
		if len(check) == 1 {
			check = "0" + check
		}
		return NAV(body + check), nil
	}
}

// IUV is the unique payment identifier: the NAV without its aux digit.
func (n NAV) IUV() string { return string(n[1:]) }

// Aux is the NAV's first digit, which says how the rest is structured.
func (n NAV) Aux() byte { return n[0] }

// Format writes the NAV in groups of four digits, as printed on notices.
func (n NAV) Format() string {
	var b strings.Builder
	for i := 0; i < len(n); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		end := min(i+4, len(n))
		b.WriteString(string(n[i:end]))
	}
	return b.String()
}

// String returns the 18 digits without grouping.
func (n NAV) String() string { return string(n) }

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}
