package boltdb

import (
	"bytes"
	"crypto/sha256"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// importLook is what an import transaction reads about one fine before it
// writes it: its detection, the fines whose detection hash it shares, and
// which of its NAVs fines.nav already holds.
type importLook struct {
	det        string   // the fine's DetectionKey
	detKey     []byte   // its key in fines.detection (detectionKey)
	candidates []string // ids of stored fines with the same detection hash prefix
	takenNAVs  []bool   // per payment option: its NAV was stored before the transaction
}

// lookAhead reads fines.nav and fines.detection for the fines of an
// import transaction on a goroutine of its own, one fine ahead of the
// writer or more, and hands the reads over in order. Those look-ups go to
// random pages of two big B+trees (a 1M-fine import spent ~7% of its CPU
// in them on the writer), and nothing else the transaction does needs
// them: it queues its NAV and detection entries (importBatch) and puts
// them only after every fine is written, so neither bucket changes while
// the goroutine reads it. The writer meanwhile writes other buckets.
// Reading one bbolt bucket while the same write transaction writes
// another shares nothing either writes (see importBatch.flush for what a
// Put touches); a candidate's stored fine is read back by the writer
// itself, since the writer puts into the fines bucket.
type lookAhead struct {
	out    chan importLook
	stop   chan struct{}
	done   chan struct{}
	closed bool
}

// lookAheadDepth bounds how far the reader runs ahead of the writer.
const lookAheadDepth = 512

// startLookAhead starts reading for fines (the fines of one transaction,
// in the order the writer takes them). Every call must be matched by
// close before tx ends.
func startLookAhead(tx *bolt.Tx, fines []*notices.Fine) *lookAhead {
	navs, dets := tx.Bucket(bktFineNAV), tx.Bucket(bktFineDetection)
	la := &lookAhead{out: make(chan importLook, lookAheadDepth), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(la.done)
		c := dets.Cursor()
		for _, f := range fines {
			if f == nil { // refused by the writer (checkNewFine)
				if !la.send(importLook{}) {
					return
				}
				continue
			}
			l := importLook{det: f.DetectionKey(), takenNAVs: make([]bool, len(f.Options))}
			l.detKey = detectionKey(l.det, f.ID)
			l.candidates = detectionCandidates(c, l.detKey[:detectionHashLen], l.det, f.ID)
			for j, o := range f.Options {
				l.takenNAVs[j] = navs.Get([]byte(o.NAV)) != nil
			}
			if !la.send(l) {
				return
			}
		}
	}()
	return la
}

// send hands l to the writer; false when the writer stopped reading.
func (la *lookAhead) send(l importLook) bool {
	select {
	case la.out <- l:
		return true
	case <-la.stop:
		return false
	}
}

// next returns the reads of the next fine.
func (la *lookAhead) next() importLook { return <-la.out }

// close stops the reader and waits for it, so that no read outlives the
// transaction (or overlaps the puts into the buckets it reads). Only the
// writer calls it; a second call does nothing.
func (la *lookAhead) close() {
	if la.closed {
		return
	}
	la.closed = true
	close(la.stop)
	<-la.done
}

// detectionCandidates returns the ids of the fines in fines.detection (c
// is its cursor) whose detection hash starts like det's (prefix, from
// detectionPrefix), other than id itself: each is a duplicate only if its
// stored fine's detection is det (confirmDetection). Both key layouts are
// read (see detectionHashLen); the first layout's 16-byte keys are
// compared in full.
func detectionCandidates(c *bolt.Cursor, prefix []byte, det, id string) []string {
	var full [sha256.Size]byte
	var ids []string
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		other := string(k[detectionHashLen:])
		if len(v) > 0 { // the first layout: the id is the value
			if full == ([sha256.Size]byte{}) {
				full = sha256.Sum256([]byte(det))
			}
			if len(k) != oldDetectionLen || !bytes.Equal(k, full[:oldDetectionLen]) {
				continue
			}
			other = string(v)
		}
		if other != id { // the same fine again: insertFine refuses it as a conflict
			ids = append(ids, other)
		}
	}
	return ids
}

// confirmDetection returns the first stored fine among candidates whose
// detection, as imported, is det, or nil.
func (s *Store) confirmDetection(tx *bolt.Tx, op, det string, candidates []string) (*notices.Fine, error) {
	for _, other := range candidates {
		f, _, err := s.loadFine(tx, op, other)
		if notices.ErrorCode(err) == notices.EFineNotFound {
			continue
		}
		if err != nil {
			return nil, err
		}
		if importedDetection(f) == det {
			return &f, nil
		}
	}
	return nil, nil
}
