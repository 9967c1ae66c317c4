package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"
)

// Stored tlog hashes live in the row of the record whose append computed
// them (ledger_records.hashes, migration 0005), not one row each: a
// payment appends two records and, on average, four stored hashes, and a
// row and an index entry per hash were about a third of the heap and
// index writes, and of the WAL records, of a payment.
//
// Appending record n stores the hashes of levels 0..k, where k is the
// number of trailing one bits of n (tlog.StoredHashes: the leaf, then the
// subtree each completed level closes), in that order, 32 bytes each.
// So stored hash index i, which tlog.SplitStoredHashIndex turns into
// (level, m) with m the node's position on its level, was appended with
// record ((m+1) << level) - 1, at offset level*32 of that row's hashes.

// hashHome returns the record whose append stored hash i, and its offset
// in that record's hashes.
func hashHome(i int64) (n int64, off int) {
	level, m := tlog.SplitStoredHashIndex(i)
	return (m+1)<<level - 1, level * tlog.HashSize
}

// hashRow is the hashes column of the record whose append stored hs
// (tlog.StoredHashes, in order): the one layout that appends write and
// ledger verify compares.
func hashRow(hs []tlog.Hash) []byte {
	row := make([]byte, 0, len(hs)*tlog.HashSize)
	for _, h := range hs {
		row = append(row, h[:]...)
	}
	return row
}

// hashRecords returns the records holding the stored hashes idx, once
// each.
func hashRecords(idx []int64) []int64 {
	seen := make(map[int64]bool, len(idx))
	out := make([]int64, 0, len(idx))
	for _, i := range idx {
		n, _ := hashHome(i)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// insertRecords writes appended records, their numbers and their stored
// hashes (three arrays of one length, in record order).
const insertRecords = `INSERT INTO ledger_records (n, record, hashes) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::bytea[])`

// selectHashes is the query that reads the hashes of the records
// hashRecords names.
const selectHashes = `SELECT n, hashes FROM ledger_records WHERE n = ANY($1)`

// scanHashes reads the rows of selectHashes and puts into got each hash
// of idx they hold; a hash a row lacks (a damaged log) is left out, and
// the reader that needs it reports it missing.
func scanHashes(rows pgx.Rows, idx []int64, got map[int64]tlog.Hash) error {
	blobs := map[int64][]byte{}
	for rows.Next() {
		var n int64
		var b []byte
		if err := rows.Scan(&n, &b); err != nil {
			rows.Close()
			return err
		}
		blobs[n] = b
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, i := range idx {
		n, off := hashHome(i)
		if b := blobs[n]; off+tlog.HashSize <= len(b) {
			got[i] = tlog.Hash(b[off : off+tlog.HashSize])
		}
	}
	return nil
}

// readStoredHashes reads the stored hashes idx with q.
func readStoredHashes(ctx context.Context, q querier, idx []int64) (map[int64]tlog.Hash, error) {
	got := make(map[int64]tlog.Hash, len(idx))
	if len(idx) == 0 {
		return got, nil
	}
	rows, err := q.Query(ctx, selectHashes, hashRecords(idx))
	if err != nil {
		return nil, err
	}
	if err := scanHashes(rows, idx, got); err != nil {
		return nil, fmt.Errorf("reading ledger hashes: %w", err)
	}
	return got, nil
}
