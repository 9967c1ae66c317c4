package auth

import (
	"container/list"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"github.com/multa/multa/notices"
)

// ThrottleOptions bound failed logins in a sliding window. Zero fields take
// the defaults of DefaultThrottle.
//
// Nothing here locks an account: a lock that anyone can trigger by typing
// five wrong passwords is a way to shut out any user, the administrator
// included. Instead one client guessing one account is stopped
// (PairFailures), one client guessing many accounts is stopped
// (ClientFailures), and an account guessed at from many clients slows
// down for everyone, with a delay that doubles per failure up to MaxDelay,
// so the rightful user still gets in, a few seconds later.
type ThrottleOptions struct {
	PairFailures   int           // per username and client: then 429 for that pair
	ClientFailures int           // per client address (an IPv6 /64 counts as one client)
	UserFailures   int           // per username from any client, before delays start
	Window         time.Duration // how long a failure counts
	BaseDelay      time.Duration // the first delay after UserFailures
	MaxDelay       time.Duration // the cap of the doubling delay
	// MaxEntries bounds each table (usernames, clients, pairs). When full,
	// the least recently used entry is dropped, so an attacker inventing
	// names or addresses cannot grow memory without limit; to push a
	// victim's entry out they must fail MaxEntries logins elsewhere first,
	// each costing them an argon2 hash of server time and their own budget.
	MaxEntries int
}

// DefaultThrottle allows 5 failures per username and client and 20 per
// client in 15 minutes: plenty for typos, too few for guessing, and the
// per-client limit is high enough for an office behind one NAT address.
// From the 6th failure on an account (from anywhere) each attempt waits
// 0.5 s, 1 s, 2 s, then 4 s at most.
var DefaultThrottle = ThrottleOptions{PairFailures: 5, ClientFailures: 20, UserFailures: 5, Window: 15 * time.Minute,
	BaseDelay: 500 * time.Millisecond, MaxDelay: 4 * time.Second, MaxEntries: 10000}

// Throttle counts login failures per username, per client and per both in
// memory. Memory is right here: the counts are short-lived, and a restart
// that forgets them costs an attacker only one more window. Safe for
// concurrent use.
type Throttle struct {
	opts ThrottleOptions
	now  func() time.Time

	mu      sync.Mutex
	users   *lru
	clients *lru
	pairs   *lru
}

// Attempt is a login attempt admitted by Begin. Until Succeeded is called
// it counts as a failure, so that concurrent guesses cannot all slip in
// before any of them is recorded.
type Attempt struct {
	user, client, pair string
	at                 time.Time
	// Delay is how long the caller must wait before checking the
	// password: the account's slow-down, the same for a known and an
	// unknown username so that timing tells nothing.
	Delay time.Duration
}

// NewThrottle returns a throttle; now is its clock (time.Now when nil).
func NewThrottle(o ThrottleOptions, now func() time.Time) *Throttle {
	d := DefaultThrottle
	if o.PairFailures <= 0 {
		o.PairFailures = d.PairFailures
	}
	if o.UserFailures <= 0 {
		o.UserFailures = d.UserFailures
	}
	if o.ClientFailures <= 0 {
		o.ClientFailures = d.ClientFailures
	}
	if o.Window <= 0 {
		o.Window = d.Window
	}
	if o.BaseDelay <= 0 {
		o.BaseDelay = d.BaseDelay
	}
	if o.MaxDelay < o.BaseDelay {
		o.MaxDelay = max(d.MaxDelay, o.BaseDelay)
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = d.MaxEntries
	}
	if now == nil {
		now = time.Now
	}
	return &Throttle{opts: o, now: now, users: newLRU(o.MaxEntries), clients: newLRU(o.MaxEntries), pairs: newLRU(o.MaxEntries)}
}

// userCap is how many failure times of an account are kept: enough to
// reach MaxDelay.
func (t *Throttle) userCap() int {
	n := t.opts.UserFailures + 1
	for d := t.opts.BaseDelay; d < t.opts.MaxDelay; d *= 2 {
		n++
	}
	return n
}

// Begin admits a login attempt for username from client (an IP address),
// or refuses it with a rate_limited error whose RetryAfter says when the
// oldest counted failure leaves the window. A refused attempt is not
// counted, so waiting always helps. An admitted attempt carries the delay
// the account's recent failures impose.
func (t *Throttle) Begin(username, client string) (Attempt, error) {
	a := Attempt{user: userKey(username), client: clientKey(client), at: t.now()}
	a.pair = a.user + "\x00" + a.client
	w := t.opts.Window
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pairs.get(a.pair, a.at, w)
	c := t.clients.get(a.client, a.at, w)
	wait := max(p.wait(t.opts.PairFailures, a.at, w), c.wait(t.opts.ClientFailures, a.at, w))
	if wait > 0 {
		return Attempt{}, rateLimited(wait)
	}
	if u := t.users.get(a.user, a.at, w); u != nil && len(u.times) >= t.opts.UserFailures {
		a.Delay = t.opts.BaseDelay << min(len(u.times)-t.opts.UserFailures, 20)
		a.Delay = min(a.Delay, t.opts.MaxDelay)
	}
	t.pairs.add(a.pair, a.at, t.opts.PairFailures)
	t.clients.add(a.client, a.at, t.opts.ClientFailures)
	t.users.add(a.user, a.at, t.userCap())
	return a, nil
}

