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
