package postgres

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/multa/multa/notices"
)

// checkNewFine and checkOptions name the store's operation on the
// domain's refusal of a fine no store may write.
func checkNewFine(op string, f *notices.Fine) error {
	if err := notices.CheckNewFine(f); err != nil {
		err.Op = op
		return err
	}
	return nil
}

func checkOptions(op string, f *notices.Fine) error {
	if err := f.CheckOptions(); err != nil {
		err.Op = op
		return err
	}
	return nil
}

// encodeFine is the stored document of a fine: its domain JSON.
func encodeFine(f *notices.Fine) ([]byte, error) { return json.Marshal(f) }

// decodeFine reads a stored document; instants come back in Rome, the
// zone every rule reads them in.
func decodeFine(b []byte) (notices.Fine, error) {
	var f notices.Fine
	if err := json.Unmarshal(b, &f); err != nil {
		return notices.Fine{}, fmt.Errorf("decode fine: %w", err)
	}
	f.OccurredAt, f.CreatedAt, f.UpdatedAt = inRome(f.OccurredAt), inRome(f.CreatedAt), inRome(f.UpdatedAt)
	f.PaidAt, f.CancelledAt = inRomePtr(f.PaidAt), inRomePtr(f.CancelledAt)
	return f, nil
}

func inRome(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.In(notices.Rome)
}

func inRomePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	r := inRome(*t)
	return &r
}

// nanos stores an instant as Unix nanoseconds, the key of time indexes.
func nanos(t time.Time) int64 { return t.UnixNano() }

