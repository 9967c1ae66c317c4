package payment

import "sync"

// fineLocks serialise payment attempts on one fine inside this process, so
// that concurrent payers do not all authorise their cards only for all but
// one to be voided. The store's transaction remains the ground truth across
// processes.
//
// They also tell a payer whether what it read before taking a fine's lock
// is still what a read under the lock would give, as far as this process
// goes: every release is numbered, and a read taken at mark() is stale
// when the fine's lock was released after it (another payer of this
// process may have paid the fine, or stored the same key's answer). A
// payment then reads once, before the lock, instead of twice.
type fineLocks struct {
	mu    sync.Mutex
	locks map[string]*fineLock
	// seq numbers releases; released holds the number of each fine's
	// last release since floor, the number at which it was last emptied
	// (marks older than floor are stale for every fine: a bounded map).
	seq      uint64
	floor    uint64
	released map[string]uint64
}

// maxReleased bounds the releases remembered; when full, they are dropped
// in bulk and the reads marked before are taken again.
const maxReleased = 4096

type fineLock struct {
	sync.Mutex
	users int
}

// lock takes the lock of fine id and returns its release; locks of fines
// nobody waits for are dropped, so the map holds only fines in payment.
func (l *fineLocks) lock(id string) func() {
	l.mu.Lock()
	if l.locks == nil {
		l.locks = make(map[string]*fineLock)
	}
	fl := l.locks[id]
	if fl == nil {
		fl = &fineLock{}
		l.locks[id] = fl
	}
	fl.users++
	l.mu.Unlock()
	fl.Lock()
	return func() {
		l.mu.Lock()
		l.seq++
		switch {
		case l.released == nil:
			l.released = make(map[string]uint64)
		case len(l.released) >= maxReleased:
			l.released, l.floor = make(map[string]uint64), l.seq
		}
		l.released[id] = l.seq
		fl.Unlock()
		fl.users--
		if fl.users == 0 {
			delete(l.locks, id)
		}
		l.mu.Unlock()
	}
}

// mark returns the point a read is taken at, for releasedSince.
func (l *fineLocks) mark() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// releasedSince reports whether fine id's lock may have been released
// after mark m: a read taken at m must then be taken again under the lock.
func (l *fineLocks) releasedSince(id string, m uint64) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return m < l.floor || l.released[id] > m
}
