package boltdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

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
//
// "tallies.payments" maps YYYYMMDD ‖ HH ‖ stage to the same two int64:
// payments and cents of receipts paid in that hour (Rome), added by
// putReceipt in the receipt's transaction.
var (
	bktPayTallies  = []byte("tallies.payments")
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

// tallyKey is YYYYMMDD ‖ stage. The keys are built by hand rather than
// with fmt.Sprintf: a payment builds about ten of them inside its write
// transaction (the old version's deltas out, the new one's in), and an
// import ten per fine; fmt was half of tallyChange's time.
func tallyKey(on notices.Date, st notices.Stage) string {
	b := make([]byte, 0, 8+len(st))
	b = appendDigits(b, on.Year, 4)
	b = appendDigits(b, int(on.Month), 2)
	b = appendDigits(b, on.Day, 2)
	return string(append(b, st...))
}

// payKey is the key of an hour's payment tally: YYYYMMDDHH ‖ stage.
func payKey(h notices.HourTally) string {
	b := make([]byte, 0, 10+len(h.Stage))
	b = appendDigits(b, h.Date.Year, 4)
	b = appendDigits(b, int(h.Date.Month), 2)
	b = appendDigits(b, h.Date.Day, 2)
	b = appendDigits(b, h.Hour, 2)
	return string(append(b, h.Stage...))
}

// appendDigits appends v in decimal, zero-padded to width digits, as
// fmt's %0Nd does (negative and wider values included).
func appendDigits(b []byte, v, width int) []byte {
	if v < 0 {
		return fmt.Appendf(b, "%0*d", width, v)
	}
	var d [20]byte
	i := len(d)
	for v >= 10 {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
	}
	i--
	d[i] = byte('0' + v)
	for n := len(d) - i; n < width; n++ {
		b = append(b, '0')
	}
	return append(b, d[i:]...)
}

// addPayment counts a receipt's hour in acc.
func (t tallies) addPayment(h notices.HourTally) {
	k := payKey(h)
	v := t[k]
	t[k] = [2]int64{v[0] + h.Payments, v[1] + h.Cents}
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
func (t tallies) flush(tx *bolt.Tx) error { return t.flushTo(tx.Bucket(bktTallies)) }

func (t tallies) flushTo(b *bolt.Bucket) error {
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
	for _, name := range [][]byte{bktTallies, bktPayTallies} {
		if tx.Bucket(name) != nil {
			if err := tx.DeleteBucket(name); err != nil {
				return err
			}
		}
		if _, err := tx.CreateBucket(name); err != nil {
			return err
		}
	}
	pay := tallies{}
	rc := tx.Bucket(bktReceipts).Cursor()
	for k, v := rc.First(); k != nil; k, v = rc.Next() {
		r, err := decodeReceipt(v)
		if err != nil {
			return fmt.Errorf("receipt %s: %w", k, err)
		}
		pay.addPayment(notices.ReceiptHour(r))
	}
	if err := pay.flushTo(tx.Bucket(bktPayTallies)); err != nil {
		return err
	}
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

// PaymentTallies calls fn for every hour's payment tally of days from..to.
func (s *Store) PaymentTallies(ctx context.Context, from, to notices.Date, fn func(notices.HourTally)) error {
	const op = "boltdb.PaymentTallies"
	if err := ctx.Err(); err != nil {
		return err
	}
	lo := []byte(fmt.Sprintf("%04d%02d%02d", from.Year, int(from.Month), from.Day))
	hi := []byte(fmt.Sprintf("%04d%02d%02d", to.Year, int(to.Month), to.Day))
	var out []notices.HourTally
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktPayTallies)
		if b == nil {
			return fmt.Errorf("this database has no payment tallies yet: open it writable once")
		}
		c := b.Cursor()
		for k, v := c.Seek(lo); len(k) >= 10 && bytes.Compare(k[:8], hi) <= 0; k, v = c.Next() {
			if len(v) != tallyValueSize {
				return fmt.Errorf("bad payment tally %q", k)
			}
			// A year is up to 26,352 keys: parsed in place, without a
			// string per field.
			y, ok1 := digits(k[:4])
			m, ok2 := digits(k[4:6])
			d, ok3 := digits(k[6:8])
			h, ok4 := digits(k[8:10])
			if !ok1 || !ok2 || !ok3 || !ok4 {
				return fmt.Errorf("bad payment tally %q", k)
			}
			out = append(out, notices.HourTally{Date: notices.Date{Year: y, Month: time.Month(m), Day: d}, Hour: h,
				Stage: stageOf(k[10:]), Payments: int64(binary.BigEndian.Uint64(v)), Cents: int64(binary.BigEndian.Uint64(v[8:]))})
		}
		return nil
	})
	if err != nil {
		return internal(op, err)
	}
	for _, h := range out {
		fn(h)
	}
	return nil
}

// digits reads b as a decimal number; ok is false when b is empty or has
// anything but digits.
func digits(b []byte) (n int, ok bool) {
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(b) > 0
}

// stageOf is notices.Stage(b) without allocating for the known stages.
func stageOf(b []byte) notices.Stage {
	switch string(b) {
	case string(notices.StageReduced):
		return notices.StageReduced
	case string(notices.StageMinimum):
		return notices.StageMinimum
	case string(notices.StageIncreased):
		return notices.StageIncreased
	}
	return notices.Stage(b)
}