// CreateFine assigns the next report number of the violation's year (in
// Rome) and saves an issued fine, its NAVs and its ledger entry in one
// transaction. On success f.ReportNumber is set.
//
// With idem, the idempotency row is inserted first (ON CONFLICT DO
// NOTHING): of two processes creating with the same key at once, the
// second waits for the first's commit and then finds the key taken, and
// answers the stored record (replay) or EIdempotencyConflict. Other
// errors: ENAVTaken, EConflict (the id exists), EValidation.
func (s *Store) CreateFine(ctx context.Context, f *notices.Fine, idem *notices.Idempotent) (*notices.Idempotent, error) {
	const op = "postgres.CreateFine"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkNewFine(op, f); err != nil {
		return nil, err
	}
	if idem != nil && (idem.Scope == "" || idem.Key == "") {
		return nil, domainErr(op, notices.EValidation, "an idempotency record needs a scope and a key")
	}
	var (
		replay *notices.Idempotent
		report string
	)
	actor := notices.ActorOf(ctx)
	err := s.commits.update(ctx, func(ctx context.Context, tx pgx.Tx, l *ledgerAppend) error {
		replay, report = nil, ""
		if idem != nil {
			rec := *idem
			if rec.ResourceID == "" {
				rec.ResourceID = f.ID
			}
			old, err := s.claimIdem(ctx, tx, op, &rec)
			if err != nil || old != nil {
				replay = old
				return err
			}
		}
		g := *f
		if err := s.checkFineFree(ctx, tx, op, &g); err != nil {
			return err
		}
		if err := s.insertFines(ctx, tx, l, op, actor, []*notices.Fine{&g}); err != nil {
			return err
		}
		report = g.ReportNumber
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	if replay != nil {
		return replay, nil
	}
	f.ReportNumber = report
	return nil, nil
}

// checkFineFree refuses a fine whose id or NAVs exist, before any write.
// A concurrent transaction may still take one meanwhile; the primary keys
// then refuse the insert (see insertFines).
func (s *Store) checkFineFree(ctx context.Context, tx pgx.Tx, op string, f *notices.Fine) error {
	navs := make([]string, len(f.Options))
	for i, o := range f.Options {
		navs[i] = string(o.NAV)
	}
	var idTaken bool
	var navTaken *string
	err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM fines WHERE id = $1),
		(SELECT nav FROM fine_navs WHERE nav = ANY($2) LIMIT 1)`, f.ID, navs).Scan(&idTaken, &navTaken)
	if err != nil {
		return err
	}
	if idTaken {
		return domainErr(op, notices.EConflict, "fine %s already exists", f.ID)
	}
	if navTaken != nil {
		return domainErr(op, notices.ENAVTaken, "notice number %s is taken", *navTaken)
	}
	return nil
}

// insertFines numbers, encodes and inserts new fines (already checked),
// queuing one ledger record per fine on l, made by actor. A unique violation
// of the NAV or id key (a concurrent creator won) becomes ENAVTaken or
// EConflict.
func (s *Store) insertFines(ctx context.Context, tx pgx.Tx, l *ledgerAppend, op, actor string, fines []*notices.Fine) error {
	for _, f := range fines {
		if f.ReportNumber == "" {
			n, err := nextReportNumber(ctx, tx, notices.DateOf(f.OccurredAt).Year)
			if err != nil {
				return err
			}
			f.ReportNumber = n
		}
	}
	b := &pgx.Batch{}
	var acc tallies
	for _, f := range fines {
		doc, err := encodeFine(f)
		if err != nil {
			return err
		}
		n, err := s.add(l, ledgerEvent{Type: evFine, ID: f.ID, Op: opCreate, Status: string(f.Status), By: actor}, doc)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO fines (id, report_number, status, plate, occurred_at, ledger_entry, doc)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, f.ID, f.ReportNumber, string(f.Status), f.Plate, nanos(f.OccurredAt), n, doc)
		for _, o := range f.Options {
			b.Queue(`INSERT INTO fine_navs (nav, fine_id) VALUES ($1, $2)`, string(o.NAV), f.ID)
		}
		acc = s.tallyChange(acc, nil, f)
	}
	acc.queue(b)
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		switch {
		case uniqueViolation(err, "fine_navs_pkey"):
			return domainErr(op, notices.ENAVTaken, "a notice number of fine %s is taken", fines[0].ID)
		case uniqueViolation(err, "fines_pkey"):
			return domainErr(op, notices.EConflict, "fine %s already exists", fines[0].ID)
		}
		return err
	}
	return nil
}

// nextReportNumber takes the next number of a year's counter: YYYY/NNNNNN.
// The upsert locks the year's row until commit, so numbers are never
// skipped or given twice, across processes too.
func nextReportNumber(ctx context.Context, tx pgx.Tx, year int) (string, error) {
	var n int64
	err := tx.QueryRow(ctx, `INSERT INTO report_numbers (year, last) VALUES ($1, 1)
		ON CONFLICT (year) DO UPDATE SET last = report_numbers.last + 1 RETURNING last`, year).Scan(&n)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%04d/%06d", year, n), nil
}

// ImportFines saves many fines in chunks of Options.ImportChunk per
// transaction. errs[i] is the outcome of fines[i] (ENAVTaken, EConflict,
// EValidation, EDuplicate when a fine with the same DetectionKey was
// imported before, in this call or an earlier one); a bad fine is skipped and never stops the others. A
// non-nil err stops the import: chunks already committed stay, and errs
// holds err for the fines not saved.
func (s *Store) ImportFines(ctx context.Context, fines []*notices.Fine) ([]error, error) {
	const op = "postgres.ImportFines"
	errs := make([]error, len(fines))
	for start := 0; start < len(fines); start += s.importChunk {
		end := min(start+s.importChunk, len(fines))
		if err := ctx.Err(); err != nil {
			fill(errs[start:], err)
			return errs, err
		}
		var saved []*notices.Fine
		var savedAt []int
		type dupOf struct{ i, first int } // fines[i] repeats the detection of saved[first]
		var dups []dupOf
		err := s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
			saved, savedAt, dups = saved[:0], savedAt[:0], dups[:0]
			for i := start; i < end; i++ {
				errs[i] = nil
			}
			// One query finds the ids, NAVs and detections already taken;
			// fines of the chunk that collide with each other are caught
			// below.
			taken, imported, err := takenKeys(ctx, tx, fines[start:end])
			if err != nil {
				return err
			}
			seen := map[string]bool{}
			seenDet := map[string]int{}
			for i := start; i < end; i++ {
				f := fines[i]
				if err := checkNewFine(op, f); err != nil {
					errs[i] = err
					continue
				}
				det := f.DetectionKey()
				if first, ok := imported[det]; ok && first.id != f.ID {
					errs[i] = domainErr(op, notices.EDuplicate, "already imported as report %s", first.report)
					continue
				}
				if k, ok := seenDet[det]; ok && saved[k].ID != f.ID {
					dups = append(dups, dupOf{i, k})
					continue
				}
				if taken[f.ID] || seen[f.ID] {
					errs[i] = domainErr(op, notices.EConflict, "fine %s already exists", f.ID)
					continue
				}
				var dup string
				for _, o := range f.Options {
					if taken["nav:"+string(o.NAV)] || seen["nav:"+string(o.NAV)] {
						dup = string(o.NAV)
					}
				}
				if dup != "" {
					errs[i] = domainErr(op, notices.ENAVTaken, "notice number %s is taken", dup)
					continue
				}
				seen[f.ID] = true
				for _, o := range f.Options {
					seen["nav:"+string(o.NAV)] = true
				}
				g := *f
				seenDet[det] = len(saved)
				saved, savedAt = append(saved, &g), append(savedAt, i)
			}
			if len(saved) == 0 {
				return nil
			}
			l := beginAppend()
			if err := s.insertFines(ctx, tx, l, op, notices.ActorOf(ctx), saved); err != nil {
				return err
			}
			keys, ids := make([][]byte, len(saved)), make([]string, len(saved))
			for k, g := range saved {
				keys[k], ids[k] = []byte(g.DetectionKey()), g.ID
			}
			if _, err := tx.Exec(ctx, `INSERT INTO fine_detections (key, fine_id) SELECT * FROM unnest($1::bytea[], $2::text[])`, keys, ids); err != nil {
				return err
			}
			for _, d := range dups {
				errs[d.i] = domainErr(op, notices.EDuplicate, "already imported as report %s", saved[d.first].ReportNumber)
			}
			return s.flush(ctx, tx, l)
		})
		if err != nil {
			err = wrap(op, err)
			fill(errs[start:], err)
			return errs, err
		}
		for k, i := range savedAt {
			fines[i].ReportNumber = saved[k].ReportNumber
		}
	}
	return errs, nil
}

// importedFine names the fine a detection was first imported as.
type importedFine struct{ id, report string }

// takenKeys returns the ids ("id") and NAVs ("nav:NAV") of fines that are
// already stored, and the detections already imported.
func takenKeys(ctx context.Context, tx pgx.Tx, fines []*notices.Fine) (map[string]bool, map[string]importedFine, error) {
	var ids, navs []string
	var dets [][]byte
	for _, f := range fines {
		if f == nil {
			continue
		}
		ids, dets = append(ids, f.ID), append(dets, []byte(f.DetectionKey()))
		for _, o := range f.Options {
			navs = append(navs, string(o.NAV))
		}
	}
	rows, err := tx.Query(ctx, `SELECT id FROM fines WHERE id = ANY($1)
		UNION ALL SELECT 'nav:' || nav FROM fine_navs WHERE nav = ANY($2)`, ids, navs)
	if err != nil {
		return nil, nil, err
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]bool, len(keys))
	for _, k := range keys {
		out[k] = true
	}
	rows, err = tx.Query(ctx, `SELECT d.key, f.id, f.report_number FROM fine_detections d JOIN fines f ON f.id = d.fine_id
		WHERE d.key = ANY($1)`, dets)
	if err != nil {
		return nil, nil, err
	}
	imported := map[string]importedFine{}
	for rows.Next() {
		var k []byte
		var f importedFine
		if err := rows.Scan(&k, &f.id, &f.report); err != nil {
			rows.Close()
			return nil, nil, err
		}
		imported[string(k)] = f
	}
	return out, imported, rows.Err()
}

func fill(errs []error, err error) {
	for i := range errs {
		errs[i] = err
	}
}

// Fine returns a fine by id. Errors: EFineNotFound.
func (s *Store) Fine(ctx context.Context, id string) (notices.Fine, error) {
	const op = "postgres.Fine"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, err
	}
	var doc []byte
	var entry int64
	err := s.retryRead(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT doc, ledger_entry FROM fines WHERE id = $1`, id).Scan(&doc, &entry)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return notices.Fine{}, domainErr(op, notices.EFineNotFound, "no fine %s", id)
	}
	if err != nil {
		return notices.Fine{}, wrap(op, err)
	}
	f, err := decodeFine(doc)
	if err != nil {
		return notices.Fine{}, wrap(op, err)
	}
	s.reads.put(id, entry, doc) // a payment may follow (readcache.go)
	return f, nil
}

