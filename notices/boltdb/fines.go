package boltdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

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

// CreateFine assigns the next report number of the violation's year (in
// Rome) and saves an issued fine, its indexes and its ledger entry in one
// transaction. On success f.ReportNumber is set.
//
// With idem, a call whose scope and key are already stored returns that
// record (replay) and writes nothing; a stored record with another
// RequestHash gives EIdempotencyConflict. The stored record's ResourceID
// defaults to the fine's id, so that a replay can
// render the fine as it is now (report number included, which the caller
// cannot know before the transaction). Other errors: ENAVTaken (assign new
// NAVs and retry), EConflict (the id exists), EValidation.
//
// Concurrent callers share transactions through the store's group commit
// (groupcommit.go), so a burst of officers costs one fsync instead of one
// each, and a lone officer waits for no timer; the function below may
// therefore run more than once and keeps all its results in variables it
// resets on every run.
func (s *Store) CreateFine(ctx context.Context, f *notices.Fine, idem *notices.Idempotent) (*notices.Idempotent, error) {
	const op = "boltdb.CreateFine"
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
	err := s.commits.update(func(tx *bolt.Tx) error {
		replay, report = nil, ""
		if idem != nil {
			old, err := lookupIdem(tx, op, idem)
			if err != nil {
				return err
			}
			if old != nil {
				replay = old
				return nil
			}
		}
		g := *f
		if err := s.insertFine(tx, op, &g, notices.ActorOf(ctx), nil, nil); err != nil {
			return err
		}
		if idem != nil {
			rec := *idem
			if rec.ResourceID == "" {
				rec.ResourceID = g.ID
			}
			if err := s.putIdem(tx, &rec); err != nil {
				return err
			}
		}
		report = g.ReportNumber
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	if replay != nil {
		return replay, nil
	}
	f.ReportNumber = report
	return nil, nil
}

// ImportFines saves many fines (a camera batch, a migration) in chunks of
// Options.ImportChunk per transaction, so that a million fines cost a
// hundred fsyncs rather than a million. errs[i] is the outcome of fines[i]
// (ENAVTaken, EConflict, EValidation, EDuplicate when a fine with the same
// DetectionKey was imported before, in this call or an earlier one); a
// bad fine is skipped and never
// stops the others. Fines without a report number get the next of their
// year, set in fines[i] once their chunk is committed. A non-nil err
// (I/O, cancelled ctx) stops the import: chunks already committed stay,
// and errs holds err for the fines not saved.
//
// Concurrent calls share transactions (importgroup.go): a chunk that
// arrives while another call's transaction is being written joins it, so
// two uploads in flight cost one commit instead of two.
func (s *Store) ImportFines(ctx context.Context, fines []*notices.Fine) ([]error, error) {
	const op = "boltdb.ImportFines"
	errs := make([]error, len(fines))
	for start := 0; start < len(fines); start += s.importChunk {
		end := min(start+s.importChunk, len(fines))
		if err := ctx.Err(); err != nil {
			fill(errs[start:], err)
			return errs, err
		}
		job := &importJob{ctx: ctx, fines: fines[start:end], errs: errs[start:end]}
		if err := s.imports.run(s, job); err != nil {
			err = internal(op, err)
			fill(errs[start:], err)
			return errs, err
		}
		for i, f := range job.fines {
			if errs[start+i] == nil {
				f.ReportNumber = job.reports[i]
			}
		}
	}
	return errs, nil
}

// writeImport writes the fines of one import chunk in tx, their index
// entries queued in batch and their tallies in acc, and sets job.errs and
// job.reports. It may run again for the same job in a new transaction
// (importgroup.go), so it resets both first.
func (s *Store) writeImport(tx *bolt.Tx, job *importJob, batch *importBatch, acc tallies) error {
	const op = "boltdb.ImportFines"
	clear(job.errs)
	job.reports = make([]string, len(job.fines))
	look := startLookAhead(tx, job.fines)
	defer look.close()
	for i, f := range job.fines {
		l := look.next()
		if err := checkNewFine(op, f); err != nil {
			job.errs[i] = err
			continue
		}
		g := *f
		det := l.det
		if report, ok := batch.dets[det]; ok {
			job.errs[i] = domainErr(op, notices.EDuplicate, "already imported as report %s", report)
			continue
		}
		first, err := s.confirmDetection(tx, op, det, l.candidates)
		if err != nil {
			return err
		}
		if first != nil {
			job.errs[i] = domainErr(op, notices.EDuplicate, "already imported as report %s", first.ReportNumber)
			continue
		}
		batch.look = &l
		if err := s.insertFine(tx, op, &g, notices.ActorOf(job.ctx), acc, batch); err != nil {
			if isDomain(err) {
				job.errs[i] = err
				continue
			}
			return err
		}
		batch.look = nil
		batch.queue(putDetection, l.detKey, nil)
		batch.dets[det] = g.ReportNumber
		job.reports[i] = g.ReportNumber
	}
	return nil
}

// The detection index (fines.detection) keys an imported fine by the
// first 8 bytes of the SHA-256 of its DetectionKey followed by its id,
// with no value. The hash is random, so the index's pages stay about 69%
// full whatever the order of imports; 8 bytes instead of the plain key's
// 40 to 250 keep the entry small, and the id in the key lets two
// detections whose hashes share those 8 bytes both be stored. A hit is
// therefore only a candidate: detected confirms it against the stored
// fine's own DetectionKey, so a duplicate is refused exactly when the
// detections are equal.
//
// Files written before this layout hold 16 bytes of the hash as the key
// and the id as the value; they start with the same 8 bytes, so the same
// prefix scan finds them, and detected reads both.
const detectionHashLen = 8

// detectionPrefix is the part of the key shared by every fine with the
// detection det.
func detectionPrefix(det string) []byte {
	sum := sha256.Sum256([]byte(det))
	return sum[:detectionHashLen]
}

// detectionKey is the index key of the fine id with detection det.
func detectionKey(det, id string) []byte {
	return append(detectionPrefix(det), id...)
}

// oldDetectionLen is the key length of the first layout (16 bytes of the
// hash → id); the current layout's keys are 8 bytes and an id.
const oldDetectionLen = 16

// importedDetection is the DetectionKey f had when it was imported: a
// supervisor's correction changes the plate or the place (keeping the
// old values in f.Corrections), but not the detection the camera made,
// which must still be refused if uploaded again.
func importedDetection(f notices.Fine) string {
	plate, place := false, false
	for _, c := range f.Corrections {
		for _, ch := range c.Changes {
			switch {
			case ch.Field == "plate" && !plate:
				f.Plate, plate = ch.Old, true
			case ch.Field == "place" && !place:
				f.Place, place = ch.Old, true
			}
		}
	}
	return f.DetectionKey()
}

func fill(errs []error, err error) {
	for i := range errs {
		errs[i] = err
	}
}

// isDomain reports whether err is an expected refusal (as opposed to a
// failure of the database), which skips one fine but not the transaction.
func isDomain(err error) bool {
	var de *notices.Error
	return errors.As(err, &de) && de.Code != notices.EInternal
}

// insertFine writes a new fine with its indexes and ledger entry. Every
// check comes before the first write, so a refusal leaves tx untouched and
// an import can go on with the next fine. The fine's outstanding tallies
// go into acc, or straight into the bucket when acc is nil; its index
// entries are queued in batch, or put at once when batch is nil.
func (s *Store) insertFine(tx *bolt.Tx, op string, f *notices.Fine, actor string, acc tallies, batch *importBatch) error {
	if tx.Bucket(bktFines).Get([]byte(f.ID)) != nil {
		return domainErr(op, notices.EConflict, "fine %s already exists", f.ID)
	}
	navs := tx.Bucket(bktFineNAV)
	for j, o := range f.Options {
		if batch.queuedNAV(o.NAV) || batch.storedNAV(navs, j, o.NAV) {
			return domainErr(op, notices.ENAVTaken, "notice number %s is taken", o.NAV)
		}
	}
	if f.ReportNumber == "" {
		n, err := nextReportNumber(tx, notices.DateOf(f.OccurredAt).Year)
		if err != nil {
			return err
		}
		f.ReportNumber = n
	}
	n := nextEntry(tx)
	val, err := s.encodeFine(tx, f, n)
	if err != nil {
		return err
	}
	fines := tx.Bucket(bktFines)
	fines.FillPercent = finesFill
	if err := fines.Put([]byte(f.ID), val); err != nil {
		return err
	}
	if err := putFineIndexes(tx, f, batch); err != nil {
		return err
	}
	if err := putReportIndex(tx, f); err != nil {
		return err
	}
	s.plates.note(tx, f.Plate)
	if err := s.tallyChange(tx, acc, nil, f); err != nil {
		return err
	}
	return s.appendLedger(tx, n, ledgerEvent{Type: evFine, ID: f.ID, Op: opCreate, Status: string(f.Status), By: actor}, val)
}

// nextReportNumber takes the next number of a year's counter: YYYY/NNNNNN,
// as police report numbers run per year. It runs in the transaction that
// saves the fine, so numbers are never skipped or given twice.
func nextReportNumber(tx *bolt.Tx, year int) (string, error) {
	b := tx.Bucket(bktFineSeq)
	key := []byte(strconv.Itoa(year))
	var n uint64
	if v := b.Get(key); len(v) == 8 {
		n = binary.BigEndian.Uint64(v)
	}
	n++
	if err := b.Put(key, u64(n)); err != nil {
		return "", err
	}
	return fmt.Sprintf("%04d/%06d", year, n), nil
}

// putFineIndexes and delFineIndexes keep the secondary indexes in step
// with a fine; an update removes the old entries and puts the new ones.
// With a batch (an import) the entries are queued there, and put in key
// order before the commit; without, they are put at once.
func putFineIndexes(tx *bolt.Tx, f *notices.Fine, batch *importBatch) error {
	// The page fill of the time indexes follows where their keys go (fill.go).
	status, date := tx.Bucket(bktFineStatus), tx.Bucket(bktFineDate)
	sp := statusPrefix(f.Status)
	pk, sk, dk := indexKey(platePrefix(f.Plate), f.OccurredAt, f.ID), indexKey(sp, f.OccurredAt, f.ID), indexKey(nil, f.OccurredAt, f.ID)
	if batch != nil {
		batch.fill.note(status, "status", sp, sk)
		batch.fill.note(date, "date", nil, dk)
		for _, o := range f.Options {
			batch.navs[string(o.NAV)] = struct{}{}
			batch.queue(putNAV, []byte(o.NAV), []byte(f.ID))
		}
		batch.queue(putPlate, pk, nil)
		batch.queue(putStatus, sk, nil)
		batch.queue(putDate, dk, nil)
		return nil
	}
	var fill indexFill
	fill.note(status, "status", sp, sk)
	fill.note(date, "date", nil, dk)
	fill.apply()
	navs := tx.Bucket(bktFineNAV)
	for _, o := range f.Options {
		if err := navs.Put([]byte(o.NAV), []byte(f.ID)); err != nil {
			return err
		}
	}
	if err := tx.Bucket(bktFinePlate).Put(pk, nil); err != nil {
		return err
	}
	if err := status.Put(sk, nil); err != nil {
		return err
	}
	return date.Put(dk, nil)
}

// timeIndexFill is the page fill of indexes that are always appended to
// in time order (receipts.paid: payments are recorded as they happen).
const timeIndexFill = appendFill

func delFineIndexes(tx *bolt.Tx, f *notices.Fine) error {
	navs := tx.Bucket(bktFineNAV)
	for _, o := range f.Options {
		if string(navs.Get([]byte(o.NAV))) == f.ID {
			if err := navs.Delete([]byte(o.NAV)); err != nil {
				return err
			}
		}
	}
	if err := tx.Bucket(bktFinePlate).Delete(indexKey(platePrefix(f.Plate), f.OccurredAt, f.ID)); err != nil {
		return err
	}
	if err := tx.Bucket(bktFineStatus).Delete(indexKey(statusPrefix(f.Status), f.OccurredAt, f.ID)); err != nil {
		return err
	}
	return tx.Bucket(bktFineDate).Delete(indexKey(nil, f.OccurredAt, f.ID))
}

// moveFineIndexes moves f's index entries from where old had them. A
// payment changes the status only, and rewriting the entries that stay
// (its NAVs, plate and date) dirtied their pages for nothing: every page a
// transaction touches is written and fdatasynced at its commit, and those
// were four random pages of about a dozen per payment. When the NAVs,
// plate or time change, every entry moves.
func moveFineIndexes(tx *bolt.Tx, old, f *notices.Fine) error {
	if old.ID != f.ID || old.Plate != f.Plate || !old.OccurredAt.Equal(f.OccurredAt) ||
		!slices.EqualFunc(old.Options, f.Options, func(a, b notices.PaymentOption) bool { return a.NAV == b.NAV }) {
		if err := delFineIndexes(tx, old); err != nil {
			return err
		}
		return putFineIndexes(tx, f, nil)
	}
	if old.Status == f.Status {
		return nil
	}
	status := tx.Bucket(bktFineStatus)
	if err := status.Delete(indexKey(statusPrefix(old.Status), old.OccurredAt, old.ID)); err != nil {
		return err
	}
	sp := statusPrefix(f.Status)
	sk := indexKey(sp, f.OccurredAt, f.ID)
	fill := &indexFill{}
	fill.note(status, "status", sp, sk)
	fill.apply()
	return status.Put(sk, nil)
}

// loadFine reads and decodes a fine inside tx. Errors: EFineNotFound.
func (s *Store) loadFine(tx *bolt.Tx, op, id string) (notices.Fine, []byte, error) {
	v := tx.Bucket(bktFines).Get([]byte(id))
	if v == nil {
		return notices.Fine{}, nil, domainErr(op, notices.EFineNotFound, "no fine %s", id)
	}
	f, err := s.decodeFine(tx, []byte(id), v)
	return f, v, err
}

// Fine returns a fine by id. Errors: EFineNotFound.
func (s *Store) Fine(ctx context.Context, id string) (notices.Fine, error) {
	const op = "boltdb.Fine"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, err
	}
	var f notices.Fine
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		f, _, err = s.loadFine(tx, op, id)
		return err
	})
	if err != nil {
		return notices.Fine{}, internal(op, err)
	}
	return f, nil
}

