package boltdb

import (
	"bytes"
	"slices"

	bolt "go.etcd.io/bbolt"

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

func newImportBatch() *importBatch {
	return &importBatch{navs: make(map[string]struct{}), dets: make(map[string]string), puts: make([][]entry, len(batchBuckets))}
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

// queue adds an entry to bucket number b (putNAV…).
func (ib *importBatch) queue(b int, k, v []byte) {
	ib.puts[b] = append(ib.puts[b], entry{k, v})
}

// flush sets the time indexes' fill and puts every queued entry.
func (ib *importBatch) flush(tx *bolt.Tx) error {
	ib.fill.apply()
	for i, name := range batchBuckets {
		es := ib.puts[i]
		slices.SortFunc(es, func(a, b entry) int { return bytes.Compare(a.k, b.k) })
		bkt := tx.Bucket(name)
		for _, e := range es {
			if err := bkt.Put(e.k, e.v); err != nil {
				return err
			}
		}
	}
	return nil
}
