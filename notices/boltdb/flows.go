package boltdb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// Settlement flows and bank statements live in buckets of their own,
// created by the first import rather than at Open: a database that never
// received one looks exactly as before, and reads treat a missing bucket
// as empty.
//
//	flow.revs   "<flow id>#<revision, 6 digits>" → storedRevision (immutable, in the ledger)
//	flow.wd     "<flow id>#<revision>"            → storedWithdrawal (immutable, in the ledger)
//	flow.cur    "<flow id>"                       → flowPointer: the revision in force
//	flow.day    "YYYY-MM-DD" 0x00 "<flow id>"     → nothing: flows in force by line and regulation day
//	bank.stmt   "<statement id>"                  → storedStatement (immutable, in the ledger)
//	bank.credit "YYYY-MM-DD" 0x00 "<statement id>" 0x00 "<ref>" → notices.BankEntry
//
// Flow ids cannot contain '#' (the schema allows letters, digits, '-'
// and '_'), so "<id>#" is a prefix of exactly that flow's revisions.
var (
	bktFlowRevs    = []byte("flow.revs")
	bktFlowWd      = []byte("flow.wd")
	bktFlowCur     = []byte("flow.cur")
	bktFlowDay     = []byte("flow.day")
	bktBankStmt    = []byte("bank.stmt")
	bktBankCredits = []byte("bank.credit")
)

// Ledger event types of reconciliation: a flow revision imported, a flow
// withdrawn, a bank statement imported. Never rename them.
const (
	evFlow         = "flow"
	evFlowWithdraw = "flow_withdrawal"
	evBank         = "bank_statement"
	opWithdraw     = "withdraw"
)

// ledgerBuckets maps the ledger's immutable reconciliation records to the
// bucket that holds them by the event's id.
var ledgerBuckets = map[string][]byte{evFlow: bktFlowRevs, evFlowWithdraw: bktFlowWd, evBank: bktBankStmt}

type storedRevision struct {
	Flow        notices.SettlementFlow `json:"flow"`
	Source      notices.FlowSource     `json:"source"`
	ImportedBy  string                 `json:"by,omitempty"`
	ImportedAt  time.Time              `json:"at"`
	LedgerEntry int64                  `json:"le"`
}

type storedWithdrawal struct {
	notices.FlowWithdrawal
	LedgerEntry int64 `json:"le"`
}

type flowPointer struct {
	Revision  int      `json:"rev"`
	Withdrawn bool     `json:"wd,omitempty"`
	Days      []string `json:"days"` // the flow.day keys of the revision in force
}

type storedStatement struct {
	Statement   notices.BankStatement `json:"st"`
	LedgerEntry int64                 `json:"le"`
}

func revKey(id string, rev int) []byte { return fmt.Appendf(nil, "%s#%06d", id, rev) }

func dayKey(day string, id string) []byte { return append(append([]byte(day), 0), id...) }

func (r *storedRevision) revision(p flowPointer) notices.FlowRevision {
	return notices.FlowRevision{Flow: r.Flow, Source: r.Source, ImportedBy: r.ImportedBy, ImportedAt: r.ImportedAt,
		Superseded: r.Flow.Revision < p.Revision}
}

// SaveFlow stores a flow revision in one transaction with its ledger
// entry; see notices.FlowStore for what happens to revisions.
func (s *Store) SaveFlow(ctx context.Context, f notices.SettlementFlow, src notices.FlowSource, by string) (notices.FlowRevision, notices.FlowSaved, error) {
	const op = "boltdb.SaveFlow"
	if err := ctx.Err(); err != nil {
		return notices.FlowRevision{}, "", err
	}
	if err := f.Validate(); err != nil {
		return notices.FlowRevision{}, "", err
	}
	var out notices.FlowRevision
	var saved notices.FlowSaved
	err := s.db.Update(func(tx *bolt.Tx) error {
		revs, cur, days, err := flowBuckets(tx)
		if err != nil {
			return err
		}
		var p flowPointer
		if v := cur.Get([]byte(f.ID)); v != nil {
			if err := json.Unmarshal(v, &p); err != nil {
				return err
			}
			var last storedRevision
			if err := json.Unmarshal(revs.Get(revKey(f.ID, p.Revision)), &last); err != nil {
				return fmt.Errorf("flow %s revision %d: %w", f.ID, p.Revision, err)
			}
			verdict, derr := notices.ReviseFlow(&f, &last.Flow, p.Revision, p.Withdrawn)
			if derr != nil {
				derr.Op = op
				return derr
			}
			if verdict == notices.FlowUnchanged {
				out, saved = last.revision(p), notices.FlowUnchanged
				return nil
			}
			for _, d := range p.Days {
				if err := days.Delete(dayKey(d, f.ID)); err != nil {
					return err
				}
			}
			saved = notices.FlowRevised
		} else {
			saved = notices.FlowCreated
		}
		f.Revision = p.Revision + 1
		n := nextEntry(tx)
		rec := storedRevision{Flow: f, Source: src, ImportedBy: by, ImportedAt: s.now().UTC(), LedgerEntry: n}
		v, err := json.Marshal(&rec)
		if err != nil {
			return err
		}
		key := revKey(f.ID, f.Revision)
		if err := revs.Put(key, v); err != nil {
			return err
		}
		if err := s.appendLedger(tx, n, ledgerEvent{Type: evFlow, ID: string(key), Op: opCreate, AmountCents: f.DeclaredCents, By: by}, v); err != nil {
			return err
		}
		p = flowPointer{Revision: f.Revision, Days: f.Days()}
		for _, d := range p.Days {
			if err := days.Put(dayKey(d, f.ID), nil); err != nil {
				return err
			}
		}
		pv, err := json.Marshal(&p)
		if err != nil {
			return err
		}
		out = rec.revision(p)
		return cur.Put([]byte(f.ID), pv)
	})
	if err != nil {
		return notices.FlowRevision{}, "", internal(op, err)
	}
	return out, saved, nil
}

