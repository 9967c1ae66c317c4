package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/multa/multa/notices"
)

// The payment fast path: a shared transaction of payments in ONE round
// trip.
//
// The locked path (RecordPayment's groupFn) needs, per shared transaction,
// BEGIN, two round trips per payment (read and lock the fine, then write),
// two for the ledger (lock the head and read hashes, then write) and the
// COMMIT, all in turn on one connection while the payers wait. Measured,
// that round-trip chain, not the WAL flush, set the pace.
//
// Here each payer reads its fine on its own connection, without a lock and
// at the same time as the others (preparePayment), lets the domain decide
// (Fine.MarkPaid), and builds every document and ledger event. The group's
// leader then numbers the records from the ledger tip this process last
// committed (ledgerTip), computes their tlog hashes, and sends BEGIN, the
// writes of the whole group as a few set-based statements, the records,
// the hashes, a compare-and-set of the head, and COMMIT, in one pipeline.
//
// Exactly once stays decided by the database: each fine is written only
// WHERE its ledger_entry (the number of the record of its current version,
// which every write of a fine changes) is still the one the payer read;
// UPDATE takes the row lock, waits for a concurrent payment of the same
// fine by any process, and re-checks the condition on the committed row.
// multa_expect (migration 0004) raises when a fine or the head did not
// match, so PostgreSQL skips the rest of the pipeline, COMMIT included: the
// transaction rolls back whole, nothing is acknowledged, and the group
// runs again on the locked path, which decides every payment as before
// (EAlreadyPaid with the winner's receipt, idempotent replays, conflicts).
// The idempotency key and receipt ids are primary keys: a taken one fails
// the pipeline the same way.
//
// The ledger's records, their order (receipt, then the fine's new
// version), their fields and hashes are those the locked path writes; the
// head's row lock is taken by the compare-and-set, last before COMMIT, so
// appends stay serialized across processes and numbered in commit order.

// fastPayment is one payment prepared for the fast path: everything it
// writes, decided from the fine as read (version prev).
type fastPayment struct {
	fine    notices.Fine // the fine paid
	prev    int64        // the ledger record of the version read
	fineDoc []byte
	receipt notices.Receipt
	rcptDoc []byte
	idem    *notices.Idempotent // nil: no idempotency record
	idemDoc []byte
	recEv   ledgerEvent // the receipt's record (SHA256 and At set)
	fineEv  ledgerEvent // the fine's new version (Prev set)
	tally   tallies     // the outstanding tallies' change
}

// preparePayment reads the fine without a lock (or takes the version Fine
// just read, readcache.go) and builds the payment of it, or returns nil when the fast path cannot decide: the fine is
// missing, refuses the payment, or could not be read. The locked path then
// decides, and answers the errors.
func (s *Store) preparePayment(ctx context.Context, p notices.PaymentRecord, r notices.Receipt) *fastPayment {
	prev, doc, ok := s.reads.take(p.FineID)
	if !ok {
		if err := s.pool.QueryRow(ctx, `SELECT doc, ledger_entry FROM fines WHERE id = $1`, p.FineID).Scan(&doc, &prev); err != nil {
			return nil
		}
	}
	f, err := decodeFine(doc)
	if err != nil {
		return nil
	}
	old := f
	if f.MarkPaid(r.ID, r.PaidAt) != nil || !sameNAVs(&old, &f) {
		return nil
	}
	fp := &fastPayment{fine: f, prev: prev, receipt: r}
	if fp.fineDoc, err = encodeFine(&f); err != nil {
		return nil
	}
	if fp.rcptDoc, err = json.Marshal(&r); err != nil {
		return nil
	}
	if p.Idempotency != nil {
		rec := *p.Idempotency
		if rec.CreatedAt.IsZero() {
			rec.CreatedAt = s.now()
		}
		if fp.idemDoc, err = json.Marshal(&rec); err != nil {
			return nil
		}
		fp.idem = &rec
	}
	fp.recEv = s.event(ledgerEvent{Type: evReceipt, ID: r.ID, Op: opCreate, FineID: r.FineID, AmountCents: r.AmountCents}, fp.rcptDoc)
	fp.fineEv = s.event(ledgerEvent{Type: evFine, ID: f.ID, Op: opPay, Status: string(f.Status), By: notices.ActorOf(ctx), Prev: &prev}, fp.fineDoc)
	fp.tally = s.tallyChange(nil, &old, &f)
	return fp
}

