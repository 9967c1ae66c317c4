package boltdb

import (
	"context"
	"errors"

	bolt "go.etcd.io/bbolt"
)

// Check walks every page of the file in one read transaction (bbolt's
// tx.Check): no page is referenced twice or freed while in use, and every
// page is either in use or free. It finds corruption below the level that
// VerifyLedger sees, e.g. after a disk fault; writers go on meanwhile.
func (s *Store) Check(ctx context.Context) error {
	const op = "boltdb.Check"
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.db.View(func(tx *bolt.Tx) error {
		var errs []error
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		if len(errs) > 0 {
			return internal(op, errors.Join(errs...))
		}
		return nil
	})
}
