package boltdb

import (
	"bytes"
	"context"
	"encoding/binary"
	"slices"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// RecordReceipt stores a receipt that arrived from a pagoPA channel in ONE
// transaction, through the group commit like RecordPayment: it looks the
// pagoPA receipt up first (the same creditor fiscal code and receiptId
// seen before writes nothing and returns the stored receipt, duplicate
// true), loads the fine, lets the domain decide (Fine.Settle), and saves
// the receipt with its indexes and ledger entry, then the fine's new state
// and its ledger entry when the receipt settled it. A receipt that does not
// settle (double payment, paid after cancellation) leaves the fine as it
// is and is indexed as an anomaly. Deciding the duplicate inside the
// transaction is what makes two processes, or two goroutines, sending the
// same receipt give one record: bbolt runs one writer at a time.
//
// A zero PaidAt is stamped with the store's clock; an empty Channel
// becomes PaidViaPagoPA when PagoPA is set. Errors: EFineNotFound,
// EValidation, EConflict (the receipt id exists).
func (s *Store) RecordReceipt(ctx context.Context, r notices.Receipt) (notices.Receipt, bool, error) {
	const op = "boltdb.RecordReceipt"
	if err := ctx.Err(); err != nil {
		return notices.Receipt{}, false, err
	}
	switch {
	case r.ID == "" || len(r.ID) > 64:
		return notices.Receipt{}, false, domainErr(op, notices.EValidation, "a receipt needs an id of 1 to 64 characters")
	case r.FineID == "":
		return notices.Receipt{}, false, domainErr(op, notices.EValidation, "the receipt must name the fine it pays")
	case r.AmountCents <= 0:
		return notices.Receipt{}, false, domainErr(op, notices.EValidation, "a receipt needs a positive amount")
	case r.PagoPA != nil && (r.PagoPA.FiscalCode == "" || r.PagoPA.ReceiptID == ""):
		return notices.Receipt{}, false, domainErr(op, notices.EValidation, "a pagoPA receipt needs the creditor fiscal code and its receiptId")
	}
	if r.PaidAt.IsZero() {
		r.PaidAt = s.now()
	}
	if r.Channel == "" && r.PagoPA != nil {
		r.Channel = notices.PaidViaPagoPA
	}
	in := r
	var out notices.Receipt
	var dup bool
	err := s.commits.update(func(tx *bolt.Tx) error {
		out, dup = in, false // the function may run again: derive all from tx
		if in.PagoPA != nil {
			if id := tx.Bucket(bktReceiptPPA).Get(pagoPAKey(in.PagoPA)); id != nil {
				v := tx.Bucket(bktReceipts).Get(id)
				if v == nil {
					return domainErr(op, notices.EInternal, "pagoPA receipt %s names missing receipt %s", in.PagoPA.ReceiptID, id)
				}
				stored, err := decodeReceipt(v)
				if err != nil {
					return err
				}
				out, dup = stored, true
				return nil
			}
		}
		f, oldVal, err := s.loadFine(tx, op, in.FineID)
		if err != nil {
			return err
		}
		prev, hasPrev := valueEntry(oldVal)
		receipts := tx.Bucket(bktReceipts)
		if receipts.Get([]byte(out.ID)) != nil {
			return domainErr(op, notices.EConflict, "receipt %s already exists", out.ID)
		}
		old := f
		settles := f.Settle(&out)
		n := nextEntry(tx)
		if err := s.putReceipt(tx, &out, n, f.ReceiptID == out.ID, nil); err != nil {
			return err
		}
		if !settles {
			return nil
		}
		fv, err := s.encodeFine(tx, &f, n+1)
		if err != nil {
			return err
		}
		return s.saveFine(tx, &old, &f, fv, n+1, ledgerEvent{Op: opPay, By: notices.ActorOf(ctx), Prev: entryRef(prev, hasPrev)})
	})
	if err != nil {
		return notices.Receipt{}, false, internal(op, err)
	}
	return out, dup, nil
}

// putReceipt writes a new receipt as ledger record n, with its indexes:
// by payment time, by fine, by pagoPA receipt and among anomalies; idem
// is its payment's idempotency record, kept in the receipt (or nil).
//
// A receipt that settles its fine (settles: the fine's ReceiptID names it,
// in the same transaction) gets no receipts.fine entry: the fine already
// leads to it, and ReceiptsOfFine reads both. That entry's key starts
// with the fine's id, so it landed on a random page of the index, about
// one and a half pages written per payment at 64 concurrent payers
// (branch pages included) for nothing. Receipts that do not settle
// (double payments, paid after cancellation) are indexed as before.
func (s *Store) putReceipt(tx *bolt.Tx, r *notices.Receipt, n int64, settles bool, idem *receiptIdem) error {
	rv, err := encodeReceipt(r, n, idem)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bktReceipts).Put([]byte(r.ID), rv); err != nil {
		return err
	}
	pay := tallies{}
	pay.addPayment(notices.ReceiptHour(*r))
	if err := pay.flushTo(tx.Bucket(bktPayTallies)); err != nil {
		return err
	}
	paid := tx.Bucket(bktReceiptPaid)
	paid.FillPercent = timeIndexFill // payments arrive in time order
	if err := paid.Put(indexKey(nil, r.PaidAt, r.ID), nil); err != nil {
		return err
	}
	if !settles {
		if err := tx.Bucket(bktReceiptFine).Put(indexKey(finePrefix(r.FineID), r.PaidAt, r.ID), nil); err != nil {
			return err
		}
	}
	if r.PagoPA != nil {
		if err := tx.Bucket(bktReceiptPPA).Put(pagoPAKey(r.PagoPA), []byte(r.ID)); err != nil {
			return err
		}
	}
	if r.Anomaly != notices.AnomalyNone {
		if err := tx.Bucket(bktReceiptAnom).Put(indexKey(nil, r.PaidAt, r.ID), nil); err != nil {
			return err
		}
	}
	return s.appendLedger(tx, n, ledgerEvent{Type: evReceipt, ID: r.ID, Op: opCreate, FineID: r.FineID, AmountCents: r.AmountCents}, rv)
}