// errFastMissed means the fast path wrote nothing and the group must run
// on the locked path: the tip is unknown, a fine or the head changed
// meanwhile, or a key was taken.
var errFastMissed = errors.New("fast path missed")

// commitFast writes the payments of group in one pipelined transaction.
// It returns nil once committed, errFastMissed when nothing was written
// and the locked path must decide, or another error when the outcome is
// unknown (the connection broke while the COMMIT may have run): then every
// caller gets it, as the locked path would give (EUnavailable, retried
// with the same Idempotency-Key, which the database then decides).
func (s *Store) commitFast(ctx context.Context, group []*groupCall) error {
	first, known, ok := s.tip.get()
	if !ok {
		return errFastMissed
	}
	nh := newHashes{known: known}
	k := 2 * len(group)
	ns := make([]int64, 0, k)
	records := make([][]byte, 0, k)
	appendRec := func(ev ledgerEvent) error {
		n := first + int64(len(ns))
		rec, err := json.Marshal(ev)
		if err != nil {
			return err
		}
		if err := nh.add(n, rec); err != nil {
			return err
		}
		ns, records = append(ns, n), append(records, rec)
		return nil
	}

	var (
		iScope, iKey         []string
		iDoc                 [][]byte
		rID, rFine, rAnomaly []string
		rPaid, rEntry        []int64
		rFC, rPID            []*string
		rDoc                 [][]byte
		fID, fStatus         []string
		fPrev, fEntry        []int64
		fDoc                 [][]byte
		tally                = tallies{}
		hours                = map[hourKey][2]int64{}
		pays                 = make([]*fastPayment, len(group))
	)
	for i, c := range group {
		pays[i] = c.pay
	}
	// Fines in id order, so that two groups paying the same fines lock
	// them in one order (a deadlock would only send both to the locked
	// path, but need not happen).
	slices.SortFunc(pays, func(a, b *fastPayment) int { return strings.Compare(a.fine.ID, b.fine.ID) })
	for _, p := range pays {
		rn := first + int64(len(ns))
		if err := appendRec(p.recEv); err != nil {
			return err
		}
		fn := first + int64(len(ns))
		if err := appendRec(p.fineEv); err != nil {
			return err
		}
		if p.idem != nil {
			iScope, iKey, iDoc = append(iScope, p.idem.Scope), append(iKey, p.idem.Key), append(iDoc, p.idemDoc)
		}
		r := &p.receipt
		var fc, pid *string
		if r.PagoPA != nil {
			fc, pid = &r.PagoPA.FiscalCode, &r.PagoPA.ReceiptID
		}
		rID, rFine, rAnomaly = append(rID, r.ID), append(rFine, r.FineID), append(rAnomaly, string(r.Anomaly))
		rPaid, rEntry, rFC, rPID, rDoc = append(rPaid, nanos(r.PaidAt)), append(rEntry, rn), append(rFC, fc), append(rPID, pid), append(rDoc, p.rcptDoc)
		fID, fStatus, fPrev, fEntry, fDoc = append(fID, p.fine.ID), append(fStatus, string(p.fine.Status)), append(fPrev, p.prev), append(fEntry, fn), append(fDoc, p.fineDoc)
		for key, v := range p.tally {
			t := tally[key]
			tally[key] = [2]int64{t[0] + v[0], t[1] + v[1]}
		}
		h := notices.ReceiptHour(*r)
		hk := hourKey{dayNumber(h.Date), int16(h.Hour), string(h.Stage)}
		t := hours[hk]
		hours[hk] = [2]int64{t[0] + 1, t[1] + h.Cents}
	}
	size := first + int64(len(ns))

	b := &pgx.Batch{}
	b.Queue(`BEGIN ISOLATION LEVEL READ COMMITTED`)
	if len(iKey) > 0 {
		b.Queue(`INSERT INTO idempotency (scope, key, doc) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])`, iScope, iKey, iDoc)
	}
	b.Queue(`INSERT INTO receipts (id, fine_id, paid_at, anomaly, pagopa_fiscal_code, pagopa_receipt_id, ledger_entry, doc)
		SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bytea[])`,
		rID, rFine, rPaid, rAnomaly, rFC, rPID, rEntry, rDoc)
	b.Queue(`WITH u AS (
			UPDATE fines AS f SET status = v.status, ledger_entry = v.n, doc = v.doc
			FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::bytea[]) AS v(id, prev, status, n, doc)
			WHERE f.id = v.id AND f.ledger_entry = v.prev
			RETURNING 1)
		SELECT multa_expect(count(*), $6, 'a fine changed since it was read') FROM u`,
		fID, fPrev, fStatus, fEntry, fDoc, int64(len(fID)))
	tally.queue(b)
	queueHours(b, hours)
	b.Queue(insertRecords, ns, records, nh.hashes)
	b.Queue(`WITH u AS (UPDATE ledger_head SET size = $2 WHERE id = 1 AND size = $1 RETURNING 1)
		SELECT multa_expect(count(*), 1, 'the ledger head moved') FROM u`, first, size)
	b.Queue(`COMMIT`)

	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return errFastMissed // the locked path tries, and reports, again
	}
	defer conn.Release()
	err = conn.SendBatch(ctx, b).Close()
	if err == nil && conn.Conn().PgConn().TxStatus() == 'I' {
		s.ledgerSize.Store(size)
		s.tip.set(size, known)
		return nil
	}
	if conn.Conn().PgConn().TxStatus() != 'I' && !conn.Conn().IsClosed() {
		// A refused statement left the transaction open and aborted; a
		// connection that cannot roll back is closed, and the pool drops it.
		if _, rerr := conn.Exec(ctx, `ROLLBACK`); rerr != nil {
			_ = conn.Conn().Close(ctx)
		}
	}
	var pe *pgconn.PgError
	if err == nil || errors.As(err, &pe) || pgconn.SafeToRetry(err) {
		return errFastMissed // refused, or never sent: nothing was written
	}
	return err
}

