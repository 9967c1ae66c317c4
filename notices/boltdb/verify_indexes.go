package boltdb

import (
	"strconv"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// checkIndexes is VerifyLedger's cross-check of the secondary indexes and
// the stored idempotent answers against the records they point at. The
// ledger signs records, not indexes: without it a deleted receipts.paid
// key (a payment missing from the day's reconciliation), a NAV entry
// pointed at another fine (a payment settling the wrong fine) or an edited
// idempotent answer (a retry told of another receipt) all verified.
//
// Every fine has its NAVs, plate, status, date and report-number entries, every receipt
// its payment-time and fine entries; every entry of those indexes belongs
// to a record that says the same (counted, so an extra entry is caught
// too); every idempotent payment answer names a receipt of its fine, and
// every issued-fine answer an existing fine.
func (s *Store) checkIndexes(tx *bolt.Tx) *LedgerError {
	navs, plates, statuses, dates := tx.Bucket(bktFineNAV), tx.Bucket(bktFinePlate), tx.Bucket(bktFineStatus), tx.Bucket(bktFineDate)
	var found *LedgerError
	fail := func(kind, id, problem string) error {
		found = &LedgerError{Entry: -1, Kind: kind, ID: id, Problem: problem}
		return errFound
	}
	// The report-number index is checked once a writable open has built
	// it (a read-only open of an older file has none).
	reports := tx.Bucket(bktFineReport)
	if tx.Bucket(bktMeta).Get(metaReportIndex) == nil {
		reports = nil
	}
	fines, navCount, reportCount := 0, 0, 0
	_ = tx.Bucket(bktFines).ForEach(func(k, v []byte) error {
		f, err := s.decodeFine(tx, k, v)
		if err != nil {
			return fail("fine", string(k), "cannot be decoded: "+err.Error())
		}
		fines++
		for _, o := range f.Options {
			navCount++
			if string(navs.Get([]byte(o.NAV))) != f.ID {
				return fail("fine", f.ID, "its notice number "+string(o.NAV)+" is missing from the NAV index or points at another fine")
			}
		}
		switch {
		case plates.Get(indexKey(platePrefix(f.Plate), f.OccurredAt, f.ID)) == nil:
			return fail("fine", f.ID, "is missing from the plate index")
		case statuses.Get(indexKey(statusPrefix(f.Status), f.OccurredAt, f.ID)) == nil:
			return fail("fine", f.ID, "is missing from the status index under its status")
		case dates.Get(indexKey(nil, f.OccurredAt, f.ID)) == nil:
			return fail("fine", f.ID, "is missing from the date index")
		}
		if reports != nil && f.ReportNumber != "" {
			reportCount++
			if reports.Get(reportKey(&f)) == nil {
				return fail("fine", f.ID, "is missing from the report-number index")
			}
		}
		return nil
	})
	if found != nil {
		return found
	}
	for _, ix := range []struct {
		name string
		b    *bolt.Bucket
		want int
	}{{"NAV", navs, navCount}, {"plate", plates, fines}, {"status", statuses, fines}, {"date", dates, fines}, {"report-number", reports, reportCount}} {
		if ix.b == nil {
			continue
		}
		if n := ix.b.Stats().KeyN; n != ix.want {
			return &LedgerError{Entry: -1, Kind: "index", ID: ix.name, Problem: "has " + strconv.Itoa(n) + " entries for " + strconv.Itoa(ix.want) + " that the fines need"}
		}
	}

	receipts, paid, byFine := tx.Bucket(bktReceipts), tx.Bucket(bktReceiptPaid), tx.Bucket(bktReceiptFine)
	fineBucket := tx.Bucket(bktFines)
	// Every receipt is in receipts.paid; in receipts.fine, every receipt
	// but the one that settled its fine (Fine.ReceiptID names it), which
	// files written before putReceipt left it out have there too.
	count, byFineCount := 0, 0
	_ = receipts.ForEach(func(k, v []byte) error {
		r, err := decodeReceipt(v)
		if err != nil {
			return fail("receipt", string(k), "cannot be decoded: "+err.Error())
		}
		count++
		if paid.Get(indexKey(nil, r.PaidAt, r.ID)) == nil {
			return fail("receipt", r.ID, "is missing from the payment-time index (receipts.paid)")
		}
		if byFine.Get(indexKey(finePrefix(r.FineID), r.PaidAt, r.ID)) != nil {
			byFineCount++
			return nil
		}
		if fv := fineBucket.Get([]byte(r.FineID)); fv != nil {
			if settled, ok := rawString(fv, `"rc":"`); ok && settled == r.ID {
				return nil
			}
		}
		return fail("receipt", r.ID, "is missing from its fine's receipt index")
	})
	if found != nil {
		return found
	}
	for _, ix := range []struct {
		name  string
		b     *bolt.Bucket
		count int
	}{{"receipts.paid", paid, count}, {"receipts.fine", byFine, byFineCount}} {
		if n := ix.b.Stats().KeyN; n != ix.count {
			return &LedgerError{Entry: -1, Kind: "index", ID: ix.name, Problem: "has " + strconv.Itoa(n) + " entries for " + strconv.Itoa(ix.count) + " receipts"}
		}
	}

	_ = tx.Bucket(bktIdempotency).ForEach(func(k, v []byte) error {
		rec, err := decodeIdem(v)
		if err != nil {
			return fail("idempotency", string(k), "cannot be decoded")
		}
		switch {
		case strings.HasPrefix(rec.Scope, "payment:"):
			fineID := strings.TrimPrefix(rec.Scope, "payment:")
			rv := receipts.Get([]byte(rec.ResourceID))
			if rv == nil {
				return fail("idempotency", rec.Scope+" "+rec.Key, "names receipt "+rec.ResourceID+", which does not exist")
			}
			// The scope names the fine, or (older records, other callers)
			// one of its notice numbers.
			if r, err := decodeReceipt(rv); err != nil || r.FineID != fineID && string(navs.Get([]byte(fineID))) != r.FineID {
				return fail("idempotency", rec.Scope+" "+rec.Key, "names receipt "+rec.ResourceID+", which is not of "+fineID)
			}
		case strings.HasPrefix(rec.Scope, "fine:"):
			if rec.ResourceID == "" || fineBucket.Get([]byte(rec.ResourceID)) == nil {
				return fail("idempotency", rec.Scope+" "+rec.Key, "names fine "+rec.ResourceID+", which does not exist")
			}
		}
		return nil
	})
	return found
}
