package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"
)

// ledgerTables maps each ledger event type to the table whose rows it
// is about (by id); the tables' ids are the events' ids.
var ledgerTables = map[string]string{
	evFine: "fines", evReceipt: "receipts",
	evFlow: "flow_revisions", evFlowWithdraw: "flow_withdrawals", evBank: "bank_statements",
}

// errFound stops a verification once a LedgerError has been recorded.
var errFound = errors.New("found")

// verifyBatch is how many records or hashes one query of VerifyLedger
// reads: large enough that round trips do not dominate, small enough to
// keep memory flat.
const verifyBatch = 5000

// VerifyLedger checks, in one repeatable-read snapshot, what the bbolt
// adapter's VerifyLedger checks, with the same meaning:
//
//  1. the log itself: records numbered 0…size-1 without gaps, every stored
//     hash equal to the one recomputed from the records (an edited record
//     or hash is caught), no hash beyond the last record, a tree hash;
//  2. the data against the log: the latest record about every fine,
//     receipt, flow revision, flow withdrawal and bank statement names the row's ledger entry and carries the SHA-256 of its
//     document as stored (an edited value, a rollback to an older version,
//     a deleted row, a row slipped in without a record are all caught);
//  3. the indexes against the documents: status, plate, time and NAVs of
//     fines, fine and time of receipts (an index edited to hide or show a
//     fine in listings is caught), and of receipts the anomaly flag and
//     the pagoPA receipt (the refund list and the duplicate check). Times are compared to the microsecond,
//     PostgreSQL's precision, with one microsecond of rounding allowed.
//
// It returns nil or an error with code notices.ELedgerMismatch naming the first
// problem found. Memory grows with the log (the recomputed hashes, 64
// bytes per record); everything else is streamed.
func (s *Store) VerifyLedger(ctx context.Context) error {
	const op = "postgres.VerifyLedger"
	var found *LedgerError
	fail := func(le *LedgerError) error { found = le; return errFound }
	err := s.inTx(ctx, snapshotTx, func(tx pgx.Tx) error {
		if err := verifyLog(ctx, tx, fail); err != nil {
			return err
		}
		for _, typ := range []string{evFine, evReceipt, evFlow, evFlowWithdraw, evBank} {
			if err := verifyValues(ctx, tx, typ, ledgerTables[typ], fail); err != nil {
				return err
			}
		}
		if err := verifyIndexes(ctx, tx, fail); err != nil {
			return err
		}
		return verifyPhotos(ctx, tx, fail)
	})
	if found != nil {
		return ledgerErr(op, found)
	}
	return wrap(op, err)
}

// memHashes is a tlog.HashReader over hashes recomputed in memory.
type memHashes []tlog.Hash

func (m memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m)) {
			return nil, fmt.Errorf("ledger hash %d missing", x)
		}
		out[i] = m[x]
	}
	return out, nil
}

