package testkit

import (
	"sync"
	"time"

	"github.com/multa/multa/notices"
)

// Clock is a settable clock, safe for concurrent use, that every component
// of one test shares through its Now method. A stopped clock (NewClock)
// reads the same instant until it is moved; a running one (RunningClock)
// follows the real time plus an offset.
type Clock struct {
	mu      sync.Mutex
	t       time.Time     // a stopped clock's instant
	running bool          // follows time.Now() + offset
	offset  time.Duration // a running clock's lead over the real time
}

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// RunningClock returns a clock that reads the real time until it is
// moved, and then keeps running from there: for a server that a real
// browser, with the machine's clock, talks to.
func RunningClock() *Clock { return &Clock{running: true} }

// Now is the clock's current instant; pass it as a component's Now.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return time.Now().Add(c.offset)
	}
	return c.t
}

// Set moves the clock to t (backwards too).
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		c.offset = time.Until(t)
		return
	}
	c.t = t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
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
