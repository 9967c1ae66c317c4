package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// pgRecordSize is about the size of what one payment writes (receipt,
// fine, idempotent answer, ledger records), as for the bbolt ceiling.
const pgRecordSize = 1024

// pgCeiling measures raw durable PostgreSQL writes on the database at
// url: conc connections, each inserting one ~1 KB row per transaction
// (autocommit), with synchronous_commit on, for dur. PostgreSQL's group
// commit lets concurrent commits share a WAL flush, so this is the fair
// ceiling for one transaction per payment from the same number of
// connections: a payment cannot commit faster than a single-row insert.
// meter, when not nil, measures the CPU of the window.
func pgCeiling(ctx context.Context, url string, conc int, warmup, dur time.Duration, meter cpuMeter) (result, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return result{}, err
	}
	cfg.MaxConns = int32(conc)
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return result{}, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS ceiling (id bigserial PRIMARY KEY, v bytea NOT NULL)`); err != nil {
		return result{}, err
	}
	var on string
	if err := pool.QueryRow(ctx, `SHOW synchronous_commit`).Scan(&on); err != nil || on != "on" {
		return result{}, fmt.Errorf("synchronous_commit is %q, want on: %v", on, err)
	}
	value := make([]byte, pgRecordSize)
	rand.Read(value) // random: the WAL must not compress it away
	r := closedLoop(ctx, conc, warmup, dur, meter, func(_ int, _ int64) error {
		_, err := pool.Exec(ctx, `INSERT INTO ceiling (v) VALUES ($1)`, value)
		return err
	})
	return r, r.FirstErr
}
