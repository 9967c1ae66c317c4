package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/multa/multa/notices"
)

// Ledger event types and operations: the same words, in the same record
// layout, as the bbolt adapter's, so that a ledger means one thing
// whichever store wrote it. They are part of the signed history: never
// rename them.
const (
	evFine    = "fine"
	evReceipt = "receipt"

	opCreate = "create" // a fine issued or imported, a receipt saved
	opUpdate = "update" // a fine changed through UpdateFine
	opPay    = "pay"    // a fine settled by RecordPayment
)

// ledgerEvent is one record of the log: compact JSON with a fixed field
// order. SHA256 is the hash of the document as stored (the doc column),
// which binds the log to the data.
type ledgerEvent struct {
	Type        string `json:"type"`
	ID          string `json:"id"`
	Op          string `json:"op"`
	Status      string `json:"status,omitempty"`
	FineID      string `json:"fineId,omitempty"`
	AmountCents int64  `json:"amountCents,omitempty"`
	At          string `json:"at"`
	SHA256      string `json:"sha256"`
	// By names the user who made the change (notices.ActorOf), and Prev
	// the record of the fine's previous version, so that a fine's trail is
	// read back by following Prev from its current record.
	By   string `json:"by,omitempty"`
	Prev *int64 `json:"prev,omitempty"`
}

