package boltdb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// photoKey is fine id 0x00 n(4, big-endian): a fine's photos sort
// together, in order.
func photoKey(fineID string, n int) []byte {
	k := make([]byte, 0, len(fineID)+5)
	k = append(k, fineID...)
	k = append(k, 0)
	return binary.BigEndian.AppendUint32(k, uint32(n))
}

// SavePhotos stores the images in the photos bucket of the same file and,
// in the same transaction, appends their descriptions (with SHA-256) to
// the fine and applies change, saving the fine with one ledger entry. The
// images are therefore in every backup of the file (Backup copies it
// whole) and the ledger vouches for their hashes.
func (s *Store) SavePhotos(ctx context.Context, fineID string, photos []notices.NewPhoto, change func(*notices.Fine, []int) error) (notices.Fine, error) {
	const op = "boltdb.SavePhotos"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, err
	}
	now := s.now()
	var out notices.Fine
	err := s.db.Update(func(tx *bolt.Tx) error {
		f, oldVal, err := s.loadFine(tx, op, fineID)
		if err != nil {
			return err
		}
		oldVal = bytes.Clone(oldVal)
		old := f
		nums, err := f.AddPhotos(photos, now)
		if err != nil {
			return err
		}
		if change != nil {
			if err := change(&f, nums); err != nil {
				return err
			}
		}
		if f.ID != fineID || f.Status == notices.StatusPaid && old.Status != notices.StatusPaid {
			return domainErr(op, notices.EInvalidTransition, "adding photos cannot change the fine's id or pay it")
		}
		b := tx.Bucket(bktPhotos)
		for i, n := range nums {
			if err := b.Put(photoKey(fineID, n), photos[i].JPEG); err != nil {
				return err
			}
		}
		oldEntry, hasOld := valueEntry(oldVal)
		n := nextEntry(tx)
		val, err := s.encodeFine(tx, &f, n)
		if err != nil {
			return err
		}
		out = f
		return s.saveFine(tx, &old, &f, val, n, ledgerEvent{Op: opUpdate, By: notices.ActorOf(ctx), Prev: entryRef(oldEntry, hasOld)})
	})
	if err != nil {
		return notices.Fine{}, internal(op, err)
	}
	return out, nil
}

// PhotoJPEG returns the bytes of photo n of a fine. Errors: ENotFound.
func (s *Store) PhotoJPEG(ctx context.Context, fineID string, n int) ([]byte, error) {
	const op = "boltdb.PhotoJPEG"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bktPhotos)
		var v []byte
		if b != nil && n > 0 {
			v = b.Get(photoKey(fineID, n))
		}
		if v == nil {
			return domainErr(op, notices.ENotFound, "no photo %d of fine %s", n, fineID)
		}
		out = bytes.Clone(v)
		return nil
	})
	if err != nil {
		return nil, internal(op, err)
	}
	return out, nil
}

// checkPhotos is VerifyLedger's pass over the evidence: every stored image
// hashes to the SHA-256 its fine lists (the fine's ledger entry vouches
// for that list), and every photo a fine lists is stored.
func (s *Store) checkPhotos(tx *bolt.Tx) *LedgerError {
	bad := func(id, problem string, args ...any) *LedgerError {
		return &LedgerError{Entry: -1, Kind: "photo", ID: id, Problem: fmt.Sprintf(problem, args...)}
	}
	b := tx.Bucket(bktPhotos)
	if b == nil {
		return nil
	}
	seen := map[string]int{}
	var le *LedgerError
	err := b.ForEach(func(k, v []byte) error {
		if len(k) < 6 || k[len(k)-5] != 0 {
			le = bad(string(k), "key is not fine id, 0x00, number")
			return errFound
		}
		id, n := string(k[:len(k)-5]), int(binary.BigEndian.Uint32(k[len(k)-4:]))
		fv := tx.Bucket(bktFines).Get([]byte(id))
		if fv == nil {
			le = bad(id, "photo %d belongs to no fine", n)
			return errFound
		}
		f, err := s.decodeFine(tx, []byte(id), fv)
		if err != nil {
			return err
		}
		p, ok := f.Photo(n)
		sum := sha256.Sum256(v)
		if !ok || p.SHA256 != hex.EncodeToString(sum[:]) {
			le = bad(id, "photo %d altered (its SHA-256 is not the one the fine lists)", n)
			return errFound
		}
		seen[id]++
		return nil
	})
	if le != nil {
		return le
	}
	if err != nil {
		return bad("", "%v", err)
	}
	// A fine listing more photos than are stored lost one.
	c := tx.Bucket(bktFines).Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if !bytes.Contains(v, []byte(`"ph":`)) {
			continue // no photos: skip the decoding
		}
		f, err := s.decodeFine(tx, k, v)
		if err != nil {
			return bad(string(k), "%v", err)
		}
		if len(f.Photos) != seen[string(k)] {
			return bad(string(k), "lists %d photos, %d are stored", len(f.Photos), seen[string(k)])
		}
	}
	return nil
}
