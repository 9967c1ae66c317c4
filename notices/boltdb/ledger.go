package boltdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/multa/multa/notices"
)

// Ledger event types and operations. They are part of the signed history:
// never rename them.
const (
	evFine    = "fine"
	evReceipt = "receipt"

	opCreate = "create" // a fine issued or imported, a receipt saved
	opUpdate = "update" // a fine changed through UpdateFine
	opPay    = "pay"    // a fine settled by RecordPayment
)

// ledgerEvent is one record of the log: compact JSON with a fixed field
// order (encoding/json follows the struct), so the same event always has the
// same bytes. SHA256 is the hash of the value as stored in its bucket: it
// binds the log to the data, and Status and AmountCents repeat the facts
// an auditor cares about, so a mismatch can say what changed.
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
	// read back by following Prev from its current record. Records written
	// before these fields existed have neither: their trail ends there.
	By   string `json:"by,omitempty"`
	Prev *int64 `json:"prev,omitempty"`
}

// entryRef is the Prev of a change to a value whose own record is n (ok
// false: a value without a record number, whose trail starts here).
func entryRef(n int64, ok bool) *int64 {
	if !ok {
		return nil
	}
	return &n
}

// hashReader reads stored tlog hashes from a transaction's bucket;
// hashes written earlier in the same transaction are visible.
type hashReader struct{ b *bolt.Bucket }

// ReadHashes implements tlog.HashReader; a missing hash is an error,
// never a zero hash, so a damaged log cannot verify by accident.
func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v := r.b.Get(u64(uint64(x)))
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("ledger hash %d missing", x)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

// nextEntry is the number the next ledger record will get; values are
// encoded with it before the record that describes them is appended.
func nextEntry(tx *bolt.Tx) int64 {
	return int64(tx.Bucket(bktLedgerRecord).Sequence())
}

// appendLedger appends ev, about the given stored value, to the log in
// tx as record n. It is called in the transaction that writes the value,
// so the log and the data cannot drift apart by a crash.
func (s *Store) appendLedger(tx *bolt.Tx, n int64, ev ledgerEvent, value []byte) error {
	sum := sha256.Sum256(value)
	ev.SHA256 = hex.EncodeToString(sum[:])
	ev.At = s.now().UTC().Format(time.RFC3339)
	rec, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	records := tx.Bucket(bktLedgerRecord)
	hb := tx.Bucket(bktLedgerHash)
	// Both are append-only with increasing keys: pages split at the
	// default 50% would stay half empty forever.
	records.FillPercent, hb.FillPercent = 1.0, 1.0
	if got := int64(records.Sequence()); got != n {
		return fmt.Errorf("ledger: appending entry %d, but the next is %d", n, got)
	}
	hashes, err := tlog.StoredHashes(n, rec, hashReader{hb})
	if err != nil {
		return err
	}
	base := tlog.StoredHashIndex(0, n)
	for i, h := range hashes {
		if err := hb.Put(u64(uint64(base+int64(i))), h[:]); err != nil {
			return err
		}
	}
	if err := records.Put(u64(uint64(n)), rec); err != nil {
		return err
	}
	return records.SetSequence(uint64(n + 1))
}

// head computes the current size and root inside tx.
func head(tx *bolt.Tx) (notices.LedgerHead, error) {
	n := int64(tx.Bucket(bktLedgerRecord).Sequence())
	root, err := tlog.TreeHash(n, hashReader{tx.Bucket(bktLedgerHash)})
	if err != nil {
		return notices.LedgerHead{}, err
	}
	return notices.LedgerHead{Size: n, Root: root}, nil
}

// LedgerHead returns the current size and Merkle root (tlog.TreeHash) of
// the ledger. Publishing heads elsewhere (a log line, an email to the
// auditor) is what makes a later rewrite of history detectable.
func (s *Store) LedgerHead(ctx context.Context) (notices.LedgerHead, error) {
	if err := ctx.Err(); err != nil {
		return notices.LedgerHead{}, err
	}
	var h notices.LedgerHead
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		h, err = head(tx)
		return err
	})
	if err != nil {
		return notices.LedgerHead{}, internal("boltdb.LedgerHead", err)
	}
	return h, nil
}

