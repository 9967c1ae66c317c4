package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/multa/multa/notices"
)

// Ledger event types of reconciliation, the bbolt adapter's words: a flow
// revision imported, a flow withdrawn, a bank statement imported.
const (
	evFlow         = "flow"
	evFlowWithdraw = "flow_withdrawal"
	evBank         = "bank_statement"
	opWithdraw     = "withdraw"
)

// storedRevision is the document of a flow revision (flow_revisions.doc).
type storedRevision struct {
	Flow       notices.SettlementFlow `json:"flow"`
	Source     notices.FlowSource     `json:"source"`
	ImportedBy string                 `json:"by,omitempty"`
	ImportedAt time.Time              `json:"at"`
}

func (r *storedRevision) revision(inForce int) notices.FlowRevision {
	return notices.FlowRevision{Flow: r.Flow, Source: r.Source, ImportedBy: r.ImportedBy, ImportedAt: r.ImportedAt,
		Superseded: r.Flow.Revision < inForce}
}

func revKey(id string, rev int) string { return fmt.Sprintf("%s#%06d", id, rev) }

// lockFlow serializes the writers of one flow id across processes with a
// transaction-scoped advisory lock (the flow may have no row yet to lock),
// and returns its current pointer (found false when the id is new).
func lockFlow(ctx context.Context, tx pgx.Tx, id string) (rev int, withdrawn, found bool, err error) {
	if _, err = tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('multa.flow:' || $1, 0))`, id); err != nil {
		return 0, false, false, err
	}
	err = tx.QueryRow(ctx, `SELECT revision, withdrawn FROM flows_current WHERE flow_id = $1`, id).Scan(&rev, &withdrawn)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, false, false, nil
	}
	return rev, withdrawn, err == nil, err
}

func loadRevision(ctx context.Context, q querier, id string, rev int) (storedRevision, error) {
	var doc []byte
	var r storedRevision
	if err := q.QueryRow(ctx, `SELECT doc FROM flow_revisions WHERE id = $1`, revKey(id, rev)).Scan(&doc); err != nil {
		return r, fmt.Errorf("flow %s revision %d: %w", id, rev, err)
	}
	if err := json.Unmarshal(doc, &r); err != nil {
		return r, fmt.Errorf("flow %s revision %d: %w", id, rev, err)
	}
	return r, nil
}

// SaveFlow stores a flow revision in one transaction with its ledger
// entry; see notices.FlowStore for what happens to revisions.
func (s *Store) SaveFlow(ctx context.Context, f notices.SettlementFlow, src notices.FlowSource, by string) (notices.FlowRevision, notices.FlowSaved, error) {
	const op = "postgres.SaveFlow"
	if err := ctx.Err(); err != nil {
		return notices.FlowRevision{}, "", err
	}
	if err := f.Validate(); err != nil {
		return notices.FlowRevision{}, "", err
	}
	in := f
	var out notices.FlowRevision
	var saved notices.FlowSaved
	err := s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		f := in
		rev, withdrawn, found, err := lockFlow(ctx, tx, f.ID)
		if err != nil {
			return err
		}
		saved = notices.FlowCreated
		if found {
			last, err := loadRevision(ctx, tx, f.ID, rev)
			if err != nil {
				return err
			}
			verdict, derr := notices.ReviseFlow(&f, &last.Flow, rev, withdrawn)
			if derr != nil {
				derr.Op = op
				return derr
			}
			if verdict == notices.FlowUnchanged {
				out, saved = last.revision(rev), notices.FlowUnchanged
				return nil
			}
			saved = notices.FlowRevised
		}
		f.Revision = rev + 1
		rec := storedRevision{Flow: f, Source: src, ImportedBy: by, ImportedAt: s.now().UTC()}
		doc, err := json.Marshal(&rec)
		if err != nil {
			return err
		}
		key := revKey(f.ID, f.Revision)
		l := beginAppend()
		n, err := s.add(l, ledgerEvent{Type: evFlow, ID: key, Op: opCreate, AmountCents: f.DeclaredCents}, doc)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO flow_revisions (id, flow_id, revision, ledger_entry, doc) VALUES ($1, $2, $3, $4, $5)`, key, f.ID, f.Revision, n, doc)
		b.Queue(`INSERT INTO flows_current (flow_id, revision, withdrawn) VALUES ($1, $2, false)
			ON CONFLICT (flow_id) DO UPDATE SET revision = excluded.revision, withdrawn = false`, f.ID, f.Revision)
		b.Queue(`DELETE FROM flow_days WHERE flow_id = $1`, f.ID)
		b.Queue(`INSERT INTO flow_days (day, flow_id) SELECT unnest($1::text[]), $2`, f.Days(), f.ID)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		out = rec.revision(f.Revision)
		return s.flush(ctx, tx, l)
	})
	if err != nil {
		return notices.FlowRevision{}, "", wrap(op, err)
	}
	return out, saved, nil
}

