package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/multa/multa/notices"
)

// SavePhotos stores the images in the photos table (bytea, so pg_dump and
// base backups carry them) and, in the same transaction, appends their
// descriptions (with SHA-256) to the fine, applies change and saves the
// fine with one ledger record.
func (s *Store) SavePhotos(ctx context.Context, fineID string, photos []notices.NewPhoto, change func(*notices.Fine, []int) error) (notices.Fine, error) {
	const op = "postgres.SavePhotos"
	if err := ctx.Err(); err != nil {
		return notices.Fine{}, err
	}
	now := s.now()
	var out notices.Fine
	err := s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		f, prev, err := loadFine(ctx, tx, op, fineID, true)
		if err != nil {
			return err
		}
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
		for i, n := range nums {
			if _, err := tx.Exec(ctx, `INSERT INTO photos (fine_id, n, jpeg) VALUES ($1, $2, $3)`, fineID, n, photos[i].JPEG); err != nil {
				return err
			}
		}
		doc, err := encodeFine(&f)
		if err != nil {
			return err
		}
		out = f
		l := beginAppend()
		if err := s.saveFine(ctx, tx, l, &old, &f, doc, ledgerEvent{Op: opUpdate, By: notices.ActorOf(ctx), Prev: &prev}); err != nil {
			return err
		}
		return s.flush(ctx, tx, l)
	})
	if err != nil {
		return notices.Fine{}, wrap(op, err)
	}
	return out, nil
}

// PhotoJPEG returns the bytes of photo n of a fine. Errors: ENotFound.
func (s *Store) PhotoJPEG(ctx context.Context, fineID string, n int) ([]byte, error) {
	const op = "postgres.PhotoJPEG"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var b []byte
	err := s.pool.QueryRow(ctx, `SELECT jpeg FROM photos WHERE fine_id = $1 AND n = $2`, fineID, n).Scan(&b)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, domainErr(op, notices.ENotFound, "no photo %d of fine %s", n, fineID)
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	return b, nil
}

// verifyPhotos is VerifyLedger's pass over the evidence: every stored
// image hashes to the SHA-256 its fine's document lists (which the ledger
// covers), and every photo a fine lists is stored. PostgreSQL computes the
// hashes, so the images never leave the server.
func verifyPhotos(ctx context.Context, tx pgx.Tx, fail func(*LedgerError) error) error {
	rows, err := tx.Query(ctx, `
		SELECT coalesce(p.fine_id, e.id), coalesce(p.n, (e.ph->>'n')::int),
		       coalesce(encode(sha256(p.jpeg), 'hex'), ''), coalesce(e.ph->>'sha256', '')
		FROM photos p
		FULL JOIN (SELECT f.id, ph FROM fines f,
		           jsonb_array_elements(coalesce(convert_from(f.doc, 'UTF8')::jsonb->'photos', '[]'::jsonb)) ph) e
		  ON e.id = p.fine_id AND (e.ph->>'n')::int = p.n
		WHERE p.fine_id IS NULL OR e.id IS NULL OR encode(sha256(p.jpeg), 'hex') <> e.ph->>'sha256'
		LIMIT 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	if rows.Next() {
		var id string
		var n int
		var got, want string
		if err := rows.Scan(&id, &n, &got, &want); err != nil {
			return err
		}
		problem := fmt.Sprintf("photo %d altered (its SHA-256 is not the one the fine lists)", n)
		switch {
		case got == "":
			problem = fmt.Sprintf("photo %d is listed but not stored", n)
		case want == "":
			problem = fmt.Sprintf("photo %d is stored but not listed", n)
		}
		return fail(&LedgerError{Entry: -1, Kind: "photo", ID: id, Problem: problem})
	}
	return rows.Err()
}
