package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/multa/multa/notices"
)

// tallyShards is how many rows share one (day, stage) of
// outstanding_tallies: a payment locks one of them until it commits.
const tallyShards = 16

// tallyKey is a row of outstanding_tallies without its shard.
type tallyKey struct {
	day   int32 // YYYYMMDD, 0 for since always
	stage string
}

// tallies accumulates deltas by key, so that an import chunk upserts a
// few rows.
type tallies map[tallyKey][2]int64

func (t tallies) add(ds []notices.TallyDelta) {
	for _, d := range ds {
		k := tallyKey{dayNumber(d.On), string(d.Stage)}
		v := t[k]
		t[k] = [2]int64{v[0] + d.Fines, v[1] + d.Cents}
	}
}

// change accumulates replacing old (nil: none) by f (nil: none).
func (s *Store) tallyChange(t tallies, old, f *notices.Fine) tallies {
	if t == nil {
		t = tallies{}
	}
	if old != nil {
		t.add(s.cal.OutstandingDeltas(old, -1))
	}
	if f != nil {
		t.add(s.cal.OutstandingDeltas(f, 1))
	}
	return t
}

// queue adds the upsert of t to b (nothing when every delta cancels out).
// Rows are locked in key order, so two writers never wait on each other
// in a cycle.
func (t tallies) queue(b *pgx.Batch) {
	keys := make([]tallyKey, 0, len(t))
	for k, v := range t {
		if v != [2]int64{} {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return
	}
	slices.SortFunc(keys, func(a, b tallyKey) int {
		if a.day != b.day {
			return int(a.day - b.day)
		}
		switch {
		case a.stage < b.stage:
			return -1
		case a.stage > b.stage:
			return 1
		}
		return 0
	})
	shard := int16(rand.IntN(tallyShards))
	days, stages, shards, fines, cents := make([]int32, len(keys)), make([]string, len(keys)), make([]int16, len(keys)), make([]int64, len(keys)), make([]int64, len(keys))
	for i, k := range keys {
		days[i], stages[i], shards[i], fines[i], cents[i] = k.day, k.stage, shard, t[k][0], t[k][1]
	}
	b.Queue(`INSERT INTO outstanding_tallies (day, stage, shard, fines, cents)
		SELECT * FROM unnest($1::integer[], $2::text[], $3::smallint[], $4::bigint[], $5::bigint[]) ORDER BY 1, 2
		ON CONFLICT (day, stage, shard) DO UPDATE
		SET fines = outstanding_tallies.fines + EXCLUDED.fines, cents = outstanding_tallies.cents + EXCLUDED.cents`,
		days, stages, shards, fines, cents)
}

// tallyMeta is what the tallies of a database were computed with.
type tallyMeta struct {
	Version  string           `json:"version"`
	Calendar notices.Calendar `json:"calendar"`
}

// openTallies decides the calendar of the tallies at open, and recomputes
// them from every unpaid fine when the database has none yet or they
// were computed with other rules or another calendar than cal (nil: keep
// the database's). It holds the migration lock meanwhile, so two
// processes starting at once recompute once.
func (s *Store) openTallies(ctx context.Context, cal *notices.Calendar) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLockKey)); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLockKey))
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		var doc string
		var m tallyMeta
		had := false
		err := tx.QueryRow(ctx, `SELECT doc FROM tally_meta WHERE id = 1`).Scan(&doc)
		switch {
		case err == nil:
			had = json.Unmarshal([]byte(doc), &m) == nil
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		want := m
		want.Version = notices.TallyVersion
		if cal != nil {
			want.Calendar = *cal
		}
		s.cal = want.Calendar
		if had && m == want {
			return nil
		}
		if _, err := tx.Exec(ctx, `DELETE FROM outstanding_tallies`); err != nil {
			return err
		}
		// Payments: one row per hour and stage, summed by the database.
		if _, err := tx.Exec(ctx, `DELETE FROM payment_tallies`); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO payment_tallies (day, hour, stage, shard, payments, cents)
			SELECT to_char(t, 'YYYYMMDD')::integer, extract(hour FROM t)::smallint, stage, 0, count(*), sum(cents)
			FROM (SELECT to_timestamp(paid_at / 1000000000) AT TIME ZONE 'Europe/Rome' AS t,
				coalesce(convert_from(doc, 'UTF8')::jsonb->>'stage', '') AS stage,
				(convert_from(doc, 'UTF8')::jsonb->>'amountCents')::bigint AS cents FROM receipts) r
			GROUP BY 1, 2, 3`); err != nil {
			return err
		}
		acc := tallies{}
		rows, err := tx.Query(ctx, `SELECT doc FROM fines WHERE status IN ('issued', 'notified')`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var b []byte
			if err := rows.Scan(&b); err != nil {
				rows.Close()
				return err
			}
			f, err := decodeFine(b)
			if err != nil {
				rows.Close()
				return err
			}
			acc.add(s.cal.OutstandingDeltas(&f, 1))
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		b := &pgx.Batch{}
		acc.queue(b)
		enc, err := json.Marshal(want)
		if err != nil {
			return err
		}
		b.Queue(`INSERT INTO tally_meta (id, doc) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET doc = EXCLUDED.doc`, string(enc))
		return tx.SendBatch(ctx, b).Close()
	})
}

// OutstandingOn sums the tallies of every day up to on: what the unpaid
// fines are worth that day, without reading a fine.
func (s *Store) OutstandingOn(ctx context.Context, on notices.Date) (notices.Outstanding, error) {
	const op = "postgres.OutstandingOn"
	var o notices.Outstanding
	err := s.retryRead(ctx, func() error {
		o = notices.Outstanding{On: on}
		rows, err := s.pool.Query(ctx, `SELECT stage, sum(fines)::bigint, sum(cents)::bigint FROM outstanding_tallies
			WHERE day <= $1 GROUP BY stage`, dayNumber(on))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var st string
			var fines, cents int64
			if err := rows.Scan(&st, &fines, &cents); err != nil {
				return err
			}
			o.AddTally(notices.Stage(st), fines, cents)
		}
		return rows.Err()
	})
	if err != nil {
		return notices.Outstanding{On: on}, wrap(op, err)
	}
	return o, nil
}

// queuePayment adds a receipt's hour to its payment tally.
func queuePayment(b *pgx.Batch, r *notices.Receipt) {
	h := notices.ReceiptHour(*r)
	b.Queue(`INSERT INTO payment_tallies (day, hour, stage, shard, payments, cents) VALUES ($1, $2, $3, $4, 1, $5)
		ON CONFLICT (day, hour, stage, shard) DO UPDATE
		SET payments = payment_tallies.payments + 1, cents = payment_tallies.cents + EXCLUDED.cents`,
		dayNumber(h.Date), int16(h.Hour), string(h.Stage), int16(rand.IntN(tallyShards)), h.Cents)
}

// dayNumber is a day as YYYYMMDD, 0 for the zero Date.
func dayNumber(d notices.Date) int32 { return int32(d.Year*10000 + int(d.Month)*100 + d.Day) }

// PaymentTallies calls fn for every hour's payment tally of days from..to.
func (s *Store) PaymentTallies(ctx context.Context, from, to notices.Date, fn func(notices.HourTally)) error {
	const op = "postgres.PaymentTallies"
	var out []notices.HourTally
	err := s.retryRead(ctx, func() error {
		out = out[:0]
		rows, err := s.pool.Query(ctx, `SELECT day, hour, stage, sum(payments)::bigint, sum(cents)::bigint FROM payment_tallies
			WHERE day BETWEEN $1 AND $2 GROUP BY day, hour, stage`, dayNumber(from), dayNumber(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var day int32
			var hour int16
			var st string
			var h notices.HourTally
			if err := rows.Scan(&day, &hour, &st, &h.Payments, &h.Cents); err != nil {
				return err
			}
			h.Date = notices.Date{Year: int(day / 10000), Month: time.Month(day / 100 % 100), Day: int(day % 100)}
			h.Hour, h.Stage = int(hour), notices.Stage(st)
			out = append(out, h)
		}
		return rows.Err()
	})
	if err != nil {
		return wrap(op, err)
	}
	for _, h := range out {
		fn(h)
	}
	return nil
}