// FineByNAVWithIdempotency returns the fine one of whose options has NAV
// n and the answer stored for key in the scope scopePrefix + its id (nil
// when none), read in one transaction. Errors: ENoticeNotFound.
func (s *Store) FineByNAVWithIdempotency(ctx context.Context, n notices.NAV, scopePrefix, key string) (notices.Fine, *notices.Idempotent, error) {
	const op = "boltdb.FineByNAVWithIdempotency"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, nil, err
	}
	var f notices.Fine
	var rec *notices.Idempotent
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if f, err = s.fineByNAV(tx, op, n); err != nil {
			return err
		}
		rec, err = findIdem(tx, scopePrefix+f.ID, key)
		return err
	})
	if err != nil {
		return notices.Fine{}, nil, internal(op, err)
	}
	return f, rec, nil
}

// FineAndIdempotency returns fine id and the answer stored for scope and
// key (nil when none), read in one transaction. Errors: EFineNotFound,
// with the stored answer if there is one.
func (s *Store) FineAndIdempotency(ctx context.Context, id, scope, key string) (notices.Fine, *notices.Idempotent, error) {
	const op = "boltdb.FineAndIdempotency"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, nil, err
	}
	var f notices.Fine
	var rec *notices.Idempotent
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if rec, err = findIdem(tx, scope, key); err != nil {
			return err
		}
		f, _, err = s.loadFine(tx, op, id)
		return err
	})
	if err != nil {
		return notices.Fine{}, rec, internal(op, err)
	}
	return f, rec, nil
}

