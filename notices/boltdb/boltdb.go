// Package boltdb is the bbolt adapter of notices.Store: one embedded file
// holds fines, receipts, users, refresh tokens, idempotency records and a
// tamper-evident Merkle ledger (golang.org/x/mod/sumdb/tlog) of every fine
// and receipt.
//
// Every logical write is one bbolt transaction that also appends its ledger
// entry, so a crash leaves all of a change or none of it. bbolt allows one
// writer at a time and fsyncs every commit; writes are therefore grouped
// where that is safe (a group commit for CreateFine and RecordPayment,
// see groupcommit.go; large chunks for
// ImportFines) rather than weakened with NoSync, which is never acceptable
// for money.
//
// Layout (one bucket each; keys sort the way they are scanned):
//
//	fines           fine id → JSON of the fine; the violation is stored once
//	                in "violations" and referenced by its content hash
//	violations      sha256 (16 bytes, hex) of a violation's JSON → that JSON
//	fines.nav       NAV → fine id
//	fines.plate     plate 0x00 time(8) id → empty
//	fines.status    status 0x00 time(8) id → empty
//	fines.date      time(8) id → empty (time = violation instant)
//	fines.seq       "YYYY" → last report number issued that year
//	fines.detection sha256(DetectionKey)[:8] id → empty (older files: [:16] → id)
//	receipts        receipt id → JSON of the receipt
//	receipts.paid   time(8) id → empty (time = payment instant)
//	receipts.fine   fine id 0x00 time(8) id → empty, every receipt of a fine
//	                written since pagoPA receipts (older ones: Fine.ReceiptID)
//	receipts.pagopa len(fiscal code) fiscal code, pagoPA receiptId → id
//	receipts.anomaly time(8) id → empty, receipts flagged for finance
//	idempotency     len(scope) scope key → JSON of notices.Idempotent
//	photos          fine id 0x00 n(4) → JPEG of an evidence photo (the
//	                fine's Photos carry their SHA-256)
//	users           username → JSON of the user
//	tokens          refresh-token hash → JSON of the token
//	tokens.family   family 0x00 hash → empty
//	ledger.records  n(8) → record n (compact canonical JSON)
//	ledger.hashes   tlog stored-hash index(8) → 32-byte hash
//
// A stored fine or receipt carries, in its JSON, the number of the ledger
// record that describes it ("ledgerEntry").
//
// time(8) is the instant in Unix nanoseconds with the sign bit flipped,
// big-endian, so that byte order is time order.
package boltdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/multa/multa/notices"
)

// schemaVersion is written at creation so that a future layout change can
// refuse, or migrate, an older file instead of misreading it.
const schemaVersion = "1"

// Bucket names. Short, stable: renaming one orphans existing data.
var (
	bktMeta         = []byte("meta")
	bktFines        = []byte("fines")
	bktViolations   = []byte("violations")
	bktFineNAV      = []byte("fines.nav")
	bktFinePlate    = []byte("fines.plate")
	bktFineStatus   = []byte("fines.status")
	bktFineDate     = []byte("fines.date")
	bktFineSeq      = []byte("fines.seq")
	bktReceipts     = []byte("receipts")
	bktReceiptPaid  = []byte("receipts.paid")
	bktReceiptFine  = []byte("receipts.fine")
	bktReceiptPPA   = []byte("receipts.pagopa")
	bktReceiptAnom  = []byte("receipts.anomaly")
	bktIdempotency  = []byte("idempotency")
	bktUsers        = []byte("users")
	bktTokens       = []byte("tokens")
	bktTokenFamily  = []byte("tokens.family")
	bktLedgerRecord = []byte("ledger.records")
	bktLedgerHash   = []byte("ledger.hashes")
	// bktFineDetection maps an imported fine's DetectionKey to its id. It
	// came after schema 1 shipped: created at a writable open, absent from
	// older files, which read-only opens still accept (see laterBuckets).
	bktFineDetection = []byte("fines.detection")
	// bktPhotos holds the evidence images: fine id 0x00 n(4) → JPEG.
	bktPhotos = []byte("photos")

	allBuckets = [][]byte{
		bktMeta, bktFines, bktViolations, bktFineNAV, bktFinePlate, bktFineStatus,
		bktFineDate, bktFineSeq, bktReceipts, bktReceiptPaid, bktReceiptFine, bktReceiptPPA, bktReceiptAnom, bktIdempotency,
		bktUsers, bktTokens, bktTokenFamily, bktLedgerRecord, bktLedgerHash, bktFineDetection, bktPhotos,
		bktFineReport,
	}
	// laterBuckets were added after files existed: a read-only open of an
	// older file goes on without them, and their readers accept nil.
	laterBuckets = [][]byte{bktReceiptFine, bktReceiptPPA, bktReceiptAnom, bktFineDetection, bktPhotos, bktFineReport}
)

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Now is the clock used to stamp ledger entries and idempotency
	// records; tests inject a fixed one. Default time.Now.
	Now func() time.Time
	// Timeout bounds the wait for the file lock. Default one second: an
	// operator running a command against a file a server holds gets a
	// "database in use" error quickly instead of a hang.
	Timeout time.Duration
	// ReadOnly opens the file with a shared lock and no writes, for
	// offline checks (ledger verify, backup) next to other readers.
	ReadOnly bool
	// ImportChunk is the number of fines ImportFines writes per
	// transaction. Default 10,000, measured: smaller chunks pay more
	// fsyncs and rewrite the same index pages more often; larger ones are
	// slower still, because bbolt keeps every dirty node in memory until
	// commit (50,000 per transaction was three times slower and used
	// about a gigabyte). Concurrent ImportFines calls share a transaction
	// of up to importJoin chunks (importgroup.go).
	ImportChunk int
	// WarmPlateSearch builds the list of plates that searches by part of
	// a plate read (plates.go) in the background at open, so that a
	// server's first clerk does not wait seconds for it at a big city's
	// size. Commands that search nothing (user add, ledger verify,
	// backup) leave it off: the build would only hold their writes and
	// their Close. Off, the first search builds it.
	WarmPlateSearch bool
	// Check reads every page of the file at open (every bucket, key and
	// value, then bbolt's own consistency check) and turns damage into
	// EDatabaseDamaged, instead of a panic or a memory fault in the middle
	// of a later request. It costs a full read of the file: the commands
	// (serve, backup, ledger verify) pay it once at start.
	Check bool
	// Calendar is the calendar the dashboard's outstanding tallies value
	// fines with (see tallies.go): the server's. When it differs from the
	// one the file's tallies were computed with, a writable open
	// recomputes them from every fine. Nil keeps the file's (commands
	// that do not value fines: user add, backup).
	Calendar *notices.Calendar
}

