package testkit

import (
	"sync"
	"time"

	"github.com/multa/multa/notices"
)

// Clock is a settable clock, safe for concurrent use, that every component
// of one test shares through its Now method.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's current instant; pass it as a component's Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Set moves the clock to t (backwards too).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Rome is an instant on Rome's wall clock, to the minute.
func Rome(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, notices.Rome)
}

// RomeAt parses "2006-01-02 15:04:05" on Rome's wall clock; it panics on a
// malformed literal, which is a bug in the test.
func RomeAt(s string) time.Time {
	t, err := time.ParseInLocation(time.DateTime, s, notices.Rome)
	if err != nil {
		panic(err)
	}
	return t
}