// fineByNAV reads in tx the fine one of whose options has NAV n.
// Errors: ENoticeNotFound, also for a dangling index entry.
func (s *Store) fineByNAV(tx *bolt.Tx, op string, n notices.NAV) (notices.Fine, error) {
	id := tx.Bucket(bktFineNAV).Get([]byte(n))
	if id == nil {
		return notices.Fine{}, domainErr(op, notices.ENoticeNotFound, "no notice %s", n)
	}
	f, _, err := s.loadFine(tx, op, string(id))
	if notices.ErrorCode(err) == notices.EFineNotFound {
		return notices.Fine{}, domainErr(op, notices.ENoticeNotFound, "no notice %s", n)
	}
	return f, err
}

// FineByNAV returns the fine one of whose options has NAV n.
// Errors: ENoticeNotFound.
func (s *Store) FineByNAV(ctx context.Context, n notices.NAV) (notices.Fine, error) {
	const op = "boltdb.FineByNAV"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, err
	}
	var f notices.Fine
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		f, err = s.fineByNAV(tx, op, n)
		return err
	})
	if err != nil {
		return notices.Fine{}, internal(op, err)
	}
	return f, nil
}

// UpdateFine loads a fine, applies change and saves it with its indexes
// and a ledger entry, all in one transaction; an error from change aborts
// it and is returned as is. change runs inside the write transaction: it
// must be quick and must not call the store. A change that leaves the
// stored bytes as they were writes nothing. The id cannot change, and a
// fine becomes paid only through RecordPayment (EInvalidTransition), so
// that no fine is ever paid without a receipt. Errors: EFineNotFound,
// ENAVTaken, EValidation.
func (s *Store) UpdateFine(ctx context.Context, id string, change func(*notices.Fine) error) (notices.Fine, error) {
	const op = "boltdb.UpdateFine"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, err
	}
	var out notices.Fine
	err := s.db.Update(func(tx *bolt.Tx) error {
		f, oldVal, err := s.loadFine(tx, op, id)
		if err != nil {
			return err
		}
		oldVal = bytes.Clone(oldVal)
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
		navs := tx.Bucket(bktFineNAV)
		for _, o := range f.Options {
			if owner := navs.Get([]byte(o.NAV)); owner != nil && string(owner) != id {
				return domainErr(op, notices.ENAVTaken, "notice number %s is taken", o.NAV)
			}
		}
		oldEntry, hasOld := valueEntry(oldVal)
		val, err := s.encodeFine(tx, &f, oldEntry)
		if err != nil {
			return err
		}
		out = f
		if bytes.Equal(val, oldVal) {
			return nil
		}
		n := nextEntry(tx)
		if val, err = s.encodeFine(tx, &f, n); err != nil {
			return err
		}
		return s.saveFine(tx, &old, &f, val, n, ledgerEvent{Op: opUpdate, By: notices.ActorOf(ctx), Prev: entryRef(oldEntry, hasOld)})
	})
	if err != nil {
		return notices.Fine{}, internal(op, err)
	}
	return out, nil
}