// Store is the bbolt implementation of notices.Store. It is safe for
// concurrent use.
type Store struct {
	db          *bolt.DB
	path        string
	now         func() time.Time
	importChunk int
	commits     groupCommit // shared write transactions, see groupcommit.go
	imports     importGroup // shared import transactions, see importgroup.go
	plates      plateList   // every plate, for searches by part of one (plates.go)
	// cal values fines for the outstanding tallies; set at open.
	cal notices.Calendar

	// violations caches decoded catalogue entries by content address;
	// entries are immutable, so the cache never goes stale.
	vmu        sync.RWMutex
	violations map[string]notices.Violation
	vrefs      map[notices.Violation]string
}

// The compiler checks that Store keeps up with the port.
var _ notices.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and makes sure all
// buckets exist. A file locked by another process yields an error with code
// notices.EDatabaseInUse after Options.Timeout.
func Open(path string, opts Options) (st *Store, err error) {
	const op = "boltdb.Open"
	if opts.Check {
		if err := precheck(path); err != nil {
			return nil, err
		}
		// bbolt panics on pages that are not what it expects, and a file
		// cut short of its mapping faults (SIGBUS): both become errors
		// here, while this goroutine opens and reads the whole file.
		defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
		defer func() {
			if r := recover(); r != nil {
				st, err = nil, damaged(path, fmt.Sprint(r))
			}
		}()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.ImportChunk <= 0 {
		opts.ImportChunk = 10_000
	}
	// NoFreelistSync: bbolt otherwise rewrites its whole free-page list on
	// every commit, a cost that grows with the file and halved the durable
	// payment rate in the bench harness. An open after a crash rebuilds it
	// by a walk of every page (9 s for 6.5 GB); a clean Close writes it
	// once so that the next open reads it (keepFreelist). The data pages
	// and their fsync are untouched, so no acknowledged payment is less
	// durable.
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:        opts.Timeout,
		FreelistType:   bolt.FreelistMapType,
		NoFreelistSync: true,
		ReadOnly:       opts.ReadOnly,
	})
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &notices.Error{Code: notices.EDatabaseInUse, Op: op, Err: err,
			Message: fmt.Sprintf("database in use: %s is held open by another process (stop it, or use the server's API)", path)}
	}
	if err != nil && opts.Check && !errors.Is(err, os.ErrPermission) {
		return nil, damaged(path, err.Error())
	}
	if err != nil {
		return nil, &notices.Error{Code: notices.EInternal, Op: op, Err: err,
			Message: fmt.Sprintf("cannot open database %s: %v", path, err)}
	}
	s := &Store{
		db: db, path: path, now: opts.Now, importChunk: opts.ImportChunk,
		commits:    groupCommit{db: db},
		imports:    importGroup{maxFines: importJoin * opts.ImportChunk},
		violations: make(map[string]notices.Violation),
		vrefs:      make(map[notices.Violation]string),
	}
	if opts.ReadOnly {
		err = db.View(checkSchema)
	} else {
		err = db.Update(func(tx *bolt.Tx) error {
			if err := createSchema(tx); err != nil {
				return err
			}
			return s.openTallies(tx, opts.Calendar)
		})
		if err == nil {
			err = s.buildReportIndex()
		}
	}
	if err != nil {
		db.Close()
		return nil, &notices.Error{Code: notices.EInternal, Op: op, Err: err,
			Message: fmt.Sprintf("database %s: %v", path, err)}
	}
	if opts.Check {
		if err := checkPages(db); err != nil {
			db.Close()
			return nil, damaged(path, err.Error())
		}
	}
	if opts.WarmPlateSearch {
		// The plate list takes seconds to build from a big city's plate
		// index: built now, in the background, the first clerk's search
		// does not wait for it (a search arriving earlier waits for the
		// build, not longer). Close waits for its read transaction; an
		// error leaves it to the first search.
		go func() { _ = s.plates.ensure(db) }()
	}
	return s, nil
}

