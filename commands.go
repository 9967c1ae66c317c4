package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/multa/multa/auth"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
	"github.com/multa/multa/notices/postgres"
)

// userCmd adds a user to a database that no server holds open; the
// password comes from standard input so it never shows in ps or history.
func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: multa user add --db FILE --username NAME --role officer|supervisor|finance|admin < password")
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	db := fs.String("db", envOr("MULTA_DB", "./multa.db"), "database file or postgres:// URL")
	name := fs.String("username", "", "user name")
	role := fs.String("role", "", "officer, supervisor, finance or admin")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if !notices.Role(*role).Valid() {
		return fmt.Errorf("--role must be officer, supervisor, finance or admin, not %q", *role)
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	pw = strings.TrimRight(pw, "\r\n")
	store, err := openStore(ctx, *db, false, false, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := auth.NewUser(*name, pw, notices.Role(*role), auth.DefaultParams, time.Now())
	if err == nil {
		err = store.CreateUser(ctx, u)
	}
	if err != nil {
		return errors.New(notices.ErrorMessage(err))
	}
	fmt.Fprintf(stdout, "created user %s with role %s\n", u.Username, u.Role)
	return nil
}

// backupCmd copies an offline bbolt database; online backups use the
// API. A PostgreSQL database is backed up with PostgreSQL's tools: the
// command says how, writes nothing, and exits non-zero so that a backup
// script written for bbolt does not believe it has a copy.
func backupCmd(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	db := fs.String("db", envOr("MULTA_DB", "./multa.db"), "database file (a postgres:// URL explains pg_dump instead)")
	out := fs.String("out", "", "file to write the copy to")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if postgres.IsURL(*db) {
		fmt.Fprintln(stdout, postgres.BackupAdvice)
		return errors.New("no backup written: back up PostgreSQL with pg_dump or pg_basebackup (see above)")
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	st, err := openStore(ctx, *db, true, false, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	store, ok := st.(*boltdb.Store)
	if !ok {
		return errors.New("backup: not a bbolt database")
	}
	if err := store.BackupFile(*out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backup of %s written to %s\n", *db, *out)
	return nil
}

// ledgerCmd checks every stored fine and receipt against the Merkle log;
// it exits non-zero and names the first bad entry if anything was altered.
func ledgerCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "verify" {
		return errors.New("usage: multa ledger verify --db FILE|URL [--head FILE]")
	}
	fs := flag.NewFlagSet("ledger verify", flag.ContinueOnError)
	db := fs.String("db", envOr("MULTA_DB", "./multa.db"), "database file or postgres:// URL")
	headFile := fs.String("head", "", "a signed head kept earlier (the signedHead of GET /api/v1/ledger, or that whole answer): the ledger must extend it")
	keyFile := fs.String("ledger-key-file", envOr("MULTA_LEDGER_KEY_FILE", ""), "ledger key file whose verifier key checks --head's signature (default: <db>.ledger.key)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	var old *notices.LedgerHead
	if *headFile != "" {
		h, err := readSignedHead(*headFile, orDefault(*keyFile, statePath(*db, ".ledger.key", "", false)))
		if err != nil {
			return fmt.Errorf("--head %s: %w", *headFile, err)
		}
		old = &h
	}
	store, err := openStore(ctx, *db, true, false, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := store.VerifyLedger(ctx); err != nil {
		return fmt.Errorf("ledger verification FAILED: %w", err)
	}
	if old != nil {
		if err := store.VerifyLedgerExtends(ctx, *old); err != nil {
			return fmt.Errorf("ledger verification FAILED against the head of %d entries in %s (history rewritten since it was signed): %w", old.Size, *headFile, err)
		}
	}
	head, err := store.LedgerHead(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ledger OK: %d entries, root %x\n", head.Size, head.Root)
	if old != nil {
		fmt.Fprintf(stdout, "it extends the signed head of %d entries in %s\n", old.Size, *headFile)
	}
	return nil
}

// readSignedHead reads a signed tree head an auditor kept: the note text
// itself, or the JSON answer of GET /api/v1/ledger holding it. The
// signature is checked with the verifier key of keyFile (second line),
// or, when there is no key file, the one the saved answer carried.
func readSignedHead(path, keyFile string) (notices.LedgerHead, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return notices.LedgerHead{}, err
	}
	msg, vkey := b, ""
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "{") {
		var answer struct {
			SignedHead  string `json:"signedHead"`
			VerifierKey string `json:"verifierKey"`
		}
		if err := json.Unmarshal([]byte(t), &answer); err != nil || answer.SignedHead == "" {
			return notices.LedgerHead{}, errors.New("not a signed head nor an answer of GET /api/v1/ledger with one")
		}
		msg, vkey = []byte(answer.SignedHead), answer.VerifierKey
	}
	if kb, err := os.ReadFile(keyFile); err == nil {
		if f := strings.Fields(string(kb)); len(f) == 2 {
			vkey = f[1]
		}
	}
	if vkey == "" {
		return notices.LedgerHead{}, fmt.Errorf("no verifier key: %s is missing and the head file names none", keyFile)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return notices.LedgerHead{}, err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return notices.LedgerHead{}, fmt.Errorf("the signature does not check: %w", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return notices.LedgerHead{}, err
	}
	return notices.LedgerHead{Size: tree.N, Root: tree.Hash}, nil
}

// loadLedgerKey reads the note signer key and its verifier key (one per
// line), creating both (0600) on first start. The verifier key is
// published with every signed head so that auditors can check it.
func loadLedgerKey(path string) (note.Signer, string, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		skey, vkey, gerr := note.GenerateKey(rand.Reader, "multa-ledger")
		if gerr != nil {
			return nil, "", gerr
		}
		b = []byte(skey + "\n" + vkey + "\n")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return nil, "", fmt.Errorf("ledger key %s: %w", path, err)
		}
	} else if err != nil {
		return nil, "", fmt.Errorf("ledger key %s: %w", path, err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 {
		return nil, "", fmt.Errorf("ledger key %s: want a signer key and a verifier key, one per line", path)
	}
	signer, err := note.NewSigner(lines[0])
	if err != nil {
		return nil, "", fmt.Errorf("ledger key %s: %w", path, err)
	}
	if _, err := note.NewVerifier(lines[1]); err != nil {
		return nil, "", fmt.Errorf("ledger key %s: %w", path, err)
	}
	return signer, lines[1], nil
}