// finePrefix ends with 0x00, which no fine id (hex) contains.
func finePrefix(fineID string) []byte { return append([]byte(fineID), 0) }

// pagoPAKey identifies a pagoPA receipt: receiptId is unique per creditor,
// so the creditor's fiscal code comes first, length-prefixed so that no
// pair of values can collide with another.
func pagoPAKey(p *notices.PagoPAReceipt) []byte {
	k := binary.AppendUvarint(nil, uint64(len(p.FiscalCode)))
	k = append(k, p.FiscalCode...)
	return append(k, p.ReceiptID...)
}

// ReceiptsOfFine returns every receipt of a fine in order of payment: the
// one that settled it (Fine.ReceiptID) and any that arrived after (double
// payments, paid after cancellation: the receipts.fine index). Errors:
// EFineNotFound.
func (s *Store) ReceiptsOfFine(ctx context.Context, fineID string) ([]notices.Receipt, error) {
	const op = "boltdb.ReceiptsOfFine"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.Receipt
	err := s.db.View(func(tx *bolt.Tx) error {
		out = nil
		f, _, err := s.loadFine(tx, op, fineID)
		if err != nil {
			return err
		}
		receipts := tx.Bucket(bktReceipts)
		seen := map[string]bool{}
		add := func(id []byte) error {
			if seen[string(id)] {
				return nil
			}
			seen[string(id)] = true
			v := receipts.Get(id)
			if v == nil {
				return nil
			}
			r, err := decodeReceipt(v)
			if err != nil {
				return err
			}
			out = append(out, r)
			return nil
		}
		if b := tx.Bucket(bktReceiptFine); b != nil {
			pre := finePrefix(fineID)
			c := b.Cursor()
			for k, _ := c.Seek(pre); k != nil && bytes.HasPrefix(k, pre); k, _ = c.Next() {
				if len(k) > len(pre)+8 {
					if err := add(k[len(pre)+8:]); err != nil {
						return err
					}
				}
			}
		}
		if f.ReceiptID != "" { // the settling receipt: in the index only in older files
			return add([]byte(f.ReceiptID))
		}
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	slices.SortStableFunc(out, func(a, b notices.Receipt) int { return a.PaidAt.Compare(b.PaidAt) })
	return out, nil
}

// Anomalies returns every receipt flagged with an anomaly, in order of
// payment, from their index: they are few, so all of them at once.
func (s *Store) Anomalies(ctx context.Context) ([]notices.Receipt, error) {
	const op = "boltdb.Anomalies"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.Receipt
	err := s.db.View(func(tx *bolt.Tx) error {
		out = nil
		b := tx.Bucket(bktReceiptAnom)
		if b == nil {
			return nil
		}
		receipts := tx.Bucket(bktReceipts)
		return b.ForEach(func(k, _ []byte) error {
			if len(k) <= 8 {
				return nil
			}
			v := receipts.Get(k[8:])
			if v == nil {
				return nil
			}
			r, err := decodeReceipt(v)
			if err != nil {
				return err
			}
			out = append(out, r)
			return ctx.Err()
		})
	})
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}