// verifyLog recomputes every stored hash from the records and compares.
func verifyLog(ctx context.Context, tx pgx.Tx, fail func(*LedgerError) error) error {
	var size int64
	if err := tx.QueryRow(ctx, `SELECT size FROM ledger_head WHERE id = 1`).Scan(&size); err != nil {
		return err
	}
	var last int64
	err := tx.QueryRow(ctx, `SELECT coalesce(max(n), -1) FROM ledger_records`).Scan(&last)
	if err != nil {
		return err
	}
	if last < size-1 {
		return fail(&LedgerError{Entry: size - 1, Kind: "ledger", Problem: fmt.Sprintf("entry %d is missing (the log was truncated)", size-1)})
	}
	computed := make(memHashes, 0, tlog.StoredHashCount(size))
	n := int64(0)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT n, record, hashes FROM ledger_records WHERE n >= $1 ORDER BY n LIMIT $2`, n, verifyBatch)
		if err != nil {
			return err
		}
		type rec struct {
			n         int64
			b, hashes []byte
		}
		var batch []rec
		for rows.Next() {
			var r rec
			if err := rows.Scan(&r.n, &r.b, &r.hashes); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) == 0 {
			break
		}
		for _, r := range batch {
			if r.n != n || n >= size {
				return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("entry %d is missing or out of place", n)})
			}
			want, err := tlog.StoredHashes(n, r.b, computed)
			if err != nil {
				return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("entry %d: %v", n, err)})
			}
			// The hashes stored with the record must be exactly those its
			// record and the earlier ones give (ledgerhashes.go).
			if !bytes.Equal(r.hashes, hashRow(want)) {
				return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("entry %d does not match its stored hashes (record or hashes altered)", n)})
			}
			computed = append(computed, want...)
			var ev ledgerEvent
			if err := json.Unmarshal(r.b, &ev); err != nil || ledgerTables[ev.Type] == "" {
				return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("entry %d is not a ledger event", n)})
			}
			n++
		}
	}
	if n != size {
		return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("has %d entries, its size says %d", n, size)})
	}
	if _, err := tlog.TreeHash(size, computed); err != nil {
		return fail(&LedgerError{Entry: size - 1, Kind: "ledger", Problem: err.Error()})
	}
	return nil
}

// verifyValues checks every row of table against the latest ledger
// record about it, and every record's object against the table, in two
// set-based queries whose rows are the problems (none when all is well).
func verifyValues(ctx context.Context, tx pgx.Tx, typ, table string, fail func(*LedgerError) error) error {
	// The latest record about each object, and the record each row names.
	q := firstProblem(`WITH ev AS (
			SELECT n, convert_from(record, 'UTF8')::jsonb AS e FROM ledger_records),
		latest AS (
			SELECT e->>'id' AS id, max(n) AS n FROM ev WHERE e->>'type' = $1 GROUP BY 1)
		SELECT t.id, t.ledger_entry, l.n, r.e->>'type', r.e->>'id', r.e->>'sha256',
		       encode(sha256(t.doc), 'hex'), r.e->>'status', r.e->>'amountCents',
		       convert_from(t.doc, 'UTF8')::jsonb->>'status', convert_from(t.doc, 'UTF8')::jsonb->>'amountCents'
		FROM `+table+` t
		LEFT JOIN latest l ON l.id = t.id
		LEFT JOIN ev r ON r.n = t.ledger_entry
		WHERE l.n IS NULL OR r.n IS NULL OR l.n <> t.ledger_entry
		   OR r.e->>'type' <> $1 OR r.e->>'id' <> t.id OR r.e->>'sha256' <> encode(sha256(t.doc), 'hex')`, "ledger_entry")
	var (
		id                                 string
		entry                              int64
		latest                             *int64
		rType, rID, rSum, dSum             *string
		rStatus, rAmount, dStatus, dAmount *string
	)
	err := tx.QueryRow(ctx, q, typ).Scan(&id, &entry, &latest, &rType, &rID, &rSum, &dSum, &rStatus, &rAmount, &dStatus, &dAmount)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return err
	default:
		le := &LedgerError{Entry: entry, Kind: typ, ID: id}
		switch {
		case rType == nil || *rType != typ || rID == nil || *rID != id:
			if latest == nil {
				le.Entry, le.Problem = -1, "stored without a ledger entry"
			} else {
				le.Problem = fmt.Sprintf("names ledger entry %d, which is missing or about something else", entry)
			}
		case latest != nil && *latest > entry:
			le.Entry, le.Problem = *latest, fmt.Sprintf("rolled back to ledger entry %d, before ledger entry %d", entry, *latest)
		case typ == evReceipt && str(rAmount) != str(dAmount):
			le.Problem = fmt.Sprintf("amount changed since ledger entry %d (%s, was %s cents)", entry, str(dAmount), str(rAmount))
		case typ == evFine && str(rStatus) != str(dStatus):
			le.Problem = fmt.Sprintf("status changed since ledger entry %d (%s, was %s)", entry, str(dStatus), str(rStatus))
		default:
			le.Problem = fmt.Sprintf("changed since ledger entry %d", entry)
		}
		return fail(le)
	}
	// Objects the log speaks of that are gone.
	q = `SELECT e->>'id', max(n) FROM (SELECT n, convert_from(record, 'UTF8')::jsonb AS e FROM ledger_records) ev
		WHERE e->>'type' = $1 AND NOT EXISTS (SELECT 1 FROM ` + table + ` t WHERE t.id = e->>'id')
		GROUP BY 1 ORDER BY 2 LIMIT 1`
	var n int64
	err = tx.QueryRow(ctx, q, typ).Scan(&id, &n)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil
	case err != nil:
		return err
	}
	return fail(&LedgerError{Entry: n, Kind: typ, ID: id, Problem: fmt.Sprintf("deleted since ledger entry %d", n)})
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// firstProblem wraps query, whose rows are problems (none when all is
// well), so that it returns the one with the least orderBy column. The
// rows are computed whole first (MATERIALIZED): a plain ORDER BY … LIMIT 1
// lets the planner pick nested loops that would stop at the first row,
// which, when there is no problem to find (the usual answer), compare
// every row with every other: 85 s for the fines check of a 20,000-entry
// ledger, where hash joins take well under a second.
func firstProblem(query, orderBy string) string {
	return "WITH problems AS MATERIALIZED (" + query + ") SELECT * FROM problems ORDER BY " + orderBy + " LIMIT 1"
}

// verifyIndexes checks the derived columns and the NAV table against the
// documents: a listing or a NAV lookup must never show what the
// documents (which the log vouches for) do not say.
func verifyIndexes(ctx context.Context, tx pgx.Tx, fail func(*LedgerError) error) error {
	checks := []struct {
		kind, sql, problem string
	}{
		{evFine, firstProblem(`SELECT id, ledger_entry FROM fines, LATERAL (SELECT convert_from(doc, 'UTF8')::jsonb AS j) d
			WHERE j->>'status' IS DISTINCT FROM status OR j->>'plate' IS DISTINCT FROM plate
			   OR j->>'reportNumber' IS DISTINCT FROM report_number
			   OR abs((extract(epoch FROM (j->>'occurredAt')::timestamptz) * 1000000)::bigint - occurred_at / 1000) > 1`, "ledger_entry"), "its index columns (status, plate, report number or time) disagree with the stored fine"},
		{evFine, firstProblem(`SELECT f.id, f.ledger_entry FROM fines f, jsonb_array_elements(convert_from(f.doc, 'UTF8')::jsonb->'options') o
			WHERE NOT EXISTS (SELECT 1 FROM fine_navs n WHERE n.nav = o->>'noticeNumber' AND n.fine_id = f.id)`, "ledger_entry"), "one of its notice numbers is missing from the NAV index"},
		{evFine, firstProblem(`SELECT n.fine_id, f.ledger_entry FROM fine_navs n JOIN fines f ON f.id = n.fine_id
			WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(convert_from(f.doc, 'UTF8')::jsonb->'options') o WHERE o->>'noticeNumber' = n.nav)`, "ledger_entry"), "the NAV index gives it a notice number it does not have"},
		{evReceipt, firstProblem(`SELECT id, ledger_entry FROM receipts, LATERAL (SELECT convert_from(doc, 'UTF8')::jsonb AS j) d
			WHERE j->>'fineId' IS DISTINCT FROM fine_id
			   OR abs((extract(epoch FROM (j->>'paidAt')::timestamptz) * 1000000)::bigint - paid_at / 1000) > 1
			   OR coalesce(j->>'anomaly', '') <> anomaly
			   OR j->'pagopa'->>'fiscalCode' IS DISTINCT FROM pagopa_fiscal_code
			   OR j->'pagopa'->>'receiptId' IS DISTINCT FROM pagopa_receipt_id`, "ledger_entry"), "its index columns (fine, time, anomaly or pagoPA receipt) disagree with the stored receipt"},
	}
	for _, c := range checks {
		var id string
		var entry int64
		err := tx.QueryRow(ctx, c.sql).Scan(&id, &entry)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return err
		}
		return fail(&LedgerError{Entry: entry, Kind: c.kind, ID: id, Problem: c.problem})
	}
	return nil
}