// FineHistory returns the ledger records of fine id, oldest first, from
// one snapshot: it starts at the record of the fine's current version and
// follows each record's Prev, so it reads as many records as the fine has
// versions. Errors: EFineNotFound.
func (s *Store) FineHistory(ctx context.Context, id string) ([]notices.FineEvent, error) {
	const op = "postgres.FineHistory"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.FineEvent
	err := s.inTx(ctx, snapshotTx, func(tx pgx.Tx) error {
		out = nil
		_, n, err := loadFine(ctx, tx, op, id, false)
		if err != nil {
			return err
		}
		for seen := 0; ; seen++ {
			var rec []byte
			err := tx.QueryRow(ctx, `SELECT record FROM ledger_records WHERE n = $1`, n).Scan(&rec)
			var ev ledgerEvent
			if err != nil || json.Unmarshal(rec, &ev) != nil || ev.Type != evFine || ev.ID != id || seen > 100_000 {
				return fmt.Errorf("ledger record %d is not a version of fine %s (%v)", n, id, err)
			}
			at, _ := time.Parse(time.RFC3339, ev.At)
			out = append(out, notices.FineEvent{Index: n, Op: ev.Op, Status: notices.Status(ev.Status), By: ev.By, At: at.In(notices.Rome)})
			if ev.Prev == nil || *ev.Prev >= n {
				break
			}
			n = *ev.Prev
		}
		return nil
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	slices.Reverse(out)
	return out, nil
}

// hashReader reads stored tlog hashes in a transaction; hashes computed
// earlier in the same append but not yet written are taken from pending.
type hashReader struct {
	ctx     context.Context
	q       querier
	pending map[int64]tlog.Hash
}

// querier is what both a transaction and the pool offer.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// ReadHashes implements tlog.HashReader; a missing hash is an error,
// never a zero hash, so a damaged log cannot verify by accident.
func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var ask []int64
	for _, x := range indexes {
		if _, ok := r.pending[x]; !ok {
			ask = append(ask, x)
		}
	}
	got, err := readStoredHashes(r.ctx, r.q, ask)
	if err != nil {
		return nil, err
	}
	for k, x := range indexes {
		if h, ok := r.pending[x]; ok {
			out[k] = h
			continue
		}
		v, ok := got[x]
		if !ok {
			return nil, fmt.Errorf("ledger hash %d missing", x)
		}
		out[k] = v
	}
	return out, nil
}

// ledgerAppend collects the records one transaction appends. They get
// their numbers only at flush, the transaction's last statement before
// COMMIT: flush locks the one row of ledger_head (every appending
// transaction in every process does, last), so appends are serialized
// and numbers are gap-free and in commit order, while the lock is held
// for as short a time as possible: two round trips and the commit.
// Rows written meanwhile carry ledger_entry -1, which flush replaces.
type ledgerAppend struct {
	recs []pendingRecord
	last map[string]int // fine id → its latest pending record

	// A pipelined call of a shared transaction opens and releases its
	// own savepoint inside its batches (openSavepoint, releaseSavepoint),
	// saving two round trips; spWanted says it must, spOpen that it did.
	spWanted, spOpen bool

	// flushed is set by flush: the head the transaction will have once
	// committed, with every stored hash appending to it reads
	// (frontier), for the process's ledgerTip after the commit.
	flushed *flushedHead
}

// flushedHead is the head a flush wrote, and the hashes it knew.
type flushedHead struct {
	size   int64
	hashes map[int64]tlog.Hash
}

// openSavepoint queues the call's SAVEPOINT at the head of its first
// batch, when the call shares its transaction.
func (l *ledgerAppend) openSavepoint(b *pgx.Batch) {
	if l.spWanted {
		b.Queue(`SAVEPOINT call`)
	}
}

// releaseSavepoint queues the RELEASE at the end of the call's last
// batch.
func (l *ledgerAppend) releaseSavepoint(b *pgx.Batch) {
	if l.spWanted {
		b.Queue(`RELEASE SAVEPOINT call`)
	}
}

// pendingRecord is a record waiting for its number.
type pendingRecord struct {
	ev          ledgerEvent
	table, id   string // the row the record is about, whose ledger_entry flush sets
	prevPending int    // for a fine changed twice in one append: the index of its previous record, else -1
}

// unnumbered is the ledger_entry of a row written before flush numbers
// its record; VerifyLedger would report it, and flush never leaves one.
const unnumbered = -1

// beginAppend starts collecting the ledger records of one transaction.
func beginAppend() *ledgerAppend { return &ledgerAppend{last: map[string]int{}} }

// add queues a record about doc (the row's document as stored) and
// returns the placeholder entry to store in the row until flush.
func (s *Store) add(l *ledgerAppend, ev ledgerEvent, doc []byte) (int64, error) {
	ev = s.event(ev, doc)
	table := ledgerTables[ev.Type]
	if table == "" {
		return 0, fmt.Errorf("ledger: unknown event type %q", ev.Type)
	}
	p := pendingRecord{ev: ev, table: table, id: ev.ID, prevPending: -1}
	if ev.Type == evFine {
		if k, ok := l.last[ev.ID]; ok {
			p.prevPending = k
		}
		l.last[ev.ID] = len(l.recs)
	}
	l.recs = append(l.recs, p)
	return unnumbered, nil
}

// event stamps ev with the hash of doc (the row's document as stored)
// and the store's clock.
func (s *Store) event(ev ledgerEvent, doc []byte) ledgerEvent {
	sum := sha256.Sum256(doc)
	ev.SHA256 = hex.EncodeToString(sum[:])
	ev.At = s.now().UTC().Format(time.RFC3339)
	return ev
}

// neededHashes returns the stored hashes that appending k records to a
// log of size n reads (tlog asks for the same indexes whatever the
// hashes are, so a dry run with zero hashes finds them).
func neededHashes(n int64, k int) []int64 {
	var need []int64
	pending := map[int64]bool{}
	dry := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		for _, x := range idx {
			if !pending[x] {
				need = append(need, x)
			}
		}
		return make([]tlog.Hash, len(idx)), nil
	})
	for j := int64(0); j < int64(k); j++ {
		hs, _ := tlog.StoredHashes(n+j, nil, dry)
		base := tlog.StoredHashIndex(0, n+j)
		for i := range hs {
			pending[base+int64(i)] = true
		}
	}
	return need
}

// lockHead locks the ledger head and reads, in the same round trip, the
// stored hashes the append needs and those of the head's frontier (so
// that the process's ledgerTip can be set after the commit), guessing the size from the last one
// this process saw; a wrong guess (another process appended) costs one
// more round trip.
func (s *Store) lockHead(ctx context.Context, tx pgx.Tx, k int) (int64, map[int64]tlog.Hash, error) {
	guess := s.ledgerSize.Load()
	b := &pgx.Batch{}
	var size int64
	b.Queue(`SELECT size FROM ledger_head WHERE id = 1 FOR UPDATE`).QueryRow(func(r pgx.Row) error { return r.Scan(&size) })
	got := map[int64]tlog.Hash{}
	want := append(neededHashes(guess, k), frontier(guess)...)
	b.Queue(selectHashes, hashRecords(want)).Query(func(rows pgx.Rows) error { return scanHashes(rows, want, got) })
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return 0, nil, err
	}
	if size != guess {
		var err error
		if got, err = readStoredHashes(ctx, tx, append(neededHashes(size, k), frontier(size)...)); err != nil {
			return 0, nil, err
		}
	}
	return size, got, nil
}

