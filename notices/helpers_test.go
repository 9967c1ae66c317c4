package notices_test

import (
	"errors"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// rome builds an instant from Rome wall-clock time, the way officers and
// the law read it.
func rome(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, notices.Rome)
}

// utc builds an instant from UTC, the way devices and servers send it.
func utc(y int, m time.Month, d, hh, mm, ss int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
}

// day is a terse notices.Date literal for tables.
func day(y int, m time.Month, d int) notices.Date {
	return notices.Date{Year: y, Month: m, Day: d}
}

// violation looks a code up in the shipped catalogue, so that amount tests
// exercise the real figures of domain.md §6 rather than copies of them.
func violation(t testing.TB, code string) notices.Violation {
	t.Helper()
	v, err := notices.DefaultCatalogue().Lookup(code)
	if err != nil {
		t.Fatalf("Lookup(%q): %v", code, err)
	}
	return v
}

// wantCode fails unless err carries the domain error code want.
func wantCode(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want code %s", want)
	}
	if got := notices.ErrorCode(err); got != want {
		t.Fatalf("ErrorCode(%v) = %s, want %s", err, got, want)
	}
}

// cycleReader repeats a fixed byte pattern forever: a deterministic
// stand-in for crypto/rand.
type cycleReader struct {
	pattern []byte
	pos     int
}

func (r *cycleReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.pattern[r.pos%len(r.pattern)]
		r.pos++
	}
	return len(p), nil
}

// countingReader yields 0, 1, 2, … one byte at a time (mod 256), so that
// consecutive reads differ.
type countingReader struct{ n byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

var errBrokenReader = errors.New("entropy source broken")

type brokenReader struct{}

func (brokenReader) Read([]byte) (int, error) { return 0, errBrokenReader }
