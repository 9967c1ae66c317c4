package boltdb

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// The report-number index: "fines.report" maps report number ‖ 0x00 ‖
// time(8) ‖ id to nothing, so that a clerk's search for a report number
// (GET /api/v1/fines?q=2026/000123) is one seek instead of a scan of the
// whole year of the date index: at a big city's three million fines that
// scan read a year of fines per search, seconds of CPU (issue 16). The
// rest of the key after the number is the date index's, which is what a
// listing walks. A fine keeps its report number for life, so only a new
// fine (or, should it ever happen, a renumbered one) writes the index, and
// payments do not touch it.
//
// Files from before the index get it at their first writable open
// (buildReportIndex); meta "fines.report" records that it is complete, so
// an open interrupted while building rebuilds it. A read-only open of an
// older file has no index and searches as before, by scanning.
var (
	bktFineReport   = []byte("fines.report")
	metaReportIndex = []byte("fines.report")
)

// reportIndexFill is the page fill of the index: report numbers are given
// in increasing order within a year, so the index grows at its end.
const reportIndexFill = 0.9

// reportKey is f's key in the report-number index.
func reportKey(f *notices.Fine) []byte {
	return indexKey(append([]byte(f.ReportNumber), 0), f.OccurredAt, f.ID)
}

// putReportIndex adds f's entry; a fine without a report number has none.
func putReportIndex(tx *bolt.Tx, f *notices.Fine) error {
	if f.ReportNumber == "" {
		return nil
	}
	b := tx.Bucket(bktFineReport)
	b.FillPercent = reportIndexFill
	return b.Put(reportKey(f), nil)
}

// moveReportIndex replaces old's entry by f's when a write changed the
// report number or the violation time (the key holds both); otherwise it
// writes nothing.
func moveReportIndex(tx *bolt.Tx, old, f *notices.Fine) error {
	if old.ReportNumber == f.ReportNumber && old.OccurredAt.Equal(f.OccurredAt) && old.ID == f.ID {
		return nil
	}
	if old.ReportNumber != "" {
		if err := tx.Bucket(bktFineReport).Delete(reportKey(old)); err != nil {
			return err
		}
	}
	return putReportIndex(tx, f)
}

// reportScan hands consider the date-index positions (time ‖ id) of the
// fines numbered report that are inside the listing's bounds, newest
// first, until it says done. ok is false when the file has no complete
// index (a read-only open of an older file): the caller scans instead.
func reportScan(tx *bolt.Tx, report string, inside func(rest []byte) bool, consider func(rest []byte) (bool, error)) (ok bool, err error) {
	b := tx.Bucket(bktFineReport)
	if b == nil || tx.Bucket(bktMeta).Get(metaReportIndex) == nil {
		return false, nil
	}
	prefix := append([]byte(report), 0)
	c := b.Cursor()
	for k := seekBefore(c, prefixEnd(prefix)); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Prev() {
		rest := k[len(prefix):]
		if len(rest) < 9 || !inside(rest) {
			continue
		}
		if done, err := consider(rest); done || err != nil {
			return true, err
		}
	}
	return true, nil
}

// reportIndexChunk is how many fines one transaction of the build reads,
// so that building the index of millions of fines does not hold them all
// as dirty pages of one transaction. A variable for the tests.
var reportIndexChunk = 100_000

// buildReportIndex fills the report-number index from every fine when the
// file does not record it as complete: a file from before the index, or
// an open that stopped while building it. It runs at a writable open,
// before the store is handed out, in transactions of reportIndexChunk
// fines, and records completion in the last one.
func (s *Store) buildReportIndex() error {
	done := false
	if err := s.db.Update(func(tx *bolt.Tx) error {
		if tx.Bucket(bktMeta).Get(metaReportIndex) != nil {
			done = true
			return nil
		}
		if tx.Bucket(bktFineReport) != nil {
			if err := tx.DeleteBucket(bktFineReport); err != nil {
				return err
			}
		}
		_, err := tx.CreateBucket(bktFineReport)
		return err
	}); err != nil || done {
		return err
	}
	var after []byte // the last fine id indexed
	for {
		last := false
		err := s.db.Update(func(tx *bolt.Tx) error {
			c := tx.Bucket(bktFines).Cursor()
			k, v := c.First()
			if after != nil {
				if k, v = c.Seek(after); k != nil && bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			for n := 0; k != nil && n < reportIndexChunk; k, v = c.Next() {
				f, err := s.decodeFine(tx, k, v)
				if err != nil {
					return fmt.Errorf("fine %s: %w", k, err)
				}
				if err := putReportIndex(tx, &f); err != nil {
					return err
				}
				after = append(after[:0], k...)
				n++
			}
			if k != nil {
				return nil
			}
			last = true
			return tx.Bucket(bktMeta).Put(metaReportIndex, []byte("1"))
		})
		if err != nil || last {
			return err
		}
	}
}
