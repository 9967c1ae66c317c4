package boltdb

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// RecordPayment settles a fine in ONE bbolt write transaction: it loads
// the fine, lets the domain decide (Fine.MarkPaid), and saves the fine,
// the receipt, its paid-time index entry, the idempotency record and two
// ledger entries (the receipt, then the fine's new state). bbolt runs one
// writer at a time, so of any number of concurrent payments of one fine
// exactly one commits; the others see it paid.
//
// It goes through the store's group commit (groupcommit.go): a payment
// made while no commit runs commits at once, alone; on a deadline-day
// peak, the payments arriving during one commit share the next one and
// its fsync, which triples the durable rate (BenchmarkStoreRecordPayment)
// without db.Batch's delay, which cost every lone payment. The function
// may run more than once (a failing call is taken out of its group and
// re-run alone), which is safe because it derives everything from the
// transaction; existing, its only result outside it, is reset on every
// run. Nothing returns before its commit is on disk.
//
// Errors: EAlreadyPaid, returned together with the receipt that settled
// the fine; EFineCancelled; EFineNotFound; EConflict when the receipt id
// exists; EIdempotencyConflict when p.Idempotency's scope and key are
// stored with another RequestHash. A stored record with the same hash
// means this very request already succeeded: the fine is then paid, the
// call answers EAlreadyPaid, and the caller replays the stored record.
// A zero Receipt.PaidAt is stamped with the store's clock; an empty
// Receipt.FineID is set to p.FineID.
func (s *Store) RecordPayment(ctx context.Context, p notices.PaymentRecord) (notices.Receipt, error) {
	const op = "boltdb.RecordPayment"
	if err := ctx.Err(); err != nil {
		return notices.Receipt{}, err
	}
	r, derr := p.CheckedReceipt()
	if derr != nil {
		derr.Op = op
		return notices.Receipt{}, derr
	}
	if r.PaidAt.IsZero() {
		r.PaidAt = s.now()
	}
	// The idempotency record goes into the receipt when its scope is the
	// payment service's "payment:<fine id>" and it names this receipt
	// (paymentIdem); other records stay in the idempotency bucket.
	var inReceipt *receiptIdem
	if p.Idempotency != nil && p.Idempotency.Scope == paymentScope(p.FineID) && p.Idempotency.ResourceID == r.ID {
		inReceipt = &receiptIdem{Key: p.Idempotency.Key, RequestHash: p.Idempotency.RequestHash, CreatedAt: p.Idempotency.CreatedAt}
		if inReceipt.CreatedAt.IsZero() {
			inReceipt.CreatedAt = s.now()
		}
	}
	pre := s.preparePayment(p.FineID, &r)
	var existing notices.Receipt
	err := s.commits.update(func(tx *bolt.Tx) error {
		existing = notices.Receipt{}
		if p.Idempotency != nil {
			if _, err := lookupIdem(tx, op, p.Idempotency); err != nil {
				return err
			}
		}
		if pre != nil && pre.current(tx) {
			return s.savePrepared(ctx, tx, pre, &r, p.Idempotency, inReceipt)
		}
		f, oldVal, err := s.loadFine(tx, op, p.FineID)
		if err != nil {
			return err
		}
		old := f
		prev, hasPrev := valueEntry(oldVal)
		if err := f.MarkPaid(r.ID, r.PaidAt); err != nil {
			if notices.ErrorCode(err) == notices.EAlreadyPaid {
				if v := tx.Bucket(bktReceipts).Get([]byte(f.ReceiptID)); v != nil {
					var derr error
					if existing, derr = decodeReceipt(v); derr != nil {
						return derr
					}
					// The key may have paid this fine, its record in the receipt.
					if p.Idempotency != nil && p.Idempotency.Scope == paymentScope(p.FineID) {
						if _, err := checkIdem(op, p.Idempotency, paymentIdem(p.Idempotency.Scope, p.Idempotency.Key, f.ReceiptID, v)); err != nil {
							return err
						}
					}
				}
			}
			return err
		}
		receipts := tx.Bucket(bktReceipts)
		if receipts.Get([]byte(r.ID)) != nil {
			return domainErr(op, notices.EConflict, "receipt %s already exists", r.ID)
		}
		n := nextEntry(tx)
		if err := s.putReceipt(tx, &r, n, true, inReceipt); err != nil {
			return err
		}
		if p.Idempotency != nil && inReceipt == nil {
			if err := s.putIdem(tx, p.Idempotency); err != nil {
				return err
			}
		}
		fv, err := s.encodeFine(tx, &f, n+1)
		if err != nil {
			return err
		}
		return s.saveFine(tx, &old, &f, fv, n+1, ledgerEvent{Op: opPay, By: notices.ActorOf(ctx), Prev: entryRef(prev, hasPrev)})
	})
	if err != nil {
		if notices.ErrorCode(err) == notices.EAlreadyPaid {
			return existing, err
		}
		return notices.Receipt{}, internal(op, err)
	}
	return r, nil
}