// saveFine replaces a stored fine (old) with f, whose encoding is val,
// moving its index entries and appending ledger record n: ev with its
// Op, By and Prev set by the caller, the rest here.
func (s *Store) saveFine(tx *bolt.Tx, old, f *notices.Fine, val []byte, n int64, ev ledgerEvent) error {
	return s.saveFineDeltas(tx, old, f, val, n, ev, nil)
}

// saveFineDeltas is saveFine with the tally deltas of replacing old by f
// computed beforehand (nil: computed here); it consumes them.
func (s *Store) saveFineDeltas(tx *bolt.Tx, old, f *notices.Fine, val []byte, n int64, ev ledgerEvent, deltas tallies) error {
	if err := moveFineIndexes(tx, old, f); err != nil {
		return err
	}
	fines := tx.Bucket(bktFines)
	fines.FillPercent = finesFill
	if err := fines.Put([]byte(f.ID), val); err != nil {
		return err
	}
	if err := moveReportIndex(tx, old, f); err != nil {
		return err
	}
	if f.Plate != old.Plate {
		s.plates.note(tx, f.Plate)
	}
	if deltas != nil {
		if err := deltas.flush(tx); err != nil {
			return err
		}
	} else if err := s.tallyChange(tx, nil, old, f); err != nil {
		return err
	}
	ev.Type, ev.ID, ev.Status = evFine, f.ID, string(f.Status)
	return s.appendLedger(tx, n, ev, val)
}

