// Package postgres is the PostgreSQL adapter of notices.Store, for cities
// that run several Multa processes on one database (two servers behind a
// load balancer, a standby, a DBA's backups). It keeps the guarantees of
// the bbolt adapter, checked by the same conformance suite
// (notices/storetest):
//
//   - every logical write is one transaction, together with its ledger
//     entries, so a crash leaves all of a change or none of it;
//   - a fine is paid at most once, whichever process takes the payment:
//     RecordPayment locks the fine's row (SELECT … FOR UPDATE), so
//     concurrent payers of one fine queue in the database and each, once
//     the winner has committed, re-reads the fine and sees it paid;
//   - the ledger is the same tamper-evident Merkle log (tlog) with the
//     same records: appends are serialized by the lock of the one row of
//     ledger_head, taken last in every writing transaction, so the log is
//     gap-free and in commit order across processes. Records are numbered
//     at the end of the transaction (flush), so the lock is held briefly,
//     and concurrent payments, receipts and new fines of one process
//     share a transaction (groupcommit.go), so they share the lock and
//     the WAL flush.
//
// Documents (fines, receipts, users, tokens, idempotent answers, flows)
// are stored as the exact JSON bytes the ledger hashed; the other columns
// are indexes derived from them, and VerifyLedger checks they agree.
//
// The schema is created and migrated at Open (migrations/*.sql, embedded),
// under an advisory lock so that two processes starting at once do not
// race. When the database cannot be reached, operations fail with code
// notices.EUnavailable (a 503 for HTTP clients, who retry with the same
// Idempotency-Key); the pool reconnects by itself once PostgreSQL is back.
package postgres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/multa/multa/notices"
)

// BackupAdvice says how to back up a PostgreSQL store; `multa backup` and
// the backup API show it instead of pretending to copy the database.
const BackupAdvice = `A PostgreSQL store is backed up with PostgreSQL's own tools, which see every process's writes:
  pg_dump --format=custom --file=multa.dump "$MULTA_DB"     (a consistent logical copy while Multa runs)
  pg_basebackup -D /backups/base -X stream                   (a physical base backup; with WAL archiving, point-in-time recovery)
Restore with pg_restore into an empty database, then run "multa ledger verify --db <url>".`

// Options configure Open. The zero value is ready to use.
type Options struct {
	// Now is the clock used to stamp ledger entries and idempotency
	// records; tests inject a fixed one. Default time.Now.
	Now func() time.Time
	// MaxConns bounds the connection pool. Default 16: enough to keep
	// PostgreSQL's group commit busy, few enough that several processes
	// stay well under max_connections (100 by default).
	MaxConns int32
	// ImportChunk is the number of fines ImportFines writes per
	// transaction. Default 1,000.
	ImportChunk int
	// ConnectTimeout bounds one connection attempt, so that a request made
	// while PostgreSQL is down fails quickly with EUnavailable instead of
	// hanging. Default 3 seconds.
	ConnectTimeout time.Duration
	// Calendar is the calendar the dashboard's outstanding tallies value
	// fines with (see tallies.go): the server's. When it differs from the
	// one the database's tallies were computed with, Open recomputes them
	// from every unpaid fine. Nil keeps the database's. Processes sharing
	// a database must be given the same one.
	Calendar *notices.Calendar
}

// Store is the PostgreSQL implementation of notices.Store. It is safe for
// concurrent use, and any number of processes may open the same database.
type Store struct {
	pool        *pgxpool.Pool
	now         func() time.Time
	importChunk int
	// ledgerSize is the ledger size this process last saw: the guess that
	// lets flush lock the head and read the hashes it needs in one round
	// trip (see lockHead). A wrong guess costs a round trip, never data.
	ledgerSize atomic.Int64
	// tip is the ledger head this process last committed, with the
	// hashes appending to it reads: payments append from it in one round
	// trip (fastpay.go).
	tip ledgerTip
	// fastCommits and fastMisses count the groups of payments the fast
	// path committed, and those it sent to the locked path, fastPayments
	// the payments it committed: for tests and benchmarks.
	fastCommits, fastMisses, fastPayments atomic.Int64
	// reads remembers the fines Fine just read, for the payment that
	// usually follows (readcache.go).
	reads readCache
	// commits shares transactions among concurrent payments and new
	// fines of this process (groupcommit.go).
	commits groupCommit
	// cal values fines for the outstanding tallies; set at open.
	cal notices.Calendar
}

// The compiler checks that Store keeps up with the ports.
var (
	_ notices.Store     = (*Store)(nil)
	_ notices.FlowStore = (*Store)(nil)
)