// newHashes computes the stored tlog hashes of records appended after a
// head whose hashes are known (every hash the new records' hashes are
// built from), and keeps each record's, for its row (ledgerhashes.go).
// Both ways of appending, the locked flush and the fast payments, use
// it, so the records they write hash alike.
type newHashes struct {
	known  map[int64]tlog.Hash // grows with each record's hashes
	hashes [][]byte            // per record added, in order: its stored hashes
}

// ReadHashes implements tlog.HashReader over the known hashes.
func (h *newHashes) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for j, x := range idx {
		v, ok := h.known[x]
		if !ok {
			return nil, fmt.Errorf("ledger hash %d missing", x)
		}
		out[j] = v
	}
	return out, nil
}

// add computes and keeps the stored hashes of record rec, numbered n.
func (h *newHashes) add(n int64, rec []byte) error {
	hs, err := tlog.StoredHashes(n, rec, h)
	if err != nil {
		return err
	}
	base := tlog.StoredHashIndex(0, n)
	for i, v := range hs {
		h.known[base+int64(i)] = v
	}
	h.hashes = append(h.hashes, hashRow(hs))
	return nil
}

// flush numbers the queued records, computes their stored hashes, and
// writes records, hashes, the new size and the rows' entry numbers in one
// round trip, after the one that locks the head.
func (s *Store) flush(ctx context.Context, tx pgx.Tx, l *ledgerAppend) error {
	k := len(l.recs)
	if k == 0 {
		return nil
	}
	first, known, err := s.lockHead(ctx, tx, k)
	if err != nil {
		return err
	}
	nh := newHashes{known: known}
	ns := make([]int64, k)
	records := make([][]byte, k)
	entries := map[string]map[string]int64{} // table → id → its latest entry
	for j := range l.recs {
		p := &l.recs[j]
		n := first + int64(j)
		if p.prevPending >= 0 {
			prev := first + int64(p.prevPending)
			p.ev.Prev = &prev
		}
		rec, err := json.Marshal(p.ev)
		if err != nil {
			return err
		}
		ns[j], records[j] = n, rec
		if err := nh.add(n, rec); err != nil {
			return err
		}
		if entries[p.table] == nil {
			entries[p.table] = map[string]int64{}
		}
		entries[p.table][p.id] = n
	}
	b := &pgx.Batch{}
	b.Queue(insertRecords, ns, records, nh.hashes)
	b.Queue(`UPDATE ledger_head SET size = $1 WHERE id = 1`, first+int64(k))
	for table, byID := range entries {
		ids, es := make([]string, 0, len(byID)), make([]int64, 0, len(byID))
		for id, n := range byID {
			ids, es = append(ids, id), append(es, n)
		}
		// table comes from ledgerTables, never from input.
		b.Queue(`UPDATE `+table+` AS t SET ledger_entry = v.n FROM unnest($1::text[], $2::bigint[]) AS v(id, n) WHERE t.id = v.id`, ids, es)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return err
	}
	s.ledgerSize.Store(first + int64(k))
	l.flushed = &flushedHead{size: first + int64(k), hashes: known}
	return nil
}

// head computes the current size and root in q's snapshot.
func head(ctx context.Context, q querier) (notices.LedgerHead, error) {
	var n int64
	if err := q.QueryRow(ctx, `SELECT size FROM ledger_head WHERE id = 1`).Scan(&n); err != nil {
		return notices.LedgerHead{}, err
	}
	root, err := tlog.TreeHash(n, hashReader{ctx: ctx, q: q})
	if err != nil {
		return notices.LedgerHead{}, err
	}
	return notices.LedgerHead{Size: n, Root: root}, nil
}

// LedgerHead returns the current size and Merkle root of the ledger.
func (s *Store) LedgerHead(ctx context.Context) (notices.LedgerHead, error) {
	var h notices.LedgerHead
	err := s.inTx(ctx, snapshotTx, func(tx pgx.Tx) error {
		var err error
		h, err = head(ctx, tx)
		return err
	})
	if err != nil {
		return notices.LedgerHead{}, wrap("postgres.LedgerHead", err)
	}
	return h, nil
}

