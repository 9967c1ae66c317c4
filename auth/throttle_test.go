package auth_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
)

// One client guessing one account is stopped; the account itself is never
// locked: from other clients it only slows down, doubling to a cap.
func TestThrottleUser(t *testing.T) {
	c := newClock()
	th := auth.NewThrottle(auth.ThrottleOptions{}, c.Now)
	for i := range 5 {
		if a, err := th.Begin("mario", "10.0.0.1"); err != nil || a.Delay != 0 {
			t.Fatalf("failure %d: delay %v, %v", i+1, a.Delay, err)
		}
		c.Advance(time.Minute)
	}
	// Five failures at minutes 0..4 from one client; now it is minute 5.
	_, err := th.Begin("mario", "10.0.0.1")
	if notices.ErrorCode(err) != auth.ERateLimited {
		t.Fatalf("sixth attempt from the same client: %v, want rate_limited", err)
	}
	if d, ok := auth.RetryAfter(err); !ok || d != 10*time.Minute {
		t.Errorf("RetryAfter = %v, %v, want 10m (until the first failure leaves the window)", d, ok)
	}
	// Refused attempts do not count: waiting always helps.
	for range 10 {
		th.Begin("mario", "10.0.0.1")
	}
	// Any other client gets in, after a delay that doubles to the cap.
	for i, want := range []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second} {
		a, err := th.Begin("mario", fmt.Sprintf("10.0.1.%d", i))
		if err != nil || a.Delay != want {
			t.Errorf("attempt %d from another client: delay %v, %v; want %v", i+6, a.Delay, err, want)
		}
	}
	if a, err := th.Begin("luigi", "10.0.0.1"); err != nil || a.Delay != 0 {
		t.Errorf("another user from the guessing client: %v, %v", a.Delay, err)
	}
	c.Advance(15 * time.Minute)
	if a, err := th.Begin("mario", "10.0.0.1"); err != nil || a.Delay != 0 {
		t.Errorf("after the window: %v, %v", a.Delay, err)
	}
	if _, ok := auth.RetryAfter(fmt.Errorf("other")); ok {
		t.Error("RetryAfter of an unrelated error")
	}
}

func TestThrottleSuccessResets(t *testing.T) {
	c := newClock()
	th := auth.NewThrottle(auth.ThrottleOptions{}, c.Now)
	for range 4 {
		th.Begin("mario", "10.0.0.1")
	}
	a, err := th.Begin("mario", "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	th.Succeeded(a)
	for i := range 5 {
		if _, err := th.Begin("mario", "10.0.0.2"); err != nil {
			t.Fatalf("failure %d after a success: %v", i+1, err)
		}
	}
	// Successful logins do not use up a client's budget: an office of 30
	// behind one address signs in every morning.
	office := auth.NewThrottle(auth.ThrottleOptions{}, c.Now)
	for i := range 30 {
		a, err := office.Begin(fmt.Sprintf("officer%d", i), "192.0.2.1")
		if err != nil {
			t.Fatalf("login %d from the office: %v", i+1, err)
		}
		office.Succeeded(a)
	}
}

func TestThrottleClient(t *testing.T) {
	c := newClock()
	th := auth.NewThrottle(auth.ThrottleOptions{}, c.Now)
	for i := range 20 {
		if _, err := th.Begin(fmt.Sprintf("user%d", i), "2001:db8:1:2::1"); err != nil {
			t.Fatalf("failure %d: %v", i+1, err)
		}
	}
	// Another address in the same /64 is the same client.
	if _, err := th.Begin("someone", "2001:db8:1:2:ffff::9"); notices.ErrorCode(err) != auth.ERateLimited {
		t.Errorf("same /64: %v, want rate_limited", err)
	}
	if _, err := th.Begin("someone", "2001:db8:1:3::1"); err != nil {
		t.Errorf("another /64: %v", err)
	}
	// IPv4-mapped IPv6 is the IPv4 address.
	for i := range 20 {
		th.Begin(fmt.Sprintf("v4user%d", i), "198.51.100.7")
	}
	if _, err := th.Begin("someone-else", "::ffff:198.51.100.7"); notices.ErrorCode(err) != auth.ERateLimited {
		t.Errorf("IPv4-mapped: %v, want rate_limited", err)
	}
}

// The tables are bounded: the least recently used entry goes first.
func TestThrottleBounded(t *testing.T) {
	c := newClock()
	th := auth.NewThrottle(auth.ThrottleOptions{MaxEntries: 3}, c.Now)
	for range 5 {
		th.Begin("victim", "10.0.0.1")
	}
	if _, err := th.Begin("victim", "10.0.0.1"); notices.ErrorCode(err) != auth.ERateLimited {
		t.Fatalf("guesser not blocked: %v", err)
	}
	for i := range 3 {
		th.Begin(fmt.Sprintf("other%d", i), fmt.Sprintf("10.0.1.%d", i))
	}
	if _, err := th.Begin("victim", "10.0.0.1"); err != nil {
		t.Errorf("the oldest entry was not evicted from a full table: %v", err)
	}
	// Many distinct names cannot make it grow: the most recent stay.
	for i := range 10000 {
		th.Begin(fmt.Sprintf("spray%d", i), fmt.Sprintf("10.%d.%d.1", i/256, i%256))
	}
	if u, cl := th.Len(); u != 3 || cl != 3 {
		t.Errorf("tables hold %d users and %d clients, want at most 3 each", u, cl)
	}
}

// Attempts count when admitted, so concurrent guesses cannot slip past the
// limit before any failure is recorded. Run with -race.
func TestThrottleConcurrent(t *testing.T) {
	th := auth.NewThrottle(auth.ThrottleOptions{}, newClock().Now)
	var admitted atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if _, err := th.Begin("mario", "10.0.0.1"); err == nil {
				admitted.Add(1)
			}
		})
	}
	wg.Wait()
	if n := admitted.Load(); n != 5 {
		t.Errorf("%d concurrent attempts admitted, want 5", n)
	}
}
