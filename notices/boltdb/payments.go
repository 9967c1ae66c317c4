package boltdb

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"

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
	var existing notices.Receipt
	err := s.commits.update(func(tx *bolt.Tx) error {
		existing = notices.Receipt{}
		if p.Idempotency != nil {
			if _, err := lookupIdem(tx, op, p.Idempotency); err != nil {
				return err
			}
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
				}
			}
			return err
		}
		receipts := tx.Bucket(bktReceipts)
		if receipts.Get([]byte(r.ID)) != nil {
			return domainErr(op, notices.EConflict, "receipt %s already exists", r.ID)
		}
		n := nextEntry(tx)
		if err := s.putReceipt(tx, &r, n); err != nil {
			return err
		}
		if p.Idempotency != nil {
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
		receipts := tx.Bucket(bktReceipts)
		c := tx.Bucket(bktReceiptPaid).Cursor()
		for k, _ := c.Seek(lo[:]); len(k) > 8 && bytes.Compare(k[:8], hi[:]) < 0; k, _ = c.Next() {
			v := receipts.Get(k[8:])
			if v == nil {
				continue
			}
			r, err := decodeReceipt(v)
			if err != nil {
				return err
			}
			out = append(out, r)
			if len(out)&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
		}
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
		v := tx.Bucket(bktIdempotency).Get(idemKey(scope, key))
		if v == nil {
			return nil
		}
		var err error
		rec, err = decodeIdem(v)
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
	if old.RequestHash != idem.RequestHash {
		return nil, domainErr(op, notices.EIdempotencyConflict,
			"idempotency key %q was used for another request", idem.Key)
	}
	return old, nil
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