// WithdrawFlow records a withdrawal of the flow in force, with its ledger
// entry, and takes the flow out of the day index; its revisions stay.
func (s *Store) WithdrawFlow(ctx context.Context, id string, w notices.FlowWithdrawal) (notices.FlowRevision, error) {
	const op = "postgres.WithdrawFlow"
	if err := ctx.Err(); err != nil {
		return notices.FlowRevision{}, err
	}
	w.Reason = strings.TrimSpace(w.Reason)
	if w.Reason == "" || len(w.Reason) > 500 {
		return notices.FlowRevision{}, &notices.ValidationError{Fields: []notices.FieldError{{Field: "reason", Message: "say why, in 1 to 500 characters"}}}
	}
	w.At = w.At.UTC()
	var out notices.FlowRevision
	err := s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		rev, withdrawn, found, err := lockFlow(ctx, tx, id)
		if err != nil {
			return err
		}
		if !found {
			return domainErr(op, notices.ENotFound, "no flow %s", id)
		}
		if withdrawn {
			return domainErr(op, notices.EConflict, "flow %s was already withdrawn", id)
		}
		rec, err := loadRevision(ctx, tx, id, rev)
		if err != nil {
			return err
		}
		doc, err := json.Marshal(&w)
		if err != nil {
			return err
		}
		key := revKey(id, rev)
		l := beginAppend()
		n, err := s.add(l, ledgerEvent{Type: evFlowWithdraw, ID: key, Op: opWithdraw, Status: "withdrawn", AmountCents: rec.Flow.DeclaredCents}, doc)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`INSERT INTO flow_withdrawals (id, ledger_entry, doc) VALUES ($1, $2, $3)`, key, n, doc)
		b.Queue(`UPDATE flows_current SET withdrawn = true WHERE flow_id = $1`, id)
		b.Queue(`DELETE FROM flow_days WHERE flow_id = $1`, id)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return err
		}
		out = rec.revision(rev)
		out.Withdrawal = &w
		return s.flush(ctx, tx, l)
	})
	if err != nil {
		return notices.FlowRevision{}, wrap(op, err)
	}
	return out, nil
}