func flowBuckets(tx *bolt.Tx) (revs, cur, days *bolt.Bucket, err error) {
	for _, b := range []struct {
		p    **bolt.Bucket
		name []byte
	}{{&revs, bktFlowRevs}, {&cur, bktFlowCur}, {&days, bktFlowDay}} {
		if *b.p, err = tx.CreateBucketIfNotExists(b.name); err != nil {
			return nil, nil, nil, err
		}
	}
	return revs, cur, days, nil
}

// WithdrawFlow records a withdrawal of the flow in force, with its ledger
// entry, and takes the flow out of the day index; its revisions stay.
func (s *Store) WithdrawFlow(ctx context.Context, id string, w notices.FlowWithdrawal) (notices.FlowRevision, error) {
	const op = "boltdb.WithdrawFlow"
	if err := ctx.Err(); err != nil {
		return notices.FlowRevision{}, err
	}
	w.Reason = strings.TrimSpace(w.Reason)
	if w.Reason == "" || len(w.Reason) > 500 {
		return notices.FlowRevision{}, &notices.ValidationError{Fields: []notices.FieldError{{Field: "reason", Message: "say why, in 1 to 500 characters"}}}
	}
	var out notices.FlowRevision
	err := s.db.Update(func(tx *bolt.Tx) error {
		revs, cur, days, err := flowBuckets(tx)
		if err != nil {
			return err
		}
		wd, err := tx.CreateBucketIfNotExists(bktFlowWd)
		if err != nil {
			return err
		}
		v := cur.Get([]byte(id))
		if v == nil {
			return domainErr(op, notices.ENotFound, "no flow %s", id)
		}
		var p flowPointer
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		if p.Withdrawn {
			return domainErr(op, notices.EConflict, "flow %s was already withdrawn", id)
		}
		var rec storedRevision
		if err := json.Unmarshal(revs.Get(revKey(id, p.Revision)), &rec); err != nil {
			return err
		}
		for _, d := range p.Days {
			if err := days.Delete(dayKey(d, id)); err != nil {
				return err
			}
		}
		n := nextEntry(tx)
		w.At = w.At.UTC()
		wv, err := json.Marshal(&storedWithdrawal{FlowWithdrawal: w, LedgerEntry: n})
		if err != nil {
			return err
		}
		key := revKey(id, p.Revision)
		if err := wd.Put(key, wv); err != nil {
			return err
		}
		if err := s.appendLedger(tx, n, ledgerEvent{Type: evFlowWithdraw, ID: string(key), Op: opWithdraw, Status: "withdrawn", AmountCents: rec.Flow.DeclaredCents, By: w.By}, wv); err != nil {
			return err
		}
		p.Withdrawn, p.Days = true, nil
		pv, err := json.Marshal(&p)
		if err != nil {
			return err
		}
		out = rec.revision(p)
		out.Withdrawal = &w
		return cur.Put([]byte(id), pv)
	})
	if err != nil {
		return notices.FlowRevision{}, internal(op, err)
	}
	return out, nil
}