// Listing limits: a page is small enough to render, large enough to export.
const (
	defaultLimit = 50
	maxLimit     = 500
)

// ListFines returns a page of fines, newest violation first, using the
// most selective index for the filter: plate, else status, else date. From
// and To bound the violation day in Rome, inclusive. The cursor is opaque
// to clients (base64 of the last key's time and id), so a page resumes
// exactly where the previous ended even while fines are added. Errors:
// EValidation (limit outside 0..500, a bad cursor, From after To).
func (s *Store) ListFines(ctx context.Context, q notices.FineFilter) (notices.FinePage, error) {
	const op = "boltdb.ListFines"
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
	// A report number is numbered within the year of its violation, so
	// the scan needs only that year of the date index.
	if q.ReportNumber != "" {
		y, err := strconv.Atoi(strings.SplitN(q.ReportNumber, "/", 2)[0])
		if err != nil || y < 1 || y > 9999 {
			return notices.FinePage{}, nil // no fine has such a number
		}
		if first := (notices.Date{Year: y, Month: time.January, Day: 1}); q.From.IsZero() || q.From.Before(first) {
			q.From = first
		}
		if last := (notices.Date{Year: y, Month: time.December, Day: 31}); q.To.IsZero() || q.To.After(last) {
			q.To = last
		}
	}
	var after []byte // the position to resume before, in time(8) ‖ id form
	if q.Cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(q.Cursor)
		if err != nil || len(b) < 9 {
			return notices.FinePage{}, domainErr(op, notices.EValidation, "invalid cursor")
		}
		after = b
	}

	bucket, prefix := bktFineDate, []byte(nil)
	switch {
	case q.Plate != "":
		bucket, prefix = bktFinePlate, platePrefix(q.Plate)
	case q.Status != "":
		bucket, prefix = bktFineStatus, statusPrefix(q.Status)
	}
	// The scan runs backwards from the smallest of: the end of the prefix,
	// the day after To, the cursor.
	var start []byte
	if !q.To.IsZero() {
		tk := timeKey(q.To.AddDays(1).Start())
		start = append(append([]byte(nil), prefix...), tk[:]...)
	}
	if after != nil {
		c := append(append([]byte(nil), prefix...), after...)
		if start == nil || bytes.Compare(c, start) < 0 {
			start = c
		}
	}
	var lower [8]byte
	if !q.From.IsZero() {
		lower = timeKey(q.From.Start())
	}

	if q.PlatePart != "" && q.Plate == "" && len(q.PlatePart) >= platePartIndexed {
		if err := s.plates.ensure(s.db); err != nil { // before the View: see ensure
			return notices.FinePage{}, internal(op, err)
		}
	}
	var page notices.FinePage
	err := s.db.View(func(tx *bolt.Tx) error {
		fines := tx.Bucket(bktFines)
		var last []byte
		// consider adds the fine of index entry rest (time ‖ id) to the
		// page if it matches; done means the page is full.
		consider := func(rest []byte) (done bool, err error) {
			v := fines.Get(rest[8:])
			if v == nil {
				return false, nil // an index entry without its fine is skipped, not fatal
			}
			if !rawMatches(v, q) {
				return false, nil // decided on the stored bytes: no decoding
			}
			f, err := s.decodeFine(tx, rest[8:], v)
			if err != nil {
				return false, err
			}
			if !matches(&f, q) {
				return false, nil
			}
			if len(page.Items) == limit { // one more match exists: there is a next page
				page.NextCursor = base64.RawURLEncoding.EncodeToString(last)
				return true, nil
			}
			page.Items = append(page.Items, f)
			last = append(last[:0], rest...)
			return false, ctx.Err()
		}
		// inside bounds the scans of other indexes than bucket, whose
		// positions are time ‖ id without bucket's prefix.
		var startRest []byte
		if start != nil {
			startRest = start[len(prefix):]
		}
		inside := func(rest []byte) bool {
			return (startRest == nil || bytes.Compare(rest, startRest) < 0) && (q.From.IsZero() || bytes.Compare(rest[:8], lower[:]) >= 0)
		}
		if q.ReportNumber != "" {
			if indexed, err := reportScan(tx, q.ReportNumber, inside, consider); indexed || err != nil {
				return err
			}
		}
		if q.PlatePart != "" && q.Plate == "" && len(q.PlatePart) >= platePartIndexed {
			return s.platePartScan(tx, q.PlatePart, inside, consider)
		}
		c := tx.Bucket(bucket).Cursor()
		var k []byte
		if start != nil {
			k = seekBefore(c, start)
		} else {
			k = seekBefore(c, prefixEnd(prefix))
		}
		for ; k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
			rest := k[len(prefix):]
			if len(rest) < 9 {
				continue
			}
			if !q.From.IsZero() && bytes.Compare(rest[:8], lower[:]) < 0 {
				break
			}
			if done, err := consider(rest); done || err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return notices.FinePage{}, internal(op, err)
	}
	return page, nil
}

