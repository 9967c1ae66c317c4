package boltdb

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/sync/errgroup"

	"github.com/multa/multa/notices"
)

// importBatch holds the index entries of one ImportFines transaction
// until its fines are all written, then puts them bucket by bucket in key
// order. The NAV, plate and detection keys are random, and so are the
// time keys of interleaved camera exports: put one fine at a time, every
// insert walks the B+tree to another page. Sorted, consecutive inserts
// land on the same or the next page, whose nodes the previous insert has
// just brought into memory and cache.
//
// Until the flush the queued entries are invisible to the bucket, so the
// checks that read the indexes (a NAV already taken, a detection already
// imported) also look here.
type importBatch struct {
	fill indexFill
	navs map[string]struct{} // NAVs queued in fines.nav
	dets map[string]string   // detection → report number of the fine queued with it
	puts [][]entry           // per bucket of batchBuckets
	// look is what lookAhead read for the fine being inserted.
	look *importLook
}

type entry struct{ k, v []byte }

// batchBuckets are the buckets whose puts an importBatch queues, in the
// order of importBatch.puts.
var batchBuckets = [][]byte{bktFineNAV, bktFinePlate, bktFineStatus, bktFineDate, bktFineDetection}

const (
	putNAV = iota
	putPlate
	putStatus
	putDate
	putDetection
)

// newImportBatch makes the batch of a transaction of n fines, its queues
// sized for them (two NAVs a fine at most, as the domain issues them), so
// that queueing thousands of entries does not regrow and copy each queue
// a dozen times.
func newImportBatch(n int) *importBatch {
	ib := &importBatch{navs: make(map[string]struct{}, 2*n), dets: make(map[string]string, n), puts: make([][]entry, len(batchBuckets))}
	for i := range ib.puts {
		perFine := 1
		if i == putNAV {
			perFine = 2
		}
		ib.puts[i] = make([]entry, 0, perFine*n)
	}
	return ib
}

// queuedNAV reports whether a fine of the batch has NAV n; a nil batch
// has none.
func (ib *importBatch) queuedNAV(n notices.NAV) bool {
	if ib == nil {
		return false
	}
	_, ok := ib.navs[string(n)]
	return ok
}

// storedNAV reports whether fines.nav (navs) holds n, the NAV of payment
// option j of the fine being inserted: as read ahead for an import's
// fine, else looked up.
func (ib *importBatch) storedNAV(navs *bolt.Bucket, j int, n notices.NAV) bool {
	if ib != nil && ib.look != nil && j < len(ib.look.takenNAVs) {
		return ib.look.takenNAVs[j]
	}
	return navs.Get([]byte(n)) != nil
}

// queue adds an entry to bucket number b (putNAV…).
func (ib *importBatch) queue(b int, k, v []byte) {
	ib.puts[b] = append(ib.puts[b], entry{k, v})
}

// flush sets the time indexes' fill and puts every queued entry, each
// bucket's entries on a goroutine of their own.
//
// A bbolt transaction is documented as not safe for concurrent use, and
// flush relies on what its write path does in bbolt v1.4 (go.mod): a Put
// into a bucket reads pages from the mmap and from the transaction's dirty
// pages (written only by Commit), builds nodes in that bucket's own node
// map, and counts them in atomic statistics. Puts into different top-level
// buckets therefore share nothing they write, once the buckets are opened
// (tx.Bucket caches them in the root bucket's map, so that is done here,
// before the goroutines start). The index puts were a quarter of a 1M-fine
// import's CPU on the writer; spread over the cores they take less of the
// wall clock, while the commit stays serial. The tests of this package run
// imports under -race, which would report any shared write.
func (ib *importBatch) flush(tx *bolt.Tx) error {
	ib.fill.apply()
	bkts := make([]*bolt.Bucket, len(batchBuckets))
	for i, name := range batchBuckets {
		bkts[i] = tx.Bucket(name)
	}
	var g errgroup.Group
	for i, bkt := range bkts {
		es := ib.puts[i]
		g.Go(func() error {
			slices.SortFunc(es, func(a, b entry) int { return bytes.Compare(a.k, b.k) })
			for _, e := range es {
				if err := bkt.Put(e.k, e.v); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}