// FineByNAVWithIdempotency returns the fine one of whose options has NAV
// n and the answer stored for key in the scope scopePrefix + its id (nil
// when none) with ONE statement: a payment's first read. Like Fine, it
// remembers the version read for the payment that may follow
// (readcache.go). Errors: ENoticeNotFound.
func (s *Store) FineByNAVWithIdempotency(ctx context.Context, n notices.NAV, scopePrefix, key string) (notices.Fine, *notices.Idempotent, error) {
	const op = "postgres.FineByNAVWithIdempotency"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, nil, err
	}
	var id string
	var doc, idemDoc []byte
	var entry int64
	err := s.retryRead(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT f.id, f.doc, f.ledger_entry, i.doc FROM fine_navs AS n
			JOIN fines AS f ON f.id = n.fine_id
			LEFT JOIN idempotency AS i ON i.scope = ($2 || f.id) COLLATE "C" AND i.key = $3
			WHERE n.nav = $1`, string(n), scopePrefix, key).Scan(&id, &doc, &entry, &idemDoc)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return notices.Fine{}, nil, domainErr(op, notices.ENoticeNotFound, "no notice %s", n)
	}
	if err != nil {
		return notices.Fine{}, nil, wrap(op, err)
	}
	rec, err := decodeIdem(idemDoc)
	if err != nil {
		return notices.Fine{}, nil, wrap(op, err)
	}
	f, err := decodeFine(doc)
	if err != nil {
		return notices.Fine{}, nil, wrap(op, err)
	}
	s.reads.put(id, entry, doc) // a payment may follow (readcache.go)
	return f, rec, nil
}

// FineAndIdempotency returns fine id and the answer stored for scope and
// key (nil when none) with ONE statement, a round trip fewer than Fine
// and Idempotency: a payment reads both under its lock. Like Fine, it
// remembers the version read for the payment that may follow
// (readcache.go). Errors: EFineNotFound, with the stored answer if any.
func (s *Store) FineAndIdempotency(ctx context.Context, id, scope, key string) (notices.Fine, *notices.Idempotent, error) {
	const op = "postgres.FineAndIdempotency"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, nil, err
	}
	var idemDoc, doc []byte
	var entry *int64
	err := s.retryRead(ctx, func() error {
		// The one-row VALUES keeps a row when neither exists; each join
		// is a primary-key look-up.
		return s.pool.QueryRow(ctx, `SELECT i.doc, f.doc, f.ledger_entry FROM (VALUES (1)) AS one (x)
			LEFT JOIN idempotency AS i ON i.scope = $2 AND i.key = $3
			LEFT JOIN fines AS f ON f.id = $1`, id, scope, key).Scan(&idemDoc, &doc, &entry)
	})
	if err != nil {
		return notices.Fine{}, nil, wrap(op, err)
	}
	rec, err := decodeIdem(idemDoc)
	if err != nil {
		return notices.Fine{}, nil, wrap(op, err)
	}
	if entry == nil {
		return notices.Fine{}, rec, domainErr(op, notices.EFineNotFound, "no fine %s", id)
	}
	f, err := decodeFine(doc)
	if err != nil {
		return notices.Fine{}, rec, wrap(op, err)
	}
	s.reads.put(id, *entry, doc) // a payment may follow (readcache.go)
	return f, rec, nil
}

// loadFine reads a fine and the number of the ledger record about its
// current version, locking its row when forUpdate. Errors: EFineNotFound.
func loadFine(ctx context.Context, q querier, op, id string, forUpdate bool) (notices.Fine, int64, error) {
	sql := `SELECT doc, ledger_entry FROM fines WHERE id = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	var doc []byte
	var entry int64
	err := q.QueryRow(ctx, sql, id).Scan(&doc, &entry)
	if errors.Is(err, pgx.ErrNoRows) {
		return notices.Fine{}, 0, domainErr(op, notices.EFineNotFound, "no fine %s", id)
	}
	if err != nil {
		return notices.Fine{}, 0, err
	}
	f, err := decodeFine(doc)
	return f, entry, err
}

