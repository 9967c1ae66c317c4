package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/multa/multa/notices"
)

// RecordPayment settles a fine in ONE transaction: it locks the fine's
// row (SELECT … FOR UPDATE, or, on the fast path of fastpay.go, updates
// it only if unchanged since read), lets the domain decide (Fine.MarkPaid), and
// saves the receipt, the fine's new state, the idempotency record and two
// ledger entries (the receipt, then the fine's new state).
//
// The row lock is what makes a payment exactly-once across processes:
// concurrent payers of one fine, whichever Multa process they reached,
// queue on the lock in PostgreSQL; the first commits; each of the others
// then gets the committed row (read committed re-reads a row it waited
// for) and is refused with EAlreadyPaid and the winner's receipt. A
// unique constraint alone could refuse the second receipt, but not say
// which receipt won, nor tell "paid" from "cancelled"; a serializable
// transaction would make the losers retry. The lock answers them at once.
//
// Errors: EAlreadyPaid (with the receipt that settled the fine),
// EFineCancelled, EFineNotFound, EConflict when the receipt id exists,
// EIdempotencyConflict when p.Idempotency's scope and key are stored with
// another RequestHash (the same hash means this very request already
// succeeded: the fine is then paid, and the call answers EAlreadyPaid).
// A zero Receipt.PaidAt is stamped with the store's clock; an empty
// Receipt.FineID is set to p.FineID.
func (s *Store) RecordPayment(ctx context.Context, p notices.PaymentRecord) (notices.Receipt, error) {
	const op = "postgres.RecordPayment"
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
	actor := notices.ActorOf(ctx)
	// The locked path, when the fast one misses: two round trips per
	// payment in a shared transaction: one batch reads the idempotency
	// record and locks the fine, the other writes the idempotency record,
	// the receipt and the fine. A key or receipt id taken meanwhile fails
	// the second batch, which rolls back to the savepoint; a key taken
	// meanwhile is decided again alone.
	// The fast path (fastpay.go) first: the fine read now, without a
	// lock, and the payment sent with its group in one round trip; the
	// function below runs only when that misses.
	fast := s.preparePayment(ctx, p, r)
	err := s.commits.pay(ctx, func(ctx context.Context, tx pgx.Tx, l *ledgerAppend) error {
		existing = notices.Receipt{}
		b := &pgx.Batch{}
		l.openSavepoint(b)
		var idemDoc, fineDoc []byte
		var prev int64
		if p.Idempotency != nil {
			b.Queue(`SELECT doc FROM idempotency WHERE scope = $1 AND key = $2`, p.Idempotency.Scope, p.Idempotency.Key).
				QueryRow(func(row pgx.Row) error { return noRows(row.Scan(&idemDoc)) })
		}
		b.Queue(`SELECT doc, ledger_entry FROM fines WHERE id = $1 FOR UPDATE`, p.FineID).
			QueryRow(func(row pgx.Row) error { return noRows(row.Scan(&fineDoc, &prev)) })
		err := tx.SendBatch(ctx, b).Close()
		l.spOpen = l.spWanted
		if err != nil {
			return err
		}
		stored, err := decodeIdem(idemDoc)
		if err != nil {
			return err
		}
		if stored != nil && stored.RequestHash != p.Idempotency.RequestHash {
			return domainErr(op, notices.EIdempotencyConflict, "idempotency key %q was used for another request", p.Idempotency.Key)
		}
		if fineDoc == nil {
			return domainErr(op, notices.EFineNotFound, "no fine %s", p.FineID)
		}
		f, err := decodeFine(fineDoc)
		if err != nil {
			return err
		}
		old := f
		if err := f.MarkPaid(r.ID, r.PaidAt); err != nil {
			if notices.ErrorCode(err) == notices.EAlreadyPaid {
				if got, gerr := loadReceipt(ctx, tx, op, f.ReceiptID); gerr == nil {
					existing = got
				} else if notices.ErrorCode(gerr) != notices.EReceiptNotFound {
					return gerr
				}
			}
			return err
		}
		fdoc, err := encodeFine(&f)
		if err != nil {
			return err
		}
		rdoc, err := json.Marshal(&r)
		if err != nil {
			return err
		}
		rn, err := s.add(l, ledgerEvent{Type: evReceipt, ID: r.ID, Op: opCreate, FineID: r.FineID, AmountCents: r.AmountCents}, rdoc)
		if err != nil {
			return err
		}
		fn, err := s.add(l, ledgerEvent{Type: evFine, ID: f.ID, Op: opPay, Status: string(f.Status), By: actor, Prev: &prev}, fdoc)
		if err != nil {
			return err
		}
		b = &pgx.Batch{}
		if p.Idempotency != nil {
			rec := *p.Idempotency
			if rec.CreatedAt.IsZero() {
				rec.CreatedAt = s.now()
			}
			idoc, err := json.Marshal(&rec)
			if err != nil {
				return err
			}
			b.Queue(`INSERT INTO idempotency (scope, key, doc) VALUES ($1, $2, $3)`, rec.Scope, rec.Key, idoc)
		}
		var ppaFC, ppaID *string
		if r.PagoPA != nil {
			ppaFC, ppaID = &r.PagoPA.FiscalCode, &r.PagoPA.ReceiptID
		}
		b.Queue(`INSERT INTO receipts (id, fine_id, paid_at, anomaly, pagopa_fiscal_code, pagopa_receipt_id, ledger_entry, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, r.FineID, nanos(r.PaidAt), string(r.Anomaly), ppaFC, ppaID, rn, rdoc)
		b.Queue(`UPDATE fines SET status = $2, ledger_entry = $3, doc = $4 WHERE id = $1`, f.ID, string(f.Status), fn, fdoc)
		s.tallyChange(nil, &old, &f).queue(b)
		queuePayment(b, &r)
		if !sameNAVs(&old, &f) { // MarkPaid keeps the options; checked all the same
			return fmt.Errorf("paying fine %s changed its notice numbers", f.ID)
		}
		l.releaseSavepoint(b)
		err = tx.SendBatch(ctx, b).Close()
		switch {
		case uniqueViolation(err, "idempotency_pkey"):
			return errIdemRace
		case uniqueViolation(err, "receipts_pkey"):
			return domainErr(op, notices.EConflict, "receipt %s already exists", r.ID)
		case uniqueViolation(err, "receipts_pagopa"):
			return domainErr(op, notices.EConflict, "pagoPA receipt of %s already stored", r.ID)
		case err != nil:
			return err
		}
		l.spOpen = false
		return nil
	}, fast)
	if errors.Is(err, errIdemRace) {
		// The same key was stored by another transaction meanwhile: the
		// non-pipelined path decides again (replay or conflict).
		return s.recordPaymentAlone(ctx, p, r)
	}
	if err != nil {
		if notices.ErrorCode(err) == notices.EAlreadyPaid {
			return existing, err
		}
		return notices.Receipt{}, wrap(op, err)
	}
	return r, nil
}

// errIdemRace means that the payment's idempotency key was stored by
// another transaction between the pipelined read and write.
var errIdemRace = errors.New("idempotency key stored meanwhile")

// recordPaymentAlone is RecordPayment one statement at a time, for the
// rare payment whose key another transaction stored meanwhile: it looks
// the key up again inside its transaction and answers as RecordPayment
// does (EAlreadyPaid for the same request, EIdempotencyConflict for
// another).
func (s *Store) recordPaymentAlone(ctx context.Context, p notices.PaymentRecord, r notices.Receipt) (notices.Receipt, error) {
	const op = "postgres.RecordPayment"
	var existing notices.Receipt
	actor := notices.ActorOf(ctx)
	err := s.commits.update(ctx, func(ctx context.Context, tx pgx.Tx, l *ledgerAppend) error {
		existing = notices.Receipt{}
		if p.Idempotency != nil {
			if _, err := lookupIdem(ctx, tx, op, p.Idempotency); err != nil {
				return err
			}
		}
		f, prev, err := loadFine(ctx, tx, op, p.FineID, true)
		if err != nil {
			return err
		}
		old := f
		if err := f.MarkPaid(r.ID, r.PaidAt); err != nil {
			if notices.ErrorCode(err) == notices.EAlreadyPaid {
				if got, gerr := loadReceipt(ctx, tx, op, f.ReceiptID); gerr == nil {
					existing = got
				} else if notices.ErrorCode(gerr) != notices.EReceiptNotFound {
					return gerr
				}
			}
			return err
		}
		fdoc, err := encodeFine(&f)
		if err != nil {
			return err
		}
		if p.Idempotency != nil {
			if old, err := s.claimIdem(ctx, tx, op, p.Idempotency); err != nil {
				return err
			} else if old != nil { // the same request committed meanwhile
				return domainErr(op, notices.EConflict, "idempotency key %q was used meanwhile", p.Idempotency.Key)
			}
		}
		if err := s.insertReceipt(ctx, tx, l, op, &r); err != nil {
			return err
		}
		return s.saveFine(ctx, tx, l, &old, &f, fdoc, ledgerEvent{Op: opPay, By: actor, Prev: &prev})
	})
	if err != nil {
		if notices.ErrorCode(err) == notices.EAlreadyPaid {
			return existing, err
		}
		return notices.Receipt{}, wrap(op, err)
	}
	return r, nil

}

// insertReceipt queues the ledger record of a new receipt and inserts it
// with its index columns. Errors: EConflict when the receipt id exists.
func (s *Store) insertReceipt(ctx context.Context, tx pgx.Tx, l *ledgerAppend, op string, r *notices.Receipt) error {
	doc, err := json.Marshal(r)
	if err != nil {
		return err
	}
	n, err := s.add(l, ledgerEvent{Type: evReceipt, ID: r.ID, Op: opCreate, FineID: r.FineID, AmountCents: r.AmountCents}, doc)
	if err != nil {
		return err
	}
	var ppaFC, ppaID *string
	if r.PagoPA != nil {
		ppaFC, ppaID = &r.PagoPA.FiscalCode, &r.PagoPA.ReceiptID
	}
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO receipts (id, fine_id, paid_at, anomaly, pagopa_fiscal_code, pagopa_receipt_id, ledger_entry, doc)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, r.ID, r.FineID, nanos(r.PaidAt), string(r.Anomaly), ppaFC, ppaID, n, doc)
	queuePayment(b, r)
	err = tx.SendBatch(ctx, b).Close()
	switch {
	case uniqueViolation(err, "receipts_pkey"):
		return domainErr(op, notices.EConflict, "receipt %s already exists", r.ID)
	case uniqueViolation(err, "receipts_pagopa"):
		return errPagoPARace
	}
	return err
}

// errPagoPARace means that another transaction stored the same pagoPA
// receipt between our check and our insert (possible only when the two
// name different fines, since both lock the fine): RecordReceipt runs
// again, and then finds it.
var errPagoPARace = errors.New("the same pagoPA receipt was stored meanwhile")

// RecordReceipt stores a receipt that arrived from a pagoPA channel in one
// transaction: it locks the fine's row (so that it sees, and is seen by,
// every payment of the fine whichever process takes it), looks the pagoPA
// receipt up (the same creditor fiscal code and receiptId seen before
// writes nothing and returns the stored receipt, duplicate true), lets the
// domain decide (Fine.Settle), and saves the receipt with its ledger entry,
// then the fine's new state and its entry when the receipt settled it. The
// unique index on the pagoPA receipt is the backstop across fines.
//
// A zero PaidAt is stamped with the store's clock; an empty Channel
// becomes PaidViaPagoPA when PagoPA is set. Errors: EFineNotFound,
// EValidation, EConflict (the receipt id exists).
func (s *Store) RecordReceipt(ctx context.Context, r notices.Receipt) (notices.Receipt, bool, error) {
	const op = "postgres.RecordReceipt"
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
	var out notices.Receipt
	var dup bool
	var err error
	actor := notices.ActorOf(ctx)
	for attempt := 0; attempt < 2; attempt++ {
		err = s.commits.update(ctx, func(ctx context.Context, tx pgx.Tx, l *ledgerAppend) error {
			out, dup = r, false
			f, prev, err := loadFine(ctx, tx, op, r.FineID, true)
			if err != nil {
				return err
			}
			if r.PagoPA != nil {
				var doc []byte
				err := tx.QueryRow(ctx, `SELECT doc FROM receipts WHERE pagopa_fiscal_code = $1 AND pagopa_receipt_id = $2`,
					r.PagoPA.FiscalCode, r.PagoPA.ReceiptID).Scan(&doc)
				if err == nil {
					dup = true
					return json.Unmarshal(doc, &out)
				}
				if !errors.Is(err, pgx.ErrNoRows) {
					return err
				}
			}
			old := f
			settles := f.Settle(&out)
			if err := s.insertReceipt(ctx, tx, l, op, &out); err != nil {
				return err
			}
			if settles {
				fdoc, err := encodeFine(&f)
				if err != nil {
					return err
				}
				if err := s.saveFine(ctx, tx, l, &old, &f, fdoc, ledgerEvent{Op: opPay, By: actor, Prev: &prev}); err != nil {
					return err
				}
			}
			return nil
		})
		if !errors.Is(err, errPagoPARace) {
			break
		}
	}
	if err != nil {
		return notices.Receipt{}, false, wrap(op, err)
	}
	return out, dup, nil
}

// ReceiptsOfFine returns every receipt of a fine in order of payment: the
// one that settled it and any that arrived after. Errors: EFineNotFound.
func (s *Store) ReceiptsOfFine(ctx context.Context, fineID string) ([]notices.Receipt, error) {
	const op = "postgres.ReceiptsOfFine"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.Receipt
	err := s.inTx(ctx, snapshotTx, func(tx pgx.Tx) error {
		if _, _, err := loadFine(ctx, tx, op, fineID, false); err != nil {
			return err
		}
		var err error
		out, err = queryReceipts(ctx, tx, `SELECT doc FROM receipts WHERE fine_id = $1 ORDER BY paid_at, id`, fineID)
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Anomalies returns every receipt flagged with an anomaly, in order of
// payment.
func (s *Store) Anomalies(ctx context.Context) ([]notices.Receipt, error) {
	const op = "postgres.Anomalies"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.Receipt
	err := s.retryRead(ctx, func() error {
		var err error
		out, err = queryReceipts(ctx, s.pool, `SELECT doc FROM receipts WHERE anomaly <> '' ORDER BY paid_at, id`)
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// queryReceipts decodes the receipt documents a query returns.
func queryReceipts(ctx context.Context, q querier, sql string, args ...any) ([]notices.Receipt, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []notices.Receipt
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return nil, err
		}
		var r notices.Receipt
		if err := json.Unmarshal(doc, &r); err != nil {
			return nil, fmt.Errorf("decode receipt: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// loadReceipt reads a receipt in q. Errors: EReceiptNotFound.
func loadReceipt(ctx context.Context, q querier, op, id string) (notices.Receipt, error) {
	var doc []byte
	err := q.QueryRow(ctx, `SELECT doc FROM receipts WHERE id = $1`, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return notices.Receipt{}, domainErr(op, notices.EReceiptNotFound, "no receipt %s", id)
	}
	if err != nil {
		return notices.Receipt{}, err
	}
	var r notices.Receipt
	if err := json.Unmarshal(doc, &r); err != nil {
		return notices.Receipt{}, fmt.Errorf("decode receipt %s: %w", id, err)
	}
	return r, nil
}

// Receipt returns a receipt by id. Errors: EReceiptNotFound.
func (s *Store) Receipt(ctx context.Context, id string) (notices.Receipt, error) {
	const op = "postgres.Receipt"
	if err := ctx.Err(); err != nil {
		return notices.Receipt{}, err
	}
	var r notices.Receipt
	err := s.retryRead(ctx, func() error {
		var err error
		r, err = loadReceipt(ctx, s.pool, op, id)
		return err
	})
	if err != nil {
		return notices.Receipt{}, wrap(op, err)
	}
	return r, nil
}

// Receipts returns the receipts paid on Rome days from..to inclusive, in
// order of payment (ties by id).
func (s *Store) Receipts(ctx context.Context, from, to notices.Date) ([]notices.Receipt, error) {
	const op = "postgres.Receipts"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if from.IsZero() || to.IsZero() {
		return nil, domainErr(op, notices.EValidation, "receipts need a from and a to day")
	}
	var out []notices.Receipt
	err := s.retryRead(ctx, func() error {
		var err error
		out, err = queryReceipts(ctx, s.pool, `SELECT doc FROM receipts WHERE paid_at >= $1 AND paid_at < $2 ORDER BY paid_at, id`,
			nanos(from.Start()), nanos(to.AddDays(1).Start()))
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// Idempotency returns the stored answer for scope and key, or nil (and
// no error) when there is none.
func (s *Store) Idempotency(ctx context.Context, scope, key string) (*notices.Idempotent, error) {
	const op = "postgres.Idempotency"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var rec *notices.Idempotent
	err := s.retryRead(ctx, func() error {
		var err error
		rec, err = readIdem(ctx, s.pool, scope, key)
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return rec, nil
}

func readIdem(ctx context.Context, q querier, scope, key string) (*notices.Idempotent, error) {
	var doc []byte
	err := q.QueryRow(ctx, `SELECT doc FROM idempotency WHERE scope = $1 AND key = $2`, scope, key).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeIdem(doc)
}

// decodeIdem decodes a stored idempotency record; a nil doc (none
// stored, as a LEFT JOIN gives) is a nil record.
func decodeIdem(doc []byte) (*notices.Idempotent, error) {
	if doc == nil {
		return nil, nil
	}
	rec := new(notices.Idempotent)
	if err := json.Unmarshal(doc, rec); err != nil {
		return nil, fmt.Errorf("decode idempotency record: %w", err)
	}
	return rec, nil
}

// lookupIdem returns the stored record for idem's scope and key when it
// carries the same request hash (a replay), nil when there is none, and
// EIdempotencyConflict when the key was used for another request.
func lookupIdem(ctx context.Context, q querier, op string, idem *notices.Idempotent) (*notices.Idempotent, error) {
	old, err := readIdem(ctx, q, idem.Scope, idem.Key)
	if err != nil || old == nil {
		return nil, err
	}
	if old.RequestHash != idem.RequestHash {
		return nil, domainErr(op, notices.EIdempotencyConflict, "idempotency key %q was used for another request", idem.Key)
	}
	return old, nil
}

// claimIdem inserts an idempotency record unless its scope and key are
// taken. The insert waits for a concurrent transaction holding the same
// key, so of two at once exactly one claims it; the other gets the
// committed record (same hash: a replay) or EIdempotencyConflict.
func (s *Store) claimIdem(ctx context.Context, tx pgx.Tx, op string, idem *notices.Idempotent) (*notices.Idempotent, error) {
	rec := *idem
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = s.now()
	}
	doc, err := json.Marshal(&rec)
	if err != nil {
		return nil, err
	}
	tag, err := tx.Exec(ctx, `INSERT INTO idempotency (scope, key, doc) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, rec.Scope, rec.Key, doc)
	if err != nil {
		return nil, err
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	old, err := lookupIdem(ctx, tx, op, idem)
	if err == nil && old == nil {
		err = fmt.Errorf("idempotency key %q neither free nor stored", idem.Key)
	}
	return old, err
}