// ReceiptProof returns the ledger record of a receipt with its inclusion
// proof for the current head. Anyone can check it with tlog.CheckRecord
// and tlog.RecordHash(proof.Record), without trusting this store. Errors:
// EReceiptNotFound.
func (s *Store) ReceiptProof(ctx context.Context, receiptID string) (notices.LedgerProof, error) {
	const op = "boltdb.ReceiptProof"
	if err := ctx.Err(); err != nil {
		return notices.LedgerProof{}, err
	}
	var p notices.LedgerProof
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktReceipts).Get([]byte(receiptID))
		if v == nil {
			return domainErr(op, notices.EReceiptNotFound, "no receipt %s", receiptID)
		}
		n, ok := valueEntry(v)
		if !ok {
			return fmt.Errorf("receipt %s carries no ledger entry number", receiptID)
		}
		rec := tx.Bucket(bktLedgerRecord).Get(u64(uint64(n)))
		if rec == nil {
			return fmt.Errorf("ledger record %d of receipt %s missing", n, receiptID)
		}
		h, err := head(tx)
		if err != nil {
			return err
		}
		proof, err := tlog.ProveRecord(h.Size, n, hashReader{tx.Bucket(bktLedgerHash)})
		if err != nil {
			return err
		}
		p = notices.LedgerProof{Index: n, Record: bytes.Clone(rec), Head: h, Proof: make([][32]byte, len(proof))}
		for i, x := range proof {
			p.Proof[i] = x
		}
		return nil
	})
	if err != nil {
		return notices.LedgerProof{}, internal(op, err)
	}
	return p, nil
}

// VerifyLedgerExtends checks that the current ledger is an append-only
// extension of an earlier head (tlog.ProveTree and CheckTree): a history
// rewritten since old was published fails here even if it is consistent
// in itself. The head must not be larger than the current one.
func (s *Store) VerifyLedgerExtends(ctx context.Context, old notices.LedgerHead) error {
	const op = "boltdb.VerifyLedgerExtends"
	if err := ctx.Err(); err != nil {
		return err
	}
	var cur notices.LedgerHead
	var proof tlog.TreeProof
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if cur, err = head(tx); err != nil {
			return err
		}
		if old.Size < 0 || old.Size > cur.Size {
			return nil
		}
		proof, err = tlog.ProveTree(cur.Size, old.Size, hashReader{tx.Bucket(bktLedgerHash)})
		return err
	})
	if err != nil {
		return internal(op, err)
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

// LedgerConsistency proves that the current log extends its first oldSize
// entries. Errors: EValidation for a size outside 0..current.
func (s *Store) LedgerConsistency(ctx context.Context, oldSize int64) (notices.LedgerConsistency, error) {
	const op = "boltdb.LedgerConsistency"
	if err := ctx.Err(); err != nil {
		return notices.LedgerConsistency{}, err
	}
	out := notices.LedgerConsistency{OldSize: oldSize}
	var outOfRange bool
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		if out.Head, err = head(tx); err != nil {
			return err
		}
		if oldSize < 0 || oldSize > out.Head.Size {
			outOfRange = true
			return nil
		}
		if oldSize == 0 { // every log extends the empty one: nothing to prove (tlog refuses size 0)
			return nil
		}
		proof, err := tlog.ProveTree(out.Head.Size, oldSize, hashReader{tx.Bucket(bktLedgerHash)})
		for _, h := range proof {
			out.Proof = append(out.Proof, h)
		}
		return err
	})
	if err != nil {
		return notices.LedgerConsistency{}, internal(op, err)
	}
	if outOfRange {
		return notices.LedgerConsistency{}, domainErr(op, notices.EValidation, "from must be between 0 and the ledger's %d entries", out.Head.Size)
	}
	return out, nil
}

// LedgerError describes the first inconsistency VerifyLedger found. It is
// wrapped in a *notices.Error with code notices.ELedgerMismatch; errors.As
// reaches it for the details.
type LedgerError struct {
	Entry   int64  // the ledger record involved, or -1 when none
	Kind    string // "fine", "receipt", "violation" or "ledger"
	ID      string // the fine, receipt or violation entry, when one is involved
	Problem string // what is wrong, e.g. "amount changed since ledger entry 17"
}