// FineByNAV returns the fine one of whose options has NAV n.
// Errors: ENoticeNotFound.
func (s *Store) FineByNAV(ctx context.Context, n notices.NAV) (notices.Fine, error) {
	const op = "postgres.FineByNAV"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, err
	}
	var doc []byte
	err := s.retryRead(ctx, func() error {
		return s.pool.QueryRow(ctx, `SELECT f.doc FROM fine_navs n JOIN fines f ON f.id = n.fine_id WHERE n.nav = $1`, string(n)).Scan(&doc)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return notices.Fine{}, domainErr(op, notices.ENoticeNotFound, "no notice %s", n)
	}
	if err != nil {
		return notices.Fine{}, wrap(op, err)
	}
	f, err := decodeFine(doc)
	return f, wrap(op, err)
}

// noRows turns "no rows" into nil, for batched reads whose absence the
// caller sees as an unset value.
func noRows(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return nil
	}
	return err
}

// retryRead runs a single-statement read, again on a fresh connection when
// the first attempt failed before reaching the server.
func (s *Store) retryRead(ctx context.Context, fn func() error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = fn(); err == nil || !pgconn.SafeToRetry(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// UpdateFine loads a fine with its row locked, applies change and saves
// it with its NAVs and a ledger entry, all in one transaction; an error
// from change aborts it and is returned as is. change runs inside the
// transaction: it must be quick and must not call the store. A change
// that leaves the stored document as it was writes nothing. The id cannot
// change, and a fine becomes paid only through RecordPayment
// (EInvalidTransition). Errors: EFineNotFound, ENAVTaken, EValidation.
func (s *Store) UpdateFine(ctx context.Context, id string, change func(*notices.Fine) error) (notices.Fine, error) {
	const op = "postgres.UpdateFine"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, err
	}
	var out notices.Fine
	err := s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		f, prev, err := loadFine(ctx, tx, op, id, true)
		if err != nil {
			return err
		}
		oldDoc, err := encodeFine(&f)
		if err != nil {
			return err
		}
		old := f
		old.Options = append([]notices.PaymentOption(nil), f.Options...) // change may reuse the slice
		if err := change(&f); err != nil {
			return err
		}
		switch {
		case f.ID != id:
			return domainErr(op, notices.EValidation, "the id of fine %s cannot change", id)
		case !f.Status.Valid():
			return domainErr(op, notices.EValidation, "invalid status %q", f.Status)
		case f.Status == notices.StatusPaid && old.Status != notices.StatusPaid:
			return domainErr(op, notices.EInvalidTransition, "fine %s can only be paid with a receipt", id)
		case f.Plate == "" || f.OccurredAt.IsZero() || len(f.Options) == 0:
			return domainErr(op, notices.EValidation, "fine %s would lose its plate, time or options", id)
		}
		if err := checkOptions(op, &f); err != nil {
			return err
		}
		navs := make([]string, len(f.Options))
		for i, o := range f.Options {
			navs[i] = string(o.NAV)
		}
		var taken *string
		if err := tx.QueryRow(ctx, `SELECT nav FROM fine_navs WHERE nav = ANY($1) AND fine_id <> $2 LIMIT 1`, navs, id).Scan(&taken); err != nil && !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if taken != nil {
			return domainErr(op, notices.ENAVTaken, "notice number %s is taken", *taken)
		}
		doc, err := encodeFine(&f)
		if err != nil {
			return err
		}
		out = f
		if string(doc) == string(oldDoc) {
			return nil
		}
		l := beginAppend()
		if err := s.saveFine(ctx, tx, l, &old, &f, doc, ledgerEvent{Op: opUpdate, By: notices.ActorOf(ctx), Prev: &prev}); err != nil {
			return err
		}
		return s.flush(ctx, tx, l)
	})
	if err != nil {
		return notices.Fine{}, wrap(op, err)
	}
	return out, nil
}

