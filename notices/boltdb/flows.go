package boltdb

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// Settlement flows uploaded by the finance office live in two buckets of
// their own, created by the first upload rather than at Open: a database
// that never received a flow looks exactly as it did before this feature,
// and reads treat a missing bucket as "no flows".
//
//	flows     "YYYY-MM-DD" 0x00 flow id → JSON of notices.SettlementFlow
//	flows.id  flow id → its key in "flows"
//
// The day comes first so that the flows of one day are one prefix scan;
// the second bucket makes flow ids unique across days, as pagoPA's are.
var (
	bktFlows  = []byte("flows")
	bktFlowID = []byte("flows.id")
)

func flowPrefix(day notices.Date) []byte { return append([]byte(day.String()), 0) }

// SaveFlow stores a settlement flow in one transaction. The flow is
// validated again here, as the store is the last line before the disk.
// Errors: EValidation; EConflict when a flow with the same id exists.
func (s *Store) SaveFlow(ctx context.Context, f notices.SettlementFlow) error {
	const op = "boltdb.SaveFlow"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := f.Validate(); err != nil {
		return err
	}
	v, err := json.Marshal(&f)
	if err != nil {
		return internal(op, err)
	}
	key := append(flowPrefix(f.SettlementDate), f.ID...)
	err = s.db.Update(func(tx *bolt.Tx) error {
		ids, err := tx.CreateBucketIfNotExists(bktFlowID)
		if err != nil {
			return err
		}
		flows, err := tx.CreateBucketIfNotExists(bktFlows)
		if err != nil {
			return err
		}
		if ids.Get([]byte(f.ID)) != nil {
			return domainErr(op, notices.EConflict, "a flow with id %s is already stored", f.ID)
		}
		if err := ids.Put([]byte(f.ID), key); err != nil {
			return err
		}
		return flows.Put(key, v)
	})
	return internal(op, err)
}

// Flows returns the stored flows of one settlement day, ordered by id.
func (s *Store) Flows(ctx context.Context, day notices.Date) ([]notices.SettlementFlow, error) {
	const op = "boltdb.Flows"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out := []notices.SettlementFlow{}
	prefix := flowPrefix(day)
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktFlows)
		if b == nil {
			return nil // no flow was ever uploaded
		}
		c := b.Cursor()
		for k, v := c.Seek(prefix); k != nil && len(k) >= len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Next() {
			var f notices.SettlementFlow
			if err := json.Unmarshal(v, &f); err != nil { // decoding copies out of the mmap
				return err
			}
			out = append(out, f)
		}
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}
