package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/multa/multa/notices"
)

// CreateUser saves a new user. Errors: EConflict when the name is taken,
// EValidation for an empty name or an unknown role.
func (s *Store) CreateUser(ctx context.Context, u notices.User) error {
	const op = "postgres.CreateUser"
	if err := ctx.Err(); err != nil {
		return err
	}
	if derr := notices.CheckNewUser(&u); derr != nil {
		derr.Op = op
		return derr
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = s.now()
	}
	doc, err := json.Marshal(&u)
	if err != nil {
		return wrap(op, err)
	}
	err = s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO users (username, doc) VALUES ($1, $2) ON CONFLICT DO NOTHING`, u.Username, doc)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return domainErr(op, notices.EConflict, "user %s already exists", u.Username)
		}
		return nil
	})
	return wrap(op, err)
}

// User returns a user by name. Errors: EUserNotFound.
func (s *Store) User(ctx context.Context, username string) (notices.User, error) {
	const op = "postgres.User"
	if err := ctx.Err(); err != nil {
		return notices.User{}, err
	}
	var u notices.User
	err := s.retryRead(ctx, func() error {
		var err error
		u, err = loadUser(ctx, s.pool, op, username, false)
		return err
	})
	if err != nil {
		return notices.User{}, wrap(op, err)
	}
	return u, nil
}

func loadUser(ctx context.Context, q querier, op, username string, forUpdate bool) (notices.User, error) {
	sql := `SELECT doc FROM users WHERE username = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	var doc []byte
	err := q.QueryRow(ctx, sql, username).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return notices.User{}, domainErr(op, notices.EUserNotFound, "no user %s", username)
	}
	if err != nil {
		return notices.User{}, err
	}
	var u notices.User
	return u, json.Unmarshal(doc, &u)
}

// Users lists all users, by name.
func (s *Store) Users(ctx context.Context) ([]notices.User, error) {
	const op = "postgres.Users"
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.User
	err := s.retryRead(ctx, func() error {
		out = nil
		rows, err := s.pool.Query(ctx, `SELECT doc FROM users ORDER BY username`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var doc []byte
			if err := rows.Scan(&doc); err != nil {
				return err
			}
			var u notices.User
			if err := json.Unmarshal(doc, &u); err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	return out, nil
}

// userUpdateLockKey is the transaction-scoped advisory lock that
// serializes UpdateUser across processes (migrateLockKey is another).
const userUpdateLockKey = 0x6d756c7461_0002 // "multa", 2

// otherAdmins counts the enabled admins not named username.
func otherAdmins(ctx context.Context, tx pgx.Tx, username string) (int, error) {
	rows, err := tx.Query(ctx, `SELECT doc FROM users WHERE username <> $1`, username)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var doc []byte
		if err := rows.Scan(&doc); err != nil {
			return 0, err
		}
		var u notices.User
		if err := json.Unmarshal(doc, &u); err != nil {
			return 0, err
		}
		if u.EnabledAdmin() {
			n++
		}
	}
	return n, rows.Err()
}

// UpdateUser loads a user with its row locked, applies change and saves
// it, in one transaction; an error from change aborts it and is returned
// as is. When the change disables the user, or changes its role or
// password hash, every refresh-token family of the user is revoked in the
// same transaction, so no session outlives the change. Errors:
// EUserNotFound, EValidation.
func (s *Store) UpdateUser(ctx context.Context, username string, change notices.UserChange) (notices.User, error) {
	const op = "postgres.UpdateUser"
	if err := ctx.Err(); err != nil {
		return notices.User{}, err
	}
	var out notices.User
	err := s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		// Every UpdateUser of every process queues here until commit, so
		// the count of the other admins stays true until then: two admins
		// disabling each other through two servers cannot both pass.
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(userUpdateLockKey)); err != nil {
			return err
		}
		old, err := loadUser(ctx, tx, op, username, true)
		if err != nil {
			return err
		}
		others, err := otherAdmins(ctx, tx, username)
		if err != nil {
			return err
		}
		u := old
		if err := change(&u, others); err != nil {
			return err
		}
		switch {
		case u.Username != old.Username:
			return domainErr(op, notices.EValidation, "the name of user %s cannot change", username)
		case !u.Role.Valid():
			return domainErr(op, notices.EValidation, "unknown role %q", u.Role)
		case u.PasswordHash == "" && old.PasswordHash != "":
			return domainErr(op, notices.EValidation, "user %s would lose its password", username)
		}
		out = u
		if u == old {
			return nil
		}
		doc, err := json.Marshal(&u)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET doc = $2 WHERE username = $1`, username, doc); err != nil {
			return err
		}
		if (u.Disabled && !old.Disabled) || u.Role != old.Role || u.PasswordHash != old.PasswordHash {
			return revokeWhere(ctx, tx, `family IN (SELECT family FROM refresh_tokens WHERE username = $1)`, username, s.now())
		}
		return nil
	})
	if err != nil {
		return notices.User{}, wrap(op, err)
	}
	return out, nil
}

func checkToken(op string, t *notices.RefreshToken) error {
	if t.Hash == "" || t.Family == "" || t.Username == "" {
		return domainErr(op, notices.EValidation, "a refresh token needs a hash, a family and a user")
	}
	return nil
}

func putToken(ctx context.Context, tx pgx.Tx, t *notices.RefreshToken) error {
	doc, err := json.Marshal(t)
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO refresh_tokens (hash, family, username, doc) VALUES ($1, $2, $3, $4)
		ON CONFLICT (hash) DO UPDATE SET family = excluded.family, username = excluded.username, doc = excluded.doc`,
		t.Hash, t.Family, t.Username, doc)
	return err
}

