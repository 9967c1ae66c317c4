package boltdb

import (
	"context"
	"strings"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// RecordCart settles every fine of a cart in ONE bbolt write transaction:
// for each fine in turn it lets the domain decide (Fine.MarkPaid) and
// writes the receipt and the fine's new state with their ledger entries,
// then the cart's idempotency record. The first fine that cannot be paid
// aborts the transaction, so a cart is paid whole or not at all; bbolt's
// single writer makes concurrent carts that share a fine pay it once.
//
// Errors: those of RecordPayment for the first fine refused, with
// Details fineId (and receiptId when it was already paid); EValidation
// for an empty cart, a fine twice, or a receipt that does not name its
// fine; EIdempotencyConflict.
func (s *Store) RecordCart(ctx context.Context, c notices.CartRecord) ([]notices.Receipt, error) {
	const op = "boltdb.RecordCart"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rs, err := notices.CheckCart(c, s.now())
	if err != nil {
		return nil, internal(op, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		if c.Idempotency != nil {
			if _, err := lookupIdem(tx, op, c.Idempotency); err != nil {
				return err
			}
		}
		for i := range rs {
			r := &rs[i]
			f, oldVal, err := s.loadFine(tx, op, r.FineID)
			if err != nil {
				return err
			}
			old := f
			prev, hasPrev := valueEntry(oldVal)
			if err := f.MarkPaid(r.ID, r.PaidAt); err != nil {
				return notices.CartRefusal(err, &f)
			}
			if tx.Bucket(bktReceipts).Get([]byte(r.ID)) != nil {
				return domainErr(op, notices.EConflict, "receipt %s already exists", r.ID)
			}
			n := nextEntry(tx)
			if err := s.putReceipt(tx, r, n, f.ReceiptID == r.ID, nil); err != nil {
				return err
			}
			fv, err := s.encodeFine(tx, &f, n+1)
			if err != nil {
				return err
			}
			if err := s.saveFine(tx, &old, &f, fv, n+1, ledgerEvent{Op: opPay, By: notices.ActorOf(ctx), Prev: entryRef(prev, hasPrev)}); err != nil {
				return err
			}
		}
		if c.Idempotency != nil {
			idem := *c.Idempotency
			if idem.ResourceID == "" {
				idem.ResourceID = strings.Join(notices.ReceiptIDs(rs), ",")
			}
			return s.putIdem(tx, &idem)
		}
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	return rs, nil
}
