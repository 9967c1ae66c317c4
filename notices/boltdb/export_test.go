package boltdb

import (
	"errors"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// SetReportIndexChunk makes the build of the report-number index use
// transactions of n fines, until the returned function restores it.
func SetReportIndexChunk(n int) (restore func()) {
	old := reportIndexChunk
	reportIndexChunk = n
	return func() { reportIndexChunk = old }
}

// ReadAhead starts an import's look-ahead for fines in a write
// transaction of st, takes the reads of the first n fines, stops it while
// it may still be reading (or blocked handing over), and rolls back. It
// returns, per fine read, which of its NAVs the file holds.
func ReadAhead(st *Store, fines []*notices.Fine, n int) ([][]bool, error) {
	var taken [][]bool
	err := st.db.Update(func(tx *bolt.Tx) error {
		la := startLookAhead(tx, fines)
		defer la.close()
		for range n {
			taken = append(taken, la.next().takenNAVs)
		}
		return errRollback
	})
	if err != errRollback {
		return nil, err
	}
	return taken, nil
}

var errRollback = errors.New("rolled back")

// HoldWrites takes bbolt's writer lock of st, as a long write transaction
// would, until release is called.
func HoldWrites(st *Store) (release func(), err error) {
	tx, err := st.db.Begin(true)
	if err != nil {
		return nil, err
	}
	return func() { _ = tx.Rollback() }, nil
}

// ImportQueue tells whether an import transaction is led and how many
// import chunks wait for one.
func ImportQueue(st *Store) (busy bool, queued int) {
	st.imports.mu.Lock()
	defer st.imports.mu.Unlock()
	return st.imports.busy, len(st.imports.queue)
}

// LastTx is the id of st's last committed write transaction.
func LastTx(st *Store) (id int) {
	_ = st.db.View(func(tx *bolt.Tx) error { id = tx.ID(); return nil })
	return id
}
