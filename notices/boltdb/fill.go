package boltdb

import (
	"bytes"

	bolt "go.etcd.io/bbolt"
)

// Page fill of the time-ordered indexes (fines.date, fines.status).
//
// bbolt splits a page that overflows at commit into pieces of
// FillPercent of a page, the last piece taking the rest. A high fill is
// right when a transaction's keys go past the end of the index (a camera
// export in time order): the new pages are written full and never
// touched again. It is wrong when the keys land one or two per page
// among existing ones (exports of many cameras interleaved, the bench's
// scattered times): each page that overflows by one key is cut into 90%
// and 10%, and such an index settled at 39% full (`go run ./bench -only
// import`, 200,000 fines), where bbolt's default half-page split keeps a
// randomly filled B+tree near 69%. So the fill is chosen per transaction
// from where its keys went, once they are all known.
const (
	appendFill = 0.9 // not 1.0, so that a late arrival does not split a page at once
	randomFill = bolt.DefaultFillPercent
)

// finesFill is the page fill of the fines bucket. Fine ids start with the
// milliseconds of their creation (notices.NewTimeID), so new fines go at
// the end of the bucket, or, when two imports built their fines at the
// same time, many to a page among each other's: either way pages receive
// many keys each and a high fill packs them. At the default half-page
// split two interleaved imports left the bucket 46% full (700 bytes per
// fine instead of about 330).
const finesFill = appendFill

// indexFill counts, for one write transaction, how many keys were put in
// each time-ordered index and how many of them went past the last key the
// index (or, for the status index, that status) had before the
// transaction. apply then sets each bucket's FillPercent for the commit.
type indexFill struct {
	buckets map[string]*fillCount
}

type fillCount struct {
	b        *bolt.Bucket
	last     map[string][]byte // prefix → its last key before the transaction (nil: none)
	n, after int
}

// note records that key (which starts with prefix) is about to be put in
// b. It must be called before the put, so that the first call for a
// prefix sees the index as the transaction found it.
func (fl *indexFill) note(b *bolt.Bucket, name string, prefix, key []byte) {
	if fl.buckets == nil {
		fl.buckets = make(map[string]*fillCount, 2)
	}
	c := fl.buckets[name]
	if c == nil {
		c = &fillCount{b: b, last: make(map[string][]byte, 2)}
		fl.buckets[name] = c
	}
	last, seen := c.last[string(prefix)]
	if !seen {
		last = lastWithPrefix(b, prefix)
		c.last[string(prefix)] = last
	}
	c.n++
	if last == nil || bytes.Compare(key, last) > 0 {
		c.after++
	}
}

// apply sets the fill of every index noted: high when at least half of
// its keys went past the end, bbolt's default otherwise.
func (fl *indexFill) apply() {
	for _, c := range fl.buckets {
		if 2*c.after >= c.n {
			c.b.FillPercent = appendFill
		} else {
			c.b.FillPercent = randomFill
		}
	}
}

// lastWithPrefix returns a copy of the greatest key of b that starts with
// prefix, or nil.
func lastWithPrefix(b *bolt.Bucket, prefix []byte) []byte {
	c := b.Cursor()
	k := seekBefore(c, prefixEnd(prefix))
	if k == nil || !bytes.HasPrefix(k, prefix) {
		return nil
	}
	return bytes.Clone(k)
}