// Error says what is wrong and where, e.g.
// "receipt 3fa…: amount changed since ledger entry 17 (100, was 11690 cents)".
func (e *LedgerError) Error() string {
	if e.ID == "" {
		return e.Kind + ": " + e.Problem
	}
	return e.Kind + " " + e.ID + ": " + e.Problem
}

func ledgerErr(op string, le *LedgerError) error {
	return &notices.Error{Code: notices.ELedgerMismatch, Op: op, Message: le.Error(), Err: le}
}

// errFound stops a bucket walk once a LedgerError has been recorded.
var errFound = errors.New("found")

// VerifyLedger recomputes the whole ledger in one read transaction and
// checks, in order: every record against its stored hashes and the tree
// (so an edited record or hash is caught); that the latest record about
// every fine and receipt carries the SHA-256 of the value stored now (so a
// value edited behind the store's back is caught, and a receipt the log
// mentions that no longer exists); that every stored fine and receipt has
// a record (so one slipped in without the log is caught); and that every
// catalogue entry still matches its content address. It returns nil or an
// error with code notices.ELedgerMismatch naming the first bad entry.
//
// It reads everything once and holds nothing per fine in memory, so it
// runs on millions of fines; cancel ctx to stop it early.
func (s *Store) VerifyLedger(ctx context.Context) error {
	const op = "boltdb.VerifyLedger"
	if err := ctx.Err(); err != nil {
		return err
	}
	var found *LedgerError
	fail := func(le *LedgerError) error { found = le; return errFound }
	err := s.db.View(func(tx *bolt.Tx) error {
		records := tx.Bucket(bktLedgerRecord)
		hb := tx.Bucket(bktLedgerHash)
		size := int64(records.Sequence())
		hr := hashReader{hb}

		// A truncated log would otherwise first show as index entries
		// pointing nowhere; say what happened.
		if size > 0 && records.Get(u64(uint64(size-1))) == nil {
			return fail(&LedgerError{Entry: size - 1, Kind: "ledger", Problem: fmt.Sprintf("entry %d is missing (the log was truncated)", size-1)})
		}

		// Pass 1: the log itself, and the values its latest entries name.
		c := records.Cursor()
		n := int64(0)
		for k, rec := c.First(); k != nil; k, rec = c.Next() {
			if n&1023 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if len(k) != 8 || int64(binary.BigEndian.Uint64(k)) != n || n >= size {
				return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("entry %d is missing or out of place", n)})
			}
			want, err := tlog.StoredHashes(n, rec, hr)
			if err != nil {
				return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("entry %d: %v", n, err)})
			}
			base := tlog.StoredHashIndex(0, n)
			for i, h := range want {
				if got := hb.Get(u64(uint64(base + int64(i)))); !bytes.Equal(got, h[:]) {
					return fail(&LedgerError{Entry: n, Kind: "ledger",
						Problem: fmt.Sprintf("entry %d does not match its stored hashes (record or hashes altered)", n)})
				}
			}
			var ev ledgerEvent
			if err := json.Unmarshal(rec, &ev); err != nil || (ev.Type != evFine && ev.Type != evReceipt && ledgerBuckets[ev.Type] == nil) {
				return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("entry %d is not a ledger event", n)})
			}
			if le := checkLatest(tx, records, n, &ev); le != nil {
				return fail(le)
			}
			n++
		}
		if n != size {
			return fail(&LedgerError{Entry: n, Kind: "ledger", Problem: fmt.Sprintf("has %d entries, its size says %d", n, size)})
		}
		if k, _ := hb.Cursor().Seek(u64(uint64(tlog.StoredHashCount(size)))); k != nil {
			return fail(&LedgerError{Entry: size, Kind: "ledger", Problem: "holds hashes beyond its last entry"})
		}
		if _, err := tlog.TreeHash(size, hr); err != nil {
			return fail(&LedgerError{Entry: size - 1, Kind: "ledger", Problem: err.Error()})
		}

		// Pass 2: nothing stored outside the log.
		for _, kind := range []struct {
			typ string
			b   []byte
		}{{evFine, bktFines}, {evReceipt, bktReceipts}, {evFlow, bktFlowRevs}, {evFlowWithdraw, bktFlowWd}, {evBank, bktBankStmt}} {
			b := tx.Bucket(kind.b)
			if b == nil {
				continue // reconciliation's buckets exist after the first import
			}
			cur := b.Cursor()
			i := 0
			for k, v := cur.First(); k != nil; k, v = cur.Next() {
				if i++; i&1023 == 0 {
					if err := ctx.Err(); err != nil {
						return err
					}
				}
				if le := checkLogged(tx, records, size, kind.typ, string(k), v); le != nil {
					return fail(le)
				}
			}
		}
		// Pass 3: catalogue entries are content-addressed.
		err := tx.Bucket(bktViolations).ForEach(func(k, v []byte) error {
			if contentRef(v) != string(k) {
				return fail(&LedgerError{Entry: -1, Kind: "violation", ID: string(k), Problem: "catalogue entry altered (content hash differs)"})
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Pass 4: the receipt indexes finance and the station rely on
		// point at receipts that say the same.
		if le := checkReceiptIndexes(tx); le != nil {
			return fail(le)
		}
		// Pass 5: the evidence photos are the ones their fines list.
		if le := s.checkPhotos(tx); le != nil {
			return fail(le)
		}
		// Pass 6: every index and stored idempotent answer agrees with
		// the records it points at.
		if le := s.checkIndexes(tx); le != nil {
			return fail(le)
		}
		return nil
	})
	if found != nil {
		return ledgerErr(op, found)
	}
	if err != nil {
		return internal(op, err)
	}
	return nil
}