// platePartIndexed is the shortest part of a plate searched through the
// plate index; a shorter one matches so many plates that the date index,
// already in the listing's order, is the better scan.
const platePartIndexed = 3

// rawMatches reports whether the stored fine v may pass the filter, from
// its plate, report number and status read straight out of the stored
// JSON. A search by part of a plate or by report number scans the date
// index; decoding every fine costs 25 µs, reading three fields from the
// bytes a fraction of it, so the scan decodes only the candidates. It
// errs towards true (a field it cannot find): matches has the last word.
func rawMatches(v []byte, q notices.FineFilter) bool {
	if q.PlatePart != "" {
		if p, ok := rawString(v, `"pl":"`); ok && !strings.Contains(p, q.PlatePart) {
			return false
		}
	}
	if q.ReportNumber != "" {
		if r, ok := rawString(v, `"rn":"`); ok && r != q.ReportNumber {
			return false
		}
	}
	if q.Unpaid || q.Status != "" {
		if st, ok := rawString(v, `"st":"`); ok {
			s := notices.Status(st)
			if (q.Status != "" && s != q.Status) || (q.Unpaid && s != notices.StatusIssued && s != notices.StatusNotified) {
				return false
			}
		}
	}
	return true
}

// rawString returns the string after key in a fineRecord's JSON, up to
// the next quote. The fields it reads (plate, report number, status) are
// letters, digits and "/", which JSON never escapes.
func rawString(v []byte, key string) (string, bool) {
	i := bytes.Index(v, []byte(key))
	if i < 0 {
		return "", false
	}
	rest := v[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// matches reports whether f passes the filter's conditions other than
// the violation day, which the scan bounds.
func matches(f *notices.Fine, q notices.FineFilter) bool {
	switch {
	case q.Status != "" && f.Status != q.Status,
		q.Plate != "" && f.Plate != q.Plate,
		q.PlatePart != "" && !strings.Contains(f.Plate, q.PlatePart),
		q.ReportNumber != "" && f.ReportNumber != q.ReportNumber,
		q.Unpaid && f.Status != notices.StatusIssued && f.Status != notices.StatusNotified:
		return false
	}
	return true
}

// seekBefore positions c on the greatest key strictly less than target
// (target nil: the last key) and returns it.
func seekBefore(c *bolt.Cursor, target []byte) []byte {
	if target == nil {
		k, _ := c.Last()
		return k
	}
	k, _ := c.Seek(target)
	if k == nil {
		k, _ = c.Last()
		if k != nil && bytes.Compare(k, target) >= 0 {
			k, _ = c.Prev()
		}
		return k
	}
	k, _ = c.Prev()
	return k
}

// prefixEnd returns the smallest key greater than every key with the
// prefix, or nil when there is none (empty or all-0xFF prefix).
func prefixEnd(prefix []byte) []byte {
	end := bytes.Clone(prefix)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] < 0xFF {
			end[i]++
			return end[:i+1]
		}
	}
	return nil
}