// IsURL reports whether a --db setting names a PostgreSQL database rather
// than a bbolt file.
func IsURL(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Open connects to the database at url (postgres://user:pass@host/db),
// applies the schema migrations it lacks and returns the store.
func Open(ctx context.Context, url string, opts Options) (*Store, error) {
	const op = "postgres.Open"
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxConns <= 0 {
		opts.MaxConns = 16
	}
	if opts.ImportChunk <= 0 {
		opts.ImportChunk = 1000
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = 3 * time.Second
	}
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The parse error may quote the URL, password included: say less.
		return nil, &notices.Error{Code: notices.EValidation, Op: op,
			Message: "the database URL is not a valid postgres:// URL"}
	}
	cfg.MaxConns = opts.MaxConns
	cfg.ConnConfig.ConnectTimeout = opts.ConnectTimeout
	// A connection that sat idle may have died with a restart of the
	// server; checking it before use costs a round trip only after idling.
	cfg.MaxConnIdleTime = time.Minute
	cfg.HealthCheckPeriod = 5 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, wrap(op, err)
	}
	s := &Store{pool: pool, now: opts.Now, importChunk: opts.ImportChunk}
	s.commits.s = s
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, wrap(op, err)
	}
	// Recomputing the tallies reads every unpaid fine: measured ~70 µs a
	// fine on a busy 2-CPU machine (BenchmarkReopenRecomputingTallies),
	// over a minute for a million. The caller's deadline bounds reaching
	// the server (done by now: the migrations ran), not that work; a
	// cancellation (the operator's Ctrl-C) still stops it.
	tctx, cancel := withoutDeadline(ctx)
	defer cancel()
	if err := s.openTallies(tctx, opts.Calendar); err != nil {
		pool.Close()
		return nil, wrap(op, err)
	}
	return s, nil
}

// withoutDeadline returns a context that ctx's cancellation ends but its
// deadline does not.
func withoutDeadline(ctx context.Context) (context.Context, context.CancelFunc) {
	out, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			cancel()
		}
	})
	return out, func() { stop(); cancel() }
}

// Close releases the connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// Pool returns the connection pool, for tests and tools that need SQL.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Backup refuses: see BackupAdvice. A copy made through one process's
// connection would be a logical dump anyway, which pg_dump makes better.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	return 0, s.BackupUnsupported()
}

// BackupUnsupported returns the error Backup returns, so that the HTTP
// adapter can answer it before it starts streaming a download.
func (s *Store) BackupUnsupported() error {
	return &notices.Error{Code: notices.EBackupExternal, Op: "postgres.Backup", Message: BackupAdvice}
}

// inTx runs fn in a read-committed transaction and commits it. A failure
// before anything reached the server (a dead pooled connection after a
// restart of PostgreSQL) is retried on a fresh connection: nothing was
// sent, so nothing can happen twice. Other failures are returned as they
// are for the caller to wrap.
func (s *Store) inTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		err = pgx.BeginTxFunc(ctx, s.pool, opts, fn)
		if err == nil || !pgconn.SafeToRetry(err) || ctx.Err() != nil {
			return err
		}
	}
	return err
}

// write and read are the two transaction kinds the store uses: writes
// lock what they change; reads that must see one state of several tables
// (a proof, a verification) take a repeatable-read snapshot.
var (
	writeTx    = pgx.TxOptions{IsoLevel: pgx.ReadCommitted}
	snapshotTx = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
)

// wrap turns an error into a domain error: domain errors and context
// errors pass unchanged, an unreachable database becomes EUnavailable,
// anything else is internal (its text stays in logs).
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var de *notices.Error
	if errors.As(err, &de) {
		return err
	}
	var ve *notices.ValidationError
	if errors.As(err, &ve) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if unavailable(err) {
		return &notices.Error{Code: notices.EUnavailable, Op: op, Err: err,
			Message: "The database is not reachable right now; retry shortly (with the same Idempotency-Key)."}
	}
	if aborted(err) {
		return &notices.Error{Code: notices.EUnavailable, Op: op, Err: err,
			Message: "The database gave up this request against a concurrent one; retry (with the same Idempotency-Key)."}
	}
	return &notices.Error{Code: notices.EInternal, Op: op, Err: err}
}

// aborted reports whether PostgreSQL cancelled the transaction to end a
// deadlock (40P01) or a serialization failure (40001) against another
// process's, and it survived a retry alone (groupcommit.go): nothing of it
// was written, so the caller may retry, as after an outage. Seen as a 500
// under two processes paying (bench TestKillOneProcessMidLoad) before.
func aborted(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001")
}

// unavailable reports whether err means that PostgreSQL could not be
// reached or went away (as opposed to refusing a statement): such a
// request may be retried once the server is back.
func unavailable(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"): // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutting down, crashed, starting
			return true
		case pe.Code == "53300": // too many connections
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	switch {
	case errors.As(err, &ce), errors.As(err, &ne), pgconn.SafeToRetry(err), pgconn.Timeout(err):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "closed pool") ||
		strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset")
}

// domainErr builds a domain error that names the operation.
func domainErr(op, code, format string, args ...any) error {
	e := notices.Errorf(code, format, args...)
	e.Op = op
	return e
}

// uniqueViolation reports whether err is a unique-constraint violation,
// optionally of the named constraint.
func uniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}