// SaveRefreshToken stores (or replaces) a refresh token by its hash.
func (s *Store) SaveRefreshToken(ctx context.Context, t notices.RefreshToken) error {
	const op = "postgres.SaveRefreshToken"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkToken(op, &t); err != nil {
		return err
	}
	return wrap(op, s.inTx(ctx, writeTx, func(tx pgx.Tx) error { return putToken(ctx, tx, &t) }))
}

func loadToken(ctx context.Context, q querier, op, hash string, forUpdate bool) (notices.RefreshToken, error) {
	sql := `SELECT doc FROM refresh_tokens WHERE hash = $1`
	if forUpdate {
		sql += ` FOR UPDATE`
	}
	var doc []byte
	err := q.QueryRow(ctx, sql, hash).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return notices.RefreshToken{}, domainErr(op, notices.ENotFound, "no such refresh token")
	}
	if err != nil {
		return notices.RefreshToken{}, err
	}
	var t notices.RefreshToken
	return t, json.Unmarshal(doc, &t)
}

// RefreshToken returns a refresh token by hash. Errors: ENotFound.
func (s *Store) RefreshToken(ctx context.Context, hash string) (notices.RefreshToken, error) {
	const op = "postgres.RefreshToken"
	if err := ctx.Err(); err != nil {
		return notices.RefreshToken{}, err
	}
	var t notices.RefreshToken
	err := s.retryRead(ctx, func() error {
		var err error
		t, err = loadToken(ctx, s.pool, op, hash, false)
		return err
	})
	if err != nil {
		return notices.RefreshToken{}, wrap(op, err)
	}
	return t, nil
}

// RotateRefreshToken marks old as rotated and saves next in its family,
// atomically, with old's row locked so that two processes rotating the
// same token cannot both succeed. Presenting a token that was already
// rotated or revoked means it leaked, so the whole family is revoked,
// that revocation is committed, and EConflict is returned. An expired
// token gives EConflict without revoking anything. Errors: ENotFound,
// EValidation.
func (s *Store) RotateRefreshToken(ctx context.Context, r notices.TokenRotation) error {
	const op = "postgres.RotateRefreshToken"
	if err := ctx.Err(); err != nil {
		return err
	}
	oldHash, next, now := r.OldHash, r.Next, r.At
	var reused, expired, recent bool
	err := s.inTx(ctx, writeTx, func(tx pgx.Tx) error {
		reused, expired, recent = false, false, false
		old, err := loadToken(ctx, tx, op, oldHash, true)
		if err != nil {
			return err
		}
		if old.RotatedWithin(now, r.Grace) {
			recent = true
			return nil
		}
		if !old.RotatedAt.IsZero() || !old.RevokedAt.IsZero() {
			reused = true
			return revokeWhere(ctx, tx, `family = $1`, old.Family, now)
		}
		if !now.Before(old.ExpiresAt) {
			expired = true
			return nil
		}
		if next.Family == "" {
			next.Family = old.Family
		}
		if next.Username == "" {
			next.Username = old.Username
		}
		if next.Family != old.Family || next.Username != old.Username {
			return domainErr(op, notices.EValidation, "a rotated token stays in its family and with its user")
		}
		if err := checkToken(op, &next); err != nil {
			return err
		}
		var exists bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM refresh_tokens WHERE hash = $1)`, next.Hash).Scan(&exists); err != nil {
			return err
		}
		if next.Hash == oldHash || exists {
			return domainErr(op, notices.EConflict, "the new refresh token already exists")
		}
		old.RotatedAt, old.Successor = now, r.Successor
		if err := putToken(ctx, tx, &old); err != nil {
			return err
		}
		return putToken(ctx, tx, &next)
	})
	switch {
	case err != nil:
		return wrap(op, err)
	case recent:
		return domainErr(op, notices.EConflict, "refresh token rotated moments ago: its successor answers")
	case reused:
		return domainErr(op, notices.EConflict, "refresh token reused: its family is revoked")
	case expired:
		return domainErr(op, notices.EConflict, "refresh token expired")
	}
	return nil
}

// RevokeFamily revokes every refresh token of a family. Tokens already
// revoked keep their first date.
func (s *Store) RevokeFamily(ctx context.Context, family string, now time.Time) error {
	const op = "postgres.RevokeFamily"
	if err := ctx.Err(); err != nil {
		return err
	}
	return wrap(op, s.inTx(ctx, writeTx, func(tx pgx.Tx) error { return revokeWhere(ctx, tx, `family = $1`, family, now) }))
}

// revokeWhere revokes the unrevoked tokens matching cond (with $1 as arg),
// rewriting each document with its RevokedAt.
func revokeWhere(ctx context.Context, tx pgx.Tx, cond string, arg any, now time.Time) error {
	rows, err := tx.Query(ctx, `SELECT doc FROM refresh_tokens WHERE `+cond+` ORDER BY hash FOR UPDATE`, arg)
	if err != nil {
		return err
	}
	docs, err := pgx.CollectRows(rows, pgx.RowTo[[]byte])
	if err != nil {
		return err
	}
	for _, d := range docs {
		var t notices.RefreshToken
		if err := json.Unmarshal(d, &t); err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			continue
		}
		t.RevokedAt = now
		if err := putToken(ctx, tx, &t); err != nil {
			return err
		}
	}
	return nil
}