// outstandingChunk bounds how many fines OutstandingFines reads per
// transaction: fn runs outside any transaction, so it may be slow or call
// the store without holding up writers or the mmap.
const outstandingChunk = 500

// OutstandingFines calls fn for every fine that is issued or notified,
// oldest violation first within each status. It reads in short
// transactions, so a fine that changes meanwhile may be seen in its new
// state or not at all; an error from fn stops the walk and is returned.
func (s *Store) OutstandingFines(ctx context.Context, fn func(*notices.Fine) error) error {
	const op = "boltdb.OutstandingFines"
	for _, st := range []notices.Status{notices.StatusIssued, notices.StatusNotified} {
		prefix := statusPrefix(st)
		from := prefix
		for {
			if err := ctx.Err(); err != nil {
				return err
			}
			var batch []notices.Fine
			var next []byte
			err := s.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bktFineStatus).Cursor()
				fines := tx.Bucket(bktFines)
				for k, _ := c.Seek(from); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
					if len(batch) == outstandingChunk {
						next = bytes.Clone(k)
						return nil
					}
					rest := k[len(prefix):]
					if len(rest) < 9 {
						continue
					}
					v := fines.Get(rest[8:])
					if v == nil {
						continue
					}
					f, err := s.decodeFine(tx, rest[8:], v)
					if err != nil {
						return err
					}
					if f.Status == st {
						batch = append(batch, f)
					}
				}
				return nil
			})
			if err != nil {
				return internal(op, err)
			}
			for i := range batch {
				if err := fn(&batch[i]); err != nil {
					return err
				}
			}
			if next == nil {
				break
			}
			from = next
		}
	}
	return nil
}
