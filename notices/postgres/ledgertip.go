package postgres

import (
	"maps"
	"sync"

	"golang.org/x/mod/sumdb/tlog"
)

// ledgerTip is what this process knows for sure of the ledger's end: the
// size of a head it committed (or read under the head's lock and then
// committed on) and the stored hashes on the right edge of that tree,
// which are all that appending to it reads (frontier). With them a shared
// transaction computes its records' hashes before it sends anything, and
// checks the guess with a compare-and-set of the head (fastpay.go): if
// another process appended meanwhile, the set fails, nothing is written,
// and the writers fall back to locking the head and reading the hashes.
//
// It is set only after a commit succeeded: a tip from a transaction that
// rolled back could have the size of another process's later head and the
// wrong hashes, and the compare-and-set would not see it.
type ledgerTip struct {
	mu     sync.Mutex
	known  bool
	size   int64
	hashes map[int64]tlog.Hash // StoredHashIndex → hash, for frontier(size)
}

// get returns the tip and a copy of its hashes, or ok false when this
// process has not committed an append yet.
func (t *ledgerTip) get() (size int64, hashes map[int64]tlog.Hash, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.known {
		return 0, nil, false
	}
	return t.size, maps.Clone(t.hashes), true
}

// set records a committed head of size n; known must hold every hash of
// frontier(n), else the tip is forgotten (the next append locks).
func (t *ledgerTip) set(n int64, known map[int64]tlog.Hash) {
	hs := make(map[int64]tlog.Hash, 64)
	ok := true
	for _, i := range frontier(n) {
		h, found := known[i]
		if !found {
			ok = false
			break
		}
		hs[i] = h
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok && (!t.known || n >= t.size) {
		t.known, t.size, t.hashes = true, n, hs
	} else if !ok {
		t.known, t.hashes = false, nil
	}
}

// frontier lists the stored hashes that appending any number of records
// to a log of n records reads: the roots of the complete subtrees n is
// made of (one per bit set in n). tlog.StoredHashes for record m ≥ n reads,
// at each level l where m>>l is odd, the left sibling (m>>l)-1; that node
// either ends at or before n, and then m>>l equals n>>l and it is the
// subtree of bit l of n, or it was computed by the same append.
func frontier(n int64) []int64 {
	var out []int64
	for l := 0; n>>l > 0; l++ {
		if (n>>l)&1 == 1 {
			out = append(out, tlog.StoredHashIndex(l, (n>>l)-1))
		}
	}
	return out
}