// FlowHistory returns every revision of a flow, oldest first, with its
// withdrawal if any.
func (s *Store) FlowHistory(ctx context.Context, id string) ([]notices.FlowRevision, error) {
	const op = "boltdb.FlowHistory"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.FlowRevision
	err := s.db.View(func(tx *bolt.Tx) error {
		cur, revs := tx.Bucket(bktFlowCur), tx.Bucket(bktFlowRevs)
		var v []byte
		if cur != nil {
			v = cur.Get([]byte(id))
		}
		if v == nil {
			return domainErr(op, notices.ENotFound, "no flow %s", id)
		}
		var p flowPointer
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		wd := tx.Bucket(bktFlowWd)
		prefix := []byte(id + "#")
		c := revs.Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var rec storedRevision
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			r := rec.revision(p)
			if wd != nil {
				if wv := wd.Get(k); wv != nil {
					var w storedWithdrawal
					if err := json.Unmarshal(wv, &w); err != nil {
						return err
					}
					r.Withdrawal = &w.FlowWithdrawal
				}
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// FlowsBetween returns the flows in force with a line or their
// regulation dated from..to, ordered by id.
func (s *Store) FlowsBetween(ctx context.Context, from, to notices.Date) ([]notices.SettlementFlow, error) {
	const op = "boltdb.FlowsBetween"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if derr := notices.CheckDayRange(from, to); derr != nil {
		derr.Op = op
		return nil, derr
	}
	out := []notices.SettlementFlow{}
	err := s.db.View(func(tx *bolt.Tx) error {
		days, cur, revs := tx.Bucket(bktFlowDay), tx.Bucket(bktFlowCur), tx.Bucket(bktFlowRevs)
		if days == nil {
			return nil
		}
		ids := map[string]bool{}
		end := dayKey(to.AddDays(1).String(), "")
		c := days.Cursor()
		for k, _ := c.Seek(dayKey(from.String(), "")); k != nil && bytes.Compare(k, end) < 0; k, _ = c.Next() {
			if i := bytes.IndexByte(k, 0); i >= 0 {
				ids[string(k[i+1:])] = true
			}
		}
		sorted := make([]string, 0, len(ids))
		for id := range ids {
			sorted = append(sorted, id)
		}
		slices.Sort(sorted)
		for _, id := range sorted {
			if err := ctx.Err(); err != nil {
				return err
			}
			var p flowPointer
			if err := json.Unmarshal(cur.Get([]byte(id)), &p); err != nil {
				return fmt.Errorf("flow %s: %w", id, err)
			}
			var rec storedRevision
			if err := json.Unmarshal(revs.Get(revKey(id, p.Revision)), &rec); err != nil {
				return fmt.Errorf("flow %s revision %d: %w", id, p.Revision, err)
			}
			out = append(out, rec.Flow)
		}
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// SaveBankStatement stores a statement and indexes its credits by
// booking day, in one transaction with its ledger entry.
func (s *Store) SaveBankStatement(ctx context.Context, st notices.BankStatement) error {
	const op = "boltdb.SaveBankStatement"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := st.Validate(); err != nil {
		return err
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		stmts, err := tx.CreateBucketIfNotExists(bktBankStmt)
		if err != nil {
			return err
		}
		credits, err := tx.CreateBucketIfNotExists(bktBankCredits)
		if err != nil {
			return err
		}
		if stmts.Get([]byte(st.ID)) != nil {
			return domainErr(op, notices.EConflict, "statement %s was already imported", st.ID)
		}
		n := nextEntry(tx)
		v, err := json.Marshal(&storedStatement{Statement: st, LedgerEntry: n})
		if err != nil {
			return err
		}
		if err := stmts.Put([]byte(st.ID), v); err != nil {
			return err
		}
		var total int64
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
			k := append(dayKey(e.BookingDate.String(), st.ID), 0)
			if err := credits.Put(append(k, e.Ref...), ev); err != nil {
				return err
			}
		}
		return s.appendLedger(tx, n, ledgerEvent{Type: evBank, ID: st.ID, Op: opCreate, AmountCents: total, By: notices.ActorOf(ctx)}, v)
	})
	return internal(op, err)
}

// BankCredits returns the credits booked from..to, by day, statement and
// reference.
func (s *Store) BankCredits(ctx context.Context, from, to notices.Date) ([]notices.BankEntry, error) {
	const op = "boltdb.BankCredits"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if derr := notices.CheckDayRange(from, to); derr != nil {
		derr.Op = op
		return nil, derr
	}
	out := []notices.BankEntry{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktBankCredits)
		if b == nil {
			return nil
		}
		end := dayKey(to.AddDays(1).String(), "")
		c := b.Cursor()
		for k, v := c.Seek(dayKey(from.String(), "")); k != nil && bytes.Compare(k, end) < 0; k, v = c.Next() {
			var e notices.BankEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}