// Succeeded records that an attempt logged in: the failures of that
// username from that client are forgotten, and the attempt stops counting
// against its client and its account. Failures from other clients still
// count: the rightful user signing in does not reset a guesser's delay.
func (t *Throttle) Succeeded(a Attempt) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pairs.remove(a.pair)
	t.clients.forget(a.client, a.at)
	t.users.forget(a.user, a.at)
}

// Len returns the number of usernames and clients with counted failures,
// for a metrics gauge and for tests of the bound.
func (t *Throttle) Len() (users, clients int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.users.ll.Len(), t.clients.ll.Len()
}

// userKey bounds the key of a username, which may be any string an
// attacker sends.
func userKey(username string) string {
	if len(username) > 64 {
		username = username[:64]
	}
	return username
}

// clientKey groups IPv6 clients by /64, the smallest block a subscriber
// usually gets, so that rotating through one's own addresses does not reset
// the count; IPv4-mapped addresses count as IPv4.
func clientKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		if len(ip) > 64 {
			ip = ip[:64]
		}
		return "?" + ip
	}
	a = a.Unmap().WithZone("")
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// RetryAfterError is the cause wrapped by a rate_limited error.
type RetryAfterError struct {
	After time.Duration
}

func (e *RetryAfterError) Error() string { return fmt.Sprintf("retry after %v", e.After) }

func rateLimited(wait time.Duration) error {
	wait = wait.Round(time.Second)
	if wait < time.Second {
		wait = time.Second
	}
	mins := int((wait + time.Minute - 1) / time.Minute)
	return &notices.Error{Code: ERateLimited, Op: "auth.Login",
		Message: fmt.Sprintf("Too many failed sign-in attempts. Try again in %d minute(s).", mins),
		Err:     &RetryAfterError{After: wait}}
}

// RetryAfter returns how long to wait before retrying, when err is a
// rate_limited error; the server sends it as a Retry-After header.
func RetryAfter(err error) (time.Duration, bool) {
	var r *RetryAfterError
	if errors.As(err, &r) {
		return r.After, true
	}
	return 0, false
}

// lru is a bounded table of failure times, least recently used first out.
type lru struct {
	max int
	ll  *list.List // of *failures, most recent at the front
	m   map[string]*list.Element
}

type failures struct {
	key   string
	times []time.Time // ascending
}

func newLRU(n int) *lru { return &lru{max: n, ll: list.New(), m: map[string]*list.Element{}} }

// get returns the failures of key within the window, or nil; it drops
// expired times and empty entries on the way.
func (l *lru) get(key string, now time.Time, window time.Duration) *failures {
	e, ok := l.m[key]
	if !ok {
		return nil
	}
	f := e.Value.(*failures)
	i := 0
	for i < len(f.times) && !f.times[i].After(now.Add(-window)) {
		i++
	}
	f.times = f.times[i:]
	if len(f.times) == 0 {
		l.ll.Remove(e)
		delete(l.m, key)
		return nil
	}
	return f
}

// wait returns how long until fewer than limit failures are in the window.
func (f *failures) wait(limit int, now time.Time, window time.Duration) time.Duration {
	if f == nil || len(f.times) < limit {
		return 0
	}
	return f.times[len(f.times)-limit].Add(window).Sub(now)
}

// add records a failure at t, keeping only the last limit times (older ones
// cannot change a decision), and evicts the least recently used entry when
// the table is full.
func (l *lru) add(key string, t time.Time, limit int) {
	if e, ok := l.m[key]; ok {
		f := e.Value.(*failures)
		f.times = append(f.times, t)
		if len(f.times) > limit {
			f.times = f.times[len(f.times)-limit:]
		}
		l.ll.MoveToFront(e)
		return
	}
	if l.ll.Len() >= l.max {
		old := l.ll.Back()
		l.ll.Remove(old)
		delete(l.m, old.Value.(*failures).key)
	}
	l.m[key] = l.ll.PushFront(&failures{key: key, times: []time.Time{t}})
}

// remove forgets key.
func (l *lru) remove(key string) {
	if e, ok := l.m[key]; ok {
		l.ll.Remove(e)
		delete(l.m, key)
	}
}

// forget removes the one failure of key recorded at t.
func (l *lru) forget(key string, t time.Time) {
	e, ok := l.m[key]
	if !ok {
		return
	}
	f := e.Value.(*failures)
	for i := len(f.times) - 1; i >= 0; i-- {
		if f.times[i].Equal(t) {
			f.times = append(f.times[:i], f.times[i+1:]...)
			break
		}
	}
	if len(f.times) == 0 {
		l.remove(key)
	}
}
