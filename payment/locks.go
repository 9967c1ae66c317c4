package payment

import "sync"

// fineLocks serialise payment attempts on one fine inside this process, so
// that concurrent payers do not all authorise their cards only for all but
// one to be voided. The store's transaction remains the ground truth across
// processes.
type fineLocks struct {
	mu    sync.Mutex
	locks map[string]*fineLock
}

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
		fl.Unlock()
		l.mu.Lock()
		fl.users--
		if fl.users == 0 {
			delete(l.locks, id)
		}
		l.mu.Unlock()
	}
}
