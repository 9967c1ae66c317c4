package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
	"github.com/multa/multa/notices/postgres"
)

// openStore opens the database named by --db / MULTA_DB: a postgres://
// URL selects the PostgreSQL store, anything else is a bbolt file. A held
// bbolt file or an unreachable server gives a clear message.
//
// A bbolt file is checked whole first: a damaged one ends the command
// with one line naming it (never a panic), and an empty or missing file
// whose key files show it held data is refused rather than started over.
// existing is for the commands that read a database (backup, ledger
// verify): for them a missing or empty file is an error, not a new
// database. cal is the calendar the dashboard's outstanding tallies value
// fines with (serve's --patron-day); nil, for commands that value no
// fine, keeps the database's. serving readies what only a server's
// requests use (bbolt's plate search list), which commands skip.
func openStore(ctx context.Context, db string, existing, serving bool, cal *notices.Calendar) (notices.Store, error) {
	if postgres.IsURL(db) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		st, err := postgres.Open(ctx, db, postgres.Options{Calendar: cal})
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", redactDB(db), err)
		}
		return st, nil
	}
	if err := boltdb.ExpectData(db, db+".jwt.key", db+".ledger.key", db+".psp"); err != nil {
		return nil, errors.New(notices.ErrorMessage(err))
	}
	if existing {
		if fi, err := os.Stat(db); err != nil || fi.Size() == 0 {
			return nil, fmt.Errorf("there is no database at %s (missing or empty file)", db)
		}
	}
	st, err := boltdb.Open(db, boltdb.Options{Timeout: time.Second, Check: true, Calendar: cal, WarmPlateSearch: serving})
	if c := notices.ErrorCode(err); c == notices.EDatabaseDamaged || c == notices.EDatabaseInUse {
		return nil, errors.New(notices.ErrorMessage(err))
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", db, err)
	}
	return st, nil
}

// redactDB hides the password of a database URL, for logs and messages.
func redactDB(db string) string {
	if !postgres.IsURL(db) {
		return db
	}
	u, err := url.Parse(db)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// statePath is where a file that belongs with the database lives by
// default: next to a bbolt file (<db>.jwt.key), or, for a PostgreSQL URL,
// in the working directory (./multa.jwt.key), which processes started
// from one directory share. perProcess files (the sandbox provider's
// state) get the listen port in their name, since two processes cannot
// share one.
func statePath(db, suffix, addr string, perProcess bool) string {
	if !postgres.IsURL(db) {
		return db + suffix
	}
	name := "multa"
	if perProcess {
		_, port, _ := strings.Cut(addr, ":")
		name += "-" + port
	}
	return filepath.Join(".", name+suffix)
}
