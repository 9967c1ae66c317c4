package boltdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// The dashboard's outstanding tallies (see notices.TallyDelta): the bucket
// "tallies.outstanding" maps YYYYMMDD ‖ stage to two big-endian int64, the
// change of fines and of cents that takes effect on that day (00000000:
// since always). Every write of a fine adds the deltas of its new version
// and takes out those of the old one in the same transaction, so the sum
// of the keys up to a day is always what valuing every unpaid fine on
// that day would give. Meta "tallies.calendar" holds the calendar and
// rules they were computed with (JSON of tallyMeta).
var (
	bktTallies     = []byte("tallies.outstanding")
	metaTallyCal   = []byte("tallies.calendar")
	tallyValueSize = 16
)

// tallyMeta is what the tallies of a file were computed with.
type tallyMeta struct {
	Version  string           `json:"version"`
	Calendar notices.Calendar `json:"calendar"`
}

// tallies accumulates deltas by key, so an import chunk of ten thousand
// fines writes a few dozen keys instead of tens of thousands.
type tallies map[string][2]int64

func tallyKey(on notices.Date, st notices.Stage) string {
	return fmt.Sprintf("%04d%02d%02d", on.Year, int(on.Month), on.Day) + string(st)
}

func (t tallies) add(ds []notices.TallyDelta) {
	for _, d := range ds {
		k := tallyKey(d.On, d.Stage)
		v := t[k]
		t[k] = [2]int64{v[0] + d.Fines, v[1] + d.Cents}
	}
}

// flush adds the accumulated deltas to the stored ones; a key whose sum
// comes back to zero is deleted, so the bucket holds only live days.
func (t tallies) flush(tx *bolt.Tx) error {
	b := tx.Bucket(bktTallies)
	for k, d := range t {
		if d == [2]int64{} {
			continue
		}
		var cur [2]int64
		if v := b.Get([]byte(k)); len(v) == tallyValueSize {
			cur = [2]int64{int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:]))}
		}
		cur[0] += d[0]
		cur[1] += d[1]
		if cur == [2]int64{} {
			if err := b.Delete([]byte(k)); err != nil {
				return err
			}
			continue
		}
		v := make([]byte, tallyValueSize)
		binary.BigEndian.PutUint64(v, uint64(cur[0]))
		binary.BigEndian.PutUint64(v[8:], uint64(cur[1]))
		if err := b.Put([]byte(k), v); err != nil {
			return err
		}
	}
	clear(t)
	return nil
}

// tallyChange writes the deltas of replacing old (nil: none) by f
// (nil: none) at once, or into acc when an import accumulates them.
func (s *Store) tallyChange(tx *bolt.Tx, acc tallies, old, f *notices.Fine) error {
	direct := acc == nil
	if direct {
		acc = tallies{}
	}
	if old != nil {
		acc.add(s.cal.OutstandingDeltas(old, -1))
	}
	if f != nil {
		acc.add(s.cal.OutstandingDeltas(f, 1))
	}
	if direct {
		return acc.flush(tx)
	}
	return nil
}

// openTallies decides the calendar of the tallies at a writable open and
// recomputes them, from every fine, when the file has none yet (made
// before they existed), or they were computed with other rules or
// another calendar than cal (nil: keep the file's).
func (s *Store) openTallies(tx *bolt.Tx, cal *notices.Calendar) error {
	meta := tx.Bucket(bktMeta)
	var m tallyMeta
	had := false
	if v := meta.Get(metaTallyCal); v != nil {
		had = json.Unmarshal(v, &m) == nil
	}
	want := m
	want.Version = notices.TallyVersion
	if cal != nil {
		want.Calendar = *cal
	}
	s.cal = want.Calendar
	if had && m == want {
		return nil
	}
	if tx.Bucket(bktTallies) != nil {
		if err := tx.DeleteBucket(bktTallies); err != nil {
			return err
		}
	}
	b, err := tx.CreateBucket(bktTallies)
	if err != nil {
		return err
	}
	b.FillPercent = 0.9
	acc := tallies{}
	c := tx.Bucket(bktFines).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		f, err := s.decodeFine(tx, k, v)
		if err != nil {
			return err
		}
		acc.add(s.cal.OutstandingDeltas(&f, 1))
	}
	if err := acc.flush(tx); err != nil {
		return err
	}
	enc, err := json.Marshal(want)
	if err != nil {
		return err
	}
	return meta.Put(metaTallyCal, enc)
}

// OutstandingOn sums the tallies of every day up to on: what the unpaid
// fines are worth on that day, without reading a fine. Errors: EInternal
// when the file has no tallies (a read-only open of a file that no
// writable open has upgraded).
func (s *Store) OutstandingOn(ctx context.Context, on notices.Date) (notices.Outstanding, error) {
	const op = "boltdb.OutstandingOn"
	o := notices.Outstanding{On: on}
	if err := ctx.Err(); err != nil {
		return o, err
	}
	end := []byte(fmt.Sprintf("%04d%02d%02d", on.Year, int(on.Month), on.Day))
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktTallies)
		if b == nil || tx.Bucket(bktMeta).Get(metaTallyCal) == nil {
			return fmt.Errorf("this database has no outstanding tallies yet: open it writable once")
		}
		c := b.Cursor()
		for k, v := c.First(); k != nil && bytes.Compare(k[:min(8, len(k))], end) <= 0; k, v = c.Next() {
			if len(k) < 8 || len(v) != tallyValueSize {
				return fmt.Errorf("bad tally record %q", k)
			}
			o.AddTally(notices.Stage(k[8:]), int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:])))
		}
		return nil
	})
	if err != nil {
		return notices.Outstanding{On: on}, internal(op, err)
	}
	return o, nil
}
