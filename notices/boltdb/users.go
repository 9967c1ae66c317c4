package boltdb

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// CreateUser saves a new user. Errors: EConflict when the name is taken,
// EValidation for an empty name or an unknown role.
func (s *Store) CreateUser(ctx context.Context, u notices.User) error {
	const op = "boltdb.CreateUser"
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
	b, err := json.Marshal(&u)
	if err != nil {
		return internal(op, err)
	}
	err = s.db.Update(func(tx *bolt.Tx) error {
		users := tx.Bucket(bktUsers)
		if users.Get([]byte(u.Username)) != nil {
			return domainErr(op, notices.EConflict, "user %s already exists", u.Username)
		}
		return users.Put([]byte(u.Username), b)
	})
	return internal(op, err)
}

// User returns a user by name. Errors: EUserNotFound.
func (s *Store) User(ctx context.Context, username string) (notices.User, error) {
	const op = "boltdb.User"
	if err := ctx.Err(); err != nil {
		return notices.User{}, err
	}
	var u notices.User
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktUsers).Get([]byte(username))
		if v == nil {
			return domainErr(op, notices.EUserNotFound, "no user %s", username)
		}
		return json.Unmarshal(v, &u)
	})
	if err != nil {
		return notices.User{}, internal(op, err)
	}
	return u, nil
}

// Users lists all users, by name.
func (s *Store) Users(ctx context.Context) ([]notices.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out []notices.User
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bktUsers).ForEach(func(_, v []byte) error {
			var u notices.User
			if err := json.Unmarshal(v, &u); err != nil {
				return err
			}
			out = append(out, u)
			return nil
		})
	})
	if err != nil {
		return nil, internal("boltdb.Users", err)
	}
	return out, nil
}

// familyKey indexes a token under its family; hashes are hex or base64,
// so the 0x00 separator cannot occur in them.
func familyKey(family, hash string) []byte {
	k := append([]byte(family), 0)
	return append(k, hash...)
}

// putToken writes a token and its family index entry.
func putToken(tx *bolt.Tx, t *notices.RefreshToken) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	if err := tx.Bucket(bktTokens).Put([]byte(t.Hash), b); err != nil {
		return err
	}
	return tx.Bucket(bktTokenFamily).Put(familyKey(t.Family, t.Hash), nil)
}

func checkToken(op string, t *notices.RefreshToken) error {
	if t.Hash == "" || t.Family == "" || t.Username == "" {
		return domainErr(op, notices.EValidation, "a refresh token needs a hash, a family and a user")
	}
	return nil
}

// SaveRefreshToken stores (or replaces) a refresh token by its hash.
func (s *Store) SaveRefreshToken(ctx context.Context, t notices.RefreshToken) error {
	const op = "boltdb.SaveRefreshToken"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkToken(op, &t); err != nil {
		return err
	}
	return internal(op, s.db.Update(func(tx *bolt.Tx) error { return putToken(tx, &t) }))
}

// RefreshToken returns a refresh token by hash. Errors: ENotFound.
func (s *Store) RefreshToken(ctx context.Context, hash string) (notices.RefreshToken, error) {
	const op = "boltdb.RefreshToken"
	if err := ctx.Err(); err != nil {
		return notices.RefreshToken{}, err
	}
	var t notices.RefreshToken
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(bktTokens).Get([]byte(hash))
		if v == nil {
			return domainErr(op, notices.ENotFound, "no such refresh token")
		}
		return json.Unmarshal(v, &t)
	})
	if err != nil {
		return notices.RefreshToken{}, internal(op, err)
	}
	return t, nil
}

