package main

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// boltRecordSize is about the size of what one payment writes: the
// receipt's JSON, the idempotent answer and ledger records.
const boltRecordSize = 1024

// boltCeiling measures raw durable bbolt writes: conc goroutines, each
// committing one ~1 KB record per transaction, for dur, in a fresh file
// in dir (the same file system as the service's database, so both pay
// the same fsync). batch selects db.Batch, which lets concurrent callers
// share one commit, instead of db.Update, one commit (two fsyncs: data,
// then meta page) per call. The options are those the service uses.
//
// It is the ceiling for durable payments: a payment cannot commit faster
// than an empty-handed transaction of the same shape.
func boltCeiling(ctx context.Context, dir string, conc int, warmup, dur time.Duration, batch bool) (result, error) {
	path := filepath.Join(dir, fmt.Sprintf("ceiling-%v.db", batch))
	defer os.Remove(path)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return result{}, err
	}
	defer db.Close()
	bucket := []byte("records")
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucket)
		return err
	}); err != nil {
		return result{}, err
	}
	// Random values: the page writes must not compress or dedupe away.
	value := make([]byte, boltRecordSize)
	rand.Read(value)
	write := db.Update
	if batch {
		write = db.Batch
	}
	r := closedLoop(ctx, conc, warmup, dur, nil, func(_ int, seq int64) error {
		var key [8]byte
		binary.BigEndian.PutUint64(key[:], uint64(seq))
		return write(func(tx *bolt.Tx) error {
			return tx.Bucket(bucket).Put(key[:], value)
		})
	})
	return r, r.FirstErr
}