// Receipt returns a receipt by id. Errors: EReceiptNotFound.
func (s *Store) Receipt(ctx context.Context, id string) (notices.Receipt, error) {
	const op = "boltdb.Receipt"
	if err := ctx.Err(); err != nil {
		return notices.Receipt{}, err
	}
	var r notices.Receipt
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktReceipts).Get([]byte(id))
		if v == nil {
			return domainErr(op, notices.EReceiptNotFound, "no receipt %s", id)
		}
		var err error
		r, err = decodeReceipt(v)
		return err
	})
	if err != nil {
		return notices.Receipt{}, internal(op, err)
	}
	return r, nil
}

// Receipts returns the receipts paid on Rome days from..to inclusive, in
// order of payment, from the paid-time index (a day is a key range, so
// the cost is the size of the answer, not of the database).
func (s *Store) Receipts(ctx context.Context, from, to notices.Date) ([]notices.Receipt, error) {
	const op = "boltdb.Receipts"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if from.IsZero() || to.IsZero() {
		return nil, domainErr(op, notices.EValidation, "receipts need a from and a to day")
	}
	lo, hi := timeKey(from.Start()), timeKey(to.AddDays(1).Start())
	var out []notices.Receipt
	err := s.db.View(func(tx *bolt.Tx) error {
		// The ids first, so that the answer is allocated once (a day is
		// thousands of receipts of a few hundred bytes each, which a
		// growing slice copied again and again), then looked up in the
		// order of the receipts bucket with one cursor: pages of the
		// bucket are visited once each, in order, rather than at random
		// (a pagoPA receipt's id is random), and Bucket.Get no longer
		// makes a cursor per receipt.
		type at struct {
			id  []byte
			pos int
		}
		var ids []at
		c := tx.Bucket(bktReceiptPaid).Cursor()
		for k, _ := c.Seek(lo[:]); len(k) > 8 && bytes.Compare(k[:8], hi[:]) < 0; k, _ = c.Next() {
			ids = append(ids, at{k[8:], len(ids)})
		}
		slices.SortFunc(ids, func(a, b at) int { return bytes.Compare(a.id, b.id) })
		out = make([]notices.Receipt, len(ids))
		found := make([]bool, len(ids))
		rc := tx.Bucket(bktReceipts).Cursor()
		for i, a := range ids {
			k, v := rc.Seek(a.id)
			if v == nil || !bytes.Equal(k, a.id) {
				continue
			}
			r, err := decodeReceipt(v)
			if err != nil {
				return err
			}
			out[a.pos], found[a.pos] = r, true
			if i&1023 == 1023 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
		n := 0 // an index entry without its receipt is skipped
		for i := range out {
			if found[i] {
				out[n] = out[i]
				n++
			}
		}
		out = out[:n]
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// Idempotency returns the stored answer for scope and key, or nil (and
// no error) when there is none.
func (s *Store) Idempotency(ctx context.Context, scope, key string) (*notices.Idempotent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rec *notices.Idempotent
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = findIdem(tx, scope, key)
		return err
	})
	if err != nil {
		return nil, internal("boltdb.Idempotency", err)
	}
	return rec, nil
}

// lookupIdem returns the stored record for idem's scope and key when it
// carries the same request hash (a replay), nil when there is none, and
// EIdempotencyConflict when the key was used for another request.
func lookupIdem(tx *bolt.Tx, op string, idem *notices.Idempotent) (*notices.Idempotent, error) {
	v := tx.Bucket(bktIdempotency).Get(idemKey(idem.Scope, idem.Key))
	if v == nil {
		return nil, nil
	}
	old, err := decodeIdem(v)
	if err != nil {
		return nil, err
	}
	return checkIdem(op, idem, old)
}

// checkIdem compares a request with the stored record of its key (nil:
// none): the record when the request hashes the same, EIdempotencyConflict
// when not.
func checkIdem(op string, idem, old *notices.Idempotent) (*notices.Idempotent, error) {
	if old == nil {
		return nil, nil
	}
	if old.RequestHash != idem.RequestHash {
		return nil, domainErr(op, notices.EIdempotencyConflict,
			"idempotency key %q was used for another request", idem.Key)
	}
	return old, nil
}

// findIdem returns the stored record for scope and key, from the
// idempotency bucket or, for a card payment's scope, from the receipt of
// the fine it names (paymentIdem); nil when there is none.
func findIdem(tx *bolt.Tx, scope, key string) (*notices.Idempotent, error) {
	if v := tx.Bucket(bktIdempotency).Get(idemKey(scope, key)); v != nil {
		return decodeIdem(v)
	}
	fineID, ok := strings.CutPrefix(scope, paymentScopePrefix)
	if !ok {
		return nil, nil
	}
	fv := tx.Bucket(bktFines).Get([]byte(fineID))
	if fv == nil {
		return nil, nil
	}
	// Most look-ups are of a new payment's key, on an unpaid fine: its
	// stored value names no receipt, and nothing is decoded.
	rid, ok := rawString(fv, `"rc":"`)
	if !ok {
		return nil, nil
	}
	rv := tx.Bucket(bktReceipts).Get([]byte(rid))
	if rv == nil {
		return nil, nil
	}
	return paymentIdem(scope, key, rid, rv), nil
}

// paymentScopePrefix starts the idempotency scope of a card payment, as
// payment.PayByCard writes it: "payment:" and the fine's id.
const paymentScopePrefix = "payment:"

// paymentScope is the idempotency scope of a card payment of fineID.
func paymentScope(fineID string) string { return paymentScopePrefix + fineID }

// paymentIdem is the idempotency record for scope and key kept in the
// stored receipt rv (id rid), or nil when rv keeps none, or one for
// another key or fine. RecordPayment stores a payment's record there when
// its scope is paymentScope(fine id): a payment writes its receipt anyway,
// at the end of the receipts bucket (time-sortable ids), while a record
// of its own went to a random page of the idempotency bucket, about two
// pages written per payment at 64 concurrent payers, branch pages
// included. The fine leads to its receipt (Fine.ReceiptID), so the look-up
// by scope and key stays exact: a key that did not pay the fine finds a
// record with another key, or none. Records stored before, and those of
// other scopes, stay in the bucket, which is read first.
func paymentIdem(scope, key, rid string, rv []byte) *notices.Idempotent {
	var v struct {
		FineID string       `json:"fineId"`
		Idem   *receiptIdem `json:"idem"`
	}
	if jsonv2.Unmarshal(rv, &v) != nil || v.Idem == nil || v.Idem.Key != key || paymentScope(v.FineID) != scope {
		return nil
	}
	return &notices.Idempotent{Scope: scope, Key: key, RequestHash: v.Idem.RequestHash, ResourceID: rid, CreatedAt: v.Idem.CreatedAt}
}

// putIdem stores an idempotency record, stamping it when unstamped.
func (s *Store) putIdem(tx *bolt.Tx, idem *notices.Idempotent) error {
	rec := *idem
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = s.now()
	}
	b, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	return tx.Bucket(bktIdempotency).Put(idemKey(rec.Scope, rec.Key), b)
}

// decodeIdem reads a stored idempotency record. Records written before
// answers were kept by resource id held the HTTP status and body of the
// first answer instead; their resource is the receipt or fine that body
// names, so they still replay.
func decodeIdem(v []byte) (*notices.Idempotent, error) {
	var rec struct {
		notices.Idempotent
		Body []byte `json:"body"` // base64 in the JSON, as []byte marshals
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("decode idempotency record: %w", err)
	}
	if rec.ResourceID == "" && len(rec.Body) > 0 {
		var named struct {
			ReceiptID string `json:"receiptId"`
			ID        string `json:"id"`
		}
		if json.Unmarshal(rec.Body, &named) == nil {
			rec.ResourceID = cmp.Or(named.ReceiptID, named.ID)
		}
	}
	return &rec.Idempotent, nil
}