// checkLatest checks record n (decoded as ev) against the value it is
// about: when the value names n as its ledger entry, it must hash to
// ev.SHA256; when it names a later entry, that one must be about the same
// object (its hash is checked when the walk reaches it); an earlier entry
// means the value was rolled back.
func checkLatest(tx *bolt.Tx, records *bolt.Bucket, n int64, ev *ledgerEvent) *LedgerError {
	le := func(problem string, args ...any) *LedgerError {
		return &LedgerError{Entry: n, Kind: ev.Type, ID: ev.ID, Problem: fmt.Sprintf(problem, args...)}
	}
	bkt := bktFines
	if ev.Type == evReceipt {
		bkt = bktReceipts
	} else if b := ledgerBuckets[ev.Type]; b != nil {
		bkt = b
	}
	var v []byte
	if b := tx.Bucket(bkt); b != nil {
		v = b.Get([]byte(ev.ID))
	}
	if v == nil {
		return le("deleted since ledger entry %d", n)
	}
	m, ok := valueEntry(v)
	switch {
	case !ok:
		return le("changed since ledger entry %d (it names no ledger entry)", n)
	case m < n:
		return le("rolled back to ledger entry %d, before ledger entry %d", m, n)
	case m > n:
		if !recordIsAbout(records, m, ev.Type, ev.ID) {
			return le("names ledger entry %d, which is missing or about something else", m)
		}
		return nil
	}
	sum := sha256.Sum256(v)
	if hex.EncodeToString(sum[:]) == ev.SHA256 {
		return nil
	}
	// Say what changed when the event repeats the field.
	switch ev.Type {
	case evReceipt:
		var r notices.Receipt
		if json.Unmarshal(v, &r) == nil && r.AmountCents != ev.AmountCents {
			return le("amount changed since ledger entry %d (%d, was %d cents)", n, r.AmountCents, ev.AmountCents)
		}
	case evFine:
		var f struct {
			Status string `json:"st"`
		}
		if json.Unmarshal(v, &f) == nil && f.Status != ev.Status {
			return le("status changed since ledger entry %d (%s, was %s)", n, f.Status, ev.Status)
		}
	}
	return le("changed since ledger entry %d", n)
}