// saveFine replaces a stored fine (old) with f, whose document is doc,
// moving its NAVs and queuing its ledger record: ev with its Op, By and
// Prev set by the caller, the rest here.
func (s *Store) saveFine(ctx context.Context, tx pgx.Tx, l *ledgerAppend, old, f *notices.Fine, doc []byte, ev ledgerEvent) error {
	ev.Type, ev.ID, ev.Status = evFine, f.ID, string(f.Status)
	n, err := s.add(l, ev, doc)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(`UPDATE fines SET report_number = $2, status = $3, plate = $4, occurred_at = $5, ledger_entry = $6, doc = $7 WHERE id = $1`,
		f.ID, f.ReportNumber, string(f.Status), f.Plate, nanos(f.OccurredAt), n, doc)
	if !sameNAVs(old, f) {
		navs := make([]string, len(f.Options))
		for i, o := range f.Options {
			navs[i] = string(o.NAV)
		}
		b.Queue(`DELETE FROM fine_navs WHERE fine_id = $1`, f.ID)
		b.Queue(`INSERT INTO fine_navs (nav, fine_id) SELECT unnest($1::text[]), $2`, navs, f.ID)
	}
	s.tallyChange(nil, old, f).queue(b)
	err = tx.SendBatch(ctx, b).Close()
	if uniqueViolation(err, "fine_navs_pkey") {
		return domainErr("postgres.UpdateFine", notices.ENAVTaken, "a notice number of fine %s is taken", f.ID)
	}
	return err
}