// ReceiptProof returns the ledger record of a receipt with its inclusion
// proof for the current head, from one snapshot. Errors: EReceiptNotFound.
func (s *Store) ReceiptProof(ctx context.Context, receiptID string) (notices.LedgerProof, error) {
	const op = "postgres.ReceiptProof"
	var p notices.LedgerProof
	err := s.inTx(ctx, snapshotTx, func(tx pgx.Tx) error {
		var n int64
		err := tx.QueryRow(ctx, `SELECT ledger_entry FROM receipts WHERE id = $1`, receiptID).Scan(&n)
		if errors.Is(err, pgx.ErrNoRows) {
			return domainErr(op, notices.EReceiptNotFound, "no receipt %s", receiptID)
		}
		if err != nil {
			return err
		}
		var rec []byte
		err = tx.QueryRow(ctx, `SELECT record FROM ledger_records WHERE n = $1`, n).Scan(&rec)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("ledger record %d of receipt %s missing", n, receiptID)
		}
		if err != nil {
			return err
		}
		h, err := head(ctx, tx)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveRecord(h.Size, n, hashReader{ctx: ctx, q: tx})
		if err != nil {
			return err
		}
		p = notices.LedgerProof{Index: n, Record: rec, Head: h, Proof: make([][32]byte, len(proof))}
		for i, x := range proof {
			p.Proof[i] = x
		}
		return nil
	})
	if err != nil {
		return notices.LedgerProof{}, wrap(op, err)
	}
	return p, nil
}

// LedgerConsistency proves that the current log extends its first oldSize
// entries. Errors: EValidation for a size outside 0..current.
func (s *Store) LedgerConsistency(ctx context.Context, oldSize int64) (notices.LedgerConsistency, error) {
	const op = "postgres.LedgerConsistency"
	out := notices.LedgerConsistency{OldSize: oldSize}
	var outOfRange bool
	err := s.inTx(ctx, snapshotTx, func(tx pgx.Tx) error {
		var err error
		if out.Head, err = head(ctx, tx); err != nil {
			return err
		}
		if oldSize < 0 || oldSize > out.Head.Size {
			outOfRange = true
			return nil
		}
		if oldSize == 0 { // every log extends the empty one: nothing to prove (tlog refuses size 0)
			return nil
		}
		proof, err := tlog.ProveTree(out.Head.Size, oldSize, hashReader{ctx: ctx, q: tx})
		for _, h := range proof {
			out.Proof = append(out.Proof, h)
		}
		return err
	})
	if err != nil {
		return notices.LedgerConsistency{}, wrap(op, err)
	}
	if outOfRange {
		return notices.LedgerConsistency{}, &notices.Error{Code: notices.EValidation, Op: op,
			Message: fmt.Sprintf("from must be between 0 and the ledger's %d entries", out.Head.Size)}
	}
	return out, nil
}

// VerifyLedgerExtends checks that the current ledger is an append-only
// extension of an earlier head (tlog.ProveTree and CheckTree): a history
// rewritten since old was published fails here even if it is consistent
// in itself.
func (s *Store) VerifyLedgerExtends(ctx context.Context, old notices.LedgerHead) error {
	const op = "postgres.VerifyLedgerExtends"
	var cur notices.LedgerHead
	var proof tlog.TreeProof
	err := s.inTx(ctx, snapshotTx, func(tx pgx.Tx) error {
		var err error
		if cur, err = head(ctx, tx); err != nil {
			return err
		}
		if old.Size < 0 || old.Size > cur.Size {
			return nil
		}
		proof, err = tlog.ProveTree(cur.Size, old.Size, hashReader{ctx: ctx, q: tx})
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	if old.Size < 0 || old.Size > cur.Size {
		return ledgerErr(op, &LedgerError{Entry: -1, Kind: "ledger",
			Problem: fmt.Sprintf("has %d entries, fewer than the %d of the given head", cur.Size, old.Size)})
	}
	if err := tlog.CheckTree(proof, cur.Size, cur.Root, old.Size, old.Root); err != nil {
		return ledgerErr(op, &LedgerError{Entry: old.Size - 1, Kind: "ledger",
			Problem: fmt.Sprintf("the first %d entries differ from the given head", old.Size)})
	}
	return nil
}

// LedgerError describes the first inconsistency VerifyLedger found. It is
// wrapped in a *notices.Error with code notices.ELedgerMismatch.
type LedgerError struct {
	Entry   int64  // the ledger record involved, or -1 when none
	Kind    string // "fine", "receipt" or "ledger"
	ID      string // the fine or receipt involved, when one is
	Problem string // what is wrong
}

// Error says what is wrong and where.
func (e *LedgerError) Error() string {
	if e.ID == "" {
		return e.Kind + ": " + e.Problem
	}
	return e.Kind + " " + e.ID + ": " + e.Problem
}

func ledgerErr(op string, le *LedgerError) error {
	return &notices.Error{Code: notices.ELedgerMismatch, Op: op, Message: le.Error(), Err: le}
}