// checkLogged makes sure a stored fine or receipt names a ledger record
// about itself, and that a fine's catalogue entry exists (its content is
// checked against its address separately).
func checkLogged(tx *bolt.Tx, records *bolt.Bucket, size int64, typ, id string, v []byte) *LedgerError {
	var refs struct {
		LedgerEntry *int64 `json:"le"`
		Violation   string `json:"vi"`
	}
	if json.Unmarshal(v, &refs) != nil || refs.LedgerEntry == nil || *refs.LedgerEntry < 0 || *refs.LedgerEntry >= size {
		return &LedgerError{Entry: -1, Kind: typ, ID: id, Problem: "stored without a ledger entry"}
	}
	m := *refs.LedgerEntry
	if !recordIsAbout(records, m, typ, id) {
		return &LedgerError{Entry: m, Kind: typ, ID: id, Problem: fmt.Sprintf("stored without a ledger entry (entry %d is about something else)", m)}
	}
	if typ == evFine && tx.Bucket(bktViolations).Get([]byte(refs.Violation)) == nil {
		return &LedgerError{Entry: m, Kind: typ, ID: id, Problem: fmt.Sprintf("its catalogue entry %s is missing", refs.Violation)}
	}
	return nil
}

func recordIsAbout(records *bolt.Bucket, n int64, typ, id string) bool {
	rec := records.Get(u64(uint64(n)))
	var ev ledgerEvent
	return rec != nil && json.Unmarshal(rec, &ev) == nil && ev.Type == typ && ev.ID == id
}

// checkReceiptIndexes checks that every pagoPA receipt index entry names a
// stored receipt with that creditor and receiptId, and every anomaly index
// entry a stored receipt that carries an anomaly, so that a duplicate
// check or the refund list cannot silently point at the wrong money.
func checkReceiptIndexes(tx *bolt.Tx) *LedgerError {
	receipts := tx.Bucket(bktReceipts)
	var found *LedgerError
	if b := tx.Bucket(bktReceiptPPA); b != nil {
		_ = b.ForEach(func(k, id []byte) error {
			v := receipts.Get(id)
			if v == nil {
				found = &LedgerError{Entry: -1, Kind: "receipt", ID: string(id), Problem: "named by the pagoPA receipt index but missing"}
				return errFound
			}
			r, err := decodeReceipt(v)
			if err != nil || r.PagoPA == nil || !bytes.Equal(pagoPAKey(r.PagoPA), k) {
				found = &LedgerError{Entry: -1, Kind: "receipt", ID: string(id), Problem: "differs from its pagoPA receipt index entry"}
				return errFound
			}
			return nil
		})
	}
	if b := tx.Bucket(bktReceiptAnom); found == nil && b != nil {
		_ = b.ForEach(func(k, _ []byte) error {
			id := k[min(8, len(k)):]
			v := receipts.Get(id)
			r, err := decodeReceipt(v)
			if v == nil || err != nil || r.Anomaly == notices.AnomalyNone {
				found = &LedgerError{Entry: -1, Kind: "receipt", ID: string(id), Problem: "in the anomaly index but missing or not flagged"}
				return errFound
			}
			return nil
		})
	}
	return found
}

// FineHistory returns the ledger records of fine id, oldest first: it
// starts at the record of the fine's current version (kept in the value)
// and follows each record's Prev, so it reads as many records as the fine
// has versions, never the whole log. Errors: EFineNotFound.
func (s *Store) FineHistory(ctx context.Context, id string) ([]notices.FineEvent, error) {
	const op = "boltdb.FineHistory"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.FineEvent
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktFines).Get([]byte(id))
		if v == nil {
			return domainErr(op, notices.EFineNotFound, "no fine %s", id)
		}
		n, ok := valueEntry(v)
		records := tx.Bucket(bktLedgerRecord)
		for seen := 0; ok; seen++ {
			rec := records.Get(u64(uint64(n)))
			var ev ledgerEvent
			if rec == nil || json.Unmarshal(rec, &ev) != nil || ev.Type != evFine || ev.ID != id || seen > 100_000 {
				return fmt.Errorf("ledger record %d is not a version of fine %s", n, id)
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
		return nil, internal(op, err)
	}
	slices.Reverse(out)
	return out, nil
}