func sameNAVs(a, b *notices.Fine) bool {
	if len(a.Options) != len(b.Options) {
		return false
	}
	for i := range a.Options {
		if a.Options[i].NAV != b.Options[i].NAV {
			return false
		}
	}
	return true
}

// Listing limits: a page is small enough to render, large enough to export.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// encodeCursor and decodeCursor use the bbolt adapter's cursor shape,
// time(8) ‖ id with the time as sign-flipped big-endian nanoseconds: a
// cursor stays opaque to clients and means the same on both stores.
func encodeCursor(at int64, id string) string {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], uint64(at)^(1<<63))
	return base64.RawURLEncoding.EncodeToString(append(k[:], id...))
}

func decodeCursor(c string) (int64, string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || len(b) < 9 {
		return 0, "", false
	}
	return int64(binary.BigEndian.Uint64(b[:8]) ^ (1 << 63)), string(b[8:]), true
}

// ListFines returns a page of fines, newest violation first (ties by id,
// descending), resuming strictly after the cursor. From and To bound the
// violation day in Rome, inclusive. Errors: EValidation (limit outside
// 0..500, a bad cursor, an unknown status, From after To).
func (s *Store) ListFines(ctx context.Context, q notices.FineFilter) (notices.FinePage, error) {
	const op = "postgres.ListFines"
	if err := ctx.Err(); err != nil {
		return notices.FinePage{}, err
	}
	limit := q.Limit
	switch {
	case limit == 0:
		limit = defaultLimit
	case limit < 0 || limit > maxLimit:
		return notices.FinePage{}, domainErr(op, notices.EValidation, "limit must be between 1 and %d", maxLimit)
	}
	if q.Status != "" && !q.Status.Valid() {
		return notices.FinePage{}, domainErr(op, notices.EValidation, "unknown status %q", q.Status)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.From.After(q.To) {
		return notices.FinePage{}, domainErr(op, notices.EValidation, "from must not be after to")
	}
	var where []string
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + strconv.Itoa(len(args)) }
	if q.Plate != "" {
		where = append(where, "plate = "+arg(q.Plate))
	}
	if q.Status != "" {
		where = append(where, "status = "+arg(string(q.Status)))
	}
	if q.PlatePart != "" {
		where = append(where, "strpos(plate, "+arg(q.PlatePart)+") > 0")
	}
	if q.ReportNumber != "" {
		where = append(where, "report_number = "+arg(q.ReportNumber))
	}
	if q.Unpaid {
		where = append(where, "status IN ('issued', 'notified')")
	}
	if !q.From.IsZero() {
		where = append(where, "occurred_at >= "+arg(nanos(q.From.Start())))
	}
	if !q.To.IsZero() {
		where = append(where, "occurred_at < "+arg(nanos(q.To.AddDays(1).Start())))
	}
	if q.Cursor != "" {
		at, id, ok := decodeCursor(q.Cursor)
		if !ok {
			return notices.FinePage{}, domainErr(op, notices.EValidation, "invalid cursor")
		}
		where = append(where, "(occurred_at, id) < ("+arg(at)+", "+arg(id)+")")
	}
	sql := `SELECT occurred_at, id, doc FROM fines`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY occurred_at DESC, id DESC LIMIT " + arg(limit+1)
	var page notices.FinePage
	err := s.retryRead(ctx, func() error {
		page = notices.FinePage{}
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var lastAt int64
		var lastID string
		for rows.Next() {
			var at int64
			var id string
			var doc []byte
			if err := rows.Scan(&at, &id, &doc); err != nil {
				return err
			}
			if len(page.Items) == limit {
				page.NextCursor = encodeCursor(lastAt, lastID)
				break
			}
			f, err := decodeFine(doc)
			if err != nil {
				return err
			}
			page.Items = append(page.Items, f)
			lastAt, lastID = at, id
		}
		return rows.Err()
	})
	if err != nil {
		return notices.FinePage{}, wrap(op, err)
	}
	return page, nil
}