// FlowHistory returns every revision of a flow, oldest first, with its
// withdrawal if any. Errors: ENotFound.
func (s *Store) FlowHistory(ctx context.Context, id string) ([]notices.FlowRevision, error) {
	const op = "postgres.FlowHistory"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.FlowRevision
	err := s.inTx(ctx, snapshotTx, func(tx pgx.Tx) error {
		out = nil
		var inForce int
		err := tx.QueryRow(ctx, `SELECT revision FROM flows_current WHERE flow_id = $1`, id).Scan(&inForce)
		if errors.Is(err, pgx.ErrNoRows) {
			return domainErr(op, notices.ENotFound, "no flow %s", id)
		}
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT r.doc, w.doc FROM flow_revisions r LEFT JOIN flow_withdrawals w ON w.id = r.id
			WHERE r.flow_id = $1 ORDER BY r.revision`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var doc, wdoc []byte
			if err := rows.Scan(&doc, &wdoc); err != nil {
				return err
			}
			var rec storedRevision
			if err := json.Unmarshal(doc, &rec); err != nil {
				return err
			}
			r := rec.revision(inForce)
			if wdoc != nil {
				r.Withdrawal = new(notices.FlowWithdrawal)
				if err := json.Unmarshal(wdoc, r.Withdrawal); err != nil {
					return err
				}
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// FlowsBetween returns the flows in force with a line or their
// regulation dated from..to, ordered by id.
func (s *Store) FlowsBetween(ctx context.Context, from, to notices.Date) ([]notices.SettlementFlow, error) {
	const op = "postgres.FlowsBetween"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if derr := notices.CheckDayRange(from, to); derr != nil {
		derr.Op = op
		return nil, derr
	}
	out := []notices.SettlementFlow{}
	err := s.retryRead(ctx, func() error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, `SELECT r.doc FROM flows_current c
			JOIN flow_revisions r ON r.flow_id = c.flow_id AND r.revision = c.revision
			WHERE NOT c.withdrawn AND c.flow_id IN (SELECT flow_id FROM flow_days WHERE day >= $1 AND day <= $2)
			ORDER BY c.flow_id`, from.String(), to.String())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var doc []byte
			if err := rows.Scan(&doc); err != nil {
				return err
			}
			var rec storedRevision
			if err := json.Unmarshal(doc, &rec); err != nil {
				return err
			}
			out = append(out, rec.Flow)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// SaveBankStatement stores a statement and indexes its credits by
// booking day, in one transaction with its ledger entry. Errors:
// EConflict when the statement id exists (the primary key decides, across
// processes); EValidation.
func (s *Store) SaveBankStatement(ctx context.Context, st notices.BankStatement) error {
	const op = "postgres.SaveBankStatement"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := st.Validate(); err != nil {
		return err
	}
	doc, err := json.Marshal(&st)
	if err != nil {
		return wrap(op, err)
	}
	err = s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM bank_statements WHERE id = $1)`, st.ID).Scan(&exists); err != nil {
			return err
		}
		if exists {
			return domainErr(op, notices.EConflict, "statement %s was already imported", st.ID)
		}
		var total int64
		b := &pgx.Batch{}
		for _, e := range st.Entries {
			if !e.Credit {
				continue
			}
			total += e.AmountCents
			e.Statement = st.ID
			ev, err := json.Marshal(&e)
			if err != nil {
				return err
			}
			b.Queue(`INSERT INTO bank_credits (day, statement_id, ref, doc) VALUES ($1, $2, $3, $4)
				ON CONFLICT (day, statement_id, ref) DO UPDATE SET doc = excluded.doc`, e.BookingDate.String(), st.ID, e.Ref, ev)
		}
		l := beginAppend()
		n, err := s.add(l, ledgerEvent{Type: evBank, ID: st.ID, Op: opCreate, AmountCents: total}, doc)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO bank_statements (id, ledger_entry, doc) VALUES ($1, $2, $3)`, st.ID, n, doc)
		err = tx.SendBatch(ctx, b).Close()
		if uniqueViolation(err, "bank_statements_pkey") {
			return domainErr(op, notices.EConflict, "statement %s was already imported", st.ID)
		}
		if err != nil {
			return err
		}
		return s.flush(ctx, tx, l)
	})
	return wrap(op, err)
}

// BankCredits returns the credits booked from..to, by day, statement and
// reference.
func (s *Store) BankCredits(ctx context.Context, from, to notices.Date) ([]notices.BankEntry, error) {
	const op = "postgres.BankCredits"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if derr := notices.CheckDayRange(from, to); derr != nil {
		derr.Op = op
		return nil, derr
	}
	out := []notices.BankEntry{}
	err := s.retryRead(ctx, func() error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, `SELECT doc FROM bank_credits WHERE day >= $1 AND day <= $2 ORDER BY day, statement_id, ref`,
			from.String(), to.String())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var doc []byte
			if err := rows.Scan(&doc); err != nil {
				return err
			}
			var e notices.BankEntry
			if err := json.Unmarshal(doc, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}
