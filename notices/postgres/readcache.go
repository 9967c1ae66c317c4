package postgres

import (
	"sync"
	"time"
)

// readCache remembers, for a moment, the version of each fine this
// process just read through Fine, because the payment service reads the
// fine (fresh, under its per-fine lock) right before it records the
// payment: the fast path (fastpay.go) takes that version instead of
// reading the row a second time. It is only a guess: the payment is
// written only if the fine's ledger entry is still the one remembered,
// and a stale guess sends the group to the locked path, never a wrong
// write. Entries live readCacheAge and are taken once.
type readCache struct {
	mu sync.Mutex
	m  map[string]cachedRead
}

type cachedRead struct {
	entry int64  // the fine's ledger_entry when read
	doc   []byte // its document as read
	at    time.Time
}

// readCacheAge bounds how old a remembered read may be; readCacheMax how
// many are kept (a full cache is emptied: reads without a payment after
// them are dropped in bulk).
const (
	readCacheAge = time.Second
	readCacheMax = 4096
)

// put remembers the version of fine id just read.
func (c *readCache) put(id string, entry int64, doc []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= readCacheMax {
		c.m = make(map[string]cachedRead)
	}
	c.m[id] = cachedRead{entry: entry, doc: doc, at: time.Now()}
}

// take returns and forgets the version of fine id read less than
// readCacheAge ago.
func (c *readCache) take(id string) (int64, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.m[id]
	if !ok {
		return 0, nil, false
	}
	delete(c.m, id)
	if time.Since(r.at) > readCacheAge {
		return 0, nil, false
	}
	return r.entry, r.doc, true
}