// outstandingChunk bounds how many fines OutstandingFines reads per
// query: fn runs outside any transaction, so it may be slow or call the
// store without holding a connection.
const outstandingChunk = 500

// OutstandingFines calls fn for every fine that is issued or notified,
// oldest violation first within each status, reading in chunks (a fine
// that changes meanwhile may be seen in its new state or not at all); an
// error from fn stops the walk and is returned.
func (s *Store) OutstandingFines(ctx context.Context, fn func(*notices.Fine) error) error {
	const op = "postgres.OutstandingFines"
	for _, st := range []notices.Status{notices.StatusIssued, notices.StatusNotified} {
		at, id := int64(-1<<63), ""
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			var batch []notices.Fine
			var lastAt int64
			var lastID string
			err := s.retryRead(ctx, func() error {
				batch = batch[:0]
				rows, err := s.pool.Query(ctx, `SELECT occurred_at, id, doc FROM fines
					WHERE status = $1 AND (occurred_at, id) > ($2, $3) ORDER BY occurred_at, id LIMIT $4`,
					string(st), at, id, outstandingChunk)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var doc []byte
					if err := rows.Scan(&lastAt, &lastID, &doc); err != nil {
						return err
					}
					f, err := decodeFine(doc)
					if err != nil {
						return err
					}
					batch = append(batch, f)
				}
				return rows.Err()
			})
			if err != nil {
				return wrap(op, err)
			}
			for i := range batch {
				if err := fn(&batch[i]); err != nil {
					return err
				}
			}
			if len(batch) < outstandingChunk {
				break
			}
			at, id = lastAt, lastID
		}
	}
	return nil
}
