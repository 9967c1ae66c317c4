package postgres

import (
	"context"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/multa/multa/notices"
)

// RecordCart settles every fine of a cart in ONE transaction. It first
// locks the rows of all the cart's fines in id order (two carts sharing
// fines then queue instead of deadlocking), then, fine by fine, lets the
// domain decide (Fine.MarkPaid) and queues the receipt and the fine's new
// state with their ledger records; the cart's idempotency record is
// claimed last. The first fine that cannot be paid rolls everything back,
// so a cart is paid whole or not at all, whichever process takes it.
//
// Errors: as boltdb.Store.RecordCart.
func (s *Store) RecordCart(ctx context.Context, c notices.CartRecord) ([]notices.Receipt, error) {
	const op = "postgres.RecordCart"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rs, err := notices.CheckCart(c, s.now())
	if err != nil {
		return nil, wrap(op, err)
	}
	ids := make([]string, len(rs))
	for i, r := range rs {
		ids[i] = r.FineID
	}
	slices.Sort(ids)
	err = s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		if c.Idempotency != nil {
			if _, err := lookupIdem(ctx, tx, op, c.Idempotency); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `SELECT id FROM fines WHERE id = ANY($1) ORDER BY id FOR UPDATE`, ids); err != nil {
			return err
		}
		l := beginAppend()
		for i := range rs {
			r := &rs[i]
			f, prev, err := loadFine(ctx, tx, op, r.FineID, true)
			if err != nil {
				return err
			}
			old := f
			if err := f.MarkPaid(r.ID, r.PaidAt); err != nil {
				return notices.CartRefusal(err, &f)
			}
			doc, err := encodeFine(&f)
			if err != nil {
				return err
			}
			if err := s.insertReceipt(ctx, tx, l, op, r); err != nil {
				return err
			}
			if err := s.saveFine(ctx, tx, l, &old, &f, doc, ledgerEvent{Op: opPay, By: notices.ActorOf(ctx), Prev: &prev}); err != nil {
				return err
			}
		}
		if c.Idempotency != nil {
			idem := *c.Idempotency
			if idem.ResourceID == "" {
				idem.ResourceID = strings.Join(notices.ReceiptIDs(rs), ",")
			}
			if old, err := s.claimIdem(ctx, tx, op, &idem); err != nil {
				return err
			} else if old != nil {
				return domainErr(op, notices.EConflict, "idempotency key %q was used meanwhile", idem.Key)
			}
		}
		return s.flush(ctx, tx, l)
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return rs, nil
}