// hourKey is a row of payment_tallies without its shard.
type hourKey struct {
	day   int32
	hour  int16
	stage string
}

// queueHours adds the payment tallies of a group of receipts (payments and
// cents per hour and stage) as one upsert, in key order, on one shard.
func queueHours(b *pgx.Batch, hours map[hourKey][2]int64) {
	keys := make([]hourKey, 0, len(hours))
	for k := range hours {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b hourKey) int {
		switch {
		case a.day != b.day:
			return int(a.day - b.day)
		case a.hour != b.hour:
			return int(a.hour - b.hour)
		}
		return strings.Compare(a.stage, b.stage)
	})
	shard := int16(rand.IntN(tallyShards))
	days, hrs, stages, shards, payments, cents := make([]int32, len(keys)), make([]int16, len(keys)), make([]string, len(keys)), make([]int16, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		days[i], hrs[i], stages[i], shards[i], payments[i], cents[i] = k.day, k.hour, k.stage, shard, hours[k][0], hours[k][1]
	}
	b.Queue(`INSERT INTO payment_tallies (day, hour, stage, shard, payments, cents)
		SELECT * FROM unnest($1::integer[], $2::smallint[], $3::text[], $4::smallint[], $5::bigint[], $6::bigint[])
		ON CONFLICT (day, hour, stage, shard) DO UPDATE
		SET payments = payment_tallies.payments + EXCLUDED.payments, cents = payment_tallies.cents + EXCLUDED.cents`,
		days, hrs, stages, shards, payments, cents)
}