// createSchema creates every bucket at open, so that later transactions
// can assume they exist and read-only ones never need to create them.
func createSchema(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bktMeta)
	switch v := meta.Get([]byte("schema")); {
	case v == nil:
		return meta.Put([]byte("schema"), []byte(schemaVersion))
	case string(v) != schemaVersion:
		return fmt.Errorf("schema version %q is not the supported %q", v, schemaVersion)
	}
	return nil
}

// checkSchema is createSchema for read-only opens: it can only complain.
func checkSchema(tx *bolt.Tx) error {
	for _, name := range allBuckets {
		if tx.Bucket(name) == nil && !slices.ContainsFunc(laterBuckets, func(b []byte) bool { return bytes.Equal(b, name) }) {
			return fmt.Errorf("not a Multa database (bucket %s missing)", name)
		}
	}
	if v := tx.Bucket(bktMeta).Get([]byte("schema")); string(v) != schemaVersion {
		return fmt.Errorf("schema version %q is not the supported %q", v, schemaVersion)
	}
	return nil
}

// Path returns the file the store was opened from.
func (s *Store) Path() string { return s.path }

// Close releases the database and its file lock. A writable store first
// leaves bbolt's list of free pages in the file (keepFreelist), so that
// the next open need not rebuild it.
func (s *Store) Close() error {
	var kept error
	if !s.db.IsReadOnly() {
		kept = s.keepFreelist()
	}
	if err := s.db.Close(); err != nil {
		return internal("boltdb.Close", err)
	}
	if kept != nil {
		return internal("boltdb.Close", kept)
	}
	return nil
}

// keepFreelist writes bbolt's free-page list in one last, empty commit.
// The store runs with NoFreelistSync, so commits skip that list (it grows
// with the file), and an open after them rebuilds it by walking, and
// checking the key order of, every page: 9 s for a big city's 6.5 GB file
// before the server answers. After a clean close the next open reads the
// list instead; its first commit drops the list again, and a crash leaves
// none, so the open after a crash walks the file as before. bbolt reads
// the setting in Commit under the writer lock, which this function holds
// while changing it.
func (s *Store) keepFreelist() error {
	return s.db.Update(func(*bolt.Tx) error {
		s.db.NoFreelistSync = false
		return nil
	})
}

// BackupUnsupported is nil: a bbolt file is copied by Backup.
func (s *Store) BackupUnsupported() error { return nil }

// Backup writes a consistent copy of the whole database to w from a read
// transaction (tx.WriteTo), so that writers go on meanwhile. Cancelling ctx
// stops the copy at the next write.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	const op = "boltdb.Backup"
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(ctxWriter{ctx, w})
		return err
	})
	if err != nil {
		if ctx.Err() != nil {
			return n, ctx.Err()
		}
		return n, internal(op, err)
	}
	return n, nil
}

// BackupFile writes a consistent copy of the database to path, for the
// command line. It writes a temporary file next to path and renames it
// into place after an fsync, so that path never holds half a backup.
func (s *Store) BackupFile(path string) error {
	const op = "boltdb.BackupFile"
	if abs, err := filepath.Abs(path); err == nil {
		if own, err := filepath.Abs(s.path); err == nil && abs == own {
			return &notices.Error{Code: notices.EValidation, Op: op,
				Message: "the backup path is the database itself"}
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return internal(op, err)
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil { // it holds password hashes
		return internal(op, err)
	}
	if _, err := s.Backup(context.Background(), tmp); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return internal(op, err)
	}
	if err := tmp.Close(); err != nil {
		return internal(op, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return internal(op, err)
	}
	done = true
	if d, err := os.Open(filepath.Dir(path)); err == nil { // persist the rename
		d.Sync()
		d.Close()
	}
	return nil
}

// ctxWriter stops a long copy when its context is cancelled.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

// Write refuses once the context is done, which ends tx.WriteTo early.
func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

// internal wraps an unexpected failure (I/O, corrupt data) so that its text
// stays in logs and clients see only "internal".
func internal(op string, err error) error {
	if err == nil {
		return nil
	}
	// Domain errors pass unchanged (never mutated: they may be a caller's
	// shared value); ours already name their operation.
	var de *notices.Error
	if errors.As(err, &de) {
		return err
	}
	var ve *notices.ValidationError
	if errors.As(err, &ve) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &notices.Error{Code: notices.EInternal, Op: op, Err: err}
}

// domainErr builds a domain error that names the operation.
func domainErr(op, code, format string, args ...any) error {
	e := notices.Errorf(code, format, args...)
	e.Op = op
	return e
}