// RotateRefreshToken marks old as rotated and saves next in its family,
// atomically. Presenting a token that was already rotated or revoked means
// it leaked (the legitimate client holds the newer one), so the whole
// family is revoked, that revocation is committed, and EConflict is
// returned. An expired token gives EConflict without revoking anything.
// next.Family defaults to old's; another family or user is EValidation.
// Errors: ENotFound.
func (s *Store) RotateRefreshToken(ctx context.Context, r notices.TokenRotation) error {
	const op = "boltdb.RotateRefreshToken"
	if err := ctx.Err(); err != nil {
		return err
	}
	oldHash, next, now := r.OldHash, r.Next, r.At
	var reused, expired, recent bool
	err := s.db.Update(func(tx *bolt.Tx) error {
		reused, expired, recent = false, false, false
		v := tx.Bucket(bktTokens).Get([]byte(oldHash))
		if v == nil {
			return domainErr(op, notices.ENotFound, "no such refresh token")
		}
		var old notices.RefreshToken
		if err := json.Unmarshal(v, &old); err != nil {
			return err
		}
		if old.RotatedWithin(now, r.Grace) {
			recent = true
			return nil
		}
		if !old.RotatedAt.IsZero() || !old.RevokedAt.IsZero() {
			reused = true
			return revokeFamily(tx, old.Family, now)
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
		if next.Hash == oldHash || tx.Bucket(bktTokens).Get([]byte(next.Hash)) != nil {
			return domainErr(op, notices.EConflict, "the new refresh token already exists")
		}
		old.RotatedAt, old.Successor = now, r.Successor
		if err := putToken(tx, &old); err != nil {
			return err
		}
		return putToken(tx, &next)
	})
	switch {
	case err != nil:
		return internal(op, err)
	case recent:
		return domainErr(op, notices.EConflict, "refresh token rotated moments ago: its successor answers")
	case reused:
		return domainErr(op, notices.EConflict, "refresh token reused: its family is revoked")
	case expired:
		return domainErr(op, notices.EConflict, "refresh token expired")
	}
	return nil
}

// RevokeFamily revokes every refresh token of a family (logout, reuse
// detected, user disabled). Tokens already revoked keep their first date.
func (s *Store) RevokeFamily(ctx context.Context, family string, now time.Time) error {
	const op = "boltdb.RevokeFamily"
	if err := ctx.Err(); err != nil {
		return err
	}
	return internal(op, s.db.Update(func(tx *bolt.Tx) error { return revokeFamily(tx, family, now) }))
}

func revokeFamily(tx *bolt.Tx, family string, now time.Time) error {
	prefix := familyKey(family, "")
	tokens := tx.Bucket(bktTokens)
	var hashes [][]byte
	c := tx.Bucket(bktTokenFamily).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		hashes = append(hashes, bytes.Clone(k[len(prefix):]))
	}
	for _, h := range hashes {
		v := tokens.Get(h)
		if v == nil {
			continue
		}
		var t notices.RefreshToken
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if !t.RevokedAt.IsZero() {
			continue
		}
		t.RevokedAt = now
		if err := putToken(tx, &t); err != nil {
			return err
		}
	}
	return nil
}

// UpdateUser loads a user, applies change and saves it, all in one write
// transaction; an error from change aborts it and is returned as is.
// change runs inside the transaction: it must be quick and must not call
// the store. The username cannot change and the role must stay valid.
//
// When the change disables the user, or changes its role or password
// hash, every refresh token of the user is revoked in the same
// transaction: a disabled user must not refresh, a demoted one should sign
// in again to get a token whose role claim is right, and a password reset
// is usually a response to a leak, so existing sessions must end with it.
// Errors: EUserNotFound, EValidation.
func (s *Store) UpdateUser(ctx context.Context, username string, change notices.UserChange) (notices.User, error) {
	const op = "boltdb.UpdateUser"
	if err := ctx.Err(); err != nil {
		return notices.User{}, err
	}
	var out notices.User
	err := s.db.Update(func(tx *bolt.Tx) error {
		users := tx.Bucket(bktUsers)
		v := users.Get([]byte(username))
		if v == nil {
			return domainErr(op, notices.EUserNotFound, "no user %s", username)
		}
		var old notices.User
		if err := json.Unmarshal(v, &old); err != nil {
			return err
		}
		// bbolt's one writer makes the count exact until commit.
		others, err := otherAdmins(users, username)
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
			return nil // nothing to write, no session to end
		}
		b, err := json.Marshal(&u)
		if err != nil {
			return err
		}
		if err := users.Put([]byte(username), b); err != nil {
			return err
		}
		if (u.Disabled && !old.Disabled) || u.Role != old.Role || u.PasswordHash != old.PasswordHash {
			return revokeUserTokens(tx, username, s.now())
		}
		return nil
	})
	if err != nil {
		return notices.User{}, internal(op, err)
	}
	return out, nil
}

// revokeUserTokens revokes every refresh-token family that holds a token
// of username. There is no per-user index (tokens are keyed by hash and
// indexed by family only), so this scans the tokens bucket: acceptable at
// the size of a back office (a few hundred users, tokens of the last
// shifts), and an admin's change is rare. Revoking whole families, not
// only the tokens seen, keeps the rule of revokeFamily: a family is dead
// or alive as a whole.
// otherAdmins counts the enabled admins not named username.
func otherAdmins(users *bolt.Bucket, username string) (int, error) {
	n := 0
	err := users.ForEach(func(k, v []byte) error {
		if string(k) == username {
			return nil
		}
		var u notices.User
		if err := json.Unmarshal(v, &u); err != nil {
			return err
		}
		if u.EnabledAdmin() {
			n++
		}
		return nil
	})
	return n, err
}

func revokeUserTokens(tx *bolt.Tx, username string, now time.Time) error {
	families := map[string]bool{}
	err := tx.Bucket(bktTokens).ForEach(func(_, v []byte) error {
		var t notices.RefreshToken
		if err := json.Unmarshal(v, &t); err != nil {
			return err
		}
		if t.Username == username && t.RevokedAt.IsZero() {
			families[t.Family] = true
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Writes happen after the scan: bbolt forbids changing a bucket
	// while ForEach iterates over it.
	for f := range families {
		if err := revokeFamily(tx, f, now); err != nil {
			return err
		}
	}
	return nil
}
